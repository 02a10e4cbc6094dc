package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
)

// The browser harness: tests of the web pages drive a real headless
// Chromium (Debian's chromium package; .ci/run installs it when missing)
// through chromedp, over the real HTTP of a node from startNode.
//
//	_, b := newBrowser(t)               // skips without Chromium, except on CI (CI set): fails
//	b.visit(n.base + "/@alice")         // opens a page: 200, body ready, no console errors
//	b.visitStatus(url, 404)             // the same for another status
//	b.screenshot("profile")             // full-page PNG under t.TempDir(), path logged
//	b.signIn(n, "alice")                // the browser gets alice's session cookie (returns it)
//	b.click("details summary")          // click
//	b.clickAndLoad("form button", 200)  // click, wait for the next page, check it
//	b.text(), b.outerHTML("main")       // read the page
//	browserEval[int](b, "js expr")      // evaluate (as DevTools: the CSP does not apply)
//	b.waitTrue("js expr")               // poll up to 10s
//	b.checkContrast()                   // WCAG 2.1 AA contrast of all visible text
//	b.phone(); b.fitsWidth(); b.desktop() // a 375px phone screen
//	b.dialogCount(), b.takeProblems()   // dialogs seen; console problems (taken, not failed)
//
// and with net/http only:
//
//	checkPage(t, url, cookie)                  // 200 and the strict CSP; returns the body
//	checkCSP(t, url, resp.Header)
//	fetchPage(t, url, cookie)                  // GET without following redirects
//	sessionCookie(t, n, "alice")               // a session cookie value for net/http
//	formsRefuseWithoutCSRF(t, url, cookie)     // every POST form of the page: 403 without or with a wrong csrf_token
//
// Every console error, uncaught exception and JavaScript dialog (alert,
// confirm, prompt) fails the test, and a failed test saves a screenshot of
// the page it was on and prints where. ROUNDS_SCREENSHOT_DIR=dir keeps the
// screenshots after the test.

// browser is one headless Chromium tab for one test.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string

	mu       sync.Mutex
	problems []string // console errors, exceptions and dialogs, not yet reported
	dialogs  int
	shots    int
}

// chromiumPath finds Chromium: $CHROMIUM_PATH, then the usual names.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium for t. Without Chromium the test is
// skipped on a developer's machine and fails on CI (CI set), so CI cannot
// skip the browser tests without anyone noticing.
func newBrowser(t *testing.T) (context.Context, *browser) {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is not installed (install Debian's chromium package, or set CHROMIUM_PATH); CI must run the browser tests")
		}
		t.Skip("Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH); skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.WindowSize(1024, 768),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &browser{t: t, ctx: ctx, dir: t.TempDir()}
	// ROUNDS_SCREENSHOT_DIR keeps the screenshots after the test (the
	// temp dir goes), to look at them or keep them as CI artifacts.
	if keep := os.Getenv("ROUNDS_SCREENSHOT_DIR"); keep != "" {
		b.dir = filepath.Join(keep, unsafeName.ReplaceAllString(t.Name(), "_"))
		if err := os.MkdirAll(b.dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Cleanups run last first: report the console, then (on failure)
	// photograph the page, then close the browser.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshotOnFailure()
		}
	})
	t.Cleanup(b.checkConsole)

	// Start the browser and the tab on ctx itself: the browser lives as
	// long as the context of the first call, so it takes no timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.problem(fmt.Sprintf("console %s at %s:%d: %s", m.Type, m.URL, m.Line+1, m.Text))
			}
		}
	}()
	dialogs := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs++
			b.mu.Unlock()
			b.problem(fmt.Sprintf("a JavaScript %s dialog opened on %s: %q", ev.Type, ev.URL, ev.Message))
			// The dialog blocks the page until it is answered.
			_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return ctx, b
}

func (b *browser) problem(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, s)
}

// checkConsole fails the test for every console error, exception or
// dialog seen since the last check.
func (b *browser) checkConsole() {
	b.t.Helper()
	// Console events arrive on their own goroutine; let the last ones in.
	time.Sleep(100 * time.Millisecond)
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range problems {
		b.t.Error(p)
	}
}

// takeProblems returns and forgets the console errors, exceptions and
// dialogs seen so far, for a test that expects some.
func (b *browser) takeProblems() []string {
	time.Sleep(100 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

// dialogCount is how many JavaScript dialogs opened so far.
func (b *browser) dialogCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dialogs
}

// run runs actions in the tab with a timeout, failing the test on error.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// visit loads pageURL, waits for its body and fails the test when the
// answer is not 200 or the page logged errors.
func (b *browser) visit(pageURL string) {
	b.t.Helper()
	b.visitStatus(pageURL, http.StatusOK)
}

// visitStatus is visit for a page expected to answer status.
func (b *browser) visitStatus(pageURL string, status int) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(pageURL))
	if err != nil {
		b.t.Fatalf("open %s: %v", pageURL, err)
	}
	if resp == nil || int(resp.Status) != status {
		got := "no response"
		if resp != nil {
			got = fmt.Sprint(resp.Status)
		}
		b.t.Fatalf("open %s: status %s, want %d", pageURL, got, status)
	}
	b.run("wait for "+pageURL, chromedp.WaitReady(chromedp.CSS("body")))
	b.checkConsole()
}

