package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"rounds/social"
	"rounds/storage"
)

// The search page, in Chromium: from the navigation, words find posts
// (and names find people), an operator narrows them, and a post someone
// may not see is never shown.
func TestBrowserSearchFindsPostsAndPeople(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	n.user(t, "dr_aoife", false)
	ben := n.user(t, "nurse_ben", false)
	carl := n.user(t, "carl", false)
	for _, p := range []struct {
		who       *storage.Account
		text, vis string
	}{
		{ben, "Sepsis six: oxygen first, then cultures", social.VisibilityPublic},
		{ben, "Sepsis teaching moved to Thursday", social.VisibilityPublic},
		{carl, "Sepsis audit, followers only", social.VisibilityPrivate},
	} {
		if _, err := n.svc.PostStatus(ctx, p.who, social.NewStatus{Text: p.text, Visibility: p.vis}); err != nil {
			t.Fatal(err)
		}
	}
	_, b := newBrowser(t)
	b.visit(n.base + "/auth/sign_in")
	b.run("sign in",
		chromedp.SendKeys(chromedp.CSS("#username"), "dr_aoife"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long password"),
	)
	b.clickAndLoad(`form[action="/auth/sign_in"] button[type=submit]`, http.StatusOK)
	b.clickAndLoad(`nav a[href="/search"]`, http.StatusOK)

	search := func(q string) string {
		t.Helper()
		browserEval[string](b, `document.querySelector("#q").value = ""`)
		b.run("search "+q, chromedp.SendKeys(chromedp.CSS("#q"), q))
		b.clickAndLoad(`form.search button[type=submit]`, http.StatusOK)
		return b.text()
	}
	page := search("sepsis")
	b.screenshot("search-sepsis")
	if !strings.Contains(page, "oxygen first") || !strings.Contains(page, "moved to Thursday") {
		t.Fatalf("search for sepsis lacks ben's posts:\n%s", page)
	}
	if strings.Contains(page, "followers only") {
		t.Fatalf("a followers-only post of someone not followed is shown:\n%s", page)
	}
	page = search(`sepsis "oxygen first" from:nurse_ben`)
	if !strings.Contains(page, "oxygen first") || strings.Contains(page, "Thursday") {
		t.Fatalf("a phrase with from: shows:\n%s", page)
	}
	page = search("nurse")
	if !strings.Contains(page, "People") || !strings.Contains(page, "@nurse_ben") || !strings.Contains(page, "No posts found.") {
		t.Fatalf("search for a name shows:\n%s", page)
	}
	if got := browserEval[string](b, `document.querySelector("#q").value`); got != "nurse" {
		t.Fatalf("the search box holds %q after searching", got)
	}
}

// The search page without a session sends the browser to sign in; a query
// too long is refused with 400 and a message; a full page of posts links
// to the older ones, which carry on where it stopped.
func TestSearchPageRefusalsAndPaging(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	ben := n.user(t, "nurse_ben", false)
	for i := range 23 {
		if _, err := n.svc.PostStatus(ctx, ben, social.NewStatus{Text: fmt.Sprintf("Handover note %d", i), Visibility: social.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, at := (&pageClient{t: t, n: n, c: &http.Client{}}).get("/search?q=handover"); code != http.StatusOK || !strings.HasPrefix(at, "/auth/sign_in") {
		t.Fatalf("search without a session: %d at %s", code, at)
	}
	p := signInPages(t, n, "nurse_ben")
	if code, body, _ := p.get("/search?q=" + strings.Repeat("a", 1001)); code != http.StatusBadRequest || !strings.Contains(body, "too long") {
		t.Fatalf("a query of 1,001 characters: %d\n%s", code, body)
	}
	code, body, _ := p.get("/search?q=handover")
	if code != http.StatusOK || strings.Count(body, "Handover note") != 20 || !strings.Contains(body, "Handover note 22") {
		t.Fatalf("first page: %d, %d posts\n%s", code, strings.Count(body, "Handover note"), body)
	}
	older := regexp.MustCompile(`href="(/search\?q=handover&amp;max_id=\d+)" rel="next"`).FindStringSubmatch(body)
	if older == nil {
		t.Fatalf("no link to older posts:\n%s", body)
	}
	_, body, _ = p.get(html.UnescapeString(older[1]))
	if strings.Count(body, "Handover note") != 3 || !strings.Contains(body, "Handover note 0") || strings.Contains(body, "Handover note 3<") || strings.Contains(body, `rel="next"`) {
		t.Fatalf("second page:\n%s", body)
	}
}
