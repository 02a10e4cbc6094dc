package main

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// openWS opens a streaming WebSocket on stream with token in the
// Authorization header ("" for none).
func openWS(t *testing.T, ctx context.Context, base, token, stream string) *websocket.Conn {
	t.Helper()
	conn, _, err := dialWS(ctx, base, token, stream)
	if err != nil {
		t.Fatalf("WebSocket on %s: %v", stream, err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

func dialWS(ctx context.Context, base, token, stream string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/streaming"
	if stream != "" {
		u += "?stream=" + stream // names and "hashtag&tag=x" need no escaping
	}
	return websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
}

// sseStream is one server-sent events stream: its data lines, and done,
// closed when the server ends the response.
type sseStream struct {
	data chan string
	done chan struct{}
}

func openSSE(t *testing.T, ctx context.Context, base, token, path string) *sseStream {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		t.Fatalf("SSE %s: %d", path, resp.StatusCode)
	}
	s := &sseStream{data: make(chan string, 100), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				select {
				case s.data <- d:
				default:
				}
			}
		}
	}()
	return s
}

// waitWS waits for an update of status id on conn.
func waitWS(t *testing.T, ctx context.Context, conn *websocket.Conn, id mastodon.ID, what string) {
	t.Helper()
	for {
		m := readWS(t, ctx, conn, what)
		if m.Event == "update" && strings.Contains(m.Payload, `"id":"`+string(id)+`"`) {
			return
		}
	}
}

func waitSSE(t *testing.T, ctx context.Context, s *sseStream, id mastodon.ID, what string) {
	t.Helper()
	for {
		select {
		case d := <-s.data:
			if strings.Contains(d, `"id":"`+string(id)+`"`) {
				return
			}
		case <-s.done:
			t.Fatalf("%s: the stream ended", what)
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		}
	}
}

// wsClosed waits (at most 10 s) for the server to close conn with 1008.
func wsClosed(t *testing.T, conn *websocket.Conn, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := conn.Read(ctx)
		if err == nil {
			continue // an event sent before the end
		}
		if ctx.Err() != nil {
			t.Errorf("%s: the WebSocket is still open 10 s later", what)
		} else if st := websocket.CloseStatus(err); st != websocket.StatusPolicyViolation {
			t.Errorf("%s: the WebSocket ended with %v (status %d), want 1008", what, err, st)
		}
		return
	}
}

func sseClosed(t *testing.T, s *sseStream, what string) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Errorf("%s: the event stream is still open 10 s later", what)
	}
}

