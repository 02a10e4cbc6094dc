package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// testRelay is a tiny ActivityPub relay on loopback, signing with its own
// key. Mastodon-style (its inbox is given) it forwards the Creates a
// subscriber sends, body as it came; LitePub-style (its actor is given) it
// announces their objects.
type testRelay struct {
	t       *testing.T
	base    string
	litepub bool
	key     *rsa.PrivateKey
	client  *http.Client

	mu      sync.Mutex
	subs    map[string]string // subscriber actor -> inbox
	follows []string          // Follow ids received
	undos   []string          // ids of the Follows undone
	creates []string          // ids of the objects of the Creates received

	// objectDelay slows the answer to GET /objects/N, which the flood's
	// announces name; fetching counts those in flight.
	objectDelay time.Duration
	fetching    atomic.Int32
	maxFetching atomic.Int32
	fetched     atomic.Int32
}

func startTestRelay(t *testing.T, litepub bool) *testRelay {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rl := &testRelay{t: t, base: "http://" + ln.Addr().String(), litepub: litepub, key: key, subs: map[string]string{},
		client: &http.Client{Timeout: 10 * time.Second}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /actor", rl.actor)
	mux.HandleFunc("POST /inbox", rl.inbox)
	mux.HandleFunc("GET /objects/{n}", func(w http.ResponseWriter, r *http.Request) {
		n := rl.fetching.Add(1)
		defer rl.fetching.Add(-1)
		for {
			m := rl.maxFetching.Load()
			if n <= m || rl.maxFetching.CompareAndSwap(m, n) {
				break
			}
		}
		rl.fetched.Add(1)
		time.Sleep(rl.objectDelay)
		http.NotFound(w, r)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rl
}

func (rl *testRelay) actorID() string { return rl.base + "/actor" }

func (rl *testRelay) actor(w http.ResponseWriter, _ *http.Request) {
	der, _ := x509.MarshalPKIXPublicKey(&rl.key.PublicKey)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	doc := map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       rl.actorID(), "type": "Application", "preferredUsername": "relay",
		"inbox": rl.base + "/inbox", "followers": rl.base + "/followers",
		"publicKey": map[string]any{"id": rl.actorID() + "#main-key", "owner": rl.actorID(), "publicKeyPem": string(pemKey)},
	}
	w.Header().Set("Content-Type", "application/activity+json")
	_ = json.NewEncoder(w).Encode(doc)
}

// post sends body to inbox signed by the relay; it returns the status.
func (rl *testRelay) post(inbox string, body []byte) int {
	req, _ := http.NewRequest("POST", inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := federation.SignRequest(req, body, &federation.Signer{KeyID: rl.actorID() + "#main-key", Key: rl.key}); err != nil {
		rl.t.Error(err)
		return 0
	}
	resp, err := rl.client.Do(req)
	if err != nil {
		rl.t.Logf("relay: POST %s: %v", inbox, err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (rl *testRelay) inbox(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var act map[string]any
	if err := json.Unmarshal(body, &act); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	actor, _ := act["actor"].(string)
	id, _ := act["id"].(string)
	w.WriteHeader(http.StatusAccepted)
	switch act["type"] {
	case "Follow":
		rl.mu.Lock()
		rl.follows = append(rl.follows, id)
		rl.mu.Unlock()
		go rl.accept(actor, act)
	case "Undo":
		inner, _ := act["object"].(map[string]any)
		undone, _ := inner["id"].(string)
		rl.mu.Lock()
		rl.undos = append(rl.undos, undone)
		for a := range rl.subs {
			if sameHostTest(a, actor) {
				delete(rl.subs, a)
			}
		}
		rl.mu.Unlock()
	case "Delete":
		// Forwarded as it came, by either style.
		rl.mu.Lock()
		var to []string
		for a, in := range rl.subs {
			if !sameHostTest(a, actor) {
				to = append(to, in)
			}
		}
		rl.mu.Unlock()
		for _, in := range to {
			go rl.post(in, body)
		}
	case "Create":
		obj, _ := act["object"].(map[string]any)
		objID, _ := obj["id"].(string)
		rl.mu.Lock()
		rl.creates = append(rl.creates, objID)
		var to []string
		for a, in := range rl.subs {
			if !sameHostTest(a, actor) {
				to = append(to, in)
			}
		}
		rl.mu.Unlock()
		out := body // Mastodon-style: the activity as it came
		if rl.litepub {
			out, _ = json.Marshal(map[string]any{
				"@context": "https://www.w3.org/ns/activitystreams", "id": rl.base + "/announces/" + strconv.FormatInt(time.Now().UnixNano(), 10),
				"type": "Announce", "actor": rl.actorID(), "object": objID,
				"to": []string{rl.base + "/followers"}, "cc": []string{social.PublicCollection},
			})
		}
		for _, in := range to {
			go rl.post(in, out)
		}
	}
}

// accept answers a subscriber's Follow: its inbox is read from its actor.
func (rl *testRelay) accept(actor string, follow map[string]any) {
	req, _ := http.NewRequest("GET", actor, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := rl.client.Do(req)
	if err != nil {
		rl.t.Errorf("relay: GET %s: %v", actor, err)
		return
	}
	var doc struct {
		Inbox string `json:"inbox"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	rl.mu.Lock()
	rl.subs[actor] = doc.Inbox
	rl.mu.Unlock()
	body, _ := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": rl.base + "/accepts/" + strconv.FormatInt(time.Now().UnixNano(), 10),
		"type": "Accept", "actor": rl.actorID(), "object": follow, "to": []string{actor},
	})
	if code := rl.post(doc.Inbox, body); code != http.StatusAccepted {
		rl.t.Errorf("relay: Accept to %s answered %d", doc.Inbox, code)
	}
}

func (rl *testRelay) received(what *[]string, id string) bool {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return slices.Contains(*what, id)
}

func sameHostTest(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host == ub.Host
}

// relayState returns the state of n's relay added as rawURL ("" when
// there is none).
func relayState(t *testing.T, n *node, rawURL string) *storage.Relay {
	t.Helper()
	rs, err := n.svc.Relays(context.Background(), social.CommandLine)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.URL == rawURL {
			return r
		}
	}
	return nil
}

func waitRelayAccepted(t *testing.T, n *node, rawURL string) *storage.Relay {
	t.Helper()
	var r *storage.Relay
	eventually(t, "the relay "+rawURL+" accepting "+n.domain, func() bool {
		r = relayState(t, n, rawURL)
		return r != nil && r.State == storage.RelayAccepted
	})
	return r
}

// federatedURIs returns the uris of the statuses in n's federated timeline
// as the API shows it.
func federatedURIs(t *testing.T, n *node, token string) []string {
	t.Helper()
	req, _ := http.NewRequest("GET", n.base+"/api/v1/timelines/public?remote=true&limit=40", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct {
		URI string `json:"uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("federated timeline: %d %v", resp.StatusCode, err)
	}
	var out []string
	for _, s := range list {
		out = append(out, s.URI)
	}
	return out
}

// Two servers subscribe to a Mastodon-style relay (one through the command
// line, one through the admin page) and then to a LitePub-style one: a
// public post on A reaches B's federated timeline through each; a
// followers-only post never reaches a relay; removing a relay sends it an
// Undo; and a flood of announces from a relay is bounded: the relay queue
// stops at its cap, the rest is dropped and counted, the relay's objects
// are fetched by two workers at most, and the server keeps answering.
func TestRelaysCarryPublicPostsBetweenServersAndFloodsAreBounded(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		const relayCap = 40
		a := startNode(t, dialect)
		b := startNodeWith(t, dialect, func(rc *rawConfig) { rc.relayQueueCap = strconv.Itoa(relayCap) })
		alice := a.user(t, "alice", false)
		b.user(t, "bob", false)
		bobToken := tokenFor(t, b, "bob", "read")
		if _, err := b.svc.CreateUser(ctx, social.NewUser{Username: "boss", Password: "a long password", Role: social.RoleAdmin, Approved: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.CreateUser(ctx, social.NewUser{Username: "mod", Password: "a long password", Role: social.RoleModerator, Approved: true}); err != nil {
			t.Fatal(err)
		}
		masto, lite := startTestRelay(t, false), startTestRelay(t, true)
		lite.objectDelay = 100 * time.Millisecond // the flood's objects come slowly
		mastoURL := masto.base + "/inbox"

		// A subscribes on the command line, B on the admin page.
		envA := map[string]string{"ROUNDS_DATABASE": a.dbURL, "ROUNDS_DOMAIN": a.domain, "ROUNDS_PROTOCOL": "http"}
		if code, out, errs := runCLI(t, envA, "admin", "relay", "add", mastoURL); code != 0 || !strings.Contains(out, "added") {
			t.Fatalf("relay add: %d %q %q", code, out, errs)
		}
		if code, _, errs := runCLI(t, envA, "admin", "relay", "add", mastoURL); code == 0 || !strings.Contains(errs, "already") {
			t.Fatalf("adding the relay twice: %d %q", code, errs)
		}
		if code, _, errs := runCLI(t, envA, "admin", "relay", "add", "ftp://relay.example/inbox"); code == 0 || !strings.Contains(errs, "http") {
			t.Fatalf("adding a relay that is no http URL: %d %q", code, errs)
		}
		boss := signInPages(t, b, "boss")
		if code, _, _ := boss.send("/admin/relays", url.Values{"url": {mastoURL}}); code != http.StatusForbidden {
			t.Fatalf("adding a relay without the form token: %d, want 403", code)
		}
		if code, _, _ := signInPages(t, b, "mod").get("/admin/relays"); code != http.StatusForbidden {
			t.Fatalf("a moderator's relays page: %d, want 403", code)
		}
		boss.mustPost("/admin/relays", url.Values{"url": {mastoURL}}, "relay_added")
		waitRelayAccepted(t, a, mastoURL)
		waitRelayAccepted(t, b, mastoURL)
		if _, out, _ := runCLI(t, envA, "admin", "relay", "list"); !contains(out, mastoURL, "accepted", "true") {
			t.Fatalf("relay list:\n%s", out)
		}
		if code, page, _ := boss.get("/admin/relays"); code != http.StatusOK || !contains(page, mastoURL, "accepted", "Disable") {
			t.Fatalf("relays page: %d\n%s", code, page)
		}

		// A public post travels; a followers-only one does not.
		p1, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Through the relay: sepsis audit results.", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the public post in B's federated timeline", func() bool {
			return slices.Contains(federatedURIs(t, b, bobToken), p1.URI)
		})
		private, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Followers only: rota swap.", Visibility: social.VisibilityPrivate})
		if err != nil {
			t.Fatal(err)
		}
		p2, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Public again.", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the second public post at the relay", func() bool { return masto.received(&masto.creates, p2.URI) })
		eventually(t, "the second public post on B", func() bool {
			return slices.Contains(federatedURIs(t, b, bobToken), p2.URI)
		})
		if masto.received(&masto.creates, private.URI) {
			t.Fatal("a followers-only post was sent to the relay")
		}

		// Removing sends an Undo of the Follow.
		followA := relayState(t, a, mastoURL).FollowURI
		if code, out, errs := runCLI(t, envA, "admin", "relay", "remove", mastoURL); code != 0 || !strings.Contains(out, "removed") {
			t.Fatalf("relay remove: %d %q %q", code, out, errs)
		}
		eventually(t, "the Undo from A at the relay", func() bool { return masto.received(&masto.undos, followA) })
		rb := relayState(t, b, mastoURL)
		boss.mustPost(fmt.Sprintf("/admin/relays/%d/remove", rb.ID), nil, "relay_removed")
		eventually(t, "the Undo from B at the relay", func() bool { return masto.received(&masto.undos, rb.FollowURI) })
		if relayState(t, b, mastoURL) != nil {
			t.Fatal("the removed relay is still listed")
		}

		// LitePub-style: the relay is followed as an actor and announces.
		for _, n := range []*node{a, b} {
			if _, err := n.svc.AddRelay(ctx, social.CommandLine, lite.actorID()); err != nil {
				t.Fatal(err)
			}
		}
		waitRelayAccepted(t, a, lite.actorID())
		waitRelayAccepted(t, b, lite.actorID())
		p3, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Announced by a LitePub relay.", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the announced post in B's federated timeline", func() bool {
			return slices.Contains(federatedURIs(t, b, bobToken), p3.URI)
		})

		// A Delete the relay forwards is checked with the origin, then
		// applied.
		if _, err := a.svc.DeleteStatus(ctx, alice, p3.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the deleted post gone from B", func() bool {
			_, err := b.svc.StatusByURI(ctx, p3.URI)
			return errors.Is(err, social.ErrNotFound)
		})

		// A flood: 300 announces, sent eight at a time, of objects the
		// relay is slow to serve.
		bInbox := b.base + "/inbox"
		const flood = 300
		var sent atomic.Int32
		var wg sync.WaitGroup
		codes := make(chan int, flood)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := sent.Add(1)
					if i > flood {
						return
					}
					body, _ := json.Marshal(map[string]any{
						"@context": "https://www.w3.org/ns/activitystreams", "id": fmt.Sprintf("%s/announces/flood-%d", lite.base, i),
						"type": "Announce", "actor": lite.actorID(), "object": fmt.Sprintf("%s/objects/%d", lite.base, i),
						"to": []string{lite.base + "/followers"}, "cc": []string{social.PublicCollection},
					})
					codes <- lite.post(bInbox, body)
				}
			}()
		}
		// The server answers its users meanwhile.
		began := time.Now()
		federatedURIs(t, b, bobToken)
		if d := time.Since(began); d > 3*time.Second {
			t.Fatalf("the federated timeline took %v during the flood", d)
		}
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != http.StatusAccepted {
				t.Fatalf("a relay delivery was answered %d, want 202", c)
			}
		}
		dropped := relayState(t, b, lite.actorID()).Dropped
		queued, err := b.svc.QueuedRelayObjects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		taken := flood - dropped
		t.Logf("flood: %d dropped, %d taken, %d still queued, %d fetched so far, at most %d fetches at once",
			dropped, taken, queued, lite.fetched.Load(), lite.maxFetching.Load())
		// Taken: at most what the queue holds plus what was read
		// meanwhile (eight senders may pass the check at once).
		if fetched := int64(lite.fetched.Load()); dropped == 0 || taken > relayCap+fetched+8 {
			t.Fatalf("of %d announces %d were dropped and %d taken (%d read), want the queue capped at %d", flood, dropped, taken, fetched, relayCap)
		}
		if queued > relayCap+8 {
			t.Fatalf("%d relay jobs queued, over the cap %d", queued, relayCap)
		}
		if m := lite.maxFetching.Load(); m > storage.RelayWorkers {
			t.Fatalf("%d fetches of relayed objects at once, want at most %d", m, storage.RelayWorkers)
		}

		// Disabling and enabling an accepted relay keeps its subscription.
		for _, verb := range []string{"disable", "enable"} {
			if code, out, errs := runCLI(t, envA, "admin", "relay", verb, lite.actorID()); code != 0 || !strings.Contains(out, verb+"d") {
				t.Fatalf("relay %s: %d %q %q", verb, code, out, errs)
			}
			if r := relayState(t, a, lite.actorID()); r.Enabled != (verb == "enable") || r.State != storage.RelayAccepted {
				t.Fatalf("after relay %s: enabled %t, %s", verb, r.Enabled, r.State)
			}
		}
		lb := relayState(t, b, lite.actorID())
		boss.mustPost(fmt.Sprintf("/admin/relays/%d/disable", lb.ID), nil, "relay_disabled")
		if code, page, _ := boss.get("/admin/relays"); code != http.StatusOK || !contains(page, lite.actorID(), "disabled", fmt.Sprintf("/admin/relays/%d/enable", lb.ID)) {
			t.Fatalf("relays page after disabling: %d\n%s", code, page)
		}
		if code, _, errs := runCLI(t, envA, "admin", "relay", "remove", "https://nowhere.example/inbox"); code == 0 || !strings.Contains(errs, "no such relay") {
			t.Fatalf("removing an unknown relay: %d %q", code, errs)
		}
	})
}
