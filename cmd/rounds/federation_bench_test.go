package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
)

// benchNode is a node for benchmarks: SQLite, logging at warn (shown only
// when the benchmark fails) so that logging does not weigh on the figures.
type benchNode = node

func startBenchNode(tb testing.TB) *benchNode {
	tb.Helper()
	return startNodeWith(tb, storage.SQLite, nil)
}

// benchUser creates an approved local account.
func benchUser(tb testing.TB, n *node, username string) *storage.Account {
	tb.Helper()
	return n.user(tb, username, false)
}

// waitUntil blocks until cond holds, waking on signal (fed by fake
// servers after each delivery) and at least every 50ms; it fails after
// limit.
func waitUntil(tb testing.TB, what string, limit time.Duration, signal <-chan struct{}, cond func() bool) {
	tb.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-signal:
		case <-tick.C:
		case <-deadline.C:
			tb.Fatalf("%s did not happen within %s", what, limit)
		}
	}
}

// followEachOther makes remote actor name and local account a follow each
// other: the actor with a signed Follow, a through the node (the fake
// server accepts at once). Then the node keeps the actor's posts.
func followEachOther(tb testing.TB, n *node, a *storage.Account, rem *fakeRemote, name string) {
	tb.Helper()
	ctx := context.Background()
	follow, err := federation.MarshalActivity(federation.ActivityDoc{
		ID: rem.nextID(name, "follows"), Type: "Follow", Actor: rem.actorURI(name),
		To: []string{a.URI}, ObjectID: a.URI,
	})
	if err != nil {
		tb.Fatal(err)
	}
	if resp := rem.post(tb, a.InboxURL, name, follow, nil); resp.StatusCode != http.StatusAccepted {
		tb.Fatalf("Follow from %s: %d", name, resp.StatusCode)
	}
	remote, err := n.svc.AccountByURI(ctx, rem.actorURI(name))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := n.svc.Follow(ctx, a, remote); err != nil {
		tb.Fatal(err)
	}
	waitUntil(tb, "the follows both ways", 20*time.Second, nil, func() bool {
		c, err := n.svc.Counts(ctx, a)
		return err == nil && c.Followers == 1 && c.Following == 1
	})
}

