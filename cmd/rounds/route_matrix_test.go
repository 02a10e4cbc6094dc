package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/api"
	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
	"rounds/ui"
)

// The route matrix: every route of the API, the web pages and the
// ActivityPub GETs, read from the routers themselves, called as every kind
// of caller, compared with what each may do. A route is classified by the
// rules below (by family of paths, not one by one), and a route that no
// rule classifies fails the test: adding one means deciding who may call it.
//
// "Refused" is 401 or 403; "allowed" is anything else but a server error
// (404 and 422 are fine: the ids are made up, and the check of who may call
// comes before the lookup). Ids are ones that do not exist, except where
// the test is about another person's object, so that no call changes
// anything that matters (the admin's own account is never touched).
//
// Accounts that may not sign in (suspended, disabled, awaiting approval)
// have every token refused, public routes included, with 401 or 403. This
// follows Mastodon's require_user! (403 "Your login is currently
// disabled" / "... pending approval") and its functional? check, which
// counts a suspended account as disabled; Mastodon lets a suspended person
// into the web settings to export their data, which Rounds does not offer
// through the API, so no API route is left open to them.

// apiClass is who may call an API route.
type apiClass string

const (
	apiPublic   apiClass = "public"     // answers without a token (publicAPIRoutes)
	apiClient   apiClass = "client"     // the app authenticates with its client credentials; bearer tokens are ignored
	apiAppToken apiClass = "app token"  // needs an app's own token (registration)
	apiAnyToken apiClass = "any token"  // any valid token, whatever its scopes
	apiUser     apiClass = "user"       // any person with the scope
	apiOwner    apiClass = "owner"      // a person, on their own object: another's is not found
	apiStaff    apiClass = "moderator"  // moderators and admins (social.PermModerate)
	apiAdmin    apiClass = "admin only" // admins (the other social.Perm* kinds)
	apiSkip     apiClass = "skip"       // checked elsewhere: see the rule
)

type apiRule struct {
	re    *regexp.Regexp
	class apiClass
	// family names the object of the caller's that an owner route acts
	// on; another person's token is refused it.
	family string
}

func rule(re string, class apiClass, family string) apiRule {
	return apiRule{regexp.MustCompile(re), class, family}
}