// click clicks the first element sel (CSS) matches.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// clickAndLoad clicks the first element sel matches (a link or a submit
// button), waits for the page it leads to (after redirects) and checks
// that page's status and console.
func (b *browser) clickAndLoad(sel string, status int) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	if resp == nil || int(resp.Status) != status {
		got := "no response"
		if resp != nil {
			got = fmt.Sprintf("%d from %s", resp.Status, resp.URL)
		}
		b.t.Fatalf("click %s: %s, want %d", sel, got, status)
	}
	b.run("wait for the page after "+sel, chromedp.WaitReady(chromedp.CSS("body")))
	b.checkConsole()
}

// browserEval evaluates a JavaScript expression in the page (the test's own
// script, through DevTools: the page's CSP does not apply to it).
func browserEval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitTrue waits up to 10s for a JavaScript expression to be true, and
// reports whether it became so.
func (b *browser) waitTrue(expr string) bool {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if browserEval[bool](b, expr) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// phone makes the tab a phone's screen (375×740, mobile, touch) until
// desktop is called; pages must fit it without scrolling sideways.
func (b *browser) phone() {
	b.t.Helper()
	b.run("emulate a phone", chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
}

// desktop undoes phone.
func (b *browser) desktop() {
	b.t.Helper()
	b.run("stop emulating a phone", chromedp.EmulateReset())
}

// fitsWidth reports whether the page needs no sideways scrolling.
func (b *browser) fitsWidth() bool {
	b.t.Helper()
	return browserEval[bool](b, `document.documentElement.scrollWidth <= window.innerWidth`)
}

// contrastJS lists the visible text whose colour is below WCAG 2.1 AA
// contrast against the background behind it: 4.5:1, or 3:1 for large text
// (24px, or 18.66px bold).
const contrastJS = `(() => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own || el.getClientRects().length === 0) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.clip === 'rect(0px, 0px, 0px, 0px)') continue;
    const fg = rgb(st.color), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) bad.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' "' + el.textContent.trim().slice(0, 40) + '" ' + ratio.toFixed(2) + ':1');
  }
  return bad;
})()`

// checkContrast fails the test for text on the page below WCAG 2.1 AA
// contrast.
func (b *browser) checkContrast() {
	b.t.Helper()
	for _, bad := range browserEval[[]string](b, contrastJS) {
		b.t.Errorf("low contrast: %s", bad)
	}
}

// outerHTML is the HTML of the first element sel (CSS) matches.
func (b *browser) outerHTML(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// text is the visible text of the whole page.
func (b *browser) text() string {
	b.t.Helper()
	return browserEval[string](b, `document.body.innerText`)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// screenshot saves a full-page PNG of the tab under the test's temp dir,
// logs its path and returns it.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	b.mu.Lock()
	b.shots++
	n := b.shots
	b.mu.Unlock()
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", n, unsafeName.ReplaceAllString(name, "_")))
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	b.t.Logf("screenshot %s: %s", name, path)
	return path
}

// screenshotOnFailure saves the page the test failed on, saying where.
func (b *browser) screenshotOnFailure() {
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	where, _ := chromedp.Run(ctx, chromedp.Location())
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("the test failed; no screenshot could be taken: %v", err)
		return
	}
	path := filepath.Join(b.dir, "failure.png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.t.Logf("the test failed; the screenshot could not be saved: %v", err)
		return
	}
	b.t.Logf("the test failed on %s; screenshot: %s", where, path)
}

// setCookie gives the browser a cookie for base (http://host:port).
func (b *browser) setCookie(base, name, value string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: base + "/", Path: "/"}); err != nil {
		b.t.Fatalf("set cookie %s: %v", name, err)
	}
}

// signIn signs username in on n (password "a long password", as n.user
// makes them) and gives the browser the session; it returns the cookie
// value, for net/http requests of the same person.
func (b *browser) signIn(n *node, username string) string {
	b.t.Helper()
	cookie := sessionCookie(b.t, n, username)
	b.setCookie(n.base, "rounds_session", cookie)
	return cookie
}

