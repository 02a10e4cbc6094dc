package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// arrivals records what a receiving server got, per inbox and activity.
type arrivals struct {
	mu    sync.Mutex
	seen  map[string]int // inbox + " " + activity id -> times
	bad   int
	total int
}

func (a *arrivals) add(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen[key]++
	a.total++
}

func (a *arrivals) counts() (distinct, total, bad int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.seen), a.total, a.bad
}

// fetchKeys resolves a Rounds actor's key over plain HTTP, for a test
// receiver checking that deliveries are really signed by the sender.
type fetchKeys struct {
	mu    sync.Mutex
	cache map[string]crypto.PublicKey
}

func (k *fetchKeys) PublicKey(ctx context.Context, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	owner, _, _ := strings.Cut(keyID, "#")
	k.mu.Lock()
	defer k.mu.Unlock()
	if pub, ok := k.cache[keyID]; ok && !refresh {
		return pub, owner, nil
	}
	code, doc, _ := getASCtx(owner)
	if code != 200 {
		return nil, "", fmt.Errorf("fetch %s: %d", owner, code)
	}
	actor, err := federation.ParseActor(doc)
	if err != nil {
		return nil, "", err
	}
	pub, err := parseTestPublicKey(actor.PublicKeyPEM)
	if err != nil {
		return nil, "", err
	}
	k.cache[keyID] = pub
	return pub, actor.ID, nil
}

func getASCtx(url string) (int, []byte, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestQueuedDeliveriesSurviveSIGKILL queues 2,000 deliveries (a thousand
// Accepts and one post to a thousand followers, each with its own inbox),
// kills the sending server with SIGKILL part-way, starts it again, and
// checks that every delivery arrived, signed.
func TestQueuedDeliveriesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs a thousand deliveries twice over")
	}
	const followers = 1000
	ctx := context.Background()

	got := &arrivals{seen: map[string]int{}}
	keys := &fetchKeys{cache: map[string]crypto.PublicKey{}}
	var receiver *httptest.Server
	receiver = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/users/") {
			// Not needed by the sender once the followers are stored.
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if _, _, err := federation.VerifyAnyRequest(r.Context(), r, body, keys, "http", time.Now()); err != nil {
			got.mu.Lock()
			got.bad++
			got.mu.Unlock()
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var act struct{ ID string }
		_ = json.Unmarshal(body, &act)
		got.add(r.URL.Path + " " + act.ID)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer receiver.Close()

	// The sender's address is fixed before it starts: it is its domain.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dbURL := storagetest.NewURL(t, storage.SQLite)
	if code, _, errs := runCLI(t, nil, "migrate", "--database", dbURL); code != 0 {
		t.Fatal(errs)
	}

	// The followers and the post, made through the domain rules the inbox
	// and the apps use; this process only queues, the server delivers.
	db, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	svc := social.New(social.Options{DB: db, Jobs: storage.NewJobs(db, storage.JobsOptions{}), Domain: addr, Protocol: "http"})
	noDelay := social.Duration(0)
	if _, err := svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &noDelay }); err != nil {
		t.Fatal(err)
	}
	speaker, err := svc.CreateUser(ctx, social.NewUser{Username: "speaker", Password: "a long password", Approved: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < followers; i++ {
		uri := fmt.Sprintf("%s/users/f%d", receiver.URL, i)
		a := &storage.Account{Username: fmt.Sprintf("f%d", i), URI: uri, InboxURL: uri + "/inbox", KeyID: uri + "#main-key", ActorType: "Person", Fields: "[]"}
		if err := svc.StoreRemoteAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := svc.ReceiveFollow(ctx, a, speaker.Account, uri+"/follows/1"); err != nil {
			t.Fatal(err)
		}
	}
	post, err := svc.PostStatus(ctx, speaker.Account, social.NewStatus{Text: "Grand rounds at noon."})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	const want = 2 * followers

	dir := t.TempDir()
	args := []string{"--database", dbURL, "--domain", addr, "--protocol", "http", "--allow-private-addresses", "127.0.0.0/8", "--job-timeout", "2s"}
	start := func() *child {
		c := startChildAt(t, dir, addr, nil, args...)
		return c
	}
	c := start()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if d, _, _ := got.counts(); d >= 300 {
			break
		}
		if time.Now().After(deadline) {
			d, _, bad := got.counts()
			t.Fatalf("only %d deliveries (%d refused) arrived in 60s", d, bad)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.stop(syscall.SIGKILL)
	before, _, _ := got.counts()
	if before >= want {
		t.Fatalf("all %d deliveries arrived before the kill; the test proves nothing", want)
	}
	t.Logf("killed after %d of %d deliveries", before, want)

	time.Sleep(3500 * time.Millisecond) // past the job timeout plus the rescue margin
	c2 := start()
	restarted := time.Now()
	deadline = time.Now().Add(120 * time.Second)
	for {
		if d, _, _ := got.counts(); d == want {
			break
		}
		if time.Now().After(deadline) {
			d, _, bad := got.counts()
			t.Fatalf("after the restart %d of %d deliveries arrived (%d refused)", d, want, bad)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("after the restart the remaining %d deliveries took %v", want-before, time.Since(restarted).Round(time.Millisecond))
	distinct, total, bad := got.counts()
	t.Logf("%d distinct deliveries, %d requests (%d repeated after the kill), %d refused", distinct, total, total-distinct, bad)
	if bad != 0 {
		t.Fatalf("%d deliveries had bad signatures", bad)
	}
	// Every follower's inbox has the post.
	for i := 0; i < followers; i++ {
		key := fmt.Sprintf("/users/f%d/inbox %s/activity", i, post.URI)
		got.mu.Lock()
		n := got.seen[key]
		got.mu.Unlock()
		if n == 0 {
			t.Fatalf("follower %d never got the post", i)
		}
	}
	c2.stop(syscall.SIGTERM)
}

func parseTestPublicKey(p string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	return x509.ParsePKIXPublicKey(block.Bytes)
}
