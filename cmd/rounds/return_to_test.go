package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// hostileReturnTo are return_to values as they appear in a query string
// (percent-encoded, as an attacker writes them in a link), each of which a
// browser would follow to another host, or which a browser would rewrite
// before following. Every one must end on the default page.
var hostileReturnTo = []string{
	"/%09/evil.example/x",                     // TAB: browsers drop it, leaving //evil.example/x
	"/%0A/evil.example/x",                     // LF, dropped the same way
	"/%0D/evil.example/x",                     // CR
	"/%0D%0ALocation:%20http://evil.example/", // a header injection attempt
	"%09//evil.example/x",                     // a leading TAB
	"%20//evil.example/x",                     // leading spaces are stripped by browsers
	"%20%20/home",                             // a harmless path after them is still refused
	"%0B//evil.example/x",                     // a leading C0 control (VT)
	"/x%00//evil.example",                     // NUL
	"//evil.example/x",                        // a scheme-relative URL
	"///evil.example/x",                       // more slashes
	"/%5Cevil.example/x",                      // /\evil: browsers read \ as /
	"%5C/evil.example/x",                      // \/evil
	"%5C%5Cevil.example/x",                    // \\evil
	"/%2F/evil.example/x",                     // //evil once decoded
	"%2F%2Fevil.example/x",                    // //evil once decoded
	"https://evil.example/x",                  // absolute
	"https%3A%2F%2Fevil.example%2Fx",
	"http:evil.example",        // a scheme without slashes
	"javascript:alert(1)",      // a script URL
	"evil.example/x",           // not a path at all
	"/%E3%80%80/evil.example",  // U+3000 IDEOGRAPHIC SPACE
	"/%EF%BC%8F/evil.example",  // U+FF0F FULLWIDTH SOLIDUS
	"/%E2%80%A8//evil.example", // U+2028 LINE SEPARATOR
	"/%7F/evil.example",        // DEL
	"",                         // nothing
}

// TestSignInRefusesEveryReturnToOffTheServer sends each hostile return_to
// through the real sign-in flow: the page must not carry it in its form, a
// sign-in that posts it anyway must send the browser to /home, and so must
// the sign-in page of a browser already signed in. A path of this server
// (with its query) is kept.
func TestSignInRefusesEveryReturnToOffTheServer(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "ines", false)
		signedIn := webSignIn(t, n, "ines")

		check := func(t *testing.T, i int, rawQuery, want string) {
			t.Helper()
			value, err := url.QueryUnescape(rawQuery)
			if err != nil {
				t.Fatal(err)
			}
			c := oauthBrowser(t)
			resp, page := oauthSend(t, c, "GET", n.base+"/auth/sign_in?return_to="+rawQuery, nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("sign-in page: %d %s", resp.StatusCode, page)
			}
			form := hiddenInputs(page)
			if form.Get("return_to") != want {
				t.Errorf("the form carries return_to %q, want %q", form.Get("return_to"), want)
			}
			// A hand-made form posts the value itself.
			form.Set("return_to", value)
			form.Set("username", "ines")
			form.Set("password", "a long password")
			// Each case from its own address, to stay under the sign-in
			// rate limit (the server trusts X-Forwarded-For from loopback).
			resp, page = oauthSend(t, c, "POST", n.base+"/auth/sign_in", form, map[string]string{"X-Forwarded-For": fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
				t.Errorf("sign in: %d, Location %q, want %q (%s)", resp.StatusCode, resp.Header.Get("Location"), want, page)
			}
			resp, page = oauthSend(t, signedIn, "GET", n.base+"/auth/sign_in?return_to="+rawQuery, nil, nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
				t.Errorf("signed in already: %d, Location %q, want %q (%s)", resp.StatusCode, resp.Header.Get("Location"), want, page)
			}
		}
		for i, raw := range hostileReturnTo {
			t.Run(fmt.Sprintf("%q", raw), func(t *testing.T) { check(t, i, raw, "/home") })
		}
		for i, raw := range []string{"/settings/export", "/@ines", "/search%3Fq%3Dasthma", "/tags/%2509x"} {
			want, _ := url.QueryUnescape(raw)
			t.Run("kept "+raw, func(t *testing.T) { check(t, 100+i, raw, want) })
		}
	})
}

// TestBrowserSignInWithTabInReturnToStaysOnTheServer signs in with real
// headless Chromium from a link whose return_to hides a TAB
// (/%09/evil.example/x, which Chromium would read as //evil.example/x) and
// checks that the browser ends on a page of this server.
func TestBrowserSignInWithTabInReturnToStaysOnTheServer(t *testing.T) {
	n := startNode(t, storage.SQLite)
	n.user(t, "ines", false)
	_, b := newBrowser(t)
	b.visit(n.base + "/auth/sign_in?return_to=/%09/evil.example/x")
	b.run("fill in the sign-in form",
		chromedp.SendKeys(chromedp.CSS("#username"), "ines"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long password"),
		chromedp.Click(chromedp.CSS(`form[action="/auth/sign_in"] button[type=submit]`)),
	)
	if !b.waitTrue(`location.pathname !== "/auth/sign_in"`) {
		t.Fatalf("the browser stayed on %s", browserEval[string](b, "location.href"))
	}
	b.endsHome(n)

	// Signed in now, the same link redirects at once, with no form whose
	// form-action CSP could stop it.
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Navigate(n.base+"/auth/sign_in?return_to=/%09/evil.example/x")); err != nil {
		t.Logf("open the link signed in: %v", err)
	}
	b.endsHome(n)
}

// endsHome checks that the browser ends on n's home page.
func (b *browser) endsHome(n *node) {
	b.t.Helper()
	// Let any further redirect happen before reading where it ended.
	time.Sleep(300 * time.Millisecond)
	b.waitTrue(`document.readyState === "complete"`)
	got := browserEval[string](b, "location.href")
	base, _ := url.Parse(n.base)
	if u, err := url.Parse(got); err != nil || u.Host != base.Host || u.Path != "/home" {
		b.t.Fatalf("the browser is on %q, want %s/home", got, n.base)
	}
	if !strings.Contains(b.text(), "Home") {
		b.t.Errorf("the home page did not load: %s", b.text())
	}
}
