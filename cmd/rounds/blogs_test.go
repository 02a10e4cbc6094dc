package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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

// getBody GETs pageURL with headers and returns the status and body.
func getBody(t *testing.T, pageURL string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, pageURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// parsedFeed is the part of an Atom feed the tests read.
type parsedFeed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string   `xml:"title"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Summary string `xml:"summary"`
		Content string `xml:"content"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
	} `xml:"entry"`
}

func readFeed(t *testing.T, n *node, username string) parsedFeed {
	t.Helper()
	resp, err := http.Get(n.base + "/@" + username + "/blog.atom")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var f parsedFeed
	if err := xml.NewDecoder(resp.Body).Decode(&f); err != nil {
		t.Fatalf("the feed does not parse: %v", err)
	}
	return f
}

// publicSurfaces returns, joined, everything anyone may read of username's
// posts without signing in: the blog index and feed, the profile, the API's
// statuses of the account and public timeline, and the ActivityPub outbox.
func publicSurfaces(t *testing.T, n *node, a *storage.Account) string {
	t.Helper()
	var all []string
	for _, p := range []string{
		"/@" + a.Username + "/blog", "/@" + a.Username + "/blog.atom", "/@" + a.Username,
		fmt.Sprintf("/api/v1/accounts/%d/statuses", a.ID), "/api/v1/timelines/public?local=true",
	} {
		code, body := getBody(t, n.base+p, nil)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", p, code)
		}
		all = append(all, body)
	}
	_, body := getBody(t, n.base+"/users/"+a.Username+"/outbox?page=true", map[string]string{"Accept": "application/activity+json"})
	return strings.Join(append(all, body), "\n")
}

