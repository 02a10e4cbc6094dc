package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

func postAs(t *testing.T, n *node, a *storage.Account, in social.NewStatus) *storage.Status {
	t.Helper()
	if in.Visibility == "" {
		in.Visibility = social.VisibilityPublic
	}
	st, err := n.svc.PostStatus(context.Background(), a, in)
	if err != nil {
		t.Fatalf("post %q: %v", in.Text, err)
	}
	return st
}

// TestPublicPagesShowProfilesPostsThreadsTagsAndFeedInBrowser visits every
// public page in Chromium: each answers 200 with the CSP header and logs no
// console error, and shows what the issue lists (verified badge, pinned
// posts, content warning collapsed, alt text, thread, OpenGraph tags).
func TestPublicPagesShowProfilesPostsThreadsTagsAndFeedInBrowser(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	alice := n.user(t, "alice", false)
	bob := n.user(t, "bob", false)
	if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: "moira", Password: "a long password", Role: social.RoleModerator, Approved: true}); err != nil {
		t.Fatal(err)
	}
	name, note := "Dr Alice Byrne", "Consultant in emergency medicine. Views my own."
	fields := []social.ProfileField{{Name: "Hospital", Value: "St Elsewhere"}}
	if _, err := n.svc.UpdateProfile(ctx, alice, social.ProfileUpdate{DisplayName: &name, Note: &note, Fields: &fields}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.VerifyClinician(ctx, social.CommandLine, alice.ID, social.ClinicianDetails{
		Profession: "doctor", Regulator: "Medical Council of Ireland", RegistrationNumber: "123456",
	}, ""); err != nil {
		t.Fatal(err)
	}
	first := postAs(t, n, alice, social.NewStatus{Text: "Five things I wish I had known about handover #x"})
	const alt = "A chest X-ray with a small pneumothorax at the right apex"
	m, err := n.svc.UploadMedia(ctx, alice, bytes.NewReader(testPNG(t, 64, 48)), alt)
	if err != nil {
		t.Fatal(err)
	}
	cw := postAs(t, n, alice, social.NewStatus{Text: "Spot the diagnosis: answers tomorrow.", SpoilerText: "Clinical image", MediaIDs: []int64{m.ID}})
	reply := postAs(t, n, bob, social.NewStatus{Text: "@alice Right apical pneumothorax?", InReplyToID: cw.ID})
	if err := n.svc.Pin(ctx, alice, first); err != nil {
		t.Fatal(err)
	}
	postPath := func(st *storage.Status, who string) string { return "/@" + who + "/" + strconv.FormatInt(st.ID, 10) }

	_, b := newBrowser(t)

	// The start page: about the server, rules, staff, sign-in.
	checkPage(t, n.base+"/", "")
	b.visit(n.base + "/")
	text := b.text()
	for _, want := range []string{"Rounds at " + n.domain, "Rules", "patient", "Who runs this server", "moira", "Follow these clinicians from elsewhere", "Sign in"} {
		if !strings.Contains(text, want) {
			t.Errorf("start page lacks %q:\n%s", want, text)
		}
	}
	b.checkContrast()
	b.run("press Tab", chromedp.KeyEvent("\t"))
	if got := browserEval[string](b, `document.activeElement.className`); got != "skip" {
		t.Errorf("the first Tab reaches %q, want the skip link", got)
	}
	b.screenshot("home")

	// A profile with the verified badge, fields, pinned and recent posts
	// and the remote-follow box.
	body := checkPage(t, n.base+"/@alice", "")
	if !strings.Contains(body, `property="og:title"`) || !strings.Contains(body, `type="application/rss+xml"`) {
		t.Errorf("profile lacks OpenGraph or feed link:\n%s", body)
	}
	b.visit(n.base + "/@alice")
	text = b.text()
	for _, want := range []string{name, "@alice@" + n.domain, "Verified doctor", "Medical Council of Ireland 123456", "Hospital", "St Elsewhere", "Pinned", "Five things", "Clinical image", "Follow from your own server", "Your address (name@server)"} {
		if !strings.Contains(text, want) {
			t.Errorf("profile lacks %q:\n%s", want, text)
		}
	}
	if got := browserEval[int](b, `document.querySelectorAll('img.avatar').length`); got != 1 {
		t.Errorf("profile shows %d avatars", got)
	}
	// Every input is labelled.
	if got := browserEval[int](b, `Array.from(document.querySelectorAll('input:not([type=hidden])')).filter(i => !i.labels || i.labels.length === 0).length`); got != 0 {
		t.Errorf("%d inputs on the profile have no label", got)
	}
	b.checkContrast()
	b.screenshot("profile")

	// The remote-follow box sends people to their own server.
	resp, _ := fetchPage(t, n.base+"/@alice/remote_follow?"+url.Values{"acct": {"@sam@mastodon.example"}}.Encode(), "")
	wantLoc := "https://mastodon.example/authorize_interaction?" + url.Values{"uri": {alice.URI}}.Encode()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != wantLoc {
		t.Errorf("remote follow: %d %q, want 303 to %q", resp.StatusCode, resp.Header.Get("Location"), wantLoc)
	}
	resp, body = fetchPage(t, n.base+"/@alice/remote_follow?acct=nonsense", "")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "name@your.server") {
		t.Errorf("remote follow with a bad address: %d\n%s", resp.StatusCode, body)
	}

	// authorize_interaction opens what other servers send their people to.
	for uri, want := range map[string]string{
		alice.URI: "/@alice", "alice@" + n.domain: "/@alice", cw.URI: postPath(cw, "alice"),
	} {
		resp, _ := fetchPage(t, n.base+"/authorize_interaction?"+url.Values{"uri": {uri}}.Encode(), "")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("authorize_interaction?uri=%s: %d %q, want %q", uri, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	if resp, _ := fetchPage(t, n.base+"/authorize_interaction?uri=https://elsewhere.example/users/nobody", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("authorize_interaction of an unknown account: %d", resp.StatusCode)
	}

	// A post with a content warning, an image with alt text, a reply and
	// OpenGraph tags.
	body = checkPage(t, n.base+postPath(cw, "alice"), "")
	for _, want := range []string{`<meta property="og:title" content="Dr Alice Byrne (@alice@`, `<meta property="og:description" content="Content warning: Clinical image">`, `<meta property="og:type" content="article">`} {
		if !strings.Contains(body, want) {
			t.Errorf("post page lacks %s", want)
		}
	}
	b.visit(n.base + postPath(cw, "alice"))
	if open := browserEval[bool](b, `document.querySelector('.focus details.cw').open`); open {
		t.Error("the content warning is open when the page loads")
	}
	if got := browserEval[string](b, `document.querySelector('.focus details.cw summary').innerText`); !strings.Contains(got, "Clinical image") {
		t.Errorf("content warning summary: %q", got)
	}
	if got := browserEval[string](b, `document.querySelector('.focus .media img').alt`); got != alt {
		t.Errorf("image alt %q, want %q", got, alt)
	}
	if !strings.Contains(b.text(), "Right apical pneumothorax?") {
		t.Error("the post page does not show its reply")
	}
	b.screenshot("post-collapsed")
	b.click(".focus details.cw summary")
	if !browserEval[bool](b, `document.querySelector('.focus details.cw').open`) {
		t.Error("the content warning did not open")
	}
	if !b.waitTrue(`(() => { const i = document.querySelector('.focus .media img'); return i.complete && i.naturalWidth === 64 })()`) {
		t.Error("the image did not load")
	}
	b.checkContrast()
	b.screenshot("post-open")

	// The reply's page shows the thread above it.
	checkPage(t, n.base+postPath(reply, "bob"), "")
	b.visit(n.base + postPath(reply, "bob"))
	if got := browserEval[string](b, `document.querySelector('.ancestors').innerText`); !strings.Contains(got, "Clinical image") {
		t.Errorf("the reply's page lacks its ancestor: %q", got)
	}
	b.screenshot("thread")

	// The hashtag page and the local timeline.
	checkPage(t, n.base+"/tags/x", "")
	b.visit(n.base + "/tags/x")
	if text := b.text(); !strings.Contains(text, "#x") || !strings.Contains(text, "Five things") || strings.Contains(text, "Spot the diagnosis") {
		t.Errorf("tag page:\n%s", text)
	}
	b.screenshot("tag")
	checkPage(t, n.base+"/public/local", "")
	b.visit(n.base + "/public/local")
	if text := b.text(); !strings.Contains(text, "Five things") || !strings.Contains(text, "Right apical pneumothorax?") {
		t.Errorf("local timeline:\n%s", text)
	}
	b.screenshot("public-local")

	// Unknown pages and hidden posts are 404s.
	for _, p := range []string{"/@nobody", "/@alice/1", "/@bob/" + strconv.FormatInt(cw.ID, 10), "/@nobody.rss"} {
		if resp, _ := fetchPage(t, n.base+p, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}

	// ActivityPub clients following a page link get the object.
	for p, want := range map[string]string{"/@alice": alice.URI, postPath(cw, "alice"): cw.URI} {
		req, _ := http.NewRequest(http.MethodGet, n.base+p, nil)
		req.Header.Set("Accept", "application/activity+json")
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s as ActivityPub: %d %q, want %q", p, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}

	// The RSS feed parses, newest first, with the content warning and image.
	resp, body = fetchPage(t, n.base+"/@alice.rss", "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/rss+xml") {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkCSP(t, "/@alice.rss", resp.Header)
	var feed struct {
		Channel struct {
			Title string `xml:"title"`
			Link  string `xml:"link"`
			Items []struct {
				Link        string `xml:"link"`
				GUID        string `xml:"guid"`
				PubDate     string `xml:"pubDate"`
				Description string `xml:"description"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatalf("feed is not XML: %v\n%s", err, body)
	}
	if !strings.Contains(feed.Channel.Title, name) || feed.Channel.Link != n.base+"/@alice" || len(feed.Channel.Items) != 2 {
		t.Fatalf("feed: %+v", feed.Channel)
	}
	if it := feed.Channel.Items[0]; it.Link != n.base+postPath(cw, "alice") || !strings.Contains(it.Description, "Content warning: Clinical image") || !strings.Contains(it.Description, `alt="`+alt+`"`) {
		t.Errorf("newest feed item: %+v", it)
	}
	if _, err := time.Parse(time.RFC1123Z, feed.Channel.Items[1].PubDate); err != nil {
		t.Errorf("feed pubDate: %v", err)
	}

	// On a phone, the pages fit the screen.
	b.phone()
	for _, p := range []string{"/", "/@alice", postPath(cw, "alice"), "/public/local"} {
		b.visit(n.base + p)
		if !b.fitsWidth() {
			t.Errorf("%s is wider than a phone's screen", p)
		}
		b.screenshot("phone " + p)
	}
	b.desktop()

	// Signed in, the navigation shows the clinician's pages and the
	// profile a Follow button whose form needs its CSRF token.
	cookie := b.signIn(n, "bob")
	checkPage(t, n.base+"/@alice", cookie)
	if tried := formsRefuseWithoutCSRF(t, n.base+"/@alice", cookie); tried < 2 {
		t.Errorf("the signed-in profile has %d POST forms, want the follow and sign-out forms", tried)
	}
	b.visit(n.base + "/@alice")
	nav := browserEval[string](b, `document.querySelector('nav.site-nav').innerText`)
	for _, want := range []string{"Home", "Notifications", "Write a post", "Settings", "Sign out"} {
		if !strings.Contains(nav, want) {
			t.Errorf("signed-in navigation lacks %q: %q", want, nav)
		}
	}
	if strings.Contains(nav, "Admin") || strings.Contains(nav, "Sign in") {
		t.Errorf("bob's navigation: %q", nav)
	}
	b.clickAndLoad("form.follow button", http.StatusOK)
	eventually(t, "bob following alice", func() bool { return n.svc.IsFollowing(ctx, bob, alice) })
	if text := b.text(); !strings.Contains(text, "Unfollow") {
		t.Errorf("after following, the profile shows:\n%s", text)
	}
	b.checkContrast()
	b.screenshot("profile-signed-in")
}

// TestPostsCannotRunScriptXSSInBrowser posts script, javascript: links and
// event attributes, locally and from a remote server, and checks in
// Chromium that no dialog opens and the pages carry none of it.
func TestPostsCannotRunScriptXSSInBrowser(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	doc := n.user(t, "doc", false)
	const payload = `<script>alert(1)</script> <a href="javascript:alert(2)">x</a> <img src=x onerror=alert(3)>`
	local := postAs(t, n, doc, social.NewStatus{Text: payload + " #x", SpoilerText: `<script>alert(9)</script>`})

	// A remote server's post: raw HTML, sent as a signed Create.
	rem := newFakeRemote(t, fakeRemoteOptions{AutoAccept: true}, "mallory")
	mallory := rem.actorURI("mallory")
	follow, err := federation.MarshalActivity(federation.ActivityDoc{
		ID: rem.nextID("mallory", "follows"), Type: "Follow", Actor: mallory, To: []string{doc.URI}, ObjectID: doc.URI,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp := rem.post(t, doc.InboxURL, "mallory", follow, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", resp.StatusCode, readAll(resp))
	}
	var malloryHere *storage.Account
	eventually(t, "mallory being known", func() bool {
		malloryHere, err = n.svc.AccountByURI(ctx, mallory)
		return err == nil
	})
	if _, err := n.svc.Follow(ctx, doc, malloryHere); err != nil {
		t.Fatal(err)
	}
	eventually(t, "mallory accepting doc's follow", func() bool { return n.svc.IsFollowing(ctx, doc, malloryHere) })
	remoteHTML := `<p>` + payload + ` <a href="JaVaScRiPt:alert(4)" onclick="alert(5)">y</a>` +
		`<svg onload="alert(6)"></svg><iframe src="javascript:alert(7)"></iframe>` +
		`<form action="javascript:alert(8)"><button>go</button></form>` +
		`<style>body{display:none}</style><object data="javascript:alert(10)"></object>` +
		`<a href="https://example.org/" style="position:fixed;top:0;left:0;width:100%;height:100%">cover</a></p>`
	noteID := rem.nextID("mallory", "notes")
	create, err := federation.MarshalActivity(federation.ActivityDoc{
		ID: rem.nextID("mallory", "creates"), Type: "Create", Actor: mallory, Published: time.Now().UTC(),
		To: []string{federation.PublicCollection}, Cc: []string{mallory + "/followers"}, ObjectID: noteID,
		Note: &federation.NoteDoc{
			ID: noteID, Type: "Note", URL: noteID, AttributedTo: mallory, Content: remoteHTML,
			Summary: `<img src=x onerror=alert(11)>`, InReplyTo: local.URI,
			To: []string{federation.PublicCollection}, Cc: []string{mallory + "/followers"}, Published: time.Now().UTC(),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp := rem.post(t, n.base+"/inbox", "mallory", create, nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Create: %d %s", resp.StatusCode, readAll(resp))
	}
	eventually(t, "the remote post being stored", func() bool {
		_, err := n.svc.StatusByURI(ctx, noteID)
		return err == nil
	})

	_, b := newBrowser(t)
	pages := []string{
		"/@doc/" + strconv.FormatInt(local.ID, 10), // the local post with the remote reply below it
		"/@mallory@" + malloryHere.Domain,          // the remote account's page
		"/@doc", "/public/local", "/tags/x",
	}
	for _, p := range pages {
		checkPage(t, n.base+p, "")
		b.visit(n.base + p)
		// Open every content warning, so that what is inside is live.
		browserEval[int](b, `document.querySelectorAll('details').forEach(d => d.open = true) || 0`)
		time.Sleep(200 * time.Millisecond)
		if c := b.dialogCount(); c != 0 {
			t.Errorf("%s: %d JavaScript dialogs opened", p, c)
		}
		checks := map[string]string{
			"script elements":       `document.querySelectorAll('script').length`,
			"on* attributes":        `Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes).some(a => a.name.toLowerCase().startsWith('on'))).length`,
			"javascript: URLs":      `Array.from(document.querySelectorAll('[href],[src],[action],[data],[formaction]')).filter(e => ['href','src','action','data','formaction'].some(k => (e.getAttribute(k) || '').replace(/[\s\x00-\x1f]/g, '').toLowerCase().startsWith('javascript:'))).length`,
			"embedded documents":    `document.querySelectorAll('main iframe, main object, main embed, main svg, main style, main form:not(.remote-follow):not(.follow):not(.undo)').length`,
			"style attributes":      `document.querySelectorAll('main .content [style]').length`,
			"images from post HTML": `document.querySelectorAll('main .content img').length`,
		}
		for what, expr := range checks {
			if got := browserEval[int](b, expr); got != 0 {
				t.Errorf("%s: %d %s in the page", p, got, what)
			}
		}
		b.screenshot(p)
	}
	// The local post shows what doc typed, as text.
	b.visit(n.base + pages[0])
	browserEval[int](b, `document.querySelectorAll('details').forEach(d => d.open = true) || 0`)
	text := b.text()
	for _, want := range []string{"<script>alert(1)</script>", `<a href="javascript:alert(2)">x</a>`, "<script>alert(9)</script>", "<img src=x onerror=alert(11)>"} {
		if !strings.Contains(text, want) {
			t.Errorf("the thread does not show %q as text:\n%s", want, text)
		}
	}
	if got := browserEval[int](b, `document.querySelectorAll('main .content a[href="https://example.org/"]').length`); got != 1 {
		t.Errorf("the remote post's plain link is gone (%d): the sanitiser should keep safe links", got)
	}
}

// TestPublicPagesPageBackThroughOlderPosts checks the "Older posts" links of
// a profile, a hashtag and the local timeline reach every post once.
func TestPublicPagesPageBackThroughOlderPosts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		carol := n.user(t, "carol", false)
		const total = 25
		for i := 0; i < total; i++ {
			postAs(t, n, carol, social.NewStatus{Text: "Ward round note " + strconv.Itoa(i) + " #rounds"})
		}
		linkRE := regexp.MustCompile(`<a href="([^"]+)" rel="next">Older posts</a>`)
		noteRE := regexp.MustCompile(`Ward round note (\d+)`)
		for _, start := range []string{"/@carol", "/tags/rounds", "/public/local"} {
			seen := map[string]bool{}
			pages := 0
			for next := start; next != ""; pages++ {
				body := checkPage(t, n.base+html.UnescapeString(next), "")
				for _, m := range noteRE.FindAllStringSubmatch(body, -1) {
					if seen[m[1]] {
						t.Errorf("%s: note %s shown twice", start, m[1])
					}
					seen[m[1]] = true
				}
				next = ""
				if m := linkRE.FindStringSubmatch(body); m != nil {
					next = m[1]
				}
				if pages > 5 {
					t.Fatalf("%s: the older links do not end", start)
				}
			}
			if len(seen) != total || pages != 2 {
				t.Errorf("%s: %d notes on %d pages, want %d on 2", start, len(seen), pages, total)
			}
		}
	})
}

// TestPublicPagesAuthorizeInteractionFindsRemoteAccountsForTheSignedIn
// checks that a signed-in clinician arriving with someone's address from
// another server reaches that account's page here, with a Follow button
// that follows over federation, and that strangers cannot make the server
// look addresses up.
func TestPublicPagesAuthorizeInteractionFindsRemoteAccountsForTheSignedIn(t *testing.T) {
	ctx := context.Background()
	a, b := startNode(t, storage.SQLite), startNode(t, storage.SQLite)
	a.user(t, "alice", false)
	bob := b.user(t, "bob", false)
	target := "/authorize_interaction?" + url.Values{"uri": {"bob@" + b.domain}}.Encode()
	if resp, _ := fetchPage(t, a.base+target, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a stranger's lookup: %d, want 404", resp.StatusCode)
	}
	cookie := sessionCookie(t, a, "alice")
	resp, _ := fetchPage(t, a.base+target, cookie)
	want := "/@bob@" + b.domain
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("signed-in lookup: %d %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	body := checkPage(t, a.base+want, cookie)
	if !strings.Contains(body, "This account lives on another server") || !strings.Contains(body, `href="`+bob.URL+`"`) {
		t.Errorf("the remote profile does not link home:\n%s", body)
	}
	var form url.Values
	for _, f := range postForms(t, body) {
		if strings.HasSuffix(f.Action, "/follow") {
			form = f.Fields
		}
	}
	if form.Get("csrf_token") == "" {
		t.Fatalf("no follow form with a CSRF token:\n%s", body)
	}
	req, _ := http.NewRequest(http.MethodPost, a.base+want+"/follow", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "rounds_session", Value: cookie})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("follow: %d", resp.StatusCode)
	}
	eventually(t, "bob gaining alice as a follower on B", func() bool {
		c, _ := b.svc.Counts(ctx, bob)
		return c.Followers == 1
	})
}