// apiRules classify "METHOD /path" (chi's pattern); the first that matches
// wins. Add a new family of routes here.
var apiRules = []apiRule{
	// Named streams hold the connection open; the streaming tests check
	// who may open which (a bad name is 400 first).
	rule(`^GET /api/v1/streaming/\{`, apiSkip, ""),
	// Answers 403 to an address already confirmed, as on Mastodon (every
	// caller here has one); TestTrendsNeedStaffApprovalAndComeFromPosts
	// covers it.
	rule(`^POST /api/v1/emails/confirmations$`, apiSkip, ""),
	// Admin API: moderators read accounts and reports and act on accounts
	// (warn, limit, suspend and the undoing); everything else is an
	// admin's (approve, reject, enable, delete, roles, verification,
	// domain blocks and allows, the audit log). Mastodon's Moderator role
	// may read the audit log; Rounds keeps it to admins (DESIGN: staff
	// ranks).
	rule(`^GET /api/v[12]/admin/accounts(/\{id\})?$`, apiStaff, ""),
	rule(`^POST /api/v1/admin/accounts/\{id\}/(action|unsilence|unsuspend|unsensitive)$`, apiStaff, ""),
	rule(`^\S+ /api/v1/admin/reports(/|$)`, apiStaff, ""),
	// Mastodon's Moderator role has view_dashboard and manage_taxonomies:
	// the dashboard's figures, hashtags and the review of trends.
	rule(`^\S+ /api/v1/admin/(trends|tags|measures|dimensions|retention)(/|$)`, apiStaff, ""),
	rule(`^\S+ /api/v[12]/admin/`, apiAdmin, ""),
	// Rounds' own extensions: a clinician's questions, and their figures
	// for staff.
	rule(`^GET /api/v1/rounds/admin/`, apiStaff, ""),
	rule(`^\S+ /api/v1/rounds/questions(/|$)`, apiUser, ""),
	// A person's own objects, by id.
	rule(`^\S+ /api/v1/lists/\{id\}`, apiOwner, "list"),
	rule(`^GET /api/v1/timelines/list/\{id\}`, apiOwner, "list"),
	rule(`^\S+ /api/v2/filters/keywords/\{id\}`, apiOwner, "filter keyword"),
	rule(`^\S+ /api/v2/filters/statuses/\{id\}`, apiOwner, "filter status"),
	rule(`^\S+ /api/v2/filters/\{id\}`, apiOwner, "filter"),
	rule(`^\S+ /api/v1/filters/\{id\}`, apiOwner, "v1 filter"),
	rule(`^\S+ /api/v1/scheduled_statuses/\{id\}`, apiOwner, "scheduled status"),
	rule(`^\S+ /api/v1/media/\{id\}`, apiOwner, "media"),
	rule(`^\S+ /api/v1/conversations/\{id\}`, apiOwner, "conversation"),
	rule(`^\S+ /api/v1/featured_tags/\{id\}`, apiOwner, "featured tag"),
	rule(`^\S+ /api/v1/notifications/requests/\{id\}`, apiOwner, "notification request"),
	rule(`^\S+ /api/v1/notifications/\{id\}`, apiOwner, "notification"),
	rule(`^\S+ /api/v2/notifications/\{group_key\}`, apiOwner, "notification group"),
	rule(`^(DELETE|PUT) /api/v1/statuses/\{id\}$`, apiOwner, "status"),
	rule(`^GET /api/v1/statuses/\{id\}/(source|deliveries)$`, apiOwner, "status"),
	rule(`^POST /api/v1/statuses/\{id\}/pin$`, apiOwner, "status"),
	// Everything else a person does, by family.
	rule(`^\S+ /api/v[12]/(accounts|announcements|async_refreshes|blocks|bookmarks|conversations|emails|domain_blocks|endorsements|favourites|featured_tags|filters|follow_requests|followed_tags|lists|markers|media|mutes|notifications|polls|preferences|profile|push|reports|scheduled_statuses|statuses|suggestions|tags|timelines)(/|$)`, apiUser, ""),
	rule(`^\S+ /oauth/userinfo$`, apiUser, ""),
}

// apiClassOf classifies route, or returns "" when no rule does.
func apiClassOf(route string) (apiClass, string) {
	switch {
	case clientAuthenticated(route):
		return apiClient, ""
	case route == "POST /api/v1/accounts":
		return apiAppToken, ""
	case anyTokenRoutes[route]:
		return apiAnyToken, ""
	}
	if _, ok := publicAPIRoutes[route]; ok {
		return apiPublic, ""
	}
	for _, r := range apiRules {
		if r.re.MatchString(route) {
			return r.class, r.family
		}
	}
	return "", ""
}

func clientAuthenticated(route string) bool {
	switch route {
	case "POST /oauth/token", "POST /oauth/revoke", "POST /oauth/introspect":
		return true
	}
	return false
}

// The callers of the API matrix.
const (
	cAnon      = "anonymous"
	cUser      = "user"
	cLacking   = "token lacking the scope"
	cSuspended = "suspended"
	cDisabled  = "disabled"
	cPending   = "unapproved"
	cModerator = "moderator"
	cAdmin     = "admin"
	cOther     = "another user"
)

var apiCallers = []string{cAnon, cUser, cLacking, cSuspended, cDisabled, cPending, cModerator, cAdmin, cOther}

// want returns what caller should get on a route of class c with scope
// (public routes only): "refused", "allowed", "not 2xx" or "" (no check).
func want(c apiClass, scope, caller string) string {
	switch caller {
	case cSuspended, cDisabled, cPending:
		if c == apiClient {
			return ""
		}
		return "refused"
	case cOther:
		if c == apiOwner {
			return "not 2xx"
		}
		return ""
	}
	switch c {
	case apiClient:
		return "" // the bearer token is not read; the OAuth tests cover them
	case apiPublic:
		if caller == cLacking && scope != "" {
			return "refused"
		}
		return "allowed"
	case apiAppToken:
		if caller == cAnon || caller == cLacking {
			return "refused"
		}
		return "" // a person's token: Mastodon refuses it too, but that is the registration tests' matter
	case apiAnyToken:
		if caller == cAnon {
			return "refused"
		}
		return "allowed"
	case apiUser, apiOwner:
		if caller == cAnon || caller == cLacking {
			return "refused"
		}
		return "allowed"
	case apiStaff:
		if caller == cModerator || caller == cAdmin {
			return "allowed"
		}
		return "refused"
	case apiAdmin:
		if caller == cAdmin {
			return "allowed"
		}
		return "refused"
	}
	return ""
}

