package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// tokenFor makes an access token for username with scopes, as
// `rounds admin token create` does.
func tokenFor(t *testing.T, n *node, username, scopes string) string {
	t.Helper()
	tok, err := n.svc.CreateToken(context.Background(), social.CommandLine, username, scopes, "test")
	if err != nil {
		t.Fatalf("token for %s: %v", username, err)
	}
	return tok.Token
}

// call sends method path with form values and token ("" for none) and
// returns the status and the decoded JSON body.
func call(t *testing.T, n *node, token, method, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, n.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	} else if len(raw) > 0 && raw[0] == '[' {
		var list []any
		if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
		out = map[string]any{"list": list}
	}
	return resp.StatusCode, out
}

// Every admin endpoint: refused without a token (401), to a plain user and
// to a token without admin scopes (403), to a suspended admin, to a
// moderator where the work is an admin's (403); done by an admin, leaving
// an audit entry for every change.
func TestAdminAPIEnforcesRolesOnEveryEndpoint(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		mk := func(name, role string, approved bool) *storage.User {
			u, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: approved})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		mk("owner", social.RoleOwner, true)
		mk("admin", social.RoleAdmin, true)
		mk("mod", social.RoleModerator, true)
		mk("plain", social.RoleUser, true)
		mk("gone_admin", social.RoleAdmin, true)
		reporter := mk("reporter", social.RoleUser, true)

		adminScopes := "read write admin:read admin:write"
		admin := tokenFor(t, n, "admin", adminScopes)
		mod := tokenFor(t, n, "mod", adminScopes)
		plain := tokenFor(t, n, "plain", adminScopes)
		unscoped := tokenFor(t, n, "admin", "read write follow")
		gone := tokenFor(t, n, "gone_admin", adminScopes)
		if _, err := n.svc.SuspendUser(ctx, "gone_admin"); err != nil {
			t.Fatal(err)
		}

		// Each endpoint gets targets of its own, in the state it needs.
		seq := 0
		target := func(prep func(id int64)) string {
			seq++
			u := mk(fmt.Sprintf("target%d", seq), social.RoleUser, true)
			if prep != nil {
				prep(u.AccountID)
			}
			return fmt.Sprint(u.AccountID)
		}
		pending := func() string {
			seq++
			return fmt.Sprint(mk(fmt.Sprintf("applicant%d", seq), social.RoleUser, false).AccountID)
		}
		report := func(resolved bool) string {
			id := target(nil)
			var tid int64
			fmt.Sscan(id, &tid)
			r, err := n.svc.Report(ctx, reporter.Account, social.NewReport{TargetAccountID: tid, Comment: "please look"})
			if err != nil {
				t.Fatal(err)
			}
			if resolved {
				if _, err := n.svc.ResolveReport(ctx, social.CommandLine, r.ID, ""); err != nil {
					t.Fatal(err)
				}
			}
			return fmt.Sprint(r.ID)
		}
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		act := func(typ string) func(int64) {
			return func(id int64) { must(n.svc.TakeAction(ctx, social.CommandLine, id, social.AccountAction{Type: typ})) }
		}
		verified := func(id int64) {
			_, err := n.svc.VerifyClinician(ctx, social.CommandLine, id, social.ClinicianDetails{Profession: "nurse", Regulator: "NMBI", RegistrationNumber: "112233"}, "")
			must(err)
		}
		verify := url.Values{"profession": {"doctor"}, "regulator": {"Medical Council of Ireland"}, "registration_number": {"445566"}, "recheck_at": {"2030-01-31"}}

		type endpoint struct {
			method, path string
			form         url.Values
			modOK        bool   // a moderator may do it
			audit        string // the audit action an admin's call leaves
		}
		endpoints := []endpoint{
			{"GET", "/api/v1/admin/accounts?local=true", nil, true, ""},
			{"GET", "/api/v2/admin/accounts?origin=local&status=active", nil, true, ""},
			{"GET", "/api/v1/admin/accounts/" + target(nil), nil, true, ""},
			{"POST", "/api/v1/admin/accounts/" + target(nil) + "/action", url.Values{"type": {"none"}, "text": {"tone"}}, true, "warn"},
			{"POST", "/api/v1/admin/accounts/" + target(nil) + "/action", url.Values{"type": {"silence"}}, true, "limit"},
			{"POST", "/api/v1/admin/accounts/" + target(nil) + "/action", url.Values{"type": {"suspend"}}, true, "suspend"},
			{"POST", "/api/v1/admin/accounts/" + target(nil) + "/action", url.Values{"type": {"disable"}}, false, "disable"},
			{"POST", "/api/v1/admin/accounts/" + target(act(social.ActionSilence)) + "/unsilence", nil, true, "unlimit"},
			{"POST", "/api/v1/admin/accounts/" + target(act(social.ActionSuspend)) + "/unsuspend", nil, true, "unsuspend"},
			{"POST", "/api/v1/admin/accounts/" + target(act(social.ActionDisable)) + "/enable", nil, false, "enable"},
			{"POST", "/api/v1/admin/accounts/" + pending() + "/approve", nil, false, "approve"},
			{"POST", "/api/v1/admin/accounts/" + pending() + "/reject", nil, false, "reject"},
			{"DELETE", "/api/v1/admin/accounts/" + target(act(social.ActionSuspend)), nil, false, "delete"},
			{"POST", "/api/v1/admin/accounts/" + target(nil) + "/role", url.Values{"role": {"moderator"}}, false, "change_role"},
			{"POST", "/api/v1/admin/accounts/" + target(nil) + "/verification", verify, false, "verify_clinician"},
			{"DELETE", "/api/v1/admin/accounts/" + target(verified) + "/verification", nil, false, "revoke_verification"},
			{"GET", "/api/v1/admin/audit_log", nil, false, ""},
			{"GET", "/api/v1/admin/reports", nil, true, ""},
			{"GET", "/api/v1/admin/reports/" + report(false), nil, true, ""},
			{"POST", "/api/v1/admin/reports/" + report(false) + "/assign_to_self", nil, true, "assign_report"},
			{"POST", "/api/v1/admin/reports/" + report(false) + "/unassign", nil, true, "unassign_report"},
			{"POST", "/api/v1/admin/reports/" + report(false) + "/resolve", nil, true, "resolve_report"},
			{"POST", "/api/v1/admin/reports/" + report(true) + "/reopen", nil, true, "reopen_report"},
			{"PUT", "/api/v1/admin/reports/" + report(false), url.Values{"category": {"violation"}, "rule_ids[]": {"1"}}, true, "update_report"},
		}
		for _, e := range endpoints {
			what := e.method + " " + e.path
			if code, _ := call(t, n, "", e.method, e.path, e.form); code != http.StatusUnauthorized {
				t.Errorf("%s without a token: %d, want 401", what, code)
			}
			for who, tok := range map[string]string{"a plain user": plain, "an admin token without admin scopes": unscoped} {
				if code, body := call(t, n, tok, e.method, e.path, e.form); code != http.StatusForbidden || body["error"] == nil {
					t.Errorf("%s by %s: %d %v, want 403 with an error", what, who, code, body)
				}
			}
			if code, _ := call(t, n, gone, e.method, e.path, e.form); code != http.StatusUnauthorized && code != http.StatusForbidden {
				t.Errorf("%s by a suspended admin: %d, want 401 or 403", what, code)
			}
			if !e.modOK {
				if code, _ := call(t, n, mod, e.method, e.path, e.form); code != http.StatusForbidden {
					t.Errorf("%s by a moderator: %d, want 403", what, code)
				}
			}
			tok := admin
			if e.modOK && e.method != "GET" {
				tok = mod // a moderator's own work, done by the moderator
			}
			code, body := call(t, n, tok, e.method, e.path, e.form)
			if code != http.StatusOK {
				t.Errorf("%s by staff: %d %v, want 200", what, code, body)
				continue
			}
			if strings.Contains(e.path, "/reports/") && e.method == "GET" {
				requireKeys(t, "Admin::Report", body, "id", "action_taken", "action_taken_at", "category", "comment", "forwarded",
					"created_at", "updated_at", "account", "target_account", "assigned_account", "action_taken_by_account", "statuses", "rules")
			}
			if strings.HasPrefix(e.path, "/api/v1/admin/accounts/") && e.method == "GET" {
				requireKeys(t, "Admin::Account", body, "id", "username", "domain", "created_at", "email", "ip", "ips", "locale",
					"invite_request", "role", "confirmed", "approved", "disabled", "silenced", "suspended", "account",
					"created_by_application_id", "invited_by_account_id")
			}
			if e.audit != "" {
				entries, err := n.svc.AuditLog(ctx, social.CommandLine, storage.AuditFilter{Action: e.audit}, storage.Page{})
				if err != nil || len(entries) == 0 {
					t.Errorf("%s left no %q audit entry (%v)", what, e.audit, err)
				} else if who := entries[0].Actor; who != "@admin" && who != "@mod" {
					t.Errorf("%s: audit entry by %q", what, who)
				}
			}
		}

		// PUT /api/v1/admin/reports/:id changes the category and the rules,
		// and refuses a category Mastodon does not have.
		updated := report(false)
		if code, body := call(t, n, mod, "PUT", "/api/v1/admin/reports/"+updated, url.Values{"category": {"spam"}, "rule_ids[]": {"2", "3"}}); code != http.StatusOK || body["category"] != "spam" {
			t.Errorf("PUT a report's category: %d %v", code, body)
		}
		if code, body := call(t, n, mod, "PUT", "/api/v1/admin/reports/"+updated, url.Values{"category": {"rudeness"}}); code != http.StatusUnprocessableEntity || body["error"] == nil {
			t.Errorf("PUT a report with an unknown category: %d %v, want 422", code, body)
		}
		if rep, err := n.svc.ReportByID(ctx, social.CommandLine, mustInt(t, updated)); err != nil || rep.Category != "spam" || rep.RuleIDs != `["2","3"]` {
			t.Errorf("the report after PUT: %+v %v", rep, err)
		}

		// The audit log as CSV, for admins: every action above is in it.
		req, _ := http.NewRequest("GET", n.base+"/api/v1/admin/audit_log?format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		csvBody, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(string(csvBody), "time,actor,action,target_type,target_id,target,reason,detail\n") {
			t.Fatalf("audit CSV: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), csvBody)
		}
		for _, e := range endpoints {
			if e.audit != "" && !strings.Contains(string(csvBody), ","+e.audit+",") {
				t.Errorf("the audit CSV lacks %q", e.audit)
			}
		}

		// The Rounds extensions read a JSON body as well as a form.
		roleTarget := target(nil)
		req, _ = http.NewRequest("POST", n.base+"/api/v1/admin/accounts/"+roleTarget+"/role", strings.NewReader(`{"role":"moderator","text":"runs the rota"}`))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var roleBody map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&roleBody)
		resp.Body.Close()
		if role, _ := roleBody["role"].(map[string]any); resp.StatusCode != http.StatusOK || role["name"] != "Moderator" {
			t.Fatalf("role change with a JSON body: %d %v", resp.StatusCode, roleBody)
		}

		// A moderator cannot act on an admin, nor anyone on themselves.
		adminUser, _ := n.svc.UserByUsername(ctx, "admin")
		if code, _ := call(t, n, mod, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", adminUser.AccountID), url.Values{"type": {"suspend"}}); code != http.StatusForbidden {
			t.Errorf("a moderator suspending an admin: %d, want 403", code)
		}
		if code, body := call(t, n, admin, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", adminUser.AccountID), url.Values{"type": {"silence"}}); code != http.StatusUnprocessableEntity {
			t.Errorf("an admin limiting themselves: %d %v, want 422", code, body)
		}
		// Filters page through pending accounts only.
		_, body := call(t, n, admin, "GET", "/api/v2/admin/accounts?status=pending", nil)
		for _, v := range body["list"].([]any) {
			if v.(map[string]any)["approved"] != false {
				t.Errorf("status=pending listed %v", v)
			}
		}
		if code, _ := call(t, n, admin, "GET", "/api/v2/admin/accounts?status=frozen", nil); code != http.StatusUnprocessableEntity {
			t.Errorf("an unknown status filter: %d, want 422", code)
		}
	})
}

