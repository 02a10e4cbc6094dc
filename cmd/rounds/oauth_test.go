package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// oauthBrowser is a browser with cookies that stops at every redirect, so
// that a test sees where the server sends it (an app's custom scheme
// cannot be followed anyway).
func oauthBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// oauthSend sends a request (a form when form is not nil) and returns the
// response with its body read.
func oauthSend(t *testing.T, c *http.Client, method, target string, form url.Values, header map[string]string) (*http.Response, string) {
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
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// oauthJSON decodes a JSON answer, failing on anything else.
func oauthJSON(t *testing.T, resp *http.Response, body string) map[string]any {
	t.Helper()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: Content-Type %q, body %s", resp.Request.URL.Path, resp.Header.Get("Content-Type"), body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: %v in %s", resp.Request.URL.Path, err, body)
	}
	return m
}

var hiddenInputRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hiddenInputs returns a page's hidden form fields, as a browser would post
// them.
func hiddenInputs(page string) url.Values {
	// Only the page's own forms: the navigation's sign-out form (shown
	// when a session exists) is not part of any flow.
	if i := strings.Index(page, "<main"); i >= 0 {
		page = page[i:]
	}
	v := url.Values{}
	for _, m := range hiddenInputRE.FindAllStringSubmatch(page, -1) {
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return v
}

func newVerifier(t *testing.T) (verifier, challenge string) {
	t.Helper()
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestMastodonAppSignsInThroughAuthorizePagesWithPKCE(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "aoife", false)
		const redirect = "com.tapbots.Ivory.19300:/request_token"
		app, err := mastodon.RegisterApp(ctx, &mastodon.AppConfig{
			Server: n.base, ClientName: "Ivory", RedirectURIs: redirect,
			Scopes: "read write follow push", Website: "https://tapbots.com/ivory/",
		})
		if err != nil {
			t.Fatalf("register app: %v", err)
		}
		if app.RedirectURI != redirect || app.ClientID == "" || app.ClientSecret == "" || app.ID == "" {
			t.Fatalf("registered app = %+v", app)
		}

		verifier, challenge := newVerifier(t)
		authURL := n.base + "/oauth/authorize?" + url.Values{
			"client_id": {app.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"},
			"scope": {"read write follow push"}, "state": {"st4te+/="},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "lang": {"en"},
		}.Encode()
		browser := oauthBrowser(t)

		// The sign-in page, with a form token.
		resp, page := oauthSend(t, browser, "GET", authURL, nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Sign in") || !strings.Contains(page, "Ivory") {
			t.Fatalf("authorize without a session: %d\n%s", resp.StatusCode, page)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("sign-in page CSP %q, Cache-Control %q", csp, resp.Header.Get("Cache-Control"))
		}
		signIn := hiddenInputs(page)
		if signIn.Get("csrf_token") == "" || signIn.Get("client_id") != app.ClientID || signIn.Get("state") != "st4te+/=" {
			t.Fatalf("sign-in form fields = %v", signIn)
		}

		// Without the form token, and with a wrong password, no session.
		noToken := url.Values{}
		for k, v := range signIn {
			noToken[k] = v
		}
		noToken.Del("csrf_token")
		noToken.Set("username", "aoife")
		noToken.Set("password", "a long password")
		resp, page = oauthSend(t, browser, "POST", n.base+"/oauth/sign_in", noToken, nil)
		if resp.StatusCode != http.StatusForbidden || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("sign-in without the form token: %d\n%s", resp.StatusCode, page)
		}
		signIn.Set("username", "aoife")
		signIn.Set("password", "not her password")
		resp, page = oauthSend(t, browser, "POST", n.base+"/oauth/sign_in", signIn, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Wrong username or password") || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("a wrong password: %d\n%s", resp.StatusCode, page)
		}

		// Signing in starts a session and goes back to the authorize page.
		signIn.Set("password", "a long password")
		resp, page = oauthSend(t, browser, "POST", n.base+"/oauth/sign_in", signIn, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d\n%s", resp.StatusCode, page)
		}
		sc := cookieNamed(resp, "rounds_session")
		if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.Path != "/" {
			t.Fatalf("session cookie = %+v", sc)
		}
		back := resp.Header.Get("Location")
		if !strings.HasPrefix(back, "/oauth/authorize?") || strings.Contains(back, "force_login") {
			t.Fatalf("after sign-in, sent to %q", back)
		}

		// The consent page names the app, the person and the scopes.
		resp, page = oauthSend(t, browser, "GET", n.base+back, nil, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("consent page: %d\n%s", resp.StatusCode, page)
		}
		for _, want := range []string{"Authorize Ivory?", "@aoife@" + n.domain, "<code>read</code>", "<code>write</code>", "<code>follow</code>", "<code>push</code>", "force_login=true"} {
			if !strings.Contains(page, want) {
				t.Errorf("consent page lacks %q", want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' com.tapbots.ivory.19300:") {
			t.Fatalf("the consent page's CSP would block the redirect to the app: %q", csp)
		}
		consent := hiddenInputs(page)
		consent.Set("decision", "approve")

		// A forged consent (wrong CSRF token) is refused.
		forged := url.Values{}
		for k, v := range consent {
			forged[k] = v
		}
		forged.Set("csrf_token", "forged")
		if resp, page = oauthSend(t, browser, "POST", n.base+"/oauth/authorize", forged, nil); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
			t.Fatalf("forged consent: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), page)
		}

		// Consent sends the code back to the app's own scheme, with state.
		resp, page = oauthSend(t, browser, "POST", n.base+"/oauth/authorize", consent, nil)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, redirect+"?") {
			t.Fatalf("consent: %d, Location %q\n%s", resp.StatusCode, loc, page)
		}
		back2, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		code := back2.Query().Get("code")
		if code == "" || back2.Query().Get("state") != "st4te+/=" {
			t.Fatalf("redirect %q lacks the code or the state", loc)
		}

		// The token endpoint wants the PKCE verifier.
		exchange := url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
			"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "code_verifier": {verifier + "x"},
		}
		resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", exchange, nil)
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusBadRequest || m["error"] != "invalid_grant" || m["error_description"] == "" {
			t.Fatalf("a wrong verifier: %d %s", resp.StatusCode, body)
		}
		exchange.Set("code_verifier", verifier)
		resp, body = oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", exchange, nil)
		tok := oauthJSON(t, resp, body)
		if resp.StatusCode != http.StatusOK || tok["token_type"] != "Bearer" || tok["scope"] != "read write follow push" {
			t.Fatalf("token: %d %s", resp.StatusCode, body)
		}
		if created, ok := tok["created_at"].(float64); !ok || created != float64(int64(created)) || time.Since(time.Unix(int64(created), 0)) > time.Minute {
			t.Fatalf("created_at = %v, want whole seconds of now", tok["created_at"])
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("token answer Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
		access := tok["access_token"].(string)

		// The token works with a real client library.
		c := mastodon.NewClient(&mastodon.Config{Server: n.base, ClientID: app.ClientID, ClientSecret: app.ClientSecret, AccessToken: access})
		v, err := c.VerifyAppCredentials(ctx)
		if err != nil || v.Name != "Ivory" || v.Website != "https://tapbots.com/ivory/" {
			t.Fatalf("verify app credentials = %+v, %v", v, err)
		}
		me, err := c.GetAccountCurrentUser(ctx)
		if err != nil || me.Username != "aoife" {
			t.Fatalf("the signed-in account = %+v, %v", me, err)
		}

		// The code works once; a replay also revokes the token it gave.
		resp, body = oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", exchange, nil)
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusBadRequest || m["error"] != "invalid_grant" {
			t.Fatalf("a replayed code: %d %s", resp.StatusCode, body)
		}
		resp, body = oauthSend(t, http.DefaultClient, "GET", n.base+"/api/v1/apps/verify_credentials", nil, map[string]string{"Authorization": "Bearer " + access})
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusUnauthorized || m["error"] != "The access token is invalid" {
			t.Fatalf("the token of a replayed code: %d %s", resp.StatusCode, body)
		}

		// With the session, a second authorization skips the sign-in page;
		// Deny sends access_denied and the state back to the app.
		resp, page = oauthSend(t, browser, "GET", authURL, nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Authorize Ivory?") {
			t.Fatalf("authorize with a session: %d\n%s", resp.StatusCode, page)
		}
		deny := hiddenInputs(page)
		deny.Set("decision", "deny")
		resp, _ = oauthSend(t, browser, "POST", n.base+"/oauth/authorize", deny, nil)
		denied, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), redirect+"?") ||
			denied.Query().Get("error") != "access_denied" || denied.Query().Get("state") != "st4te+/=" {
			t.Fatalf("deny: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		// force_login shows the sign-in page despite the session.
		resp, page = oauthSend(t, browser, "GET", authURL+"&force_login=true", nil, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="/oauth/sign_in"`) {
			t.Fatalf("force_login: %d\n%s", resp.StatusCode, page)
		}
	})
}

func TestOAuthAuthorizePageNeverRedirectsToUnregisteredURIsAndShowsOutOfBandCodes(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "brid", false)
		app, err := mastodon.RegisterApp(ctx, &mastodon.AppConfig{Server: n.base, ClientName: "toot", Scopes: "read write"})
		if err != nil {
			t.Fatal(err)
		}
		browser := oauthBrowser(t)
		authorize := func(change func(url.Values)) (*http.Response, string) {
			q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"}, "response_type": {"code"}, "scope": {"read"}}
			change(q)
			return oauthSend(t, browser, "GET", n.base+"/oauth/authorize?"+q.Encode(), nil, nil)
		}
		for name, change := range map[string]func(url.Values){
			"unknown client":        func(q url.Values) { q.Set("client_id", "nope") },
			"unregistered redirect": func(q url.Values) { q.Set("redirect_uri", "https://evil.example/steal") },
			"missing redirect":      func(q url.Values) { q.Del("redirect_uri") },
			"bad scope, oob":        func(q url.Values) { q.Set("scope", "admin:write") },
			"implicit flow, oob":    func(q url.Values) { q.Set("response_type", "token") },
		} {
			resp, page := authorize(change)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(page, `role="alert"`) {
				t.Errorf("%s: %d, Location %q\n%s", name, resp.StatusCode, resp.Header.Get("Location"), page)
			}
		}

		// Out of band: the code is shown on the page.
		resp, page := authorize(func(url.Values) {})
		form := hiddenInputs(page)
		form.Set("username", "brid")
		form.Set("password", "a long password")
		if resp, _ = oauthSend(t, browser, "POST", n.base+"/oauth/sign_in", form, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", resp.StatusCode)
		}
		_, page = oauthSend(t, browser, "GET", n.base+resp.Header.Get("Location"), nil, nil)
		consent := hiddenInputs(page)
		consent.Set("decision", "approve")
		resp, page = oauthSend(t, browser, "POST", n.base+"/oauth/authorize", consent, nil)
		m := regexp.MustCompile(`<input id="code" value="([^"]+)"`).FindStringSubmatch(page)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("out-of-band consent: %d\n%s", resp.StatusCode, page)
		}
		c := mastodon.NewClient(&mastodon.Config{Server: n.base, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
		if err := c.GetUserAccessToken(ctx, html.UnescapeString(m[1]), "urn:ietf:wg:oauth:2.0:oob"); err != nil {
			t.Fatalf("exchange the shown code: %v", err)
		}
		if me, err := c.GetAccountCurrentUser(ctx); err != nil || me.Username != "brid" {
			t.Fatalf("signed in as %+v, %v", me, err)
		}
	})
}

func TestPasswordGrantScopesRevocationAndAppRegistrationOverHTTP(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "ciara", false)
		bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

		// Registration as JSON, with an array of redirect URIs: every field
		// of the CredentialApplication is there.
		resp, body := oauthSendJSON(t, n.base+"/api/v1/apps", `{"client_name":"Phanpy","redirect_uris":["https://phanpy.social/","urn:ietf:wg:oauth:2.0:oob"],"scopes":"read write follow"}`)
		reg := oauthJSON(t, resp, body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("register app: %d %s", resp.StatusCode, body)
		}
		vapidKey, err := n.svc.VAPIDPublicKey(ctx)
		if err != nil || vapidKey == "" {
			t.Fatalf("VAPID key %q: %v", vapidKey, err)
		}
		for _, k := range []string{"id", "name", "website", "scopes", "redirect_uri", "redirect_uris", "client_id", "client_secret", "client_secret_expires_at", "vapid_key"} {
			if _, ok := reg[k]; !ok {
				t.Errorf("registered app lacks %q: %s", k, body)
			}
		}
		if _, isString := reg["id"].(string); !isString || reg["redirect_uri"] != "https://phanpy.social/\nurn:ietf:wg:oauth:2.0:oob" ||
			reg["client_secret_expires_at"] != float64(0) || reg["website"] != nil || reg["vapid_key"] != vapidKey {
			t.Fatalf("registered app = %s", body)
		}
		resp, body = oauthSendJSON(t, n.base+"/api/v1/apps", `{"client_name":"bad","redirect_uris":"/relative"}`)
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(m["error"].(string), "Validation failed: Redirect URI") {
			t.Fatalf("a relative redirect URI: %d %s", resp.StatusCode, body)
		}

		app, err := mastodon.RegisterApp(ctx, &mastodon.AppConfig{Server: n.base, ClientName: "tut", Scopes: "read write follow"})
		if err != nil {
			t.Fatal(err)
		}
		c := mastodon.NewClient(&mastodon.Config{Server: n.base, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
		if err := c.Authenticate(ctx, "ciara", "wrong password"); err == nil {
			t.Fatal("a wrong password got a token")
		}
		if err := c.Authenticate(ctx, "ciara", "a long password"); err != nil {
			t.Fatalf("password grant: %v", err)
		}
		if _, err := c.VerifyAppCredentials(ctx); err != nil {
			t.Fatal(err)
		}

		// A read-only token may read but not post.
		form := url.Values{"grant_type": {"password"}, "username": {"ciara"}, "password": {"a long password"}, "scope": {"read"}}
		resp, body = oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", form, map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(app.ClientID)+":"+url.QueryEscape(app.ClientSecret)))})
		readOnly, _ := oauthJSON(t, resp, body)["access_token"].(string)
		if resp.StatusCode != http.StatusOK || readOnly == "" {
			t.Fatalf("password grant with Basic client auth: %d %s", resp.StatusCode, body)
		}
		resp, body = oauthSend(t, http.DefaultClient, "POST", n.base+"/api/v1/statuses", url.Values{"status": {"hello"}}, bearer(readOnly))
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusForbidden || m["error"] != "This action is outside the authorized scopes" {
			t.Fatalf("posting with a read token: %d %s", resp.StatusCode, body)
		}
		if resp, body = oauthSend(t, http.DefaultClient, "GET", n.base+"/api/v1/timelines/home", nil, bearer(readOnly)); resp.StatusCode != http.StatusOK {
			t.Fatalf("reading with a read token: %d %s", resp.StatusCode, body)
		}

		// An app's own token: verify_credentials of the app works, a
		// person's endpoint answers 422.
		form = url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"read"}}
		resp, body = oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", form, nil)
		appToken, _ := oauthJSON(t, resp, body)["access_token"].(string)
		if resp, body = oauthSend(t, http.DefaultClient, "GET", n.base+"/api/v1/apps/verify_credentials", nil, bearer(appToken)); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"name":"tut"`) || strings.Contains(body, "client_secret") {
			t.Fatalf("app token verify_credentials: %d %s", resp.StatusCode, body)
		}
		jsonBody, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": app.ClientID, "client_secret": app.ClientSecret, "scope": "read"})
		resp, body = oauthSendJSON(t, n.base+"/oauth/token", string(jsonBody))
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusOK || m["access_token"] == "" || m["scope"] != "read" {
			t.Fatalf("a token request as JSON: %d %s", resp.StatusCode, body)
		}
		resp, body = oauthSend(t, http.DefaultClient, "GET", n.base+"/api/v1/accounts/verify_credentials", nil, bearer(appToken))
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusUnprocessableEntity || m["error"] != "This method requires an authenticated user" {
			t.Fatalf("an app token on a person's endpoint: %d %s", resp.StatusCode, body)
		}

		// Token endpoint errors are RFC 6749 JSON.
		for _, bad := range []struct {
			form   url.Values
			status int
			code   string
		}{
			{url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {"wrong"}}, 401, "invalid_client"},
			{url.Values{"grant_type": {"refresh_token"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}, 400, "unsupported_grant_type"},
			{url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}, 400, "invalid_request"},
			{url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "scope": {"admin:read"}}, 400, "invalid_scope"},
			{url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}, 400, "invalid_grant"},
		} {
			resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", bad.form, nil)
			if m := oauthJSON(t, resp, body); resp.StatusCode != bad.status || m["error"] != bad.code || m["error_description"] == "" {
				t.Errorf("token %v: %d %s; want %d %s", bad.form, resp.StatusCode, body, bad.status, bad.code)
			}
		}

		// Revocation: the token stops working at once; revoking again, with
		// the stale token still sent as Bearer, or an unknown token is 200 {}.
		stale := c.Config.AccessToken
		if err := c.RevokeToken(ctx); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		resp, body = oauthSend(t, http.DefaultClient, "GET", n.base+"/api/v1/apps/verify_credentials", nil, bearer(stale))
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusUnauthorized || m["error"] != "The access token is invalid" {
			t.Fatalf("a revoked token: %d %s", resp.StatusCode, body)
		}
		for _, tok := range []string{stale, "never-issued"} {
			form := url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "token": {tok}}
			resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/revoke", form, bearer(stale))
			if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != "{}" {
				t.Fatalf("revoke %q again: %d %s", tok, resp.StatusCode, body)
			}
		}
		form = url.Values{"client_id": {app.ClientID}, "client_secret": {"wrong"}, "token": {readOnly}}
		if resp, body = oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/revoke", form, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("revoke with a wrong secret: %d %s", resp.StatusCode, body)
		}

		// A suspended person's token is refused.
		if _, err := n.svc.SuspendUser(ctx, "ciara"); err != nil {
			t.Fatal(err)
		}
		resp, body = oauthSend(t, http.DefaultClient, "GET", n.base+"/api/v1/timelines/home", nil, bearer(readOnly))
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusForbidden || m["error"] != "Your login is currently disabled" {
			t.Fatalf("a suspended person's token: %d %s", resp.StatusCode, body)
		}

		// RFC 8414 metadata.
		resp, body = oauthSend(t, http.DefaultClient, "GET", n.base+"/.well-known/oauth-authorization-server", nil, nil)
		meta := oauthJSON(t, resp, body)
		if meta["issuer"] != n.base+"/" || meta["token_endpoint"] != n.base+"/oauth/token" || meta["authorization_endpoint"] != n.base+"/oauth/authorize" ||
			meta["revocation_endpoint"] != n.base+"/oauth/revoke" || meta["app_registration_endpoint"] != n.base+"/api/v1/apps" ||
			!strings.Contains(body, `"code_challenge_methods_supported":["S256"]`) || !strings.Contains(body, `"response_types_supported":["code"]`) ||
			!strings.Contains(body, `"write:statuses"`) || !strings.Contains(body, `"client_secret_post"`) || !strings.Contains(body, `"authorization_code"`) {
			t.Fatalf("metadata: %s", body)
		}
	})
}

func oauthSendJSON(t *testing.T, target, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(target, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