const (
	allScopes = "read write follow push profile admin:read admin:write"
	missingID = "999999999"
	matrixTag = "rounds"
	lackRead  = "write push admin:write"       // for GETs: no read, follow or profile
	lackWrite = "read push profile admin:read" // for changes: no write or follow
	lackPush  = "read write follow profile admin:read admin:write"
)

// lackingScopes is a token's scopes that do not allow route.
func lackingScopes(method, path string) string {
	switch {
	case strings.HasPrefix(path, "/api/v1/push/"):
		return lackPush
	case strings.HasPrefix(path, "/api/v1/media/"):
		return lackWrite // as on Mastodon, reading one's upload needs write:media
	case method == http.MethodGet || path == "/oauth/userinfo" || postThatReads.MatchString(path):
		return lackRead
	}
	return lackWrite
}

// postThatReads are POSTs that change nothing and take a read scope, as on
// Mastodon: a translation, the dashboard's figures, testing an address.
var postThatReads = regexp.MustCompile(`/translate$|^/api/v1/admin/(measures|dimensions|retention|canonical_email_blocks/test)$`)

var paramRE = regexp.MustCompile(`\{([^}]+)\}`)

// fillPath puts harmless values in path's parameters: ids that do not
// exist, or first (when not "") for the first parameter.
func fillPath(path, first string) string {
	i := 0
	return paramRE.ReplaceAllStringFunc(path, func(p string) string {
		i++
		if i == 1 && first != "" {
			return first
		}
		switch p {
		case "{hashtag}", "{name}", "{tag}":
			return matrixTag
		case "{date}":
			return "2026-01-01"
		case "{version}":
			return "2.0"
		case "{group_key}":
			return "ungrouped-" + missingID
		}
		return missingID
	})
}