// sessionCookie signs username in on n and returns the session cookie's
// value.
func sessionCookie(t *testing.T, n *node, username string) string {
	t.Helper()
	sess, err := n.svc.SignIn(context.Background(), username, "a long password", "browser test")
	if err != nil {
		t.Fatalf("sign %s in: %v", username, err)
	}
	return sess.Cookie
}

// fetchPage fetches pageURL with net/http (and the session cookie, when not
// ""), without following redirects.
func fetchPage(t *testing.T, pageURL, cookie string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, pageURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "rounds_session", Value: cookie})
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", pageURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", pageURL, err)
	}
	return resp, string(body)
}

// checkPage fetches a page and checks what every page must have: a 200 and
// the strict Content-Security-Policy (no script, no framing). It returns
// the body.
func checkPage(t *testing.T, pageURL, cookie string) string {
	t.Helper()
	resp, body := fetchPage(t, pageURL, cookie)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, want 200", pageURL, resp.StatusCode)
	}
	checkCSP(t, pageURL, resp.Header)
	return body
}

// checkCSP checks the page's Content-Security-Policy allows no script and
// no framing.
func checkCSP(t *testing.T, pageURL string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("GET %s: Content-Security-Policy %q lacks %q", pageURL, csp, want)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("GET %s: Content-Security-Policy %q allows script", pageURL, csp)
	}
}

// pageForm is a POST form found in a page.
type pageForm struct {
	Action string
	Fields url.Values
}

// postForms returns the POST forms of an HTML page with their fields'
// values as the page fills them in.
func postForms(t *testing.T, body string) []pageForm {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse page: %v", err)
	}
	var forms []pageForm
	var cur *pageForm
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				if strings.EqualFold(htmlAttr(n, "method"), "post") {
					forms = append(forms, pageForm{Action: htmlAttr(n, "action"), Fields: url.Values{}})
					cur = &forms[len(forms)-1]
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						walk(c)
					}
					cur = nil
					return
				}
			case "input", "textarea", "select", "button":
				if cur != nil && htmlAttr(n, "name") != "" {
					cur.Fields.Add(htmlAttr(n, "name"), htmlAttr(n, "value"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return forms
}

func htmlAttr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// formsRefuseWithoutCSRF loads pageURL as the person with the session
// cookie and posts each of its POST forms without its csrf_token, then
// with a wrong one: each must be refused with 403. It returns how many
// forms it tried.
func formsRefuseWithoutCSRF(t *testing.T, pageURL, cookie string) int {
	t.Helper()
	_, body := fetchPage(t, pageURL, cookie)
	forms := postForms(t, body)
	base, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, f := range forms {
		if f.Fields.Get("csrf_token") == "" {
			t.Errorf("%s: the form to %s carries no csrf_token", pageURL, f.Action)
		}
		action, err := base.Parse(f.Action)
		if err != nil {
			t.Fatalf("%s: form action %q: %v", pageURL, f.Action, err)
		}
		for _, token := range []string{"", "not-the-token"} {
			fields := url.Values{}
			for k, v := range f.Fields {
				fields[k] = v
			}
			fields.Del("csrf_token")
			if token != "" {
				fields.Set("csrf_token", token)
			}
			req, _ := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(fields.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "rounds_session", Value: cookie})
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("POST %s: %v", action, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s (a form of %s) with csrf_token %q: %d, want 403", action, pageURL, token, resp.StatusCode)
			}
		}
	}
	return len(forms)
}

// TestBrowserHarnessSeesConsoleErrorsAndDialogs proves the harness would
// notice what the page tests look for: a page without our CSP whose inline
// script logs an error, throws and opens an alert.
func TestBrowserHarnessSeesConsoleErrorsAndDialogs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>bad</title><p>bad page</p><p style="color:#bbb">faint</p><script>console.error("boom"); alert("hi"); throw new Error("thrown")</script>`)
	}))
	defer srv.Close()
	_, b := newBrowser(t)
	b.run("open the bad page", chromedp.Navigate(srv.URL))
	b.waitTrue(`document.readyState === "complete"`)
	got := strings.Join(b.takeProblems(), "\n")
	for _, want := range []string{"boom", `dialog opened`, `"hi"`, "thrown"} {
		if !strings.Contains(got, want) {
			t.Errorf("the harness missed %q; it saw:\n%s", want, got)
		}
	}
	if low := strings.Join(browserEval[[]string](b, contrastJS), "\n"); !strings.Contains(low, "faint") || strings.Contains(low, "bad page") {
		t.Errorf("the contrast check found:\n%s", low)
	}
	if b.dialogCount() != 1 {
		t.Errorf("%d dialogs seen, want 1", b.dialogCount())
	}
	if p := b.screenshot("bad page"); p == "" {
		t.Error("no screenshot")
	} else if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
		t.Errorf("screenshot %s: %v", p, err)
	}
}
