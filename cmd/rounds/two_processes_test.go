package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// startPeer starts a second server process for n's site: same database,
// same domain, its own port, as behind a load balancer.
func startPeer(t *testing.T, n *node) *node {
	t.Helper()
	return startNodeWith(t, storage.Postgres, func(rc *rawConfig) {
		rc.database = n.dbURL
		rc.domain = n.domain
	})
}

// streamLog gathers what one stream delivers, as "event:detail" keys.
type streamLog struct {
	mu   sync.Mutex
	seen []string
	// ended is closed when the server ends the stream; closeCode is then
	// the WebSocket close code (-1 for none, or for SSE).
	ended     chan struct{}
	closeCode websocket.StatusCode
}

func newStreamLog() *streamLog { return &streamLog{ended: make(chan struct{}), closeCode: -1} }

// endedWithin reports whether the server ended the stream within d.
func (s *streamLog) endedWithin(d time.Duration) bool {
	select {
	case <-s.ended:
		return true
	case <-time.After(d):
		return false
	}
}

// add records one message: an update or delete names its status, a
// notification its type and status.
func (s *streamLog) add(event, payload string) {
	key := event
	switch event {
	case "update", "status.update":
		var st struct{ ID string }
		_ = json.Unmarshal([]byte(payload), &st)
		key += ":" + st.ID
	case "delete":
		key += ":" + payload
	case "notification":
		var n struct {
			Type   string
			Status *struct{ ID string }
		}
		_ = json.Unmarshal([]byte(payload), &n)
		key += ":" + n.Type
		if n.Status != nil {
			key += ":" + n.Status.ID
		}
	}
	s.mu.Lock()
	s.seen = append(s.seen, key)
	s.mu.Unlock()
}

func (s *streamLog) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range s.seen {
		if k == key {
			n++
		}
	}
	return n
}

func (s *streamLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.seen, " ")
}

// sseUser opens the user stream over server-sent events on the server at
// base; the server has subscribed once the response has begun.
func sseUser(t *testing.T, ctx context.Context, base, token string) *streamLog {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/streaming/user", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SSE user stream on %s = %d", base, resp.StatusCode)
	}
	log := newStreamLog()
	go func() {
		defer close(log.ended)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event != "":
				log.add(event, strings.TrimPrefix(line, "data: "))
				event = ""
			}
		}
	}()
	return log
}

// wsUser opens the user stream over a WebSocket on the server at base.
func wsUser(t *testing.T, ctx context.Context, base, token string) *streamLog {
	t.Helper()
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/streaming?stream=user&access_token=" + token
	conn, resp, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", base, err, resp)
	}
	t.Cleanup(func() { conn.CloseNow() })
	conn.SetReadLimit(1 << 20)
	log := newStreamLog()
	go func() {
		defer close(log.ended)
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				log.closeCode = websocket.CloseStatus(err)
				return
			}
			var m struct{ Event, Payload string }
			if json.Unmarshal(data, &m) == nil && m.Event != "" {
				log.add(m.Event, m.Payload)
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // the socket subscribes after the handshake
	return log
}