// A stream opened with a token ends when the token stops working: revoked
// by the app (POST /oauth/revoke), the app's authorisation revoked in the
// settings, the password reset by link, the account suspended, disabled or
// deleted. Every such stream of the person ends, WebSocket and SSE, public
// ones opened with the token too; another person's stream goes on.
func TestStreamsEndWhenTheirAccessEnds(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		n := startNode(t, dialect)
		n.user(t, "carol", false)
		carol := signIn(t, n, "carol")
		control := openWS(t, ctx, n.base, carol.Config.AccessToken, "public:local")

		revokeByApp := func(t *testing.T, c *mastodon.Client, _ *storage.Account) {
			code, body := call(t, n, "", "POST", "/oauth/revoke", url.Values{"client_id": {c.Config.ClientID}, "client_secret": {c.Config.ClientSecret}, "token": {c.Config.AccessToken}})
			if code != 200 {
				t.Fatalf("revoke: %d %v", code, body)
			}
		}
		cases := []struct {
			name string
			end  func(t *testing.T, c *mastodon.Client, acct *storage.Account)
		}{
			{"token revoked", revokeByApp},
			{"app's authorisation revoked", func(t *testing.T, c *mastodon.Client, acct *storage.Account) {
				app, err := n.svc.TokenApp(ctx, c.Config.AccessToken)
				if err != nil {
					t.Fatal(err)
				}
				u, err := n.svc.UserByUsername(ctx, acct.Username)
				if err != nil {
					t.Fatal(err)
				}
				if err := n.svc.RevokeApp(ctx, u, app.ID); err != nil {
					t.Fatal(err)
				}
			}},
			{"password reset by link", func(t *testing.T, c *mastodon.Client, acct *storage.Account) {
				link, err := n.svc.CreatePasswordReset(ctx, social.CommandLine, acct.Username)
				if err != nil {
					t.Fatal(err)
				}
				if err := n.svc.ResetPasswordWithToken(ctx, link[strings.LastIndex(link, "/")+1:], "a new long password"); err != nil {
					t.Fatal(err)
				}
			}},
			{"account suspended", func(t *testing.T, c *mastodon.Client, acct *storage.Account) {
				if _, err := n.svc.SuspendUser(ctx, acct.Username); err != nil {
					t.Fatal(err)
				}
			}},
			{"account disabled", func(t *testing.T, c *mastodon.Client, acct *storage.Account) {
				if err := n.svc.TakeAction(ctx, social.CommandLine, acct.ID, social.AccountAction{Type: social.ActionDisable}); err != nil {
					t.Fatal(err)
				}
			}},
			{"account deleted", func(t *testing.T, c *mastodon.Client, acct *storage.Account) {
				if err := n.svc.DeleteAccount(ctx, social.CommandLine, acct.ID, ""); err != nil {
					t.Fatal(err)
				}
			}},
		}
		for i, tc := range cases {
			username := "user" + string(rune('a'+i))
			acct := n.user(t, username, false)
			c := signIn(t, n, username)
			t.Logf("%s: signed in", tc.name)
			token := c.Config.AccessToken
			user := openWS(t, ctx, n.base, token, "user")
			public := openWS(t, ctx, n.base, token, "public:local")
			sse := openSSE(t, ctx, n.base, token, "/api/v1/streaming/user")
			// The streams are live before the access ends.
			live := mustPost(t, c, "Live on "+tc.name)
			waitWS(t, ctx, user, live, tc.name+": the user WebSocket")
			waitWS(t, ctx, public, live, tc.name+": the public WebSocket")
			waitSSE(t, ctx, sse, live, tc.name+": the user SSE")

			t.Logf("%s: streams live", tc.name)
			tc.end(t, c, acct)
			wsClosed(t, user, tc.name+": user stream")
			wsClosed(t, public, tc.name+": public stream opened with the token")
			sseClosed(t, sse, tc.name+": user SSE")
			t.Logf("%s: streams closed", tc.name)
			waitWS(t, ctx, control, mustPost(t, carol, "Still here after "+tc.name), tc.name+": carol's stream")
		}
	})
}