func TestBlogDraftWithImageIsPublishedFromTheBrowserAndDraftsStayPrivate(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		doc := n.user(t, "dr_aoife", false)
		_, b := newBrowser(t)
		b.signIn(n, "dr_aoife")

		img := filepath.Join(t.TempDir(), "ward.png")
		if err := os.WriteFile(img, testPNG(t, 40, 30), 0o600); err != nil {
			t.Fatal(err)
		}
		b.visit(n.base + "/blog/new")
		b.run("write the draft",
			chromedp.SendKeys(chromedp.CSS("#title"), "What a night shift teaches"),
			chromedp.SendKeys(chromedp.CSS("#summary"), "Five things I learned on nights in the emergency department."),
			chromedp.SetValue(chromedp.CSS("#body"), "## Sleep\n\nSleep is **not** optional.\n\n- eat\n- drink water\n\nSee [the guidance](https://example.org/nights)."),
			chromedp.SendKeys(chromedp.CSS("#tags"), "nights #ED"),
			chromedp.SetUploadFiles(chromedp.CSS("#image_1"), []string{img}),
			chromedp.SendKeys(chromedp.CSS("#alt_1"), "An empty ward corridor at 4am"),
		)
		b.clickAndLoad("#save-draft", http.StatusOK)
		if !strings.Contains(b.text(), "Draft saved") {
			t.Fatalf("after saving the draft the page says:\n%s", b.text())
		}
		b.checkContrast()
		b.screenshot("draft saved")
		drafts, err := n.svc.BlogDrafts(ctx, doc)
		if err != nil || len(drafts) != 1 || drafts[0].Title != "What a night shift teaches" || len(social.DraftMediaIDs(drafts[0])) != 1 {
			t.Fatalf("drafts: %+v %v", drafts, err)
		}
		// The draft is the author's only: nowhere public, and its edit page
		// is nobody else's.
		if pub := publicSurfaces(t, n, doc); strings.Contains(pub, "night shift") {
			t.Fatalf("a draft shows in public:\n%s", pub)
		}
		other := n.user(t, "dr_brian", false)
		_ = other
		if resp, _ := fetchPage(t, fmt.Sprintf("%s/blog/%d/edit", n.base, drafts[0].ID), sessionCookie(t, n, "dr_brian")); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("another clinician opening the draft: %d", resp.StatusCode)
		}

		// Publish it from the form the draft reopened in.
		if got := browserEval[string](b, `document.querySelector("#title").value`); got != "What a night shift teaches" {
			t.Fatalf("the draft's form shows title %q", got)
		}
		b.clickAndLoad("#publish", http.StatusOK)
		if !strings.HasSuffix(browserEval[string](b, `location.pathname`), "/@dr_aoife/blog/what-a-night-shift-teaches") {
			t.Fatalf("after publishing the browser is at %s", browserEval[string](b, `location.href`))
		}
		page := b.outerHTML("main")
		for _, want := range []string{
			"<h1>What a night shift teaches</h1>", "<strong>Sleep</strong>", "<strong>not</strong>", "<li>eat</li>",
			`href="https://example.org/nights"`, "1 min read", `alt="An empty ward corridor at 4am"`, "#nights", "#ed",
		} {
			if !strings.Contains(page, want) {
				t.Fatalf("the post's page lacks %q:\n%s", want, page)
			}
		}
		if !b.waitTrue(`[...document.querySelectorAll("main img")].some(i => i.alt === "An empty ward corridor at 4am" && i.complete && i.naturalWidth === 40)`) {
			t.Fatal("the post's image did not load")
		}
		b.screenshot("blog post")
		b.checkContrast()
		b.phone()
		if !b.fitsWidth() {
			t.Error("the blog post's page scrolls sideways on a phone")
		}
		b.screenshot("blog post on a phone")
		b.desktop()

		// Readable without JavaScript or a session, with Open Graph.
		code, html := getBody(t, n.base+"/@dr_aoife/blog/what-a-night-shift-teaches", nil)
		for _, want := range []string{
			`<meta property="og:title" content="What a night shift teaches">`,
			`<meta property="og:type" content="article">`,
			`<meta property="og:description" content="Five things I learned on nights in the emergency department.">`,
			"Sleep is <strong>not</strong> optional.",
		} {
			if code != http.StatusOK || !strings.Contains(html, want) {
				t.Fatalf("the public page (%d) lacks %q:\n%s", code, want, html)
			}
		}
		// The index links its feed; the profile shows the post.
		_, index := getBody(t, n.base+"/@dr_aoife/blog", nil)
		if !strings.Contains(index, `<link rel="alternate" type="application/atom+xml"`) || !strings.Contains(index, "What a night shift teaches") {
			t.Fatalf("the blog index:\n%s", index)
		}
		_, profile := getBody(t, n.base+"/@dr_aoife", nil)
		if !strings.Contains(profile, "Latest blog posts") || !strings.Contains(profile, `/@dr_aoife/blog/what-a-night-shift-teaches`) {
			t.Fatalf("the profile does not show the post:\n%s", profile)
		}
		feed := readFeed(t, n, "dr_aoife")
		if len(feed.Entries) != 1 || feed.Entries[0].Title != "What a night shift teaches" ||
			!strings.Contains(feed.Entries[0].Content, "<strong>not</strong>") || !strings.HasSuffix(feed.Entries[0].Link.Href, "/blog/what-a-night-shift-teaches") {
			t.Fatalf("feed: %+v", feed)
		}

		// A second draft stays out of everything, the published post is in.
		if _, err := n.svc.SaveBlogDraft(ctx, doc, 0, social.BlogInput{Title: "Unfinished thoughts on rotas", Body: "draft"}); err != nil {
			t.Fatal(err)
		}
		pub := publicSurfaces(t, n, doc)
		if strings.Contains(pub, "Unfinished thoughts") {
			t.Fatalf("a draft shows in public:\n%s", pub)
		}
		if !strings.Contains(pub, "What a night shift teaches") {
			t.Fatalf("the published post is missing from the public surfaces")
		}
		if f := readFeed(t, n, "dr_aoife"); len(f.Entries) != 1 {
			t.Fatalf("the feed has %d entries", len(f.Entries))
		}

		// Edit it from its page: the address stays, the text changes.
		postURL := n.base + "/@dr_aoife/blog/what-a-night-shift-teaches"
		b.visit(postURL)
		b.clickAndLoad(`a[href$="/edit"]`, http.StatusOK)
		b.run("change the title",
			chromedp.SetValue(chromedp.CSS("#title"), "What night shifts teach"),
		)
		b.clickAndLoad("#save", http.StatusOK)
		if got := browserEval[string](b, `location.href`); got != postURL || !strings.Contains(b.outerHTML("h1"), "What night shifts teach") {
			t.Fatalf("after the edit: %s\n%s", got, b.text())
		}
		if !strings.Contains(b.text(), "edited") {
			t.Fatalf("the edited post does not say so:\n%s", b.text())
		}
		// Delete it from its page: gone from everywhere.
		b.clickAndLoad(`form[action$="/delete"] button`, http.StatusOK)
		if !strings.Contains(b.text(), "The post is deleted.") {
			t.Fatalf("after deleting:\n%s", b.text())
		}
		if code, _ := getBody(t, postURL, nil); code != http.StatusNotFound {
			t.Fatalf("the deleted post's page answers %d", code)
		}
		if f := readFeed(t, n, "dr_aoife"); len(f.Entries) != 0 {
			t.Fatalf("the feed still has %+v", f.Entries)
		}
	})
}