// Two server processes share one PostgreSQL database. A post made through
// the API of one reaches the streams of its author's followers on both, as
// do the mention and favourite notifications, each exactly once: the node
// that raised an event does not get it back through PostgreSQL, and the
// other gets it once however many streams it serves.
func TestStreamingAcrossTwoProcessesOnPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	storagetest.NewURL(t, storage.Postgres) // skips without PostgreSQL
	n1 := startNode(t, storage.Postgres)
	n2 := startPeer(t, n1)
	n1.user(t, "alice", false)
	n1.user(t, "bob", false)
	alice := signIn(t, n1, "alice")
	bob := signIn(t, n2, "bob") // signing in on the second process works too
	aliceAcct, err := alice.GetAccountCurrentUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.AccountFollow(ctx, aliceAcct.ID); err != nil {
		t.Fatal(err)
	}
	token := bob.Config.AccessToken
	streams := map[string]*streamLog{
		"SSE on node 2":       sseUser(t, ctx, n2.base, token),
		"WebSocket on node 2": wsUser(t, ctx, n2.base, token),
		"SSE on node 1":       sseUser(t, ctx, n1.base, token),
	}

	post, err := alice.PostStatus(ctx, &mastodon.Toot{Status: "@bob the ward round moves to 9"})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := bob.PostStatus(ctx, &mastodon.Toot{Status: "Noted, thanks"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Favourite(ctx, mine.ID); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"update:" + string(post.ID),
		"notification:mention:" + string(post.ID),
		"notification:favourite:" + string(mine.ID),
	}
	expectOnce(t, streams, want)

	// A deletion made on node 1 reaches node 2's stream.
	if err := alice.DeleteStatus(ctx, post.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the delete on node 2's stream", func() bool {
		return streams["SSE on node 2"].count("delete:"+string(post.ID)) == 1
	})

	// Cut both processes' listening connections, as a database restart
	// would: they reconnect by themselves, and since events may have been
	// missed meanwhile, they end their open streams (the WebSocket with
	// 1001, going away) so that the clients reconnect and catch up. New
	// streams get events again.
	cutListeners(t, ctx, n1.dbURL, 2)
	for name, s := range streams {
		if !s.endedWithin(10 * time.Second) {
			t.Fatalf("%s still open after its process lost its listening connection", name)
		}
	}
	if code := streams["WebSocket on node 2"].closeCode; code != websocket.StatusGoingAway {
		t.Errorf("WebSocket closed with %d, want %d (going away)", code, websocket.StatusGoingAway)
	}
	streams = map[string]*streamLog{
		"new SSE on node 2":       sseUser(t, ctx, n2.base, token),
		"new WebSocket on node 2": wsUser(t, ctx, n2.base, token),
		"new SSE on node 1":       sseUser(t, ctx, n1.base, token),
	}
	again, err := alice.PostStatus(ctx, &mastodon.Toot{Status: "Back after the restart"})
	if err != nil {
		t.Fatal(err)
	}
	expectOnce(t, streams, []string{"update:" + string(again.ID)})
}

