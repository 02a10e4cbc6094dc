package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"rounds/storage"
)

// A poll written on the compose page, and voted in on the post's page, in
// headless Chromium: the choices, the length and "several choices" reach
// the poll; a reader votes with the form once, after which the page shows
// the results with their vote; the author's page has no form.
func TestBrowserPollComposeAndVote(t *testing.T) {
	n := startNode(t, storage.SQLite)
	n.user(t, "dr_aoife", false)
	n.user(t, "nurse_ben", false)
	_, b := newBrowser(t)
	signIn := func(username string) {
		t.Helper()
		b.visit(n.base + "/auth/sign_in")
		b.run("sign in as "+username,
			chromedp.SendKeys(chromedp.CSS("#username"), username),
			chromedp.SendKeys(chromedp.CSS("#password"), "a long password"),
		)
		b.clickAndLoad(`form[action="/auth/sign_in"] button[type=submit]`, http.StatusOK)
	}

	signIn("dr_aoife")
	b.visit(n.base + "/compose")
	b.run("write a poll",
		chromedp.SendKeys(chromedp.CSS("#text"), "Which handover format does your ward use?"),
		chromedp.SendKeys(chromedp.CSS("#poll_option_1"), "SBAR"),
		chromedp.SendKeys(chromedp.CSS("#poll_option_2"), "I-PASS"),
		chromedp.SendKeys(chromedp.CSS("#poll_option_3"), "Our own"),
		chromedp.SetValue(chromedp.CSS("#poll_expires_in"), "3600"),
		chromedp.Click(chromedp.CSS(`input[name=poll_multiple]`)),
	)
	b.clickAndLoad(`form.compose button[type=submit]`, http.StatusOK)
	b.screenshot("poll-posted")
	statusPath := browserEval[string](b, `location.pathname`)
	if !strings.HasPrefix(statusPath, "/statuses/") {
		t.Fatalf("after posting the browser is at %s:\n%s", statusPath, b.text())
	}
	if strings.Contains(b.outerHTML("main"), `class="vote"`) {
		t.Fatal("the author is offered a vote in their own poll")
	}
	for _, want := range []string{"SBAR", "I-PASS", "Our own", "Several choices"} {
		if !strings.Contains(b.text(), want) {
			t.Fatalf("the post's page lacks %q:\n%s", want, b.text())
		}
	}
	b.clickAndLoad(`form[action="/auth/sign_out"] button[type=submit]`, http.StatusOK)

	signIn("nurse_ben")
	b.visit(n.base + statusPath)
	b.run("choose two", chromedp.Click(chromedp.CSS(`form.vote input[value="0"]`)), chromedp.Click(chromedp.CSS(`form.vote input[value="2"]`)))
	b.clickAndLoad(`form.vote button[type=submit]`, http.StatusOK)
	b.screenshot("poll-voted")
	page := b.outerHTML("main")
	if strings.Contains(page, `class="vote"`) || strings.Count(page, "(your vote)") != 2 {
		t.Fatalf("after voting the page shows:\n%s", page)
	}

	// The poll as the app API sees it.
	id := strings.TrimPrefix(statusPath, "/statuses/")
	var st struct {
		Poll struct {
			Multiple    bool `json:"multiple"`
			VotesCount  int  `json:"votes_count"`
			VotersCount int  `json:"voters_count"`
			ExpiresAt   string
			Options     []struct {
				Title      string `json:"title"`
				VotesCount *int   `json:"votes_count"`
			} `json:"options"`
		} `json:"poll"`
	}
	resp, err := http.Get(n.base + "/api/v1/statuses/" + id)
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := st.Poll
	if !p.Multiple || p.VotesCount != 2 || p.VotersCount != 1 || len(p.Options) != 3 || p.Options[1].Title != "I-PASS" ||
		p.Options[0].VotesCount == nil || *p.Options[0].VotesCount != 1 || *p.Options[1].VotesCount != 0 {
		t.Fatalf("the poll through the API: %+v", p)
	}
}

// The vote form's refusals, through plain HTTP: no choice, a choice that
// is not there, a second vote, a vote in one's own poll, and no CSRF token.
func TestPollVoteFormRefusals(t *testing.T) {
	n := startNode(t, storage.SQLite)
	n.user(t, "dr_aoife", false)
	n.user(t, "nurse_ben", false)
	author := signedIn(t, n, "dr_aoife", "a long password")
	page := mePage(t, author, n, "/compose", http.StatusOK)
	resp, body := postMultipart(t, author, n, "/compose", url.Values{
		"csrf_token": {csrfOf(t, page)}, "text": {"Night shift: tea or coffee?"}, "visibility": {"public"},
		"poll_option_1": {"Tea"}, "poll_option_2": {"Coffee"}, "poll_expires_in": {"300"},
	}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("posting the poll: %d\n%s", resp.StatusCode, body)
	}
	statusPath := resp.Header.Get("Location")
	// One choice alone is not a poll.
	resp, body = postMultipart(t, author, n, "/compose", url.Values{
		"csrf_token": {csrfOf(t, page)}, "text": {"A poll of one"}, "visibility": {"public"}, "poll_option_1": {"Only"}, "poll_expires_in": {"300"},
	}, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "more than one") || !strings.Contains(body, `value="Only"`) {
		t.Fatalf("a poll with one choice: %d\n%s", resp.StatusCode, body)
	}
	if own := mePage(t, author, n, statusPath, http.StatusOK); strings.Contains(own, `class="vote"`) {
		t.Fatal("the author is offered a vote")
	}
	if resp, _ := postForm(t, author, n, statusPath+"/vote", url.Values{"csrf_token": {csrfOf(t, page)}, "choice": {"0"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a vote in one's own poll: %d", resp.StatusCode)
	}

	reader := signedIn(t, n, "nurse_ben", "a long password")
	page = mePage(t, reader, n, statusPath, http.StatusOK)
	csrf := csrfOf(t, page)
	for _, c := range []struct {
		name   string
		form   url.Values
		status int
		says   string
	}{
		{"no token", url.Values{"choice": {"0"}}, http.StatusForbidden, ""},
		{"no choice", url.Values{"csrf_token": {csrf}}, http.StatusUnprocessableEntity, "Choose an answer"},
		{"not a number", url.Values{"csrf_token": {csrf}, "choice": {"tea"}}, http.StatusBadRequest, "not one of the poll"},
		{"out of range", url.Values{"csrf_token": {csrf}, "choice": {"7"}}, http.StatusUnprocessableEntity, ""},
		{"two in a single-choice poll", url.Values{"csrf_token": {csrf}, "choice": {"0", "1"}}, http.StatusUnprocessableEntity, ""},
		{"a vote", url.Values{"csrf_token": {csrf}, "choice": {"1"}}, http.StatusSeeOther, ""},
		{"again", url.Values{"csrf_token": {csrf}, "choice": {"0"}}, http.StatusUnprocessableEntity, ""},
	} {
		resp, body := postForm(t, reader, n, statusPath+"/vote", c.form)
		if resp.StatusCode != c.status || !strings.Contains(body, c.says) {
			t.Errorf("%s: %d, want %d saying %q\n%.400s", c.name, resp.StatusCode, c.status, c.says, body)
		}
	}
	if after := mePage(t, reader, n, statusPath, http.StatusOK); !strings.Contains(after, "Coffee (your vote)") {
		t.Fatalf("after voting the page shows:\n%s", after)
	}
}