func TestBlogPostFederatesAsArticleWithEditAndDelete(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		bob := b.user(t, "bob", false)
		followAcross(t, b, bob, a, "alice")

		// A draft goes nowhere.
		draft, err := a.svc.SaveBlogDraft(ctx, alice, 0, social.BlogInput{
			Title: "Handover that works", Summary: "How our ward fixed handover.", Body: "First, **write it down**.\n\nThen read it *aloud*.", Tags: "handover",
		})
		if err != nil {
			t.Fatal(err)
		}
		p, st, err := a.svc.PublishBlogPost(ctx, alice, draft.ID, social.BlogInput{
			Title: "Handover that works", Summary: "How our ward fixed handover.", Body: "First, **write it down**.\n\nThen read it *aloud*.", Tags: "handover",
		})
		if err != nil {
			t.Fatal(err)
		}
		pageURL := a.base + "/@alice/blog/" + p.Slug
		if st.URL != pageURL {
			t.Fatalf("status url %s, want %s", st.URL, pageURL)
		}
		// The status's own page leads to the blog page.
		if code, _ := getBody(t, fmt.Sprintf("%s/@alice/%d", a.base, st.ID), nil); code != http.StatusFound {
			t.Fatalf("/@alice/%d answers %d, want a redirect to the blog page", st.ID, code)
		}

		// A serves it as an Article.
		code, body := getBody(t, st.URI, map[string]string{"Accept": "application/activity+json"})
		var doc map[string]any
		if err := json.Unmarshal([]byte(body), &doc); code != http.StatusOK || err != nil {
			t.Fatalf("GET %s: %d %v %s", st.URI, code, err, body)
		}
		if doc["type"] != "Article" || doc["name"] != "Handover that works" || doc["summary"] != "How our ward fixed handover." ||
			doc["url"] != pageURL || !strings.Contains(fmt.Sprint(doc["content"]), "<strong>write it down</strong>") ||
			!strings.Contains(fmt.Sprint(doc["to"]), federation.PublicCollection) || !strings.Contains(fmt.Sprint(doc["tag"]), "#handover") {
			t.Fatalf("the Article: %s", body)
		}

		// B receives it: the API shows title (a link) and summary; B's
		// page shows the full text under the title.
		onB := waitInHome(t, b, bob, st.URI, "the blog post")
		tok := tokenFor(t, b, "bob", "read")
		code, api := call(t, b, tok, "GET", "/api/v1/statuses/"+strconv.FormatInt(onB.ID, 10), nil)
		content := fmt.Sprint(api["content"])
		if code != http.StatusOK || !strings.Contains(content, `href="`+pageURL+`"`) || !strings.Contains(content, ">Handover that works</a>") ||
			!strings.Contains(content, "How our ward fixed handover.") || strings.Contains(content, "write it down") || api["url"] != pageURL || api["spoiler_text"] != "" {
			t.Fatalf("B's API status: %d %v", code, api)
		}
		cookie := sessionCookie(t, b, "bob")
		resp, html := fetchPage(t, fmt.Sprintf("%s/statuses/%d", b.base, onB.ID), cookie)
		if resp.StatusCode != http.StatusOK || !strings.Contains(html, "<h2>Handover that works</h2>") || !strings.Contains(html, "<strong>write it down</strong>") {
			t.Fatalf("B's post page (%d):\n%s", resp.StatusCode, html)
		}

		// An edit arrives as an Update.
		if _, err := a.svc.EditBlogPost(ctx, alice, p.ID, social.BlogInput{
			Title: "Handover that works, revised", Summary: "How our ward fixed handover.", Body: "First, **write it down**.\n\nThen check it back.", Tags: "handover",
		}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the edit reaching B", func() bool {
			s, err := b.svc.StatusByURI(ctx, st.URI)
			if err != nil || !strings.Contains(s.Content, "revised") {
				return false
			}
			bp, err := b.svc.BlogPostOfStatus(ctx, s)
			return err == nil && bp != nil && strings.Contains(bp.Content, "check it back") && bp.Title == "Handover that works, revised"
		})
		// The page keeps its address.
		if code, _ := getBody(t, pageURL, nil); code != http.StatusOK {
			t.Fatalf("the edited post's page: %d", code)
		}

		// An edit through the Mastodon API is refused: it would flatten it.
		atok := tokenFor(t, a, "alice", "write")
		if code, body := call(t, a, atok, "PUT", "/api/v1/statuses/"+strconv.FormatInt(st.ID, 10), url.Values{"status": {"plain"}}); code != http.StatusUnprocessableEntity {
			t.Fatalf("editing a blog post through the API: %d %v", code, body)
		}

		// Deleting it deletes it there too.
		if err := a.svc.DeleteBlogPost(ctx, alice, p.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the delete reaching B", func() bool {
			_, err := b.svc.StatusByURI(ctx, st.URI)
			return errors.Is(err, social.ErrNotFound)
		})
		if code, _ := getBody(t, pageURL, nil); code != http.StatusNotFound {
			t.Fatalf("the deleted post's page: %d", code)
		}
		if code, _ := getBody(t, st.URI, map[string]string{"Accept": "application/activity+json"}); code == http.StatusOK {
			t.Fatalf("the deleted post is still served as an Article")
		}
		if _, err := a.svc.OwnBlogPost(ctx, alice, p.ID); !errors.Is(err, social.ErrNotFound) {
			t.Fatalf("the blog post row outlived its status: %v", err)
		}
	})
}

