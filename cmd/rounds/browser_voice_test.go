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

// In Chromium: a clinician whose post is held back until they read the
// guidance opens /settings/guidance, presses "I have read it" and may post;
// their public questions page lists what was asked, the longest waiting
// first, and lets them mark one as needing no answer.
func TestBrowserGuidanceAcknowledgedAndQuestionsPage(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	alice := n.user(t, "dr_aoife", false)
	ben := n.user(t, "nurse_ben", false)
	if _, err := n.svc.SetGuidance(ctx, social.CommandLine, "# Speaking as a clinician\n\n- Never identify a patient.\n- Say when you speak for yourself.\n"); err != nil {
		t.Fatal(err)
	}
	first, err := n.svc.SetGuidance(ctx, social.CommandLine, "# Speaking as a clinician\n\n- Never identify a patient.\n- Say when you speak for yourself.\n- Answer questions in public, advice in general terms.\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.svc.AcknowledgeGuidance(ctx, ben, first.Version); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"@dr_aoife how long after a flu jab can I give blood?", "@dr_aoife is the sepsis audit out?"} {
		if _, err := n.svc.PostStatus(ctx, ben, social.NewStatus{Text: text}); err != nil {
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

	// The compose page shows the guidance and sends her to read it; a
	// post before that is refused with the page's address.
	b.visit(n.base + "/compose")
	page := b.text()
	if !strings.Contains(page, "Our social media guidance") || !strings.Contains(page, "Answer questions in public") {
		t.Fatalf("compose lacks the guidance:\n%s", page)
	}
	b.screenshot("compose-with-guidance")
	if _, err := n.svc.PostStatus(ctx, alice, social.NewStatus{Text: "hello"}); err == nil || !strings.Contains(err.Error(), "/settings/guidance") {
		t.Fatalf("posting before reading: %v", err)
	}
	b.clickAndLoad(`aside.guidance a[href="/settings/guidance"]`, http.StatusOK)
	b.screenshot("guidance-to-read")
	b.clickAndLoad(`form[action="/settings/guidance"] button[type=submit]`, http.StatusOK)
	page = b.text()
	b.screenshot("guidance-read")
	if !strings.Contains(page, "Thank you. You may post now.") || !strings.Contains(page, "You confirmed you have read version 2") {
		t.Fatalf("after acknowledging:\n%s", page)
	}
	if _, err := n.svc.PostStatus(ctx, alice, social.NewStatus{Text: "hello after reading"}); err != nil {
		t.Fatalf("posting after reading: %v", err)
	}

	// Her questions page: both of ben's questions, the first asked first,
	// with how long they waited; one marked as needing no answer moves.
	b.visit(n.base + "/@dr_aoife")
	b.clickAndLoad(`a[href="/@dr_aoife/questions"]`, http.StatusOK)
	page = b.text()
	i, j := strings.Index(page, "flu jab"), strings.Index(page, "sepsis audit")
	if i < 0 || j < i || !strings.Contains(page, "Waiting for an answer (2)") || !strings.Contains(page, "waiting less than a minute") {
		t.Fatalf("questions page:\n%s", page)
	}
	b.screenshot("questions")
	b.clickAndLoad(`.question form[action$="/dismiss"] button[type=submit]`, http.StatusOK)
	page = b.text()
	if !strings.Contains(page, "Waiting for an answer (1)") || !strings.Contains(page, "Marked as needing no answer") {
		t.Fatalf("after marking one:\n%s", page)
	}

	// Without a session the page is public, without the buttons or the
	// dismissed questions.
	code, body := get(t, n.base+"/@dr_aoife/questions")
	if code != 200 || !strings.Contains(body, "sepsis audit") || strings.Contains(body, "flu jab") || strings.Contains(body, "Needs no answer") {
		t.Fatalf("anonymous questions page: %d\n%s", code, body)
	}
}