// Suspending a clinician makes them vanish from another server (a
// federated Delete of the actor); lifting it brings the account back there.
// A report forwarded from that server arrives as a Flag and becomes a
// report here.
func TestSuspensionAndReportsFederate(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "boss", false)
		if err := a.svc.SetRole(ctx, social.CommandLine, mustID(t, a, "boss"), social.RoleAdmin, ""); err != nil {
			t.Fatal(err)
		}
		bob := b.user(t, "bob", false)
		aliceOnB := followAcross(t, b, bob, a, "alice")
		st, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Grand rounds at 1pm: delirium on the wards", Visibility: social.VisibilityPublic})
		if err != nil {
			t.Fatal(err)
		}
		remote := waitInHome(t, b, bob, st.URI, "alice's post on B")

		// bob reports the post on B and forwards it to A.
		bobTok := tokenFor(t, b, "bob", "read write")
		code, rep := call(t, b, bobTok, "POST", "/api/v1/reports", url.Values{
			"account_id": {fmt.Sprint(aliceOnB.ID)}, "status_ids[]": {fmt.Sprint(remote.ID)},
			"comment": {"this might identify a patient"}, "forward": {"true"}, "category": {"other"},
		})
		if code != http.StatusOK || rep["forwarded"] != true {
			t.Fatalf("bob's report: %d %v", code, rep)
		}
		requireKeys(t, "Report", rep, "id", "action_taken", "action_taken_at", "category", "comment", "forwarded", "created_at", "status_ids", "rule_ids", "target_account")
		bossTok := tokenFor(t, a, "boss", "admin:read admin:write")
		var flagged map[string]any
		eventually(t, "the Flag reaching A as a report", func() bool {
			_, body := call(t, a, bossTok, "GET", "/api/v1/admin/reports", nil)
			list, _ := body["list"].([]any)
			if len(list) != 1 {
				return false
			}
			flagged = list[0].(map[string]any)
			return true
		})
		if flagged["comment"] != "this might identify a patient" || flagged["target_account"].(map[string]any)["username"] != "alice" {
			t.Fatalf("the report on A = %v", flagged)
		}
		if sts := flagged["statuses"].([]any); len(sts) != 1 || sts[0].(map[string]any)["uri"] != st.URI {
			t.Fatalf("the report on A names %v, want alice's post", flagged["statuses"])
		}
		if reporter := flagged["account"].(map[string]any); reporter["domain"] != b.domain || reporter["username"] == "bob" {
			t.Fatalf("the report on A names %v as its reporter; want B's instance actor, never bob", reporter)
		}

		// The admin on A suspends alice, resolving the report.
		code, body := call(t, a, bossTok, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", alice.ID),
			url.Values{"type": {"suspend"}, "text": {"posted a patient's details"}, "report_id": {flagged["id"].(string)}})
		if code != http.StatusOK {
			t.Fatalf("suspend: %d %v", code, body)
		}
		eventually(t, "B learning alice is gone", func() bool {
			acct, err := b.svc.AccountByURI(ctx, alice.URI)
			return err == nil && acct.Suspended()
		})
		if _, err := b.svc.StatusByURI(ctx, st.URI); err == nil {
			t.Fatal("alice's post is still on B after her suspension")
		}
		if _, body := call(t, a, bossTok, "GET", fmt.Sprintf("/api/v1/admin/reports/%s", flagged["id"]), nil); body["action_taken"] != true {
			t.Fatalf("the report was not resolved by the action: %v", body)
		}
		// alice can do nothing.
		if code, _ := call(t, a, tokenFor(t, a, "boss", "read"), "GET", "/api/v1/accounts/verify_credentials", nil); code != http.StatusOK {
			t.Fatal("boss lost access")
		}
		c := mastodon.NewClient(&mastodon.Config{Server: a.base})
		if err := c.Authenticate(ctx, "alice", "a long password"); err == nil {
			t.Fatal("a suspended clinician signed in")
		}
		if code, _ := call(t, a, "", "GET", "/users/alice", nil); code != http.StatusNotFound && code != http.StatusGone {
			t.Fatalf("the suspended actor document answers %d", code)
		}

		// Lifting the suspension brings her back on B.
		if code, body := call(t, a, bossTok, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/unsuspend", alice.ID), nil); code != http.StatusOK || body["suspended"] != false {
			t.Fatalf("unsuspend: %d %v", code, body)
		}
		eventually(t, "B seeing alice back", func() bool {
			acct, err := b.svc.AccountByURI(ctx, alice.URI)
			return err == nil && !acct.Suspended()
		})

		// Deleting her content for good tells B again.
		if code, body := call(t, a, bossTok, "DELETE", fmt.Sprintf("/api/v1/admin/accounts/%d", alice.ID), url.Values{"text": {"left the service"}}); code != http.StatusOK {
			t.Fatalf("delete: %d %v", code, body)
		}
		eventually(t, "B learning alice was deleted", func() bool {
			acct, err := b.svc.AccountByURI(ctx, alice.URI)
			return err == nil && acct.Suspended()
		})
		if _, err := a.svc.StatusByURI(ctx, st.URI); err == nil {
			t.Fatal("alice's post is still on A after deleting her content")
		}
	})
}