// Each stream needs its scope of the token, as on Mastodon: read or
// read:statuses for user, direct and (when a token is sent) the public
// and hashtag streams; read:notifications for user:notification. A token
// without it is refused over SSE, in the WebSocket's URL and when the
// WebSocket subscribes; one with it is let in. Public streams stay open
// to anonymous listeners.
func TestStreamsNeedTheirScope(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := startNode(t, storage.SQLite)
	n.user(t, "alice", false)
	tokens := map[string]string{}
	for _, s := range []string{"profile", "write", "read:statuses", "read:notifications", "read", "read:accounts"} {
		tokens[s] = tokenFor(t, n, "alice", s)
	}
	streams := []struct {
		name, path  string
		ok, refused []string
		anonymous   bool
	}{
		{"user", "/api/v1/streaming/user", []string{"read", "read:statuses"}, []string{"profile", "write", "read:notifications", "read:accounts"}, false},
		{"user:notification", "/api/v1/streaming/user/notification", []string{"read", "read:notifications"}, []string{"profile", "write", "read:statuses"}, false},
		{"direct", "/api/v1/streaming/direct", []string{"read", "read:statuses"}, []string{"profile", "write", "read:notifications"}, false},
		{"public", "/api/v1/streaming/public", []string{"read", "read:statuses"}, []string{"profile", "write", "read:notifications"}, true},
		{"public:local", "/api/v1/streaming/public/local", []string{"read", "read:statuses"}, []string{"profile", "write"}, true},
		{"hashtag", "/api/v1/streaming/hashtag?tag=icu", []string{"read:statuses"}, []string{"write", "read:accounts"}, true},
	}
	sse := func(path, token string) int {
		req, _ := http.NewRequestWithContext(ctx, "GET", n.base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, s := range streams {
		wsName := s.name
		if s.name == "hashtag" {
			wsName = "hashtag&tag=icu"
		}
		for _, scope := range s.refused {
			if code := sse(s.path, tokens[scope]); code != http.StatusForbidden {
				t.Errorf("SSE %s with a %s token: %d, want 403", s.name, scope, code)
			}
			if _, resp, err := dialWS(ctx, n.base, tokens[scope], wsName); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("WebSocket ?stream=%s with a %s token: %v, want 403", s.name, scope, err)
			}
			conn := openWS(t, ctx, n.base, tokens[scope], "")
			sub := `{"type":"subscribe","stream":"` + s.name + `","tag":"icu"}`
			if err := conn.Write(ctx, websocket.MessageText, []byte(sub)); err != nil {
				t.Fatal(err)
			}
			rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
			_, data, err := conn.Read(rctx)
			rcancel()
			if err != nil || !strings.Contains(string(data), `"error"`) || !strings.Contains(string(data), `"status":403`) {
				t.Errorf("WebSocket subscribe to %s with a %s token: %s %v, want an error", s.name, scope, data, err)
			}
		}
		for _, scope := range s.ok {
			if code := sse(s.path, tokens[scope]); code != 200 {
				t.Errorf("SSE %s with a %s token: %d, want 200", s.name, scope, code)
			}
			conn, _, err := dialWS(ctx, n.base, tokens[scope], wsName)
			if err != nil {
				t.Errorf("WebSocket ?stream=%s with a %s token: %v", s.name, scope, err)
			} else {
				conn.CloseNow()
			}
		}
		code := sse(s.path, "")
		if s.anonymous && code != 200 {
			t.Errorf("SSE %s without a token: %d, want 200", s.name, code)
		}
		if !s.anonymous && code != http.StatusUnauthorized {
			t.Errorf("SSE %s without a token: %d, want 401", s.name, code)
		}
	}

	// The user stream of a token with read:statuses but not
	// read:notifications carries alice's home, not her notifications.
	conn := openWS(t, ctx, n.base, tokens["read:statuses"], "user")
	n.user(t, "bob", false)
	if code, body := call(t, n, tokenFor(t, n, "bob", "write:follows"), "POST", "/api/v1/accounts/"+idString(mustAccountID(t, n, "alice"))+"/follow", nil); code != 200 {
		t.Fatalf("bob follows alice: %d %v", code, body)
	}
	post := mustPost(t, signIn(t, n, "alice"), "After bob's follow")
	for {
		m := readWS(t, ctx, conn, "waiting for alice's post on her user stream")
		if m.Event == "notification" {
			t.Fatalf("a read:statuses token's user stream carried a notification: %s", m.Payload)
		}
		if m.Event == "update" && strings.Contains(m.Payload, `"id":"`+string(post)+`"`) {
			break
		}
	}
}

func mustAccountID(t *testing.T, n *node, username string) int64 {
	t.Helper()
	u, err := n.svc.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.AccountID
}

// Streams on another process of the same site end too: the revocation
// and the suspension travel to it over PostgreSQL's LISTEN/NOTIFY.
func TestStreamsEndAcrossProcessesOnPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	storagetest.NewURL(t, storage.Postgres) // skips without PostgreSQL
	n1 := startNode(t, storage.Postgres)
	n2 := startPeer(t, n1)
	n1.user(t, "bob", false)
	n1.user(t, "carol", false)
	bob, carol := signIn(t, n1, "bob"), signIn(t, n1, "carol")

	bobWS := openWS(t, ctx, n2.base, bob.Config.AccessToken, "user")
	bobSSE := openSSE(t, ctx, n2.base, bob.Config.AccessToken, "/api/v1/streaming/user")
	carolWS := openWS(t, ctx, n2.base, carol.Config.AccessToken, "user")
	live := mustPost(t, bob, "Live on node 2")
	waitWS(t, ctx, bobWS, live, "bob's WebSocket on node 2")
	waitSSE(t, ctx, bobSSE, live, "bob's SSE on node 2")
	live = mustPost(t, carol, "Carol live on node 2")
	waitWS(t, ctx, carolWS, live, "carol's WebSocket on node 2")

	code, body := call(t, n1, "", "POST", "/oauth/revoke", url.Values{"client_id": {bob.Config.ClientID}, "client_secret": {bob.Config.ClientSecret}, "token": {bob.Config.AccessToken}})
	if code != 200 {
		t.Fatalf("revoke on node 1: %d %v", code, body)
	}
	wsClosed(t, bobWS, "bob's WebSocket on node 2 after revocation on node 1")
	sseClosed(t, bobSSE, "bob's SSE on node 2 after revocation on node 1")

	if _, err := n1.svc.SuspendUser(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	wsClosed(t, carolWS, "carol's WebSocket on node 2 after suspension on node 1")
}

// The list stream, as on Mastodon: the owner's token with read:statuses
// gets the posts of the list's members, and only those; a token without
// the scope, someone else's list and no token are refused.
func TestListStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := startNode(t, storage.SQLite)
	n.user(t, "alice", false)
	bobAcct := n.user(t, "bob", false)
	carolAcct := n.user(t, "carol", false)
	n.user(t, "dave", false)
	alice := tokenFor(t, n, "alice", "read write follow")
	for _, a := range []*storage.Account{bobAcct, carolAcct} {
		if code, body := call(t, n, alice, "POST", "/api/v1/accounts/"+idString(a.ID)+"/follow", nil); code != 200 {
			t.Fatalf("follow: %d %v", code, body)
		}
	}
	code, list := call(t, n, alice, "POST", "/api/v1/lists", url.Values{"title": {"ICU team"}})
	if code != 200 {
		t.Fatalf("create list: %d %v", code, list)
	}
	listID := list["id"].(string)
	if code, body := call(t, n, alice, "POST", "/api/v1/lists/"+listID+"/accounts", url.Values{"account_ids[]": {idString(bobAcct.ID)}}); code != 200 {
		t.Fatalf("add bob: %d %v", code, body)
	}

	sse := func(token, query string) int {
		req, _ := http.NewRequestWithContext(ctx, "GET", n.base+"/api/v1/streaming/list"+query, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		name, token, query string
		want               int
	}{
		{"no token", "", "?list=" + listID, 401},
		{"a write token", tokenFor(t, n, "alice", "write"), "?list=" + listID, 403},
		{"someone else's list", tokenFor(t, n, "dave", "read"), "?list=" + listID, 404},
		{"no list", tokenFor(t, n, "alice", "read"), "", 400},
		{"the owner's read:statuses token", tokenFor(t, n, "alice", "read:statuses"), "?list=" + listID, 200},
	} {
		if code := sse(c.token, c.query); code != c.want {
			t.Errorf("list stream, %s: %d, want %d", c.name, code, c.want)
		}
	}

	conn := openWS(t, ctx, n.base, tokenFor(t, n, "alice", "read:statuses"), "list&list="+listID)
	carolPost := mustPost(t, signIn(t, n, "carol"), "Carol is not on the list")
	bobPost := mustPost(t, signIn(t, n, "bob"), "Bob is on the list")
	m := readWS(t, ctx, conn, "waiting for bob's post on the list stream")
	if m.Event != "update" || !strings.Contains(m.Payload, `"id":"`+string(bobPost)+`"`) || len(m.Stream) != 2 || m.Stream[0] != "list" || m.Stream[1] != listID {
		t.Fatalf("first list stream message = %+v, want bob's post %s (carol's was %s)", m, bobPost, carolPost)
	}
}
