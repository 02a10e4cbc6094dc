package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// pageClient is a browser without JavaScript: a cookie jar, forms posted
// as a browser posts them, redirects followed.
type pageClient struct {
	t    *testing.T
	n    *node
	c    *http.Client
	csrf string
	// formPage is a page with a form on it, for the token.
	formPage string
}

var csrfFieldRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signInPages signs username in through the sign-in page.
func signInPages(t *testing.T, n *node, username string) *pageClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &pageClient{t: t, n: n, c: &http.Client{Jar: jar}}
	_, body, _ := p.get("/auth/sign_in")
	m := csrfFieldRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the sign-in page has no form token:\n%s", body)
	}
	code, body, at := p.send("/auth/sign_in", url.Values{"csrf_token": {m[1]}, "username": {username}, "password": {"a long password"}, "return_to": {"/admin/accounts/new"}})
	if code != http.StatusOK && code != http.StatusForbidden {
		t.Fatalf("signing in %s: %d at %s\n%s", username, code, at, body)
	}
	return p
}

// get fetches path and returns the final status, body and path.
func (p *pageClient) get(path string) (int, string, string) {
	p.t.Helper()
	resp, err := p.c.Get(p.n.base + path)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.read(resp)
}

// send posts form to path as it is, with no token added.
func (p *pageClient) send(path string, form url.Values) (int, string, string) {
	p.t.Helper()
	resp, err := p.c.PostForm(p.n.base+path, form)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.read(resp)
}

// post posts form to path with the session's CSRF token, read once from
// a page that carries it.
func (p *pageClient) post(path string, form url.Values) (int, string, string) {
	p.t.Helper()
	f := url.Values{"csrf_token": {p.token()}}
	for k, v := range form {
		f[k] = v
	}
	return p.send(path, f)
}

func (p *pageClient) token() string {
	p.t.Helper()
	if p.csrf == "" {
		for _, path := range []string{"/admin/accounts/new", p.formPage} {
			_, body, _ := p.get(path)
			if m := csrfFieldRE.FindStringSubmatch(body); m != nil {
				p.csrf = m[1]
				break
			}
		}
		if p.csrf == "" {
			p.t.Fatal("no page shows this session's form token")
		}
	}
	return p.csrf
}

func (p *pageClient) read(resp *http.Response) (int, string, string) {
	p.t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// A template that fails half-way leaves a page without its end.
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && !strings.Contains(string(b), "</html>") {
		p.t.Fatalf("%s %s: the page stops short:\n%s", resp.Request.Method, resp.Request.URL.Path, b)
	}
	return resp.StatusCode, string(b), resp.Request.URL.RequestURI()
}

// mustPost posts and expects the page it lands on to say done.
func (p *pageClient) mustPost(path string, form url.Values, done string) string {
	p.t.Helper()
	code, body, at := p.post(path, form)
	if code != http.StatusOK || !strings.Contains(at, "done="+done) {
		p.t.Fatalf("POST %s: %d at %s, want done=%s\n%s", path, code, at, done, body)
	}
	return at
}