func mustID(t *testing.T, n *node, username string) int64 {
	t.Helper()
	id, err := n.svc.LocalAccountID(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A verified clinician's registration reaches Mastodon apps as a field with
// verified_at, and other servers in the actor's attachment; the clinician
// cannot fake it.
func TestVerifiedClinicianFieldAsMastodonAppsAndServersSeeIt(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		a.user(t, "dr_niamh", false)
		a.user(t, "boss", false)
		if err := a.svc.SetRole(ctx, social.CommandLine, mustID(t, a, "boss"), social.RoleAdmin, ""); err != nil {
			t.Fatal(err)
		}
		bob := b.user(t, "bob", false)
		niamhOnB := followAcross(t, b, bob, a, "dr_niamh")

		boss := tokenFor(t, a, "boss", "admin:write")
		code, body := call(t, a, boss, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/verification", mustID(t, a, "dr_niamh")), url.Values{
			"profession": {"doctor"}, "regulator": {"Medical Council of Ireland"}, "registration_number": {"421337"}, "organisation": {"Tallaght University Hospital"},
		})
		if code != http.StatusOK || body["rounds_verification"] == nil {
			t.Fatalf("verify: %d %v", code, body)
		}

		niamh := signIn(t, a, "dr_niamh")
		me, err := niamh.GetAccountCurrentUser(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(me.Fields) != 1 || me.Fields[0].Name != "Registered" || me.Fields[0].Value != "Medical Council of Ireland 421337" || me.Fields[0].VerifiedAt.IsZero() {
			t.Fatalf("the Mastodon client library reads fields %+v", me.Fields)
		}
		// Faking it through update_credentials is refused with a clear error.
		_, err = niamh.AccountUpdate(ctx, &mastodon.Profile{Fields: &[]mastodon.Field{{Name: "Registered", Value: "GMC 7654321"}}})
		if err == nil || !strings.Contains(err.Error(), "422") || !strings.Contains(err.Error(), "admins") {
			t.Fatalf("faking the field: %v", err)
		}

		// B sees the field in the actor's attachment, and its removal.
		eventually(t, "B seeing the Registered field", func() bool {
			acct, err := b.svc.AccountByURI(ctx, niamhOnB.URI)
			return err == nil && strings.Contains(acct.Fields, "Medical Council of Ireland 421337")
		})
		if code, _ := call(t, a, boss, "DELETE", fmt.Sprintf("/api/v1/admin/accounts/%d/verification", mustID(t, a, "dr_niamh")), nil); code != http.StatusOK {
			t.Fatalf("revoke: %d", code)
		}
		eventually(t, "B seeing the field go", func() bool {
			acct, err := b.svc.AccountByURI(ctx, niamhOnB.URI)
			return err == nil && !strings.Contains(acct.Fields, "421337")
		})
		if me, _ = niamh.GetAccountCurrentUser(ctx); len(me.Fields) != 0 {
			t.Fatalf("fields after revoking: %+v", me.Fields)
		}
	})
}