// BenchmarkInboxSignedCreate measures how many signed Create{Note}
// deliveries the shared inbox verifies and stores per second. The requests
// are signed before the timer starts: signing is the sender's cost.
func BenchmarkInboxSignedCreate(b *testing.B) {
	ctx := context.Background()
	n := startBenchNode(b)
	reader := benchUser(b, n, "reader")
	rem := newFakeRemote(b, fakeRemoteOptions{AutoAccept: true}, "poster")
	followEachOther(b, n, reader, rem, "poster")
	poster := rem.actorURI("poster")
	prefix := fmt.Sprintf("%s/users/poster/statuses/bench-%d-", rem.base, time.Now().UnixNano())

	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		noteID := fmt.Sprintf("%s%d", prefix, i)
		body, err := federation.MarshalActivity(federation.ActivityDoc{
			ID: noteID + "/activity", Type: "Create", Actor: poster, Published: time.Now().UTC(),
			To: []string{federation.PublicCollection}, Cc: []string{poster + "/followers"}, ObjectID: noteID,
			Note: &federation.NoteDoc{
				ID: noteID, Type: "Note", URL: noteID, AttributedTo: poster, Published: time.Now().UTC(),
				Content: fmt.Sprintf("<p>Handover note %d: <b>bed 4</b> needs a review at <a href=\"https://example.org/\">noon</a>.</p>", i),
				To:      []string{federation.PublicCollection}, Cc: []string{poster + "/followers"},
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		reqs[i] = rem.signedRequest(b, n.base+"/inbox", "poster", body)
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConns: 64, MaxIdleConnsPerHost: 64},
	}
	defer client.CloseIdleConnections()

	var next, refused atomic.Int64
	b.SetParallelism(8) // 8 senders per CPU: the node's work is mostly waiting on SQLite
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := reqs[next.Add(1)-1]
			resp, err := client.Do(req)
			if err != nil {
				refused.Add(1)
				b.Errorf("POST: %v", err)
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				if refused.Add(1) <= 5 {
					b.Errorf("POST answered %d", resp.StatusCode)
				}
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if refused.Load() > 0 {
		b.Fatalf("%d of %d deliveries were not accepted", refused.Load(), b.N)
	}

	// Every note is stored: a sample through the service, all by count.
	for i := 0; i < b.N; i += max(1, b.N/20) {
		st, err := n.svc.StatusByURI(ctx, fmt.Sprintf("%s%d", prefix, i))
		if err != nil {
			b.Fatalf("note %d: %v", i, err)
		}
		if st.Visibility != social.VisibilityPublic || st.Local {
			b.Fatalf("note %d stored as %+v", i, st)
		}
	}
	db, err := storage.Open(ctx, n.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var stored int
	if err := db.SQLDB().QueryRowContext(ctx, "SELECT count(*) FROM statuses WHERE uri LIKE ?", prefix+"%").Scan(&stored); err != nil {
		b.Fatal(err)
	}
	if stored != b.N {
		var missing []string
		for i := 0; i < b.N && len(missing) < 10; i++ {
			if _, err := n.svc.StatusByURI(ctx, fmt.Sprintf("%s%d", prefix, i)); err != nil {
				missing = append(missing, fmt.Sprintf("%d (%v)", i, err))
			}
		}
		b.Fatalf("%d notes stored, want %d; missing: %v", stored, b.N, missing)
	}
	if f := rem.failures(); len(f) > 0 {
		b.Fatalf("the fake server saw problems: %v", f)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "activities/s")
}

// BenchmarkFanoutDelivery measures delivering a post to 200 followers on 20
// servers: one signed POST per server's shared inbox.
func BenchmarkFanoutDelivery(b *testing.B) {
	const servers, perServer = 20, 10
	ctx := context.Background()
	n := startBenchNode(b)
	speaker := benchUser(b, n, "speaker")
	signal := make(chan struct{}, 1)
	names := make([]string, perServer)
	for i := range names {
		names[i] = fmt.Sprintf("nurse%02d", i)
	}
	remotes := make([]*fakeRemote, servers)
	for i := range remotes {
		remotes[i] = newFakeRemote(b, fakeRemoteOptions{Signal: signal}, names...)
	}

	// 200 signed Follows; each is accepted, and the Accept is delivered to
	// the follower's own inbox.
	for _, rem := range remotes {
		for _, name := range names {
			follow, err := federation.MarshalActivity(federation.ActivityDoc{
				ID: rem.nextID(name, "follows"), Type: "Follow", Actor: rem.actorURI(name),
				To: []string{speaker.URI}, ObjectID: speaker.URI,
			})
			if err != nil {
				b.Fatal(err)
			}
			if resp := rem.post(b, speaker.InboxURL, name, follow, nil); resp.StatusCode != http.StatusAccepted {
				b.Fatalf("Follow from %s: %d", rem.actorURI(name), resp.StatusCode)
			}
		}
	}
	waitUntil(b, "200 followers and 200 Accepts delivered", 60*time.Second, signal, func() bool {
		for _, rem := range remotes {
			for _, name := range names {
				if rem.count("/users/"+name+"/inbox") != 1 {
					return false
				}
			}
		}
		c, err := n.svc.Counts(ctx, speaker)
		return err == nil && c.Followers == servers*perServer
	})
	inboxes, err := n.svc.FollowerInboxes(ctx, speaker)
	if err != nil || len(inboxes) != servers {
		b.Fatalf("follower inboxes: %d (%v), want %d shared inboxes", len(inboxes), err, servers)
	}

	posts := make([]*storage.Status, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		st, err := n.svc.PostStatus(ctx, speaker, social.NewStatus{Text: fmt.Sprintf("Round %d: the ward is quiet.", i)})
		if err != nil {
			b.Fatal(err)
		}
		posts = append(posts, st)
		waitUntil(b, fmt.Sprintf("post %d reaching all %d servers", i, servers), 60*time.Second, signal, func() bool {
			for _, rem := range remotes {
				if rem.objectCount("/inbox", st.URI) == 0 {
					return false
				}
			}
			return true
		})
	}
	elapsed := time.Since(start)
	b.StopTimer()

	// Once the node has recorded every delivery as done, nothing more can
	// be sent: then each server must have had each post exactly once.
	for _, st := range posts {
		waitUntil(b, "the node recording the deliveries", 20*time.Second, nil, func() bool {
			ds, err := n.svc.Deliveries(ctx, st.ID)
			if err != nil || len(ds) != servers {
				return false
			}
			for _, d := range ds {
				if d.State != storage.DeliveryDelivered {
					return false
				}
			}
			return true
		})
		for i, rem := range remotes {
			if got := rem.objectCount("/inbox", st.URI); got != 1 {
				b.Fatalf("server %d got post %s %d times, want 1", i, st.URI, got)
			}
		}
	}
	for i, rem := range remotes {
		if got := rem.count("/inbox"); got != len(posts) {
			b.Fatalf("server %d's shared inbox got %d deliveries for %d posts", i, got, len(posts))
		}
		for _, name := range names {
			if got := rem.count("/users/" + name + "/inbox"); got != 1 {
				b.Fatalf("server %d: %s's inbox got %d deliveries, want only the Accept", i, name, got)
			}
		}
		if f := rem.failures(); len(f) > 0 {
			b.Fatalf("server %d saw problems: %v", i, f)
		}
	}
	b.ReportMetric(float64(b.N*servers)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(elapsed.Seconds()*1000/float64(b.N), "ms/post")
}

// BenchmarkDeliveriesToLoopbackReceiver measures how fast one post is
// signed and sent to 1,000 followers, each with an inbox of its own on one
// loopback receiver (so every delivery is a separate signed request).
func BenchmarkDeliveriesToLoopbackReceiver(b *testing.B) {
	const followers = 1000
	ctx := context.Background()
	n := startBenchNode(b)
	speaker := benchUser(b, n, "speaker")

	var mu sync.Mutex
	perPost := map[string]int{}
	arrived := make(chan struct{}, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Signature") == "" {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		var act struct{ ID, Type string }
		_ = json.Unmarshal(body, &act)
		mu.Lock()
		perPost[act.ID]++
		mu.Unlock()
		select {
		case arrived <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer recv.Close()
	for i := 0; i < followers; i++ {
		uri := fmt.Sprintf("%s/users/f%d", recv.URL, i)
		a := &storage.Account{Username: fmt.Sprintf("f%d", i), URI: uri, InboxURL: uri + "/inbox", KeyID: uri + "#main-key", ActorType: "Person", Fields: "[]"}
		if err := n.svc.StoreRemoteAccount(ctx, a); err != nil {
			b.Fatal(err)
		}
		if err := n.svc.ReceiveFollow(ctx, a, speaker, uri+"/follows/1"); err != nil {
			b.Fatal(err)
		}
	}
	count := func(id string) int {
		mu.Lock()
		defer mu.Unlock()
		return perPost[id]
	}
	total := func() int {
		mu.Lock()
		defer mu.Unlock()
		t := 0
		for _, c := range perPost {
			t += c
		}
		return t
	}
	waitUntil(b, "the Accepts being delivered", 60*time.Second, arrived, func() bool { return total() >= followers })

	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		st, err := n.svc.PostStatus(ctx, speaker, social.NewStatus{Text: fmt.Sprintf("Post %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		waitUntil(b, "the post reaching every inbox", 60*time.Second, arrived, func() bool { return count(st.URI+"/activity") >= followers })
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*followers)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/post")
}
