package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/mattn/go-mastodon"

	"rounds/api"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// publicAPIRoutes are the API routes that answer without a token, as on
// Mastodon (instance information, public timelines and accounts, public
// posts, OAuth itself), with the scope a token must allow when one is sent
// ("" for routes that use nothing of the token's person, or check scopes
// themselves, like streaming). Every other route must refuse a request
// without a token with 401 and {"error": ...}; a route that answers
// without one must be listed here, and one listed with a scope must refuse
// a token without it with 403.
var publicAPIRoutes = map[string]string{
	"POST /api/v1/apps": "", "POST /oauth/token": "", "POST /oauth/revoke": "",
	"GET /.well-known/oauth-authorization-server": "",
	"GET /api/v1/instance":                        "", "GET /api/v2/instance": "", "GET /api/v1/instance/rules": "",
	"GET /api/v1/instance/peers": "", "GET /api/v1/instance/activity": "", "GET /api/v1/instance/domain_blocks": "",
	"GET /api/v1/custom_emojis": "", "GET /api/v1/announcements": "",
	"GET /api/v1/trends": "", "GET /api/v1/trends/tags": "", "GET /api/v1/trends/statuses": "", "GET /api/v1/trends/links": "",
	"GET /api/v1/timelines/public": "read:statuses", "GET /api/v1/timelines/link": "read:statuses", "GET /api/v1/timelines/tag/{hashtag}": "read:statuses",
	"GET /api/v1/accounts/{id}": "read:accounts", "GET /api/v1/accounts/lookup": "read:accounts",
	"GET /api/v1/accounts/{id}/statuses":  "read:statuses",
	"GET /api/v1/accounts/{id}/followers": "read:accounts", "GET /api/v1/accounts/{id}/following": "read:accounts",
	"GET /api/v1/statuses/{id}": "read:statuses", "GET /api/v1/statuses/{id}/context": "read:statuses",
	"GET /api/v1/statuses/{id}/history":       "read:statuses",
	"GET /api/v1/statuses/{id}/favourited_by": "read:accounts", "GET /api/v1/statuses/{id}/reblogged_by": "read:accounts",
	"GET /api/v1/streaming/health": "", "GET /api/v1/streaming": "", // streams: scopes per stream, see the streaming tests
	"GET /api/v1/accounts/search": "read:accounts", "GET /api/v2/search": "read:search",
	"GET /api/v1/polls/{id}": "read:statuses", "GET /api/v1/tags/{name}": "",
	"GET /api/v1/accounts/{id}/featured_tags": "read:accounts",
	"GET /api/v1/accounts":                    "read:accounts", "GET /api/v1/statuses": "read:statuses",
	"GET /api/v1/accounts/{id}/endorsements": "read:accounts", "GET /api/v1/directory": "read:accounts",
	"POST /api/v1/accounts":                     "write:accounts", // needs an app token: answered 401 without one too
	"GET /api/v1/instance/extended_description": "", "GET /api/v1/instance/privacy_policy": "",
	"GET /api/v1/instance/terms_of_service": "", "GET /api/v1/instance/terms_of_service/{date}": "",
	"GET /api/v1/instance/languages": "", "GET /api/v1/instance/translation_languages": "",
	"GET /api/v1/peers/search": "", "GET /api/oembed": "",
	"POST /oauth/introspect": "", // the app authenticates with its client credentials: 401 without them
}

