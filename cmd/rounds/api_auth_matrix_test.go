package main

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"rounds/api"
	"rounds/storage"
)

// publicAPIRoutes are the API routes that answer without a token, as on
// Mastodon (instance information, public timelines and accounts, public
// posts, OAuth itself). Every other route must refuse a request without a
// token with 401 and {"error": ...}.
var publicAPIRoutes = map[string]bool{
	"POST /api/v1/apps": true, "POST /oauth/token": true, "POST /oauth/revoke": true,
	"GET /.well-known/oauth-authorization-server": true,
	"GET /api/v1/instance":                        true, "GET /api/v2/instance": true, "GET /api/v1/instance/rules": true,
	"GET /api/v1/instance/peers": true, "GET /api/v1/instance/activity": true, "GET /api/v1/instance/domain_blocks": true,
	"GET /api/v1/instance/extended_description": true, "GET /api/v1/instance/translation_languages": true,
	"GET /api/v1/custom_emojis": true, "GET /api/v1/announcements": true, "GET /api/v1/directory": true,
	"GET /api/v1/trends": true, "GET /api/v1/trends/tags": true, "GET /api/v1/trends/statuses": true, "GET /api/v1/trends/links": true,
	"GET /api/v1/timelines/public": true, "GET /api/v1/timelines/tag/{hashtag}": true,
	"GET /api/v1/accounts/{id}": true, "GET /api/v1/accounts/lookup": true, "GET /api/v1/accounts/{id}/statuses": true,
	"GET /api/v1/accounts/{id}/followers": true, "GET /api/v1/accounts/{id}/following": true,
	"GET /api/v1/statuses/{id}": true, "GET /api/v1/statuses/{id}/context": true,
	"GET /api/v1/statuses/{id}/favourited_by": true, "GET /api/v1/statuses/{id}/reblogged_by": true,
	"GET /api/v1/statuses/{id}/history": true, "GET /api/v1/statuses/{id}/source": true,
	"GET /api/v1/streaming/health": true, "GET /api/v1/streaming": true, "GET /api/v1/tags/{name}": true,
	"GET /api/v1/accounts/{id}/featured_tags": true,
	"GET /api/v1/accounts/search":             true, "GET /api/v2/search": true,
	"GET /api/v1/polls/{id}": true,
	"POST /api/v1/accounts":  true, // needs an app token: answered 401 without one too
}

// anyTokenRoutes accept any valid token, whatever its scopes (Mastodon 4.3).
var anyTokenRoutes = map[string]bool{"GET /api/v1/apps/verify_credentials": true}

// Every API route outside publicAPIRoutes refuses a request without a
// token (401 with {"error": ...}), and one with an invalid token; public
// ones do not answer 401. The route list is read from the router itself,
// so a new route cannot be added without deciding which it is.
func TestEveryAPIRouteNeedsATokenUnlessPublic(t *testing.T) {
	n := startNode(t, storage.SQLite)
	r := chi.NewRouter()
	api.New(api.Options{Social: n.svc}).Routes(r)
	var routes []string
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method == http.MethodOptions || method == http.MethodHead || strings.HasSuffix(route, "/*") {
			return nil // the API's JSON 404 for unknown paths
		}
		if strings.HasPrefix(route, "/api/v1/streaming/{") {
			return nil // named streams: checked by the streaming tests (a bad name is 400 first)
		}
		routes = append(routes, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(routes)
	param := regexp.MustCompile(`\{[^}]+\}`)
	protected := 0
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt, " ")
		concrete := param.ReplaceAllString(path, "1")
		for _, token := range []string{"", "not-a-token"} {
			code, body := call(t, n, token, method, concrete, nil)
			public := publicAPIRoutes[rt]
			switch {
			case token == "" && !public && code != http.StatusUnauthorized:
				t.Errorf("%s without a token: %d, want 401", rt, code)
			case token == "" && !public && body["error"] == nil:
				t.Errorf("%s without a token: no {\"error\": ...}", rt)
			case token != "" && code != http.StatusUnauthorized && !public:
				t.Errorf("%s with an invalid token: %d, want 401", rt, code)
			case token == "" && public && code == http.StatusUnauthorized && rt != "POST /api/v1/accounts" && rt != "POST /oauth/revoke" && rt != "POST /oauth/token":
				t.Errorf("%s is public but answered 401", rt)
			}
		}
		if !publicAPIRoutes[rt] {
			protected++
		}
	}
	// A person's valid token whose only scope is push (Rounds has no push
	// endpoints) may use none of them: 403 with {"error": ...}.
	n.user(t, "pusher", false)
	push := tokenFor(t, n, "pusher", "push")
	for _, rt := range routes {
		if publicAPIRoutes[rt] || anyTokenRoutes[rt] {
			continue
		}
		method, path, _ := strings.Cut(rt, " ")
		code, body := call(t, n, push, method, param.ReplaceAllString(path, "1"), nil)
		if code != http.StatusForbidden || body["error"] == nil {
			t.Errorf("%s with a push-only token: %d %v, want 403 with an error", rt, code, body)
		}
	}
	t.Logf("%d API routes, %d need a token", len(routes), protected)
	if protected < 90 {
		t.Errorf("only %d routes need a token; the walk looks wrong", protected)
	}
}