func TestBlogPostsGoThroughTheIdentifierGuardAndTheSendDelay(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect) // the default policy: block
		doc := n.user(t, "doc", false)
		clean := social.BlogInput{Title: "Rota thoughts", Summary: "On rotas.", Body: "Rotas matter."}

		// An NHS number in the title, the summary, the body or an image's
		// description: refused as a status would be, nothing published.
		img, err := n.svc.UploadMedia(ctx, doc, strings.NewReader(string(testPNG(t, 8, 8))), "X-ray of Mr K, NHS no 943 476 5919")
		if err != nil {
			t.Fatal(err)
		}
		for name, in := range map[string]social.BlogInput{
			"title":       {Title: "Good news for Mrs B, NHS no 943 476 5919", Body: "Rotas matter."},
			"summary":     {Title: "Rota thoughts", Summary: "Mrs B, NHS no 943 476 5919", Body: "Rotas matter."},
			"body":        {Title: "Rota thoughts", Body: "We saw NHS no 943 476 5919 today."},
			"description": {Title: "Rota thoughts", Body: "Rotas matter.", MediaIDs: []int64{img.ID}},
		} {
			draft, err := n.svc.SaveBlogDraft(ctx, doc, 0, in)
			if err != nil {
				t.Fatalf("%s: saving the draft: %v", name, err)
			}
			_, _, err = n.svc.PublishBlogPost(ctx, doc, draft.ID, in)
			var ie *social.IdentifierError
			if !errors.As(err, &ie) || ie.OverrideAllowed {
				t.Fatalf("%s: publishing with an identifier: %v", name, err)
			}
			// "Post anyway" does not pass the block policy.
			in.PostDespiteWarning = true
			if _, _, err := n.svc.PublishBlogPost(ctx, doc, draft.ID, in); !errors.As(err, &ie) {
				t.Fatalf("%s: publishing anyway under block: %v", name, err)
			}
			if p, err := n.svc.OwnBlogPost(ctx, doc, draft.ID); err != nil || !p.Draft() {
				t.Fatalf("%s: the draft after the refusal: %+v %v", name, p, err)
			}
			// A draft has no status: neither ActivityPub nor the API finds one by its id.
			if code, _ := getBody(t, fmt.Sprintf("%s/users/doc/statuses/%d", n.base, draft.ID), map[string]string{"Accept": "application/activity+json"}); code != http.StatusNotFound {
				t.Fatalf("%s: the draft's id over ActivityPub: %d", name, code)
			}
			if code, _ := getBody(t, fmt.Sprintf("%s/api/v1/statuses/%d", n.base, draft.ID), nil); code != http.StatusNotFound {
				t.Fatalf("%s: the draft's id in the API: %d", name, code)
			}
		}
		if pub := publicSurfaces(t, n, doc); strings.Contains(pub, "943") || strings.Contains(pub, "Rota thoughts") {
			t.Fatalf("a refused post shows in public:\n%s", pub)
		}

		// The web form says so, with the finding masked.
		b := signedIn(t, n, "doc", "a long password")
		csrf := csrfOf(t, mePage(t, b, n, "/blog/new", http.StatusOK))
		resp, body := postMultipart(t, b, n, "/blog/new", url.Values{"csrf_token": {csrf}, "action": {"publish"},
			"title": {"Good news for Mrs B, NHS no 943 476 5919"}, "body": {"Rotas matter."}}, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "943 *** ****") || strings.Contains(body, `name="post_anyway"`) {
			t.Fatalf("the form under the block policy: %d\n%s", resp.StatusCode, body)
		}

		// Under the warn policy the author may publish anyway, explicitly.
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(s *social.Settings) { s.GuardPolicy = social.GuardWarn }); err != nil {
			t.Fatal(err)
		}
		warned := social.BlogInput{Title: "Audit of ward 943 476 5919", Body: "Rotas matter."}
		var ie *social.IdentifierError
		if _, _, err := n.svc.PublishBlogPost(ctx, doc, 0, warned); !errors.As(err, &ie) || !ie.OverrideAllowed {
			t.Fatalf("publishing under warn: %v", err)
		}
		warned.PostDespiteWarning = true
		if _, _, err := n.svc.PublishBlogPost(ctx, doc, 0, warned); err != nil {
			t.Fatalf("publishing anyway under warn: %v", err)
		}

		// An edit is checked too: refused, the post unchanged.
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(s *social.Settings) { s.GuardPolicy = social.GuardBlock }); err != nil {
			t.Fatal(err)
		}
		p, st, err := n.svc.PublishBlogPost(ctx, doc, 0, clean)
		if err != nil {
			t.Fatal(err)
		}
		edit := clean
		edit.Summary = "Mrs B, NHS no 943 476 5919"
		if _, err := n.svc.EditBlogPost(ctx, doc, p.ID, edit); !errors.As(err, &ie) {
			t.Fatalf("an edit with an identifier: %v", err)
		}
		if again, _ := n.svc.StatusByID(ctx, st.ID); again == nil || strings.Contains(again.Content, "943") {
			t.Fatalf("the refused edit changed the post: %+v", again)
		}

		// The send delay holds a blog post back as it does a status: only
		// its author sees it until it is released.
		delay := social.Duration(10 * time.Minute)
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(s *social.Settings) { s.SendDelay = &delay }); err != nil {
			t.Fatal(err)
		}
		held, heldSt, err := n.svc.PublishBlogPost(ctx, doc, 0, social.BlogInput{Title: "Held back a while", Body: "Soon."})
		if err != nil || !heldSt.Pending() {
			t.Fatalf("publishing with a send delay: %+v %v", heldSt, err)
		}
		if pub := publicSurfaces(t, n, doc); strings.Contains(pub, "Held back") {
			t.Fatalf("a post waiting out its send delay shows in public:\n%s", pub)
		}
		if code, _ := getBody(t, heldSt.URL, nil); code != http.StatusNotFound {
			t.Fatalf("the held post's page answers %d to anyone", code)
		}
		if code, _ := getBody(t, heldSt.URI, map[string]string{"Accept": "application/activity+json"}); code != http.StatusNotFound {
			t.Fatalf("the held post's Article answers %d", code)
		}
		if mine := mePage(t, b, n, "/blog", http.StatusOK); !strings.Contains(mine, "Held back a while") || !strings.Contains(mine, "sending in") {
			t.Fatalf("the author's blog page does not show the held post:\n%s", mine)
		}
		if err := n.svc.ReleaseStatus(ctx, heldSt.ID); err != nil {
			t.Fatal(err)
		}
		if f := readFeed(t, n, "doc"); len(f.Entries) == 0 || f.Entries[0].Title != "Held back a while" {
			t.Fatalf("after its release the feed has %+v", f.Entries)
		}
		_ = held
	})
}