// anyTokenRoutes accept any valid token, whatever its scopes (Mastodon 4.3).
var anyTokenRoutes = map[string]bool{"GET /api/v1/apps/verify_credentials": true, "GET /oauth/token/info": true}

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
			_, public := publicAPIRoutes[rt]
			switch {
			case token == "" && !public && code != http.StatusUnauthorized:
				t.Errorf("%s without a token: %d, want 401", rt, code)
			case token == "" && !public && body["error"] == nil:
				t.Errorf("%s without a token: no {\"error\": ...}", rt)
			case token != "" && code != http.StatusUnauthorized && !public:
				t.Errorf("%s with an invalid token: %d, want 401", rt, code)
			case token == "" && public && code == http.StatusUnauthorized && rt != "POST /api/v1/accounts" && rt != "POST /oauth/revoke" && rt != "POST /oauth/token" && rt != "POST /oauth/introspect":
				t.Errorf("%s is public but answered 401", rt)
			}
		}
		if _, public := publicAPIRoutes[rt]; !public {
			protected++
		}
	}
	// A person's valid token whose only scope is push may use the Web Push
	// subscription and nothing else: 403 with {"error": ...}.
	n.user(t, "pusher", false)
	push := tokenFor(t, n, "pusher", "push")
	for _, rt := range routes {
		if _, public := publicAPIRoutes[rt]; public || anyTokenRoutes[rt] {
			continue
		}
		method, path, _ := strings.Cut(rt, " ")
		code, body := call(t, n, push, method, param.ReplaceAllString(path, "1"), nil)
		if strings.HasPrefix(path, "/api/v1/push/") {
			if code == http.StatusForbidden || code == http.StatusUnauthorized {
				t.Errorf("%s with a push token: %d %v", rt, code, body)
			}
			continue
		}
		if code != http.StatusForbidden || body["error"] == nil {
			t.Errorf("%s with a push-only token: %d %v, want 403 with an error", rt, code, body)
		}
	}

	// A token present on a public route must allow the route's scope, as
	// on Mastodon: one with only profile, or only write:media, is refused
	// with 403 before its person is used; one with the granular scope, or
	// with read, is let through.
	narrow := map[string]string{"profile": tokenFor(t, n, "pusher", "profile"), "write:media": tokenFor(t, n, "pusher", "write:media")}
	for _, rt := range routes {
		scope, public := publicAPIRoutes[rt]
		if !public {
			continue
		}
		method, path, _ := strings.Cut(rt, " ")
		concrete := param.ReplaceAllString(path, "1")
		for name, tok := range narrow {
			code, body := call(t, n, tok, method, concrete, nil)
			switch {
			case scope != "" && (code != http.StatusForbidden || body["error"] != "This action is outside the authorized scopes"):
				t.Errorf("%s with a %s-only token: %d %v, want 403 outside the authorized scopes", rt, name, code, body)
			case scope == "" && code == http.StatusForbidden:
				t.Errorf("%s needs no scope but refused a %s-only token: %v", rt, name, body)
			}
		}
		if scope == "" || rt == "POST /api/v1/accounts" {
			continue
		}
		for _, scopes := range []string{scope, "read"} {
			code, body := call(t, n, tokenFor(t, n, "pusher", scopes), method, concrete, nil)
			if code == http.StatusUnauthorized || code == http.StatusForbidden {
				t.Errorf("%s with a %q token: %d %v, want it let through", rt, scopes, code, body)
			}
		}
	}
	t.Logf("%d API routes, %d need a token", len(routes), protected)
	if protected < 90 {
		t.Errorf("only %d routes need a token; the walk looks wrong", protected)
	}
}

// The review's case: bob's tokens with only profile or only write:media
// read none of alice's direct and followers-only posts through the routes
// that also answer anonymously; his token with read:statuses does.
func TestNarrowTokensDoNotReadPrivatePosts(t *testing.T) {
	storagetest.Run(t, testNarrowTokensDoNotReadPrivatePosts)
}

func testNarrowTokensDoNotReadPrivatePosts(t *testing.T, dialect storage.Dialect) {
	n := startNode(t, dialect)
	alice := n.user(t, "alice", false)
	n.user(t, "bob", false)
	ca, cb := signIn(t, n, "alice"), signIn(t, n, "bob")
	if _, err := cb.AccountFollow(context.Background(), mastodon.ID(idString(alice.ID))); err != nil {
		t.Fatal(err)
	}
	aliceToken := ca.Config.AccessToken
	code, direct := call(t, n, aliceToken, "POST", "/api/v1/statuses", url.Values{"status": {"@bob bed 4 labs are back"}, "visibility": {"direct"}})
	if code != 200 {
		t.Fatalf("direct post: %d %v", code, direct)
	}
	code, private := call(t, n, aliceToken, "POST", "/api/v1/statuses", url.Values{"status": {"Followers only: handover at 7"}, "visibility": {"private"}})
	if code != 200 {
		t.Fatalf("private post: %d %v", code, private)
	}
	paths := []string{
		"/api/v1/statuses/" + direct["id"].(string), "/api/v1/statuses/" + private["id"].(string),
		"/api/v1/statuses/" + private["id"].(string) + "/context", "/api/v1/accounts/" + idString(alice.ID) + "/statuses",
	}
	for _, scopes := range []string{"profile", "write:media", "write"} {
		tok := tokenFor(t, n, "bob", scopes)
		for _, p := range paths {
			code, body := call(t, n, tok, "GET", p, nil)
			if code != http.StatusForbidden {
				t.Errorf("GET %s with bob's %q token: %d %v, want 403", p, scopes, code, body)
			}
		}
	}
	tok := tokenFor(t, n, "bob", "read:statuses")
	for _, p := range []string{paths[0], paths[1]} {
		if code, body := call(t, n, tok, "GET", p, nil); code != 200 {
			t.Errorf("GET %s with bob's read:statuses token: %d %v", p, code, body)
		}
	}
	code, body := call(t, n, tok, "GET", paths[3], nil)
	list, _ := body["list"].([]any)
	if code != 200 || len(list) == 0 || list[0].(map[string]any)["id"] != private["id"] {
		t.Errorf("alice's posts to bob's read:statuses token: %d %v, want the followers-only one", code, body)
	}
}
