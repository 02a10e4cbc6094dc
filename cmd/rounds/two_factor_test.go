package main

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"
	"github.com/pquerna/otp/totp"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// totpNow is the code an authenticator app shows for secret at at.
func totpNow(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wrongTOTP is a six-digit code that none of the steps near now has.
func wrongTOTP(t *testing.T, secret string) string {
	t.Helper()
	near := map[string]bool{}
	for d := -3; d <= 3; d++ {
		near[totpNow(t, secret, time.Now().Add(time.Duration(d)*30*time.Second))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555", "666666", "777777"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// twoFactorApp registers an app and returns it with an authorization URL
// using PKCE, and the verifier.
func twoFactorApp(t *testing.T, n *node, redirect string) (*mastodon.Application, string, string) {
	t.Helper()
	app, err := mastodon.RegisterApp(context.Background(), &mastodon.AppConfig{Server: n.base, ClientName: "Ivory", RedirectURIs: redirect, Scopes: "read write"})
	if err != nil {
		t.Fatal(err)
	}
	verifier, challenge := newVerifier(t)
	authURL := n.base + "/oauth/authorize?" + url.Values{
		"client_id": {app.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {"read write"}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}.Encode()
	return app, authURL, verifier
}

// passwordStep opens the sign-in page (forcing it even with a session) and
// posts username and password, returning the answer.
func passwordStep(t *testing.T, n *node, browser *http.Client, authURL, username string) (*http.Response, string) {
	t.Helper()
	resp, page := oauthSend(t, browser, "GET", authURL+"&force_login=true", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="/oauth/sign_in"`) {
		t.Fatalf("sign-in page: %d\n%s", resp.StatusCode, page)
	}
	form := hiddenInputs(page)
	form.Set("username", username)
	form.Set("password", "a long password")
	return oauthSend(t, browser, "POST", n.base+"/oauth/sign_in", form, nil)
}

// codeStep posts code (or, with recovery, a recovery code) on the code page
// whose fields are form.
func codeStep(t *testing.T, n *node, browser *http.Client, form url.Values, field, code string) (*http.Response, string) {
	t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set(field, code)
	return oauthSend(t, browser, "POST", n.base+"/oauth/two_factor", f, nil)
}

// consentAndExchange approves the app on the consent page at path and
// exchanges the code, returning whom the token acts for.
func consentAndExchange(t *testing.T, n *node, browser *http.Client, app *mastodon.Application, path, redirect, verifier string) string {
	t.Helper()
	resp, page := oauthSend(t, browser, "GET", n.base+path, nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Authorize Ivory?") {
		t.Fatalf("consent page: %d\n%s", resp.StatusCode, page)
	}
	consent := hiddenInputs(page)
	consent.Set("decision", "approve")
	resp, _ = oauthSend(t, browser, "POST", n.base+"/oauth/authorize", consent, nil)
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || back.Query().Get("code") == "" {
		t.Fatalf("consent: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	exchange := url.Values{
		"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {redirect},
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}, "code_verifier": {verifier},
	}
	resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", exchange, nil)
	tok := oauthJSON(t, resp, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	c := mastodon.NewClient(&mastodon.Config{Server: n.base, AccessToken: tok["access_token"].(string)})
	me, err := c.GetAccountCurrentUser(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return me.Username
}

func TestTwoFactorSignInThroughAuthorizePagesRefusesWrongAndReplayedCodes(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "deirdre", false)
		u, err := n.svc.UserByUsername(ctx, "deirdre")
		if err != nil {
			t.Fatal(err)
		}
		setup, err := n.svc.BeginTwoFactor(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		secret := setup.Secret
		// Confirmed with the previous step's code, so that the current
		// one is still unused for signing in.
		recovery, err := n.svc.ConfirmTwoFactor(ctx, u, totpNow(t, secret, time.Now().Add(-30*time.Second)))
		if err != nil {
			t.Fatal(err)
		}
		const redirect = "com.tapbots.Ivory.19300:/request_token"
		app, authURL, verifier := twoFactorApp(t, n, redirect)
		browser := oauthBrowser(t)

		// The password leads to the code page, not to a session.
		resp, page := passwordStep(t, n, browser, authURL, "deirdre")
		if resp.StatusCode != http.StatusOK || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("password of a two-factor account: %d\n%s", resp.StatusCode, page)
		}
		for _, want := range []string{`action="/oauth/two_factor"`, `autocomplete="one-time-code"`, `inputmode="numeric"`, `<label for="code">`, `name="recovery_code"`} {
			if !strings.Contains(page, want) {
				t.Errorf("code page lacks %s", want)
			}
		}
		if strings.Contains(page, "a long password") {
			t.Fatal("the code page carries the password")
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("code page CSP %q, Cache-Control %q", csp, resp.Header.Get("Cache-Control"))
		}
		codeForm := hiddenInputs(page)
		if codeForm.Get("pending") == "" || codeForm.Get("csrf_token") == "" || codeForm.Get("client_id") != app.ClientID || codeForm.Get("code_challenge") == "" {
			t.Fatalf("code page fields = %v", codeForm)
		}

		// A wrong code, and a right one without the form token, are refused.
		resp, page = codeStep(t, n, browser, codeForm, "code", wrongTOTP(t, secret))
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, `role="alert"`) || !strings.Contains(page, `action="/oauth/two_factor"`) || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("a wrong code: %d\n%s", resp.StatusCode, page)
		}
		code := totpNow(t, secret, time.Now())
		noToken := url.Values{}
		for k, v := range codeForm {
			noToken[k] = v
		}
		noToken.Del("csrf_token")
		if resp, page = codeStep(t, n, browser, noToken, "code", code); resp.StatusCode != http.StatusForbidden || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("a code without the form token: %d\n%s", resp.StatusCode, page)
		}

		// The right code starts the session; consent and the code exchange
		// go on as after a password alone.
		resp, page = codeStep(t, n, browser, codeForm, "code", code)
		back := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || cookieNamed(resp, "rounds_session") == nil || !strings.HasPrefix(back, "/oauth/authorize?") {
			t.Fatalf("the right code: %d %q\n%s", resp.StatusCode, back, page)
		}
		if who := consentAndExchange(t, n, browser, app, back, redirect, verifier); who != "deirdre" {
			t.Fatalf("signed in as %q", who)
		}

		// The same code in the next sign-in is a replay; a recovery code
		// works instead, once.
		_, page = passwordStep(t, n, browser, authURL, "deirdre")
		codeForm = hiddenInputs(page)
		if resp, page = codeStep(t, n, browser, codeForm, "code", code); resp.StatusCode != http.StatusUnauthorized || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("a replayed code: %d\n%s", resp.StatusCode, page)
		}
		if resp, page = codeStep(t, n, browser, codeForm, "recovery_code", recovery[0]); resp.StatusCode != http.StatusSeeOther || cookieNamed(resp, "rounds_session") == nil {
			t.Fatalf("a recovery code: %d\n%s", resp.StatusCode, page)
		}
		_, page = passwordStep(t, n, browser, authURL, "deirdre")
		codeForm = hiddenInputs(page)
		if resp, page = codeStep(t, n, browser, codeForm, "recovery_code", recovery[0]); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a used recovery code: %d\n%s", resp.StatusCode, page)
		}

		// Five tries per password: the fifth wrong code asks for the
		// password again, and the pending sign-in is over.
		for i := 2; i < social.MaxSecondFactorAttempts; i++ {
			if resp, page = codeStep(t, n, browser, codeForm, "code", wrongTOTP(t, secret)); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, `action="/oauth/two_factor"`) {
				t.Fatalf("wrong code %d: %d\n%s", i, resp.StatusCode, page)
			}
		}
		resp, page = codeStep(t, n, browser, codeForm, "code", wrongTOTP(t, secret))
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "Too many wrong codes") || !strings.Contains(page, `action="/oauth/sign_in"`) {
			t.Fatalf("the fifth wrong code: %d\n%s", resp.StatusCode, page)
		}
		resp, page = codeStep(t, n, browser, codeForm, "recovery_code", recovery[1])
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, `action="/oauth/sign_in"`) || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("a right code after the last try: %d\n%s", resp.StatusCode, page)
		}

		// The password grant cannot ask for a code, and says so.
		form := url.Values{"grant_type": {"password"}, "username": {"deirdre"}, "password": {"a long password"}, "scope": {"read"},
			"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}
		resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", form, nil)
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusBadRequest || m["error"] != "invalid_grant" || !strings.Contains(m["error_description"].(string), "two-factor") {
			t.Fatalf("password grant for a two-factor account: %d %s", resp.StatusCode, body)
		}
	})
}

var (
	secretRE       = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)
	qrRE           = regexp.MustCompile(`<img src="(/oauth/two_factor/qr/[^"]+)"`)
	recoveryCodeRE = regexp.MustCompile(`<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>`)
	continueRE     = regexp.MustCompile(`<a href="(/oauth/authorize\?[^"]+)">`)
)

func TestStaffAreSentThroughTwoFactorSetupWhenTheServerRequiresIt(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: "eilis", Password: "a long password", Role: social.RoleAdmin, Approved: true}); err != nil {
			t.Fatal(err)
		}
		n.user(t, "fiadh", false)
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(s *social.Settings) { s.RequireStaffTwoFactor = true }); err != nil {
			t.Fatal(err)
		}
		const redirect = "com.tapbots.Ivory.19300:/request_token"
		app, authURL, verifier := twoFactorApp(t, n, redirect)
		browser := oauthBrowser(t)

		// Staff without two-factor sign-in get no token from the password
		// grant; people who are not staff are not asked.
		form := url.Values{"grant_type": {"password"}, "username": {"eilis"}, "password": {"a long password"}, "scope": {"read"},
			"client_id": {app.ClientID}, "client_secret": {app.ClientSecret}}
		resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+"/oauth/token", form, nil)
		if m := oauthJSON(t, resp, body); resp.StatusCode != http.StatusBadRequest || m["error"] != "invalid_grant" || !strings.Contains(m["error_description"].(string), "required for staff") {
			t.Fatalf("password grant for staff without two-factor: %d %s", resp.StatusCode, body)
		}
		if resp, page := passwordStep(t, n, oauthBrowser(t), authURL, "fiadh"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("a user who is not staff: %d\n%s", resp.StatusCode, page)
		}

		// The password leads to the setup page: the key as text, its
		// otpauth URI and its QR code.
		resp, page := passwordStep(t, n, browser, authURL, "eilis")
		if resp.StatusCode != http.StatusOK || cookieNamed(resp, "rounds_session") != nil || !strings.Contains(page, `action="/oauth/two_factor/setup"`) {
			t.Fatalf("staff password under the requirement: %d\n%s", resp.StatusCode, page)
		}
		m := secretRE.FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, `href="otpauth://totp/`) || !strings.Contains(page, `autocomplete="one-time-code"`) {
			t.Fatalf("setup page:\n%s", page)
		}
		secret := strings.ReplaceAll(m[1], " ", "")
		qr := qrRE.FindStringSubmatch(page)
		if qr == nil {
			t.Fatalf("setup page has no QR code:\n%s", page)
		}
		resp, img := oauthSend(t, browser, "GET", n.base+html.UnescapeString(qr[1]), nil, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(img, "\x89PNG") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("QR code: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		setupForm := hiddenInputs(page)
		post := func(code string) (*http.Response, string) {
			f := url.Values{}
			for k, v := range setupForm {
				f[k] = v
			}
			f.Set("code", code)
			return oauthSend(t, browser, "POST", n.base+"/oauth/two_factor/setup", f, nil)
		}

		// A wrong code shows the same key again.
		resp, page = post(wrongTOTP(t, secret))
		if m := secretRE.FindStringSubmatch(page); resp.StatusCode != http.StatusUnauthorized || m == nil || strings.ReplaceAll(m[1], " ", "") != secret || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("setup with a wrong code: %d\n%s", resp.StatusCode, page)
		}

		// The right code turns it on, starts the session and shows the
		// recovery codes once; then consent goes on as usual.
		resp, page = post(totpNow(t, secret, time.Now()))
		codes := recoveryCodeRE.FindAllStringSubmatch(page, -1)
		if resp.StatusCode != http.StatusOK || len(codes) != social.RecoveryCodeCount || cookieNamed(resp, "rounds_session") == nil {
			t.Fatalf("setup with the right code: %d\n%s", resp.StatusCode, page)
		}
		cont := continueRE.FindStringSubmatch(page)
		if cont == nil {
			t.Fatalf("recovery page has no way on:\n%s", page)
		}
		if who := consentAndExchange(t, n, browser, app, html.UnescapeString(cont[1]), redirect, verifier); who != "eilis" {
			t.Fatalf("signed in as %q", who)
		}
		if resp, _ = oauthSend(t, browser, "GET", n.base+html.UnescapeString(qr[1]), nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the QR code after setup: %d", resp.StatusCode)
		}

		// From now on the code page, where a recovery code works.
		resp, page = passwordStep(t, n, browser, authURL, "eilis")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="/oauth/two_factor"`) {
			t.Fatalf("staff sign-in after setup: %d\n%s", resp.StatusCode, page)
		}
		if resp, page = codeStep(t, n, browser, hiddenInputs(page), "recovery_code", codes[3][1]); resp.StatusCode != http.StatusSeeOther || cookieNamed(resp, "rounds_session") == nil {
			t.Fatalf("a recovery code from setup: %d\n%s", resp.StatusCode, page)
		}
	})
}
