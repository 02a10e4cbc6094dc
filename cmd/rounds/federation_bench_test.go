package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// benchNode is a Rounds node on SQLite for benchmarks: startNode needs a
// *testing.T, and the benchmarks also want the database URL to count rows.
type benchNode struct {
	*node
	dbURL string
}

// startBenchNode serves a node in this process, logging at warn (shown only
// when the benchmark fails) so that logging does not weigh on the figures.
func startBenchNode(tb testing.TB) *benchNode {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatal(err)
	}
	dbURL := storagetest.NewURL(tb, storage.SQLite)
	cfg, err := (&rawConfig{
		domain: addr, listen: addr, protocol: "http", database: dbURL, dataDir: tb.TempDir(),
		allowPrivate: "127.0.0.0/8", logLevel: "warn", logFormat: "text",
		jobWorkers: "20", jobTimeout: "10s", shutdownGrace: "5s",
	}).validate(true)
	if err != nil {
		tb.Fatal(err)
	}
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	bn := &benchNode{node: &node{base: "http://" + addr, domain: addr}, dbURL: dbURL}
	started := make(chan struct{})
	exited := make(chan error, 1)
	go func() {
		exited <- serve(ctx, cfg, log, serveHooks{started: func(svc *social.Service, fed *federation.Federation) {
			bn.svc, bn.fed = svc, fed
			close(started)
		}})
	}()
	select {
	case <-started:
	case err := <-exited:
		cancel()
		tb.Fatalf("node exited at start: %v", err)
	case <-time.After(15 * time.Second):
		cancel()
		tb.Fatal("node did not start within 15s")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(bn.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			tb.Fatalf("node does not answer /healthz: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	bn.stop = func() {
		cancel()
		if err := <-exited; err != nil {
			tb.Errorf("node stopped with %v", err)
		}
	}
	tb.Cleanup(func() {
		bn.stop()
		if tb.Failed() {
			tb.Logf("node log (warn and above):\n%s", logs.String())
		}
	})
	return bn
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// benchUser creates an approved local account.
func benchUser(tb testing.TB, n *node, username string) *storage.Account {
	tb.Helper()
	u, err := n.svc.CreateUser(context.Background(), social.NewUser{Username: username, Password: "a long password", Approved: true})
	if err != nil {
		tb.Fatal(err)
	}
	return u.Account
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
	reader := benchUser(b, n.node, "reader")
	rem := newFakeRemote(b, fakeRemoteOptions{AutoAccept: true}, "poster")
	followEachOther(b, n.node, reader, rem, "poster")
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
		b.Fatalf("%d notes stored, want %d", stored, b.N)
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
	speaker := benchUser(b, n.node, "speaker")
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
