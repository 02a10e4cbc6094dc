package main

import (
	"context"
	"net/http"
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
