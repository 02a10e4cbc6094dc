package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// TestAuthorizePageRefusesPlainPKCE: the server advertises S256 only, so a
// plain challenge (named, or implied by a challenge without a method) and
// unknown methods go back to the app as invalid_request, and S256 works.
func TestAuthorizePageRefusesPlainPKCE(t *testing.T) {
	n := startNode(t, storage.SQLite)
	const redirect = "com.tapbots.Ivory.19300:/request_token"
	app, err := mastodon.RegisterApp(context.Background(), &mastodon.AppConfig{Server: n.base, ClientName: "Ivory", RedirectURIs: redirect, Scopes: "read"})
	if err != nil {
		t.Fatal(err)
	}
	verifier, challenge := newVerifier(t)
	for _, c := range []struct{ challenge, method string }{
		{verifier, "plain"}, {verifier, ""}, {challenge, "plain"}, {challenge, "s256"}, {challenge, "S512"},
	} {
		q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"read"}, "state": {"s"},
			"code_challenge": {c.challenge}}
		if c.method != "" {
			q.Set("code_challenge_method", c.method)
		}
		resp, page := oauthSend(t, oauthBrowser(t), "GET", n.base+"/oauth/authorize?"+q.Encode(), nil, nil)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc == nil || !strings.HasPrefix(resp.Header.Get("Location"), redirect+"?") || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("state") != "s" {
			t.Errorf("code_challenge_method %q: %d, Location %q, want invalid_request for the app\n%s", c.method, resp.StatusCode, resp.Header.Get("Location"), page)
		}
	}
	q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"read"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	if resp, page := oauthSend(t, oauthBrowser(t), "GET", n.base+"/oauth/authorize?"+q.Encode(), nil, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Sign in") {
		t.Fatalf("S256: %d\n%s", resp.StatusCode, page)
	}
}

// TestSigningAnAppOutKillsItsUnexchangedCodes: a code the person approved
// but the app has not exchanged yet gives no token once the person signs the
// app out on the authorized apps page, or the app's token is revoked at
// POST /oauth/revoke.
func TestSigningAnAppOutKillsItsUnexchangedCodes(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "ines", false)
		const redirect = "com.tapbots.Ivory.19300:/request_token"
		app, err := mastodon.RegisterApp(context.Background(), &mastodon.AppConfig{Server: n.base, ClientName: "Ivory", RedirectURIs: redirect, Scopes: "read"})
		if err != nil {
			t.Fatal(err)
		}
		browser := webSignIn(t, n, "ines")
		verifier, challenge := newVerifier(t)
		// approve walks the consent page of the signed-in browser and
		// returns the code the app would get.
		approve := func() string {
			t.Helper()
			q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"read"},
				"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
			resp, page := oauthSend(t, browser, "GET", n.base+"/oauth/authorize?"+q.Encode(), nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("consent page: %d\n%s", resp.StatusCode, page)
			}
			consent := hiddenInputs(page)
			consent.Set("decision", "approve")
			resp, page = oauthSend(t, browser, "POST", n.base+"/oauth/authorize", consent, nil)
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("code") == "" {
				t.Fatalf("consent: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), page)
			}
			return loc.Query().Get("code")
		}
		// exchange posts code to the token endpoint.
		exchange := func(code string) (int, map[string]any) {
			t.Helper()
			resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", url.Values{
				"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
				"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "code_verifier": {verifier},
			}, nil)
			return resp.StatusCode, oauthJSON(t, resp, body)
		}

		// The authorized apps page.
		first, pending := approve(), approve()
		if code, m := exchange(first); code != http.StatusOK || m["access_token"] == nil {
			t.Fatalf("exchange: %d %v", code, m)
		}
		resp, page := oauthSend(t, browser, "GET", n.base+"/settings/apps", nil, nil)
		m := regexp.MustCompile(`action="/settings/apps/(\d+)/revoke"`).FindStringSubmatch(page)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("apps page: %d\n%s", resp.StatusCode, page)
		}
		form := hiddenInputs(page[strings.Index(page, m[0]):])
		if resp, page = oauthSend(t, browser, "POST", n.base+"/settings/apps/"+m[1]+"/revoke", form, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign the app out: %d\n%s", resp.StatusCode, page)
		}
		if code, body := exchange(pending); code != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("a code approved before the app was signed out: %d %v, want 400 invalid_grant", code, body)
		}

		// POST /oauth/revoke of the app's token.
		first, pending = approve(), approve()
		code, tok := exchange(first)
		if code != http.StatusOK {
			t.Fatalf("exchange: %d %v", code, tok)
		}
		revoke := url.Values{"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "token": {tok["access_token"].(string)}}
		if resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/revoke", revoke, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d %s", resp.StatusCode, body)
		}
		if code, body := exchange(pending); code != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("a code approved before the token was revoked: %d %v, want 400 invalid_grant", code, body)
		}
		// A fresh approval still works.
		if code, body := exchange(approve()); code != http.StatusOK {
			t.Fatalf("a new code: %d %v", code, body)
		}
	})
}