// cutListeners terminates the sessions in which the processes serving
// dbURL listen for each other's events, as a database restart or a
// network failure would, and checks there were want of them.
func cutListeners(t *testing.T, ctx context.Context, dbURL string, want int) {
	t.Helper()
	db, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var killed int
	err = db.QueryRowForTest(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name LIKE '`+social.RelayEventsName+`%' AND query ILIKE 'LISTEN%'`).Scan(&killed)
	if err != nil || killed != want {
		t.Fatalf("terminated %d listening sessions (%v), want %d", killed, err, want)
	}
}

// expectOnce waits for every key of want on every stream, then checks
// that none came twice.
func expectOnce(t *testing.T, streams map[string]*streamLog, want []string) {
	t.Helper()
	for name, s := range streams {
		eventually(t, fmt.Sprintf("%v on the %s", want, name), func() bool {
			for _, k := range want {
				if s.count(k) == 0 {
					return false
				}
			}
			return true
		})
	}
	time.Sleep(time.Second) // a second copy would arrive by now
	for name, s := range streams {
		for _, k := range want {
			if c := s.count(k); c != 1 {
				t.Errorf("%s delivered %s %d times, want once; it saw: %s", name, k, c, s)
			}
		}
	}
}

// The same across two real `rounds serve` processes, with the accounts
// and tokens made by the admin command line: a mention and a favourite
// made on process a reach bob's streams on process b once; both processes
// then stop promptly on SIGTERM with the streams still open.
func TestStreamingAcrossTwoServeProcessesOnPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dbURL := storagetest.NewURL(t, storage.Postgres) // skips without PostgreSQL
	cli := func(args ...string) string {
		t.Helper()
		code, out, errs := runCLI(t, nil, append(args, "--database", dbURL, "--domain", "rounds.example")...)
		if code != 0 {
			t.Fatalf("rounds %v = %d\n%s%s", args, code, out, errs)
		}
		return out
	}
	cli("migrate")
	cli("admin", "settings", "set", "send-delay", "0s")
	token := map[string]string{}
	for _, u := range []string{"alice", "bob"} {
		cli("admin", "account", "create", "--username", u, "--password", "a long password")
		lines := strings.Split(strings.TrimSpace(cli("admin", "token", "create", "--username", u, "--scopes", "read write follow")), "\n")
		token[u] = lines[len(lines)-1]
	}
	args := []string{"--database", dbURL, "--domain", "rounds.example"}
	a := startChild(t, t.TempDir(), nil, args...)
	b := startChild(t, t.TempDir(), nil, args...)
	alice := mastodon.NewClient(&mastodon.Config{Server: a.base, AccessToken: token["alice"]})
	bob := mastodon.NewClient(&mastodon.Config{Server: b.base, AccessToken: token["bob"]})
	aliceAcct, err := alice.GetAccountCurrentUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.AccountFollow(ctx, aliceAcct.ID); err != nil {
		t.Fatal(err)
	}
	streams := map[string]*streamLog{
		"SSE on process b":       sseUser(t, ctx, b.base, token["bob"]),
		"WebSocket on process b": wsUser(t, ctx, b.base, token["bob"]),
	}
	post, err := alice.PostStatus(ctx, &mastodon.Toot{Status: "@bob handover at 8"})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := bob.PostStatus(ctx, &mastodon.Toot{Status: "See you there"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Favourite(ctx, mine.ID); err != nil {
		t.Fatal(err)
	}
	expectOnce(t, streams, []string{
		"update:" + string(post.ID),
		"notification:mention:" + string(post.ID),
		"notification:favourite:" + string(mine.ID),
	})
	stopGracefully(t, map[string]*child{"a": a, "b": b})
}

// Posts made through both processes of one site reach a remote follower's
// inbox once each: both processes work the delivery queue, but each
// delivery job runs in only one.
func TestTwoProcessesDeliverEachPostOnceOnPostgres(t *testing.T) {
	ctx := context.Background()
	storagetest.NewURL(t, storage.Postgres) // skips without PostgreSQL
	n1 := startNode(t, storage.Postgres)
	n2 := startPeer(t, n1)
	alice := n1.user(t, "alice", false)

	var mu sync.Mutex
	received := map[string]map[string]int{} // activity type -> id -> deliveries
	inbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var act struct{ Type, ID string }
		if err := json.NewDecoder(r.Body).Decode(&act); err == nil && r.Method == http.MethodPost {
			mu.Lock()
			if received[act.Type] == nil {
				received[act.Type] = map[string]int{}
			}
			received[act.Type][act.ID]++
			mu.Unlock()
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer inbox.Close()
	uri := inbox.URL + "/users/carol"
	carol := &storage.Account{Username: "carol", URI: uri, InboxURL: uri + "/inbox", KeyID: uri + "#main-key", ActorType: "Person", Fields: "[]"}
	if err := n1.svc.StoreRemoteAccount(ctx, carol); err != nil {
		t.Fatal(err)
	}
	if err := n1.svc.ReceiveFollow(ctx, carol, alice, uri+"/follows/1"); err != nil {
		t.Fatal(err)
	}

	const each = 10
	var posted []string
	for _, n := range []*node{n1, n2} {
		c := mastodon.NewClient(&mastodon.Config{Server: n.base, AccessToken: tokenFor(t, n, "alice", "write")})
		for i := range each {
			st, err := c.PostStatus(ctx, &mastodon.Toot{Status: fmt.Sprintf("Bed %d is free (via %s)", i, n.base)})
			if err != nil {
				t.Fatal(err)
			}
			posted = append(posted, string(st.ID))
		}
	}
	creates := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(received["Create"])
	}
	eventually(t, fmt.Sprintf("%d posts delivered", len(posted)), func() bool { return len(creates()) == len(posted) })
	time.Sleep(2 * time.Second) // a second delivery would arrive by now
	got := creates()
	for id, times := range got {
		if times != 1 {
			t.Errorf("%s was delivered %d times, want once", id, times)
		}
	}
	for _, id := range posted {
		found := false
		for act := range got {
			found = found || strings.Contains(act, id)
		}
		if !found {
			t.Errorf("post %s was not delivered; deliveries: %v", id, got)
		}
	}
}