// The admin pages do what the admin API does, through the same rules: an
// admin sees what needs attention, creates and verifies a clinician,
// changes a role, suspends and lifts it, resolves a report with an action,
// blocks a domain and makes an invite link, each of which is in the audit
// log; a moderator handles reports but not admins' work; a plain user gets
// nothing; and no form works without its CSRF token.
func TestAdminPagesRunTheServerThroughTheSameRules(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		mk := func(name, role string, approved bool) *storage.User {
			u, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: approved, Reason: "I work on ward 7"})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		mk("boss", social.RoleAdmin, true)
		mk("mod", social.RoleModerator, true)
		mk("plain", social.RoleUser, true)
		mk("applicant", social.RoleUser, false)
		reporter := mk("reporter", social.RoleUser, true)
		troll := mk("troll", social.RoleUser, true)

		st, err := n.svc.PostStatus(ctx, troll.Account, social.NewStatus{Text: "buy my supplements", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := n.svc.Report(ctx, reporter.Account, social.NewReport{TargetAccountID: troll.AccountID, StatusIDs: []int64{st.ID}, Comment: "advertising", Category: "spam"})
		if err != nil {
			t.Fatal(err)
		}

		// A remote follower whose server refuses deliveries.
		refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }))
		defer refusing.Close()
		uri := refusing.URL + "/users/f"
		f := &storage.Account{Username: "f", URI: uri, InboxURL: uri + "/inbox", KeyID: uri + "#main-key", ActorType: "Person", Fields: "[]"}
		if err := n.svc.StoreRemoteAccount(ctx, f); err != nil {
			t.Fatal(err)
		}
		if err := n.svc.ReceiveFollow(ctx, f, troll.Account, uri+"/follows/1"); err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.PostStatus(ctx, troll.Account, social.NewStatus{Text: "and my tonics", Visibility: social.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}

		// Not signed in: to the sign-in page.
		anon := &pageClient{t: t, n: n, c: &http.Client{}}
		if _, _, at := anon.get("/admin"); !strings.HasPrefix(at, "/auth/sign_in") {
			t.Fatalf("GET /admin signed out ended at %s", at)
		}

		admin := signInPages(t, n, "boss")
		refusingHost := refusing.Listener.Addr().String()
		// The host shows as soon as its deliveries are queued; wait for the
		// refusals themselves.
		eventually(t, "the refused deliveries being recorded", func() bool {
			health, err := n.svc.FederationHealth(ctx, social.StaffActor(mustUser(t, n, "boss")))
			return err == nil && len(health) == 1 && health[0].Failed >= 1
		})
		code, body, _ := admin.get("/admin")
		for _, want := range []string{"@applicant", "I work on ward 7", fmt.Sprintf("/admin/reports/%d", rep.ID), "@troll", refusingHost} {
			if code != http.StatusOK || !strings.Contains(body, want) {
				t.Fatalf("the dashboard (%d) lacks %q:\n%s", code, want, body)
			}
		}
		health, err := n.svc.FederationHealth(ctx, social.StaffActor(mustUser(t, n, "boss")))
		if err != nil || len(health) != 1 || health[0].Domain != refusingHost || health[0].Failed < 1 {
			t.Fatalf("federation health = %+v, %v", health, err)
		}

		// Approve the applicant.
		admin.mustPost(fmt.Sprintf("/admin/accounts/%d/approve", mustID(t, n, "applicant")), nil, "approved")

		// Search.
		if _, body, _ := admin.get("/admin/accounts?username=tro&origin=local"); !strings.Contains(body, "@troll") || strings.Contains(body, "@plain") {
			t.Fatalf("searching for tro:\n%s", body)
		}

		// Create a clinician, verify them, change their role.
		at := admin.mustPost("/admin/accounts", url.Values{"username": {"dr_aoife"}, "email": {"aoife@hospital.example"}, "password": {"a long password"}, "role": {"user"}}, "created")
		aoife := mustID(t, n, "dr_aoife")
		if !strings.HasPrefix(at, fmt.Sprintf("/admin/accounts/%d?", aoife)) {
			t.Fatalf("after creating, the browser is at %s", at)
		}
		// A refused creation comes back to the form, with what to fix.
		code, body, _ = admin.post("/admin/accounts", url.Values{"username": {"dr_aoife"}, "email": {"other@hospital.example"}, "password": {"a long password"}, "role": {"user"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "taken already") || !strings.Contains(body, `value="other@hospital.example"`) {
			t.Fatalf("creating a taken username: %d\n%s", code, body)
		}
		code, body, _ = admin.post("/admin/accounts", url.Values{"username": {"dr ciara"}, "password": {"a long password"}, "role": {"user"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Username must be") {
			t.Fatalf("creating a bad username: %d\n%s", code, body)
		}
		admin.mustPost(fmt.Sprintf("/admin/accounts/%d/verification", aoife), url.Values{
			"profession": {"doctor"}, "regulator": {"Medical Council of Ireland"}, "registration_number": {"421337"}, "organisation": {"St James's Hospital"},
		}, "verified")
		code, acct := call(t, n, tokenFor(t, n, "plain", "read"), "GET", fmt.Sprintf("/api/v1/accounts/%d", aoife), nil)
		fields, _ := acct["fields"].([]any)
		if code != http.StatusOK || len(fields) != 1 {
			t.Fatalf("aoife's account: %d %v", code, acct)
		}
		if fl := fields[0].(map[string]any); fl["name"] != "Registered" || fl["value"] != "Medical Council of Ireland 421337" || fl["verified_at"] == nil {
			t.Fatalf("aoife's Registered field: %v", fl)
		}
		admin.mustPost(fmt.Sprintf("/admin/accounts/%d/role", aoife), url.Values{"role": {"moderator"}}, "role")
		if u := mustUser(t, n, "dr_aoife"); u.Role != social.RoleModerator {
			t.Fatalf("aoife's role is %s", u.Role)
		}
		// A role as high as the admin's own is refused.
		if code, _, _ := admin.post(fmt.Sprintf("/admin/accounts/%d/role", aoife), url.Values{"role": {"admin"}}); code != http.StatusForbidden {
			t.Fatalf("making an admin as an admin: %d", code)
		}

		// A password reset link, shown once.
		if code, body, _ := admin.post(fmt.Sprintf("/admin/accounts/%d/password_reset", aoife), nil); code != http.StatusOK || !strings.Contains(body, n.base+"/auth/password/reset/") {
			t.Fatalf("password reset link (%d):\n%s", code, body)
		}
		if code, body, _ := admin.get(fmt.Sprintf("/admin/accounts/%d", aoife)); code != http.StatusOK || !strings.Contains(body, "Medical Council of Ireland 421337") || !strings.Contains(body, "Revoke the verification") {
			t.Fatalf("aoife's page (%d):\n%s", code, body)
		}

		// Suspend and lift it.
		trollPath := fmt.Sprintf("/admin/accounts/%d", troll.AccountID)
		admin.mustPost(trollPath+"/action", url.Values{"type": {"suspend"}, "text": {"spam"}}, "action")
		if a, _ := n.svc.AccountByURI(ctx, troll.Account.URI); a == nil || !a.Suspended() {
			t.Fatal("troll is not suspended")
		}
		admin.mustPost(trollPath+"/unsuspend", url.Values{"reason": {"appealed"}}, "unsuspended")
		if a, _ := n.svc.AccountByURI(ctx, troll.Account.URI); a == nil || a.Suspended() {
			t.Fatal("troll is still suspended")
		}

		// The report, with its post, resolved by limiting the account.
		repPath := fmt.Sprintf("/admin/reports/%d", rep.ID)
		if code, body, _ := admin.get(repPath); code != http.StatusOK || !strings.Contains(body, "buy my supplements") || !strings.Contains(body, "advertising") {
			t.Fatalf("the report page (%d):\n%s", code, body)
		}
		admin.mustPost(repPath+"/resolve", url.Values{"action": {"silence"}, "text": {"advertising on a clinical server"}}, "resolved")
		if r, err := n.svc.ReportByID(ctx, social.CommandLine, rep.ID); err != nil || r.ActionTakenAt == nil {
			t.Fatalf("the report is not resolved: %v", err)
		}
		if a, _ := n.svc.AccountByURI(ctx, troll.Account.URI); a == nil || a.SilencedAt == nil {
			t.Fatal("troll is not limited")
		}

		// A domain block and an invite link.
		admin.mustPost("/admin/domain_blocks", url.Values{"domain": {"spam.example"}, "severity": {"suspend"}, "private_comment": {"bulk spam"}}, "blocked")
		if _, body, _ := admin.get("/admin/domain_blocks"); !strings.Contains(body, "spam.example") {
			t.Fatalf("the domain blocks page lacks the block:\n%s", body)
		}
		admin.mustPost("/admin/domain_allows", url.Values{"domain": {"hse.example"}}, "allowed")
		admin.mustPost("/admin/federation_mode", url.Values{"mode": {"allowlist"}}, "federation_mode")
		if _, body, _ := admin.get("/admin/domain_blocks"); !strings.Contains(body, "<td>hse.example</td>") || !strings.Contains(body, `value="allowlist" checked`) {
			t.Fatalf("the domain blocks page lacks the allowlist:\n%s", body)
		}
		admin.mustPost("/admin/federation_mode", url.Values{"mode": {"open"}}, "federation_mode")
		admin.mustPost("/admin/invites", url.Values{"comment": {"new SHOs"}, "max_uses": {"5"}, "expires_in": {"7d"}}, "invite")
		if _, body, _ := admin.get("/admin/invites"); !strings.Contains(body, n.base+"/invite/") || !strings.Contains(body, "new SHOs") {
			t.Fatalf("the invites page lacks the link:\n%s", body)
		}

		// The settings.
		if code, body, _ := admin.get("/admin/settings"); code != http.StatusOK || !strings.Contains(body, "Who may sign up") {
			t.Fatalf("settings page (%d):\n%s", code, body)
		}
		admin.mustPost("/admin/settings", url.Values{"registrations_mode": {"invite"}, "guard_policy": {"block"}, "send_delay": {"0s"}}, "settings")
		if st, _ := n.svc.Settings(ctx); st.RegistrationsMode != social.RegistrationsInvite {
			t.Fatalf("registrations mode = %s", st.RegistrationsMode)
		}

		// Every action is in the audit log, and in its CSV.
		_, audit, _ := admin.get("/admin/audit")
		for _, action := range []string{"approve", "create_account", "verify_clinician", "change_role", "suspend", "unsuspend", "limit", "block_domain", "create_invite", "create_password_reset_link", "update_settings"} {
			if !strings.Contains(audit, "<td>"+action+"</td>") {
				t.Errorf("the audit log lacks %s", action)
			}
		}
		resp, err := admin.c.Get(n.base + "/admin/audit.csv")
		if err != nil {
			t.Fatal(err)
		}
		csv, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(string(csv), "block_domain") {
			t.Fatalf("audit CSV: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), csv)
		}

		// A moderator handles reports, not admins' work.
		mod := signInPages(t, n, "mod")
		mod.formPage = trollPath
		for _, path := range []string{"/admin", "/admin/reports", repPath, "/admin/accounts", trollPath} {
			if code, body, _ := mod.get(path); code != http.StatusOK {
				t.Fatalf("moderator GET %s: %d\n%s", path, code, body)
			}
		}
		for _, path := range []string{"/admin/accounts/new", "/admin/invites", "/admin/domain_blocks", "/admin/audit", "/admin/audit.csv", "/admin/settings"} {
			if code, _, _ := mod.get(path); code != http.StatusForbidden {
				t.Errorf("moderator GET %s: %d, want 403", path, code)
			}
		}
		for path, form := range map[string]url.Values{
			"/admin/accounts":           {"username": {"sneaky"}, "password": {"a long password"}},
			trollPath + "/verification": {"profession": {"doctor"}, "regulator": {"GMC"}, "registration_number": {"1"}},
			trollPath + "/role":         {"role": {"user"}},
			trollPath + "/approve":      nil,
			"/admin/domain_blocks":      {"domain": {"other.example"}},
			"/admin/invites":            {"expires_in": {"7d"}},
			"/admin/settings":           {"send_delay": {"0s"}},
			fmt.Sprintf("/admin/accounts/%d/password_reset", troll.AccountID): nil,
		} {
			if code, _, _ := mod.post(path, form); code != http.StatusForbidden {
				t.Errorf("moderator POST %s: %d, want 403", path, code)
			}
		}
		mod.mustPost(repPath+"/reopen", nil, "reopened")
		mod.mustPost(repPath+"/resolve", url.Values{"action": {"resolve"}, "text": {"already limited"}}, "resolved")

		// A plain user gets nothing.
		plain := signInPages(t, n, "plain")
		for _, path := range []string{"/admin", "/admin/accounts", "/admin/reports"} {
			if code, _, _ := plain.get(path); code != http.StatusForbidden {
				t.Errorf("plain user GET %s: %d, want 403", path, code)
			}
		}

		// No form works without its CSRF token, nor with another's.
		posts := []string{
			"/admin/accounts", trollPath + "/approve", trollPath + "/reject", trollPath + "/action", trollPath + "/unsuspend",
			trollPath + "/unsilence", trollPath + "/enable", trollPath + "/delete", trollPath + "/role", trollPath + "/verification",
			trollPath + "/verification/revoke", trollPath + "/reset_two_factor", trollPath + "/password_reset",
			"/admin/invites", "/admin/invites/1/revoke", "/admin/domain_allows", "/admin/domain_allows/1/remove", "/admin/federation_mode", repPath + "/assign", repPath + "/unassign", repPath + "/resolve",
			repPath + "/reopen", "/admin/domain_blocks", "/admin/domain_blocks/1/remove", "/admin/settings",
		}
		for _, path := range posts {
			if code, _, _ := admin.send(path, url.Values{"type": {"suspend"}, "role": {"user"}}); code != http.StatusForbidden {
				t.Errorf("POST %s without a CSRF token: %d, want 403", path, code)
			}
			if code, _, _ := admin.send(path, url.Values{"csrf_token": {mod.token()}, "type": {"suspend"}}); code != http.StatusForbidden {
				t.Errorf("POST %s with another session's token: %d, want 403", path, code)
			}
		}
		if a, _ := n.svc.AccountByURI(ctx, troll.Account.URI); a == nil || a.Suspended() {
			t.Fatal("a form without its token suspended troll")
		}
	})
}

func mustUser(t *testing.T, n *node, username string) *storage.User {
	t.Helper()
	u, err := n.svc.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// In a real browser: an admin suspends an account from its page and lifts
// the suspension, and every form of the admin pages refuses a post without
// its CSRF token.
func TestAdminPagesInBrowserSuspendAndUnsuspend(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	n.user(t, "boss", false)
	if err := n.svc.SetRole(ctx, social.CommandLine, mustID(t, n, "boss"), social.RoleAdmin, ""); err != nil {
		t.Fatal(err)
	}
	troll := n.user(t, "troll", false)
	reporter := n.user(t, "reporter", false)
	rep, err := n.svc.Report(ctx, reporter, social.NewReport{TargetAccountID: troll.ID, Comment: "advertising"})
	if err != nil {
		t.Fatal(err)
	}
	_, b := newBrowser(t)
	cookie := b.signIn(n, "boss")
	page := fmt.Sprintf("%s/admin/accounts/%d", n.base, troll.ID)
	b.visit(page)
	b.run("choose to suspend",
		chromedp.SetValue(chromedp.CSS("#action-type"), "suspend"),
		chromedp.SendKeys(chromedp.CSS("#action-text"), "Advertising supplements"),
	)
	b.clickAndLoad(`form[action$="/action"] button[type=submit]`, http.StatusOK)
	b.run("wait for the suspended badge", chromedp.WaitVisible(chromedp.CSS(".admin-facts .badge-suspended")))
	if text := b.text(); !strings.Contains(text, "The action was taken.") {
		t.Fatalf("after suspending, the page says:\n%s", text)
	}
	b.screenshot("suspended")
	if a, _ := n.svc.AccountByURI(ctx, troll.URI); a == nil || !a.Suspended() {
		t.Fatal("troll is not suspended")
	}
	b.clickAndLoad(`form[action$="/unsuspend"] button[type=submit]`, http.StatusOK)
	b.run("wait for the active badge", chromedp.WaitVisible(chromedp.CSS(".admin-facts .badge-active")))
	if a, _ := n.svc.AccountByURI(ctx, troll.URI); a == nil || a.Suspended() {
		t.Fatal("troll is still suspended")
	}
	b.visit(n.base + "/admin")
	b.screenshot("dashboard")

	for _, path := range []string{
		"/admin/accounts/new", fmt.Sprintf("/admin/accounts/%d", troll.ID), fmt.Sprintf("/admin/reports/%d", rep.ID),
		"/admin/invites", "/admin/domain_blocks", "/admin/settings",
	} {
		checkPage(t, n.base+path, cookie)
		if formsRefuseWithoutCSRF(t, n.base+path, cookie) == 0 {
			t.Errorf("%s has no form", path)
		}
	}
	for _, path := range []string{"/admin", "/admin/accounts", "/admin/reports", "/admin/audit"} {
		checkPage(t, n.base+path, cookie)
	}
}