var matrixClient = &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// hit sends method path (a form when form is not nil) with token and
// returns the status and the body.
func hit(t *testing.T, base, token, method, path string, form url.Values) (int, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := matrixClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// hitJSON is hit expecting 200 and a JSON object, for setting up.
func hitJSON(t *testing.T, base, token, method, path string, form url.Values) map[string]any {
	t.Helper()
	code, b := hit(t, base, token, method, path, form)
	var out map[string]any
	if code != 200 || json.Unmarshal(b, &out) != nil {
		t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	return out
}

func hitList(t *testing.T, base, token, path string) []map[string]any {
	t.Helper()
	code, b := hit(t, base, token, "GET", path, nil)
	var out []map[string]any
	if code != 200 || json.Unmarshal(b, &out) != nil {
		t.Fatalf("GET %s: %d %s", path, code, b)
	}
	return out
}

func apiRoutesOf(t *testing.T, n *node) []string {
	t.Helper()
	r := chi.NewRouter()
	api.New(api.Options{Social: n.svc}).Routes(r)
	var routes []string
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method == http.MethodOptions || method == http.MethodHead || strings.HasSuffix(route, "/*") {
			return nil
		}
		routes = append(routes, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(routes)
	return routes
}

// TestRouteMatrixAPI calls every API route as every kind of caller.
func TestRouteMatrixAPI(t *testing.T) {
	storagetest.Run(t, testRouteMatrixAPI)
}

func testRouteMatrixAPI(t *testing.T, dialect storage.Dialect) {
	ctx := context.Background()
	n := startNode(t, dialect)
	mk := func(name, role string) *storage.User {
		u, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	mk("alice", social.RoleUser)
	mk("bob", social.RoleUser)
	mk("carol", social.RoleUser)
	mk("mod", social.RoleModerator)
	mk("admin", social.RoleAdmin)
	mk("suspended", social.RoleUser)
	disabled := mk("disabled", social.RoleUser)
	tokens := map[string]string{
		cUser: tokenFor(t, n, "alice", allScopes), cOther: tokenFor(t, n, "bob", allScopes),
		cModerator: tokenFor(t, n, "mod", allScopes), cAdmin: tokenFor(t, n, "admin", allScopes),
		cSuspended: tokenFor(t, n, "suspended", allScopes), cDisabled: tokenFor(t, n, "disabled", allScopes),
	}
	lacking := map[string]string{}
	for _, s := range []string{lackRead, lackWrite, lackPush} {
		lacking[s] = tokenFor(t, n, "admin", s) // an admin's: only the scope is missing
	}
	carol := tokenFor(t, n, "carol", allScopes)
	if _, err := n.svc.SuspendUser(ctx, "suspended"); err != nil {
		t.Fatal(err)
	}
	if err := n.svc.TakeAction(ctx, social.CommandLine, disabled.AccountID, social.AccountAction{Type: social.ActionDisable}); err != nil {
		t.Fatal(err)
	}
	// An unapproved account has the token its sign-up gave it.
	setRegistrations(t, n, social.RegistrationsApproval)
	code, m := newSignUpApp(t, n, "read write follow").signUp(t, registration("applicant", "reason", "Ward clerk", "email", "applicant@example.org"), "")
	if code != 200 {
		t.Fatalf("sign-up awaiting approval: %d %v", code, m)
	}
	tokens[cPending], _ = m["access_token"].(string)
	// Each is refused for what it is, in Mastodon's words.
	for caller, msg := range map[string]string{cSuspended: "Your login is currently disabled", cDisabled: "Your login is currently disabled", cPending: "Your login is currently pending approval"} {
		code, body := hit(t, n.base, tokens[caller], "GET", "/api/v1/accounts/verify_credentials", nil)
		if code != http.StatusForbidden || !strings.Contains(string(body), msg) {
			t.Errorf("verify_credentials as %s: %d %s, want 403 %q", caller, code, body, msg)
		}
	}

	// alice's objects, for bob to be refused.
	a := tokens[cUser]
	owned := map[string]string{}
	post := hitJSON(t, n.base, a, "POST", "/api/v1/statuses", url.Values{"status": {"Grand round at noon #" + matrixTag}})
	owned["status"] = post["id"].(string)
	owned["list"] = hitJSON(t, n.base, a, "POST", "/api/v1/lists", url.Values{"title": {"Ward"}})["id"].(string)
	filter := hitJSON(t, n.base, a, "POST", "/api/v2/filters", url.Values{"title": {"spoilers"}, "context[]": {"home"}, "keywords_attributes[][keyword]": {"spoiler"}})
	owned["filter"] = filter["id"].(string)
	owned["filter keyword"] = filter["keywords"].([]any)[0].(map[string]any)["id"].(string)
	owned["filter status"] = hitJSON(t, n.base, a, "POST", "/api/v2/filters/"+owned["filter"]+"/statuses", url.Values{"status_id": {owned["status"]}})["id"].(string)
	owned["v1 filter"] = hitJSON(t, n.base, a, "POST", "/api/v1/filters", url.Values{"phrase": {"rota"}, "context[]": {"home"}})["id"].(string)
	owned["scheduled status"] = hitJSON(t, n.base, a, "POST", "/api/v1/statuses", url.Values{"status": {"later"}, "scheduled_at": {time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}})["id"].(string)
	owned["featured tag"] = hitJSON(t, n.base, a, "POST", "/api/v1/featured_tags", url.Values{"name": {matrixTag}})["id"].(string)
	owned["media"] = uploadMedia(t, n, a)
	hitJSON(t, n.base, a, "POST", "/api/v1/statuses", url.Values{"status": {"@carol bed 4"}, "visibility": {"direct"}})
	first := func(path string) map[string]any {
		var list []map[string]any
		eventually(t, path+" listing one", func() bool { list = hitList(t, n.base, a, path); return len(list) > 0 })
		return list[0]
	}
	owned["conversation"] = first("/api/v1/conversations")["id"].(string)
	hitJSON(t, n.base, carol, "POST", "/api/v1/statuses/"+owned["status"]+"/favourite", nil)
	owned["notification"] = first("/api/v1/notifications")["id"].(string)
	groups := hitJSON(t, n.base, a, "GET", "/api/v2/notifications", nil)
	owned["notification group"] = groups["notification_groups"].([]any)[0].(map[string]any)["group_key"].(string)
	// Notification requests need a filtered sender; their route refuses
	// the unknown id of another's as it would a real one.
	noObject := map[string]bool{"notification request": true}

	routes := apiRoutesOf(t, n)
	checks := 0
	// Another user's calls on alice's objects come first, and are checked
	// before alice's own calls (clearing her notifications, say) change
	// them.
	for pass, callers := range [][]string{{cOther}, apiCallers[:len(apiCallers)-1]} {
		if pass == 1 {
			checkOwned(t, n, a, owned)
		}
		checks += matrixPass(t, n, routes, callers, tokens, lacking, owned, noObject)
	}
	t.Logf("API matrix: %d routes x %d callers, %d calls checked", len(routes), len(apiCallers), checks)
}

// matrixPass calls every route as each of callers and checks the answers.
func matrixPass(t *testing.T, n *node, routes, callers []string, tokens, lacking, owned map[string]string, noObject map[string]bool) int {
	checks := 0
	for _, rt := range routes {
		class, family := apiClassOf(rt)
		if class == "" {
			t.Errorf("%s is in no class: add it to apiRules in cmd/rounds/route_matrix_test.go (or publicAPIRoutes in api_auth_matrix_test.go)", rt)
			continue
		}
		if class == apiSkip {
			continue
		}
		method, path, _ := strings.Cut(rt, " ")
		scope := publicAPIRoutes[rt]
		for _, caller := range callers {
			w := want(class, scope, caller)
			if caller == cOther && actsOnCallersOwn[rt] {
				w = "" // checkOwned sees that alice's object stayed
			}
			if w == "" {
				continue
			}
			tok, p := tokens[caller], fillPath(path, "")
			switch caller {
			case cLacking:
				tok = lacking[lackingScopes(method, path)]
			case cOther:
				id, ok := owned[family]
				if !ok && !noObject[family] {
					t.Errorf("%s: no object of alice's for family %q: make one in testRouteMatrixAPI", rt, family)
					continue
				}
				p = fillPath(path, id)
			}
			var form url.Values
			if method != http.MethodGet && method != http.MethodDelete {
				form = url.Values{}
				if caller == cOther {
					// A change that would pass its checks, so that only
					// whose object it is stops it.
					form = url.Values{"status": {bobsEdit}, "title": {bobsEdit}, "phrase": {bobsEdit}, "keyword": {bobsEdit}, "description": {bobsEdit}, "context[]": {"home"}}
				}
			}
			code, body := hit(t, n.base, tok, method, p, form)
			checks++
			refused := code == http.StatusUnauthorized || code == http.StatusForbidden
			switch {
			case code >= 500:
				t.Errorf("%s as %s (%s): %d %s", rt, caller, class, code, body)
			case w == "refused" && !refused:
				t.Errorf("%s as %s (%s route): %d %.200s, want 401 or 403", rt, caller, class, code, body)
			case w == "allowed" && refused:
				t.Errorf("%s as %s (%s route): %d %.200s, want it let through", rt, caller, class, code, body)
			case w == "not 2xx" && code < 300:
				t.Errorf("%s as %s on alice's %s: %d %.200s, want it refused or not found", rt, caller, family, code, body)
			}
		}
	}
	return checks
}

const bobsEdit = "bob-was-here"

// actsOnCallersOwn are owner routes that, as on Mastodon, answer another's
// id with an empty success, having acted only on the caller's own objects
// (a notification group's key is not secret and not unique to one person).
var actsOnCallersOwn = map[string]bool{"POST /api/v2/notifications/{group_key}/dismiss": true}

// checkOwned checks that alice's objects are all still there, unchanged.
func checkOwned(t *testing.T, n *node, a string, owned map[string]string) {
	t.Helper()
	// alice's objects are all still there, unchanged: nobody else
	// deleted, edited or dismissed them (some routes answer another's id
	// with an empty success, as Mastodon does, acting on the caller's own).
	for family, path := range map[string]string{
		"status": "/api/v1/statuses/%s", "list": "/api/v1/lists/%s", "filter": "/api/v2/filters/%s",
		"filter keyword": "/api/v2/filters/keywords/%s", "filter status": "/api/v2/filters/statuses/%s",
		"v1 filter": "/api/v1/filters/%s", "scheduled status": "/api/v1/scheduled_statuses/%s",
		"media": "/api/v1/media/%s", "notification": "/api/v1/notifications/%s", "notification group": "/api/v2/notifications/%s",
	} {
		p := strings.Replace(path, "%s", owned[family], 1)
		if code, body := hit(t, n.base, a, "GET", p, nil); code != 200 || strings.Contains(string(body), bobsEdit) {
			t.Errorf("alice's %s after the matrix: GET %s = %d %.300s", family, p, code, body)
		}
	}
	if list := hitList(t, n.base, a, "/api/v1/conversations"); len(list) != 1 || list[0]["id"] != owned["conversation"] || list[0]["unread"] != false {
		t.Errorf("alice's conversations after the matrix: %v", list)
	}
	if list := hitList(t, n.base, a, "/api/v1/featured_tags"); len(list) != 1 || list[0]["id"] != owned["featured tag"] {
		t.Errorf("alice's featured tags after the matrix: %v", list)
	}
}

// uploadMedia uploads a small image as token's person and returns its id.
func uploadMedia(t *testing.T, n *node, token string) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "x.png")
	fw.Write(testPNG(t, 4, 4))
	mw.Close()
	req, _ := http.NewRequest("POST", n.base+"/api/v1/media", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := matrixClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("media upload: %d %v", resp.StatusCode, err)
	}
	return m["id"].(string)
}

// pageClass is who may see a web page.
type pageClass string

const (
	pagePublic pageClass = "public"     // anyone, signed in or not
	pageMe     pageClass = "signed in"  // a signed-in person; others are sent to sign in
	pageOwner  pageClass = "author"     // alice's own post's page: others, staff too, are not shown it
	pageStaff  pageClass = "moderator"  // moderators and admins; a person is refused 403
	pageAdmin  pageClass = "admin only" // admins
)

type pageRule struct {
	re    *regexp.Regexp
	class pageClass
}

// pageRules classify the GET pages (chi's pattern); the first that matches
// wins. Add a new page here.
var pageRules = []pageRule{
	{regexp.MustCompile(`^/admin/(accounts/new|invites|domain_blocks|audit|audit\.csv|settings|blocks|relays)$`), pageAdmin},
	// Staff see who has not read the guidance; only admins may change it.
	{regexp.MustCompile(`^/admin/(trends|questions|guidance)$`), pageStaff},
	{regexp.MustCompile(`^/blog/\{id\}/edit$`), pageOwner},
	{regexp.MustCompile(`^/admin(/accounts(/\{id\})?|/reports(/\{id\})?)?$`), pageStaff},
	{regexp.MustCompile(`^/(home|search|notifications|compose|settings|blog)(/|$)`), pageMe},
	{regexp.MustCompile(`^/statuses/\{id\}/deliveries$`), pageOwner},
	{regexp.MustCompile(`^/statuses/\{id\}$`), pageMe},
	{regexp.MustCompile(`^/$|^/@\{username\}(/|$)|^/(tags|public|auth|invite|setup|oauth|media|static)/|^/authorize_interaction$|^/directory$|^/about/guidance$`), pagePublic},
}

// secretPageParam marks public pages that only answer for a link's token
// or a file's name, or need a query: an unknown one is not 200, but never a
// sign-in.
var secretPageParam = regexp.MustCompile(`\{(token|code|name|slug)\}|^/oauth/authorize$|^/authorize_interaction$|/remote_follow$`)

// TestRouteMatrixPages asks for every web page signed out, as a person, as
// a moderator and as an admin.
func TestRouteMatrixPages(t *testing.T) {
	storagetest.Run(t, testRouteMatrixPages)
}

func testRouteMatrixPages(t *testing.T, dialect storage.Dialect) {
	ctx := context.Background()
	n := startNode(t, dialect)
	alice := n.user(t, "alice", false)
	for name, role := range map[string]string{"mod": social.RoleModerator, "admin": social.RoleAdmin} {
		if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true}); err != nil {
			t.Fatal(err)
		}
	}
	post := postAs(t, n, alice, social.NewStatus{Text: "Journal club at four #" + matrixTag})
	report, err := n.svc.Report(ctx, n.user(t, "reporter", false), social.NewReport{TargetAccountID: alice.ID, Comment: "please look"})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := n.svc.SaveBlogDraft(ctx, alice, 0, social.BlogInput{Title: "Night shifts", Summary: "What helps", Body: "Sleep first."})
	if err != nil {
		t.Fatal(err)
	}
	params := func(route string) string {
		id := fmt.Sprint(post.ID)
		switch {
		case strings.HasPrefix(route, "/blog/"):
			id = fmt.Sprint(draft.ID)
		case strings.HasPrefix(route, "/admin/accounts/"):
			id = fmt.Sprint(alice.ID)
		case strings.HasPrefix(route, "/admin/reports/"):
			id = fmt.Sprint(report.ID)
		}
		p := strings.NewReplacer("{username}", "alice", "{id}", id, "{tag}", matrixTag, "*", "rounds.css").Replace(route)
		return paramRE.ReplaceAllString(p, "not-a-real-one")
	}
	clients := map[string]*http.Client{"signed out": {CheckRedirect: matrixClient.CheckRedirect, Timeout: matrixClient.Timeout}}
	for _, name := range []string{"alice", "mod", "admin"} {
		clients[name] = &http.Client{Jar: signInPages(t, n, name).c.Jar, CheckRedirect: matrixClient.CheckRedirect, Timeout: matrixClient.Timeout}
	}
	routes := 0
	err = chi.Walk(ui.New(ui.Options{Social: n.svc}).(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method != http.MethodGet {
			return nil // forms: each checks its session and CSRF token (the page tests)
		}
		routes++
		class := pageClassOf(route)
		if class == "" {
			t.Errorf("page %s is in no class: add it to pageRules in cmd/rounds/route_matrix_test.go", route)
			return nil
		}
		path := params(route)
		for _, who := range []string{"signed out", "alice", "mod", "admin"} {
			resp, err := clients[who].Get(n.base + path)
			if err != nil {
				t.Fatalf("GET %s as %s: %v", path, who, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, loc := resp.StatusCode, resp.Header.Get("Location")
			toSignIn := code == http.StatusSeeOther && strings.HasPrefix(loc, "/auth/sign_in")
			// A page of the same kind may send on to another (/settings to
			// /settings/profile), which then answers as its kind does.
			onward := code == http.StatusSeeOther && !toSignIn && class != pagePublic && pageClassOf(loc) == class
			html := code == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html")
			if html && !strings.Contains(string(body), "</html>") {
				t.Errorf("%s page %s as %s: the page stops short (a template failed)", class, path, who)
			}
			// The navigation links to the admin pages for staff only.
			if html && strings.Contains(string(body), `href="/admin"`) != (who == "mod" || who == "admin") {
				t.Errorf("%s page %s as %s: the Admin link is shown %v", class, path, who, who != "mod" && who != "admin")
			}
			var want int // 0: anything but a server error or a sign-in
			switch {
			case class == pagePublic && who == "signed out" && !secretPageParam.MatchString(route):
				want = http.StatusOK
			case class == pagePublic:
			case who == "signed out":
				if !toSignIn && !onward {
					t.Errorf("%s page %s signed out: %d %s, want a redirect to sign in", class, path, code, loc)
				}
				continue
			case class == pageMe, class == pageOwner && who == "alice", class == pageAdmin && who == "admin", class == pageStaff && who != "alice":
				want = http.StatusOK
			case class == pageOwner:
				want = http.StatusNotFound
			default:
				want = http.StatusForbidden
			}
			switch {
			case code >= 500 || toSignIn && class == pagePublic:
				t.Errorf("%s page %s as %s: %d %s", class, path, who, code, loc)
			case want != 0 && code != want && !(want == http.StatusOK && onward):
				t.Errorf("%s page %s as %s: %d %s, want %d", class, path, who, code, loc, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pages matrix: %d GET pages x 4 callers", routes)
}

// pageClassOf classifies a page's route (or path), "" when no rule does.
func pageClassOf(route string) pageClass {
	for _, r := range pageRules {
		if r.re.MatchString(route) {
			return r.class
		}
	}
	return ""
}

// apOpen are the federation GETs that stay readable without a signature
// under authorized fetch, as on Mastodon: discovery (WebFinger, host-meta,
// NodeInfo), and the instance actor and the keys, which a server checking
// our own signed fetches must read first.
var apOpen = map[string]bool{
	"/.well-known/webfinger": true, "/.well-known/host-meta": true, "/.well-known/nodeinfo": true, "/nodeinfo/{version}": true,
	"/actor": true, "/actor/main-key": true, "/users/{username}/main-key": true,
}

// apSigned matches the ActivityPub documents that need another server's
// signature under authorized fetch: actors, their posts and collections.
var apSigned = regexp.MustCompile(`^/users/\{username\}(/(outbox|followers|following|collections/[a-z]+|statuses/\{id\}|quote_authorizations/\{id\}))?$`)

// TestRouteMatrixAuthorizedFetch asks for every ActivityPub document of a
// server in authorized-fetch mode unsigned and signed by another server.
func TestRouteMatrixAuthorizedFetch(t *testing.T) {
	storagetest.Run(t, testRouteMatrixAuthorizedFetch)
}

func testRouteMatrixAuthorizedFetch(t *testing.T, dialect storage.Dialect) {
	n := startNodeWith(t, dialect, func(rc *rawConfig) { rc.authorizedFetch = true })
	peer := startNode(t, dialect)
	doc := n.user(t, "doc", false)
	public := postAs(t, n, doc, social.NewStatus{Text: "Teaching round at ten"})
	private := postAs(t, n, doc, social.NewStatus{Text: "Followers only: rota swap", Visibility: social.VisibilityPrivate})
	fill := strings.NewReplacer("{username}", "doc", "{id}", fmt.Sprint(public.ID), "{version}", "2.0")

	r := chi.NewRouter()
	n.fed.Routes(r)
	routes := 0
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method != http.MethodGet {
			return nil // inboxes: signed POSTs, the inbox tests
		}
		routes++
		if !apOpen[route] && !apSigned.MatchString(route) {
			t.Errorf("ActivityPub GET %s is in no class: add it to apOpen or apSigned in cmd/rounds/route_matrix_test.go", route)
			return nil
		}
		uri := n.base + fill.Replace(route)
		if route == "/.well-known/webfinger" {
			uri += "?resource=acct:doc@" + n.domain
		}
		unsigned := signedASGet(t, nil, uri)
		signed := signedASGet(t, peer, uri)
		if apOpen[route] && unsigned != http.StatusOK {
			t.Errorf("GET %s unsigned: %d, want 200 (it stays open)", route, unsigned)
		}
		if !apOpen[route] && unsigned != http.StatusUnauthorized {
			t.Errorf("GET %s unsigned under authorized fetch: %d, want 401", route, unsigned)
		}
		// The post's id names no quote authorization (they are made only
		// for another server's quote; the quote tests fetch real ones).
		noSuch := strings.Contains(route, "/quote_authorizations/") && signed == http.StatusNotFound
		if signed != http.StatusOK && !noSuch {
			t.Errorf("GET %s signed by another server: %d, want 200", route, signed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A followers-only post, to a server none of whose accounts follow doc.
	uri := n.base + "/users/doc/statuses/" + fmt.Sprint(private.ID)
	if code := signedASGet(t, nil, uri); code != http.StatusUnauthorized {
		t.Errorf("followers-only post unsigned: %d, want 401", code)
	}
	if code := signedASGet(t, peer, uri); code != http.StatusNotFound && code != http.StatusForbidden {
		t.Errorf("followers-only post signed by a server without followers: %d, want 404 or 403", code)
	}
	t.Logf("authorized-fetch matrix: %d GETs x 2 callers", routes)
}

// signedASGet GETs an ActivityPub document, signed by by's instance actor
// (nil: unsigned), and returns the status.
func signedASGet(t *testing.T, by *node, uri string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, uri, nil)
	req.Header.Set("Accept", "application/activity+json")
	if by != nil {
		inst, err := by.svc.InstanceActor(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode([]byte(inst.PrivateKeyPEM))
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if err := federation.SignRequest(req, nil, &federation.Signer{KeyID: inst.KeyID, Key: key.(*rsa.PrivateKey)}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := matrixClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
