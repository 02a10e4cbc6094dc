package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"rounds/storage"
)

func TestRequireScopeAndRequireUserAnswerAsMastodon(t *testing.T) {
	person := &storage.User{ID: 1, Account: &storage.Account{ID: 2, Username: "aoife"}}
	cases := []struct {
		name    string
		auth    *auth
		guard   func(string) func(http.Handler) http.Handler
		scope   string
		status  int
		message string
	}{
		{"no token", nil, requireScope, "read:statuses", 401, msgInvalidToken},
		{"no token, user route", nil, requireUser, "read:statuses", 401, msgInvalidToken},
		{"parent scope", &auth{user: person, scopes: []string{"read"}}, requireUser, "read:statuses", 200, ""},
		{"exact scope", &auth{user: person, scopes: []string{"write:statuses"}}, requireUser, "write:statuses", 200, ""},
		{"read token writing", &auth{user: person, scopes: []string{"read"}}, requireUser, "write:statuses", 403, msgOutsideScope},
		{"granular is not parent", &auth{user: person, scopes: []string{"read:statuses"}}, requireScope, "read:accounts", 403, msgOutsideScope},
		{"follow allows blocks", &auth{user: person, scopes: []string{"follow"}}, requireUser, "write:blocks", 200, ""},
		{"profile via read", &auth{user: person, scopes: []string{"read"}}, requireUser, "profile", 200, ""},
		{"app token, app route", &auth{scopes: []string{"read"}}, requireScope, "read:statuses", 200, ""},
		{"app token, user route", &auth{scopes: []string{"read"}}, requireUser, "read:statuses", 422, msgNeedsUser},
		{"app token, wrong scope first", &auth{scopes: []string{"read"}}, requireUser, "write:statuses", 403, msgOutsideScope},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, nil) })
			req := httptest.NewRequest("GET", "/x", nil)
			if c.auth != nil {
				req = req.WithContext(context.WithValue(req.Context(), authKey{}, c.auth))
			}
			rec := httptest.NewRecorder()
			c.guard(c.scope)(ok).ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, c.status, rec.Body)
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("%v in %s", err, rec.Body)
			}
			if body["error"] != c.message {
				t.Fatalf("error %q, want %q", body["error"], c.message)
			}
			if c.status == 401 && !strings.Contains(rec.Header().Get("WWW-Authenticate"), "invalid_token") {
				t.Fatalf("401 without a Bearer challenge: %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestRequestTokenReadsHeaderQueryFormAndWebSocketProtocol(t *testing.T) {
	form := url.Values{"access_token": {"from-form"}, "status": {"hello"}}.Encode()
	cases := []struct {
		name string
		req  func() *http.Request
		want string
	}{
		{"bearer header", func() *http.Request {
			r := httptest.NewRequest("GET", "/x?access_token=from-query", nil)
			r.Header.Set("Authorization", "Bearer from-header")
			return r
		}, "from-header"},
		{"lower-case scheme", func() *http.Request {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Header.Set("Authorization", "bearer from-header")
			return r
		}, "from-header"},
		{"basic is no token", func() *http.Request {
			r := httptest.NewRequest("GET", "/x", nil)
			r.SetBasicAuth("id", "secret")
			return r
		}, ""},
		{"query", func() *http.Request { return httptest.NewRequest("GET", "/x?access_token=from-query", nil) }, "from-query"},
		{"form", func() *http.Request {
			r := httptest.NewRequest("POST", "/x", strings.NewReader(form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, "from-form"},
		{"websocket", func() *http.Request {
			r := httptest.NewRequest("GET", "/api/v1/streaming", nil)
			r.Header.Set("Upgrade", "websocket")
			r.Header.Set("Sec-WebSocket-Protocol", "from-protocol")
			return r
		}, "from-protocol"},
		{"none", func() *http.Request { return httptest.NewRequest("GET", "/x", nil) }, ""},
	}
	for _, c := range cases {
		r := c.req()
		got, err := requestToken(r)
		if err != nil || got != c.want {
			t.Errorf("%s: requestToken = %q, %v; want %q", c.name, got, err, c.want)
		}
		if c.name == "form" {
			// The handler still reads the form the token came in.
			p, err := parseParams(r)
			if err != nil || p.str("status") != "hello" {
				t.Errorf("the form after requestToken: %v, %v", p, err)
			}
		}
	}
}

// publicRoute lets anonymous requests through, refuses a present token
// without the route's scope (403), and only then lets handlers see the
// token's person; a route that declared nothing never sees the person.
func TestPublicRouteChecksAPresentTokenAndUndeclaredRoutesSeeNoPerson(t *testing.T) {
	person := &storage.User{ID: 1, Account: &storage.Account{ID: 2, Username: "aoife"}}
	none := func(http.Handler) http.Handler { return nil }
	cases := []struct {
		name     string
		auth     *auth
		guard    func(http.Handler) http.Handler
		status   int
		sawUser  bool
		declared bool
	}{
		{"anonymous", nil, publicRoute("read:statuses"), 200, false, true},
		{"profile only", &auth{user: person, scopes: []string{"profile"}}, publicRoute("read:statuses"), 403, false, true},
		{"write:media only", &auth{user: person, scopes: []string{"write:media"}}, publicRoute("read:statuses"), 403, false, true},
		{"granular scope", &auth{user: person, scopes: []string{"read:statuses"}}, publicRoute("read:statuses"), 200, true, true},
		{"parent scope", &auth{user: person, scopes: []string{"read"}}, publicRoute("read:accounts"), 200, true, true},
		{"any scope", &auth{user: person, scopes: []string{"profile"}}, publicRoute(anyScope), 200, true, true},
		{"undeclared route", &auth{user: person, scopes: []string{"read"}}, none, 200, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			saw := false
			handler := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				saw = currentUser(r) != nil || me(r) != nil || hasScope(r, "read:statuses")
				writeJSON(w, http.StatusOK, nil)
			}))
			if c.declared {
				handler = c.guard(handler)
			}
			req := httptest.NewRequest("GET", "/x", nil)
			if c.auth != nil {
				req = req.WithContext(context.WithValue(req.Context(), authKey{}, c.auth))
			}
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, c.status, rec.Body)
			}
			if c.status == 403 && !strings.Contains(rec.Body.String(), msgOutsideScope) {
				t.Fatalf("403 body %s", rec.Body)
			}
			if saw != c.sawUser {
				t.Fatalf("handler saw the person: %v, want %v", saw, c.sawUser)
			}
		})
	}
}
