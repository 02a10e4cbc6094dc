package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"rounds/storage"
)

// send makes one raw request and returns its status, Content-Type and body.
func send(t *testing.T, method, target, token string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(raw)
}

// Mastodon's Rails router ignores a trailing slash and lets PATCH reach
// what is routed for PUT; clients depend on both (Mastodon.py asks for
// /api/v1/instance/ and opens /api/v1/streaming/ for every stream). Rounds
// answers them the same way, and its web pages and / are unchanged.
func TestTrailingSlashesAndPatchRouteLikeRails(t *testing.T) {
	n := startNode(t, storage.SQLite)
	n.user(t, "alice", false)
	token := tokenFor(t, n, "alice", "read write")

	for _, c := range []struct{ method, path, want string }{
		{"GET", "/api/v1/instance", `"uri":`},
		{"GET", "/api/v2/instance", `"domain":`},
		{"GET", "/api/v1/instance/rules", `[`},
		{"GET", "/api/v1/timelines/public", `[`},
		{"GET", "/api/v1/accounts/verify_credentials", `"username":"alice"`},
		{"GET", "/api/v1/streaming/health", `OK`},
		{"GET", "/.well-known/nodeinfo", `"links":`},
		{"GET", "/.well-known/oauth-authorization-server", `"token_endpoint":`},
		{"GET", "/nodeinfo/2.0", `"software":`},
	} {
		want, _, wantBody := send(t, c.method, n.base+c.path, token, nil)
		if want != 200 || !strings.Contains(wantBody, c.want) {
			t.Fatalf("%s %s: %d %.200s", c.method, c.path, want, wantBody)
		}
		for _, suffix := range []string{"/", "//"} {
			code, ct, body := send(t, c.method, n.base+c.path+suffix, token, nil)
			if code != 200 || !strings.Contains(body, c.want) {
				t.Errorf("%s %s%s: %d %s %.200s, want what %s answers", c.method, c.path, suffix, code, ct, body, c.path)
			}
		}
	}
	// A query string stays with the path.
	if code, _, body := send(t, "GET", n.base+"/api/v1/accounts/lookup/?acct=alice", "", nil); code != 200 || !strings.Contains(body, `"username":"alice"`) {
		t.Errorf("lookup with a trailing slash and a query: %d %.200s", code, body)
	}
	// POST too: registering an app, and the token endpoint.
	code, _, body := send(t, "POST", n.base+"/api/v1/apps/", "", url.Values{"client_name": {"slash"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read"}})
	if code != 200 || !strings.Contains(body, `"client_id":`) {
		t.Errorf("POST /api/v1/apps/: %d %.200s", code, body)
	}
	// An unknown API path is still the API's JSON 404, slash or not.
	if code, ct, _ := send(t, "GET", n.base+"/api/v1/nothing-here/", "", nil); code != 404 || !strings.HasPrefix(ct, "application/json") {
		t.Errorf("unknown API path with a slash: %d %s", code, ct)
	}
	// Web pages and / are untouched.
	if code, ct, _ := send(t, "GET", n.base+"/", "", nil); code != 200 || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/: %d %s", code, ct)
	}
	if code, ct, _ := send(t, "GET", n.base+"/@alice", "", nil); code != 200 || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/@alice: %d %s", code, ct)
	}

	// Streams with a trailing slash: server-sent events and a WebSocket.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", n.base+"/api/v1/streaming/public/", nil)
	sse, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sse.Body.Close()
	if sse.StatusCode != 200 || !strings.HasPrefix(sse.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("SSE /api/v1/streaming/public/: %d %s", sse.StatusCode, sse.Header.Get("Content-Type"))
	}
	wsURL := "ws" + strings.TrimPrefix(n.base, "http") + "/api/v1/streaming/?stream=public:local&access_token=" + token
	conn, resp, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatalf("WebSocket on /api/v1/streaming/: %v (%v)", err, resp)
	}
	defer conn.CloseNow()
	time.Sleep(300 * time.Millisecond) // let the socket subscribe
	post := mustPost(t, signIn(t, n, "alice"), "Through a slash")
	for {
		m := readWS(t, ctx, conn, "waiting for the post on /api/v1/streaming/")
		if m.Event == "update" && strings.Contains(m.Payload, `"id":"`+string(post)+`"`) {
			break
		}
	}

	// PATCH reaches what Mastodon routes as PUT (an edit), and routes
	// that are PATCH already (update_credentials) stay as they are.
	code, _, body = send(t, "PATCH", n.base+"/api/v1/statuses/"+string(post), token, url.Values{"status": {"Through a slash, edited"}})
	if code != 200 || !strings.Contains(body, "edited") {
		t.Errorf("PATCH /api/v1/statuses/:id: %d %.300s", code, body)
	}
	code, _, body = send(t, "PATCH", n.base+"/api/v1/statuses/"+string(post)+"/", token, url.Values{"status": {"Edited twice"}})
	if code != 200 || !strings.Contains(body, "Edited twice") {
		t.Errorf("PATCH /api/v1/statuses/:id/: %d %.300s", code, body)
	}
	code, _, body = send(t, "PATCH", n.base+"/api/v1/accounts/update_credentials", token, url.Values{"display_name": {"Dr Alice"}})
	if code != 200 || !strings.Contains(body, `"display_name":"Dr Alice"`) {
		t.Errorf("PATCH update_credentials: %d %.300s", code, body)
	}
	// PATCH where there is no PUT either is still refused.
	if code, _, _ := send(t, "PATCH", n.base+"/api/v1/timelines/public", token, nil); code == 200 {
		t.Errorf("PATCH /api/v1/timelines/public: %d, want a refusal", code)
	}
}

// A trailing slash is no way around what applies to the path without it:
// sign-in attempts on /oauth/token/ count toward the same limit.
func TestTrailingSlashKeepsTheSignInLimit(t *testing.T) {
	n := startNode(t, storage.SQLite)
	code := 0
	for i := 0; i < 26; i++ {
		path := "/oauth/token/"
		if i%2 == 1 {
			path = "/oauth/token"
		}
		code, _, _ = send(t, "POST", n.base+path, "", url.Values{"grant_type": {"password"}, "username": {"x"}, "password": {"y"}, "client_id": {"nope"}})
		if i < 25 && code == http.StatusTooManyRequests {
			t.Fatalf("sign-in attempt %d was limited", i+1)
		}
	}
	if code != http.StatusTooManyRequests {
		t.Fatalf("sign-in attempt 26 (on /oauth/token/) = %d, want 429", code)
	}
}