func TestWordPressArticleIsKeptInFullAndShownAsTitleSummaryAndLink(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		doc := n.user(t, "doc", false)
		rem := newFakeRemote(t, fakeRemoteOptions{AutoAccept: true}, "wp")
		actor := rem.actorURI("wp")
		wp, err := n.fed.RemoteAccount(ctx, actor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.Follow(ctx, doc, wp); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the blog accepting doc's follow", func() bool { return n.svc.IsFollowing(ctx, doc, wp) })

		raw, err := os.ReadFile("testdata/wordpress_article.json")
		if err != nil {
			t.Fatal(err)
		}
		fixture := strings.NewReplacer("{{BASE}}", rem.base, "{{ACTOR}}", actor).Replace(string(raw))
		if resp := rem.post(t, n.base+"/inbox", "wp", []byte(fixture), nil); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("Create: %d %s", resp.StatusCode, readAll(resp))
		}
		objectID := rem.base + "/?p=42"
		postURL := rem.base + "/2026/12/01/our-clinic-garden-one-year-on/"
		st := waitInHome(t, n, doc, objectID, "the WordPress article")

		// The API: title as a link, the summary as text; no content warning.
		tok := tokenFor(t, n, "doc", "read")
		code, api := call(t, n, tok, "GET", "/api/v1/statuses/"+strconv.FormatInt(st.ID, 10), nil)
		content := fmt.Sprint(api["content"])
		if code != http.StatusOK || !strings.Contains(content, `href="`+postURL+`"`) || !strings.Contains(content, "Our clinic garden, one year on</a>") ||
			!strings.Contains(content, "What a year of the garden taught us about waiting rooms …") || strings.Contains(content, "anxiously") ||
			api["spoiler_text"] != "" || api["url"] != postURL {
			t.Fatalf("the API status: %d %v", code, api)
		}
		if media, _ := api["media_attachments"].([]any); len(media) != 1 || !strings.Contains(fmt.Sprint(media[0]), "The clinic's new garden in the rain") {
			t.Fatalf("the API attachments: %v", api["media_attachments"])
		}
		if tags := fmt.Sprint(api["tags"]); !strings.Contains(tags, "waitingrooms") {
			t.Fatalf("the API tags: %s", tags)
		}

		// The full text is kept, sanitised, and shown on the post's page.
		bp, err := n.svc.BlogPostOfStatus(ctx, st)
		if err != nil || bp == nil || bp.Title != "Our clinic garden, one year on" {
			t.Fatalf("the article as kept: %+v %v", bp, err)
		}
		for _, want := range []string{"<strong>Why a garden</strong>", "<em>outside</em>", `href="https://example.org/study"`} {
			if !strings.Contains(bp.Content, want) {
				t.Fatalf("the kept content lacks %q: %s", want, bp.Content)
			}
		}
		if strings.Contains(bp.Content, "<script") || strings.Contains(bp.Content, "<img") {
			t.Fatalf("the kept content was not sanitised: %s", bp.Content)
		}
		resp, page := fetchPage(t, fmt.Sprintf("%s/statuses/%d", n.base, st.ID), sessionCookie(t, n, "doc"))
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<h2>Our clinic garden, one year on</h2>") || !strings.Contains(page, "Patients wait less anxiously <em>outside</em>") {
			t.Fatalf("the post page (%d):\n%s", resp.StatusCode, page)
		}

		// WordPress sends an Update when the post is edited, and a Delete.
		upd := strings.Replace(fixture, `"type": "Create"`, `"type": "Update"`, 1)
		upd = strings.Replace(upd, `#activity-create"`, `#activity-update"`, 1)
		upd = strings.ReplaceAll(upd, "We measured it.", "We measured it twice.")
		upd = strings.Replace(upd, `"updated": "2026-12-01T09:30:00Z"`, `"updated": "`+time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)+`"`, 1)
		if resp := rem.post(t, n.base+"/inbox", "wp", []byte(upd), nil); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("Update: %d %s", resp.StatusCode, readAll(resp))
		}
		eventually(t, "the edit being kept", func() bool {
			bp, err := n.svc.BlogPostOfStatus(ctx, st)
			return err == nil && bp != nil && strings.Contains(bp.Content, "measured it twice")
		})
		del := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Delete","actor":%q,"object":{"id":%q,"type":"Tombstone"},"to":["https://www.w3.org/ns/activitystreams#Public"]}`,
			objectID+"#delete", actor, objectID)
		if resp := rem.post(t, n.base+"/inbox", "wp", []byte(del), nil); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("Delete: %d %s", resp.StatusCode, readAll(resp))
		}
		eventually(t, "the article being deleted", func() bool {
			_, err := n.svc.StatusByURI(ctx, objectID)
			return errors.Is(err, social.ErrNotFound)
		})
	})
}
