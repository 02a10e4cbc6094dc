package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"rounds/social"
	"rounds/storage"
)

// A heated reply written on the compose page, in headless Chromium: the
// form comes back with "Are you sure you're right?", what made it read as
// heated, and three buttons. Edit keeps the text and posts nothing;
// discard goes back to the post replied to and posts nothing; send anyway
// posts it.
func TestBrowserTonePauseSendAnywayEditDiscard(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	aoife := n.user(t, "dr_aoife", false)
	ben := n.user(t, "nurse_ben", false)
	parent, err := n.svc.PostStatus(ctx, ben, social.NewStatus{Text: "We are moving the 4 am drug round to 6 am from next week."})
	if err != nil {
		t.Fatal(err)
	}
	_, b := newBrowser(t)
	b.signIn(n, "dr_aoife")
	posts := func() int {
		t.Helper()
		c, err := n.svc.Counts(ctx, aoife)
		if err != nil {
			t.Fatal(err)
		}
		return c.Statuses
	}
	const heated = "you absolute idiot, did you even ask the night staff?"
	writeHeated := func() {
		t.Helper()
		b.visit(fmt.Sprintf("%s/compose?in_reply_to=%d", n.base, parent.ID))
		b.run("write a heated reply", chromedp.SetValue(chromedp.CSS("#text"), "@nurse_ben "+heated))
		b.clickAndLoad(`form.compose button[type=submit]`, http.StatusOK)
		prompt := b.outerHTML("#tone-pause")
		for _, want := range []string{"Are you sure you're right?", "calls someone 'idiot'", "talks down to someone: 'did you even'"} {
			if !strings.Contains(prompt, want) {
				t.Fatalf("the prompt lacks %q:\n%s", want, prompt)
			}
		}
	}

	writeHeated()
	b.screenshot("tone-prompt")
	if posts() != 0 {
		t.Fatal("the heated reply was posted before the author chose")
	}

	// Edit: the text is kept, nothing is posted, the prompt is gone.
	b.clickAndLoad(`button[name=tone_action][value=edit]`, http.StatusOK)
	if got := browserEval[string](b, `document.querySelector('#text').value`); got != "@nurse_ben "+heated {
		t.Fatalf("after edit the text reads %q", got)
	}
	if browserEval[bool](b, `document.querySelector('#tone-pause') !== null`) || posts() != 0 {
		t.Fatal("after edit the prompt is still there or the reply was posted")
	}
	b.run("soften it", chromedp.SetValue(chromedp.CSS("#text"), "@nurse_ben I disagree: the night staff were not asked, and 6 am clashes with handover."))
	b.clickAndLoad(`form.compose button[type=submit]`, http.StatusOK)
	if posts() != 1 {
		t.Fatal("the edited, civil reply was not posted")
	}

	// Discard: back to the post replied to, nothing posted.
	writeHeated()
	b.clickAndLoad(`button[name=tone_action][value=discard]`, http.StatusOK)
	if path := browserEval[string](b, `location.pathname`); path != fmt.Sprintf("/statuses/%d", parent.ID) {
		t.Fatalf("after discard the browser is at %s", path)
	}
	if posts() != 1 {
		t.Fatal("the discarded reply was posted")
	}

	// Send anyway: posted.
	writeHeated()
	b.clickAndLoad(`button[name=tone_action][value=send]`, http.StatusOK)
	path := browserEval[string](b, `location.pathname`)
	if !strings.HasPrefix(path, "/statuses/") || path == fmt.Sprintf("/statuses/%d", parent.ID) || posts() != 2 {
		t.Fatalf("after send anyway the browser is at %s with %d posts", path, posts())
	}
	if !strings.Contains(b.text(), "did you even ask the night staff") {
		t.Fatalf("the sent reply's page:\n%s", b.text())
	}
	b.screenshot("tone-sent-anyway")
}
