package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"rounds/social"
	"rounds/storage"
)

// The whole life of a clinician's account, driven through the web pages in
// headless Chromium: the first admin sets the server up from the one-time
// link, creates a clinician and verifies their registration; the clinician
// signs in, writes a post with an image and its alt text, sees it on their
// public profile with the verified badge, and signs out; the admin then
// suspends the account and its profile is gone.
func TestBrowserFirstAdminToVerifiedClinicianPostToSuspension(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	link, err := n.svc.NewSetupLink(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, b := newBrowser(t)

	// First admin, from the setup link.
	b.visit(link)
	b.run("fill in the first admin",
		chromedp.SendKeys(chromedp.CSS("#username"), "it_lead"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long admin password"),
		chromedp.SendKeys(chromedp.CSS("#password_confirmation"), "a long admin password"),
	)
	b.clickAndLoad(`form button[type=submit]`, http.StatusOK)
	if !strings.Contains(b.text(), "@it_lead") {
		t.Fatalf("after setup the page says:\n%s", b.text())
	}
	b.screenshot("setup-done")

	signIn := func(username, password string) {
		t.Helper()
		b.visit(n.base + "/auth/sign_in")
		b.run("sign in as "+username,
			chromedp.SendKeys(chromedp.CSS("#username"), username),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
		)
		b.clickAndLoad(`form[action="/auth/sign_in"] button[type=submit]`, http.StatusOK)
	}
	signOut := func() {
		t.Helper()
		b.clickAndLoad(`form[action="/auth/sign_out"] button[type=submit]`, http.StatusOK)
		if !strings.Contains(b.text(), "Sign in") {
			t.Fatalf("after signing out the page says:\n%s", b.text())
		}
	}
	signIn("it_lead", "a long admin password")

	// The admin creates the clinician ...
	b.visit(n.base + "/admin/accounts/new")
	b.run("fill in the clinician",
		chromedp.SendKeys(chromedp.CSS("#username"), "dr_siobhan"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long clinician password"),
	)
	b.clickAndLoad(`main form[action="/admin/accounts"] button[type=submit]`, http.StatusOK)
	id, err := n.svc.LocalAccountID(ctx, "dr_siobhan")
	if err != nil {
		t.Fatalf("the clinician was not created: %v\n%s", err, b.text())
	}
	// ... and verifies their registration.
	b.visit(fmt.Sprintf("%s/admin/accounts/%d", n.base, id))
	b.run("record the registration",
		chromedp.SetValue(chromedp.CSS("#profession"), "doctor"),
		chromedp.SendKeys(chromedp.CSS("#regulator"), "Medical Council of Ireland"),
		chromedp.SendKeys(chromedp.CSS("#registration_number"), "424242"),
		chromedp.SendKeys(chromedp.CSS("#organisation"), "Beaumont Hospital"),
	)
	b.clickAndLoad(`form[action$="/verification"] button[type=submit]`, http.StatusOK)
	if v, _ := n.svc.Verification(ctx, id); v == nil || v.RegistrationNumber != "424242" {
		t.Fatalf("the verification was not recorded:\n%s", b.text())
	}
	b.screenshot("verified")
	signOut()

	// The clinician signs in and posts with an image and alt text.
	signIn("dr_siobhan", "a long clinician password")
	img := filepath.Join(t.TempDir(), "poster.png")
	if err := os.WriteFile(img, testPNG(t, 12, 9), 0o600); err != nil {
		t.Fatal(err)
	}
	b.visit(n.base + "/compose")
	b.run("write the post",
		chromedp.SendKeys(chromedp.CSS("#text"), "Our stroke unit open day is on Saturday, all welcome"),
		chromedp.SetUploadFiles(chromedp.CSS("#image_1"), []string{img}),
		chromedp.SendKeys(chromedp.CSS("#alt_1"), "Poster for the stroke unit open day"),
	)
	b.clickAndLoad(`form.compose button[type=submit]`, http.StatusOK)
	b.screenshot("posted")

	// The public profile shows the post, its image with the alt text, and
	// the verified badge and field.
	b.visit(n.base + "/@dr_siobhan")
	profile := b.outerHTML("main")
	for _, want := range []string{"Our stroke unit open day is on Saturday", `alt="Poster for the stroke unit open day"`, "Medical Council of Ireland 424242"} {
		if !strings.Contains(profile, want) {
			t.Fatalf("the profile lacks %q:\n%s", want, profile)
		}
	}
	if !b.waitTrue(`document.querySelector(".verified-badge") !== null`) {
		t.Fatal("the profile has no verified badge")
	}
	if !b.waitTrue(`[...document.querySelectorAll("main img")].some(i => i.alt === "Poster for the stroke unit open day" && i.complete && i.naturalWidth === 12)`) {
		t.Fatal("the post's image did not load")
	}
	b.screenshot("profile")
	signOut()

	// The admin suspends the clinician; the profile is gone and the API
	// says so.
	signIn("it_lead", "a long admin password")
	b.visit(fmt.Sprintf("%s/admin/accounts/%d", n.base, id))
	b.run("choose to suspend",
		chromedp.SetValue(chromedp.CSS("#action-type"), "suspend"),
		chromedp.SendKeys(chromedp.CSS("#action-text"), "Posted a patient's photo"),
	)
	b.clickAndLoad(`form[action$="/action"] button[type=submit]`, http.StatusOK)
	b.screenshot("suspended")
	signOut()
	if resp, _ := fetchPage(t, n.base+"/@dr_siobhan", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the suspended clinician's profile answers %d", resp.StatusCode)
	}
	resp, err := http.Get(fmt.Sprintf("%s/api/v1/accounts/%d", n.base, id))
	if err != nil {
		t.Fatal(err)
	}
	var acct map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&acct)
	resp.Body.Close()
	if acct["suspended"] != true && resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the API shows the suspended account as %d %v", resp.StatusCode, acct)
	}
	entries, err := n.svc.AuditLog(ctx, staffOf(t, n, "it_lead"), storage.AuditFilter{TargetID: fmt.Sprint(id)}, storage.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Actor+":"+e.Action)
	}
	if got := strings.Join(actions, " "); got != "@it_lead:suspend @it_lead:verify_clinician @it_lead:create_account" {
		t.Fatalf("audit log for the clinician: %s", got)
	}
}

// staffOf is username's user as a staff actor.
func staffOf(t *testing.T, n *node, username string) social.Actor {
	t.Helper()
	u, err := n.svc.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return social.StaffActor(u)
}
