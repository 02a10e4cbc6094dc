package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// directoryClinician is one account of the directory tests.
type directoryClinician struct {
	name, profession, specialty, org, bio string
}

// seedDirectory makes the directory tests' clinicians on n, verified by
// the service, and returns them by name.
func seedDirectory(t *testing.T, n *node, cs []directoryClinician) map[string]*storage.Account {
	t.Helper()
	ctx := context.Background()
	out := map[string]*storage.Account{}
	for _, c := range cs {
		a := n.user(t, c.name, false)
		if c.bio != "" {
			bio := c.bio
			var err error
			if a, err = n.svc.UpdateProfile(ctx, a, social.ProfileUpdate{Note: &bio}); err != nil {
				t.Fatal(err)
			}
		}
		if c.profession != "" {
			if _, err := n.svc.VerifyClinician(ctx, social.CommandLine, a.ID, social.ClinicianDetails{
				Profession: c.profession, Specialty: c.specialty, Organisation: c.org, Regulator: "NMBI", RegistrationNumber: fmt.Sprint(a.ID),
			}, ""); err != nil {
				t.Fatal(err)
			}
		}
		out[c.name] = a
	}
	return out
}

// The directory of verified clinicians: a specialty recorded from the
// command line, the admin API and the admin pages shows on the profile
// badge and the admin entity; GET /api/v1/directory filters by it (and by
// profession, organisation and words in the name or bio); those who opted
// out of discovery, suspended, disabled and unapproved accounts are never
// listed, in the API or on /directory.
func TestDirectoryOfVerifiedCliniciansBySpecialty(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		seedDirectory(t, n, []directoryClinician{
			{name: "dr_heart", bio: "Heart failure clinic lead"},
			{name: "nurse_cath", profession: "nurse", specialty: "Cardiology", org: "Beaumont Hospital", bio: "Cath lab"},
			{name: "dr_ed", bio: "Resus and trauma"},
			{name: "dr_optout", profession: "doctor", specialty: "Cardiology", org: "Beaumont Hospital"},
			{name: "dr_off", profession: "doctor", specialty: "Cardiology", org: "Beaumont Hospital"},
			{name: "dr_gone", profession: "doctor", specialty: "Cardiology", org: "Beaumont Hospital"},
			{name: "plain", bio: "Heart of gold"},
			{name: "boss"},
		})
		// An applicant waiting for approval, verified all the same.
		u, err := n.svc.CreateUser(ctx, social.NewUser{Username: "dr_waiting", Password: "a long password"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.VerifyClinician(ctx, social.CommandLine, u.Account.ID, social.ClinicianDetails{Profession: "doctor", Specialty: "Cardiology", Regulator: "NMBI", RegistrationNumber: "9"}, ""); err != nil {
			t.Fatal(err)
		}
		off := false
		if _, err := n.svc.UpdateProfile(ctx, mustAccount(t, n, "dr_optout"), social.ProfileUpdate{Discoverable: &off}); err != nil {
			t.Fatal(err)
		}
		if err := n.svc.TakeAction(ctx, social.CommandLine, mustID(t, n, "dr_off"), social.AccountAction{Type: social.ActionDisable}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.SuspendUser(ctx, "dr_gone"); err != nil {
			t.Fatal(err)
		}
		if err := n.svc.SetRole(ctx, social.CommandLine, mustID(t, n, "boss"), social.RoleAdmin, ""); err != nil {
			t.Fatal(err)
		}

		// The specialty, three ways in: the command line ...
		env := map[string]string{"ROUNDS_DATABASE": n.dbURL, "ROUNDS_DOMAIN": n.domain, "ROUNDS_PROTOCOL": "http"}
		code, out, errs := runCLI(t, env, "admin", "account", "verify", "dr_heart", "--profession", "doctor", "--specialty", "  Cardiology ",
			"--organisation", "St James's Hospital", "--regulator", "Medical Council of Ireland", "--registration-number", "445566")
		if code != 0 || !strings.Contains(out, "Verified @dr_heart (Cardiology): Registered: Medical Council of Ireland 445566") {
			t.Fatalf("verify with --specialty: exit %d\n%s%s", code, out, errs)
		}
		if code, _, errs := runCLI(t, env, "admin", "account", "verify", "dr_heart", "--profession", "doctor", "--specialty", strings.Repeat("x", 101),
			"--regulator", "R", "--registration-number", "1"); code != 1 || !strings.Contains(errs, "specialty is too long") {
			t.Fatalf("a specialty of 101 characters: exit %d\n%s", code, errs)
		}
		// ... the admin API ...
		boss := tokenFor(t, n, "boss", "admin:read admin:write")
		code, body := call(t, n, boss, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/verification", mustID(t, n, "dr_ed")), url.Values{
			"profession": {"doctor"}, "specialty": {"Emergency medicine"}, "regulator": {"Medical Council of Ireland"}, "registration_number": {"7788"}, "organisation": {"Beaumont Hospital"},
		})
		if v, _ := body["rounds_verification"].(map[string]any); code != http.StatusOK || v["specialty"] != "Emergency medicine" {
			t.Fatalf("verify through the admin API: %d %v", code, body)
		}
		code, body = call(t, n, boss, "GET", fmt.Sprintf("/api/v1/admin/accounts/%d", mustID(t, n, "dr_heart")), nil)
		if v, _ := body["rounds_verification"].(map[string]any); code != http.StatusOK || v["specialty"] != "Cardiology" {
			t.Fatalf("the admin entity of dr_heart: %d %v", code, body)
		}
		// ... and the admin pages, which show it back.
		admin := signInPages(t, n, "boss")
		plainID := mustID(t, n, "plain")
		admin.mustPost(fmt.Sprintf("/admin/accounts/%d/verification", plainID), url.Values{
			"profession": {"pharmacist"}, "specialty": {"Oncology"}, "regulator": {"PSI"}, "registration_number": {"1234"},
		}, "verified")
		if code, page, _ := admin.get(fmt.Sprintf("/admin/accounts/%d", plainID)); code != http.StatusOK || !strings.Contains(page, "<dt>Specialty</dt><dd>Oncology</dd>") {
			t.Fatalf("the admin page of plain: %d\n%s", code, page)
		}
		// The profile badge names it.
		pages := &pageClient{t: t, n: n, c: &http.Client{}}
		if code, page, _ := pages.get("/@dr_heart"); code != http.StatusOK || !strings.Contains(page, "Verified doctor (Cardiology) · Medical Council of Ireland 445566 · St James&#39;s Hospital") {
			t.Fatalf("dr_heart's profile: %d\n%s", code, page)
		}

		dir := func(query string) string {
			t.Helper()
			code, body := call(t, n, "", "GET", "/api/v1/directory"+query, nil)
			if code != http.StatusOK {
				t.Fatalf("directory%s: %d %v", query, code, body)
			}
			return strings.Join(peopleNames(t, body), ",")
		}
		for _, c := range []struct{ query, want string }{
			{"?order=new&verified=true", "plain,dr_ed,nurse_cath,dr_heart"},
			{"?order=new&specialty=cardiology", "nurse_cath,dr_heart"},
			{"?order=new&specialty=Cardiology&profession=doctor", "dr_heart"},
			{"?order=new&specialty=Cardiology&organisation=beaumont+hospital", "nurse_cath"},
			{"?order=new&specialty=Neurology", ""},
			{"?order=new&q=HEART", "plain,dr_heart"},
			{"?order=new&q=heart&verified=true&specialty=Oncology", "plain"},
			{"?order=new&q=cath", "nurse_cath"},
			{"?order=new&q=100%25", ""},
			{"?order=new&local=true", "boss,plain,dr_ed,nurse_cath,dr_heart"},
		} {
			if got := dir(c.query); got != c.want {
				t.Errorf("directory%s: %s, want %s", c.query, got, c.want)
			}
		}

		// The web page lists the same, with the badge, the bio and the
		// filters' choices.
		code, page, _ := pages.get("/directory?specialty=Cardiology&order=new")
		if code != http.StatusOK || !strings.Contains(page, "@dr_heart") || !strings.Contains(page, "@nurse_cath") || strings.Contains(page, "@dr_ed") {
			t.Fatalf("/directory?specialty=Cardiology: %d\n%s", code, page)
		}
		if !strings.Contains(page, "Verified nurse · Cardiology · Beaumont Hospital") || !strings.Contains(page, "Cath lab") || !strings.Contains(page, `<option value="Emergency medicine">`) || !strings.Contains(page, `<option value="Cardiology" selected>`) {
			t.Fatalf("/directory lacks a badge, a bio or the filters:\n%s", page)
		}
		code, page, _ = pages.get("/directory")
		for _, never := range []string{"dr_optout", "dr_off", "dr_gone", "dr_waiting", "@boss"} {
			if code != http.StatusOK || strings.Contains(page, never) {
				t.Fatalf("/directory shows %s (or failed: %d)\n%s", never, code, page)
			}
		}
	})
}

// mustAccount returns the local account username on n.
func mustAccount(t *testing.T, n *node, username string) *storage.Account {
	t.Helper()
	a, err := n.svc.LocalAccount(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// /directory in Chromium, without any script of its own: the words typed
// and the specialty chosen narrow the list, paging keeps them, and the
// page looks right.
func TestBrowserDirectorySearchAndFilter(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	cs := []directoryClinician{
		{name: "dr_heart", profession: "doctor", specialty: "Cardiology", org: "St James's Hospital", bio: "Heart failure clinic lead"},
		{name: "nurse_cath", profession: "nurse", specialty: "Cardiology", org: "Beaumont Hospital", bio: "Cath lab nurse"},
		{name: "dr_ed", profession: "doctor", specialty: "Emergency medicine", org: "Beaumont Hospital", bio: "Resus, trauma and heart attacks at the door"},
	}
	for i := range 21 {
		cs = append(cs, directoryClinician{name: fmt.Sprintf("gp_%02d", i), profession: "doctor", specialty: "General practice", org: "Primary care"})
	}
	accts := seedDirectory(t, n, cs)
	if _, err := n.svc.PostStatus(ctx, accts["dr_ed"], social.NewStatus{Text: "Busy night", Visibility: social.VisibilityPublic}); err != nil {
		t.Fatal(err)
	}
	_, b := newBrowser(t)
	b.visit(n.base + "/")
	b.clickAndLoad(`footer a[href="/directory"]`, http.StatusOK)
	page := b.text()
	if !strings.Contains(page, "Clinicians on "+n.domain) || !strings.Contains(page, "@dr_ed") || !strings.Contains(page, "Last posted") {
		t.Fatalf("the directory:\n%s", page)
	}
	// A full page of 20 links to the next, which keeps the filters.
	b.clickAndLoad(`.paging a[rel="next"]`, http.StatusOK)
	if got := browserEval[int](b, `document.querySelectorAll(".directory-entry").length`); got != 4 {
		t.Fatalf("the second page lists %d clinicians, want 4", got)
	}

	b.visit(n.base + "/directory")
	b.run("search and filter",
		chromedp.SendKeys(chromedp.CSS("#q"), "heart"),
		chromedp.SetValue(chromedp.CSS("#specialty"), "Cardiology"),
	)
	b.clickAndLoad(`form.directory-filter button[type=submit]`, http.StatusOK)
	b.screenshot("directory-heart-cardiology")
	names := browserEval[string](b, `[...document.querySelectorAll(".directory-name a")].map(a => a.textContent).join(",")`)
	if names != "dr_heart" {
		t.Fatalf("heart in Cardiology lists %q, want dr_heart (dr_ed is in emergency medicine)", names)
	}
	if got := browserEval[string](b, `location.search`); !strings.Contains(got, "q=heart") || !strings.Contains(got, "specialty=Cardiology") {
		t.Fatalf("the address after filtering: %s", got)
	}
	if got := browserEval[string](b, `document.querySelector("#specialty").value + "|" + document.querySelector("#q").value`); got != "Cardiology|heart" {
		t.Fatalf("the form after filtering holds %q", got)
	}
	// Another specialty, and Clear.
	b.run("emergency medicine", chromedp.SetValue(chromedp.CSS("#specialty"), "Emergency medicine"))
	b.clickAndLoad(`form.directory-filter button[type=submit]`, http.StatusOK)
	if names := browserEval[string](b, `[...document.querySelectorAll(".directory-name a")].map(a => a.textContent).join(",")`); names != "dr_ed" {
		t.Fatalf("heart in emergency medicine lists %q", names)
	}
	b.clickAndLoad(`form.directory-filter a[href="/directory"]`, http.StatusOK)
	if got := browserEval[int](b, `document.querySelectorAll(".directory-entry").length`); got != 20 {
		t.Fatalf("after Clear the directory lists %d, want a full page of 20", got)
	}
}
