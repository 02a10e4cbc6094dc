package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// pageAll follows rel="next" from path and returns every id, failing on
// one seen twice.
func pageAll(t *testing.T, n *node, token, path string) []string {
	t.Helper()
	var all []string
	seen := map[string]bool{}
	for pages := 0; path != "" && pages < 20; pages++ {
		var ids []string
		ids, path = getPage(t, n, token, path)
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%s listed twice", id)
			}
			seen[id] = true
			all = append(all, id)
		}
	}
	return all
}

// callFrom is call from the client address from (X-Forwarded-For, which
// the server trusts from loopback).
func callFrom(t *testing.T, n *node, from, token, method, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	h := map[string]string{"X-Forwarded-For": from}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	resp, body := oauthSend(t, http.DefaultClient, method, n.base+path, form, h)
	return resp.StatusCode, oauthJSON(t, resp, body)
}

func TestAdminEmailDomainCanonicalEmailAndIPBlocksAPI(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		for name, role := range map[string]string{"admin": social.RoleAdmin, "mod": social.RoleModerator, "plain": social.RoleUser} {
			if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true}); err != nil {
				t.Fatal(err)
			}
		}
		scopes := "read write admin:read admin:write"
		admin := tokenFor(t, n, "admin", scopes)
		// Granular scopes are enough, each for its own kind.
		granular := tokenFor(t, n, "admin", "admin:read:email_domain_blocks admin:write:email_domain_blocks admin:read:canonical_email_blocks admin:write:canonical_email_blocks admin:read:ip_blocks admin:write:ip_blocks")

		// Email domain blocks.
		code, blk := call(t, n, granular, "POST", "/api/v1/admin/email_domain_blocks", url.Values{"domain": {"Spam-Mail.Example."}})
		if code != http.StatusOK {
			t.Fatalf("POST email_domain_blocks: %d %v", code, blk)
		}
		requireKeys(t, "Admin::EmailDomainBlock", blk, "id", "domain", "created_at", "history")
		hist, _ := blk["history"].([]any)
		if blk["domain"] != "spam-mail.example" || !mastoTimeRE.MatchString(blk["created_at"].(string)) || len(hist) != 7 {
			t.Fatalf("block = %v", blk)
		}
		today := time.Now().UTC().Truncate(24 * time.Hour).Unix()
		if d, _ := hist[0].(map[string]any); d["day"] != fmt.Sprint(today) || d["uses"] != "0" || d["accounts"] != "0" {
			t.Fatalf("history[0] = %v, want today (%d) with no uses", d, today)
		}
		if d, _ := hist[6].(map[string]any); d["day"] != fmt.Sprint(today-6*86400) {
			t.Fatalf("history[6] = %v", d)
		}
		edID := blk["id"].(string)
		for _, bad := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"domain": {"spam-mail.example"}}, "Validation failed: Domain has already been taken"},
			{url.Values{}, "Validation failed: Domain can't be blank"},
			{url.Values{"domain": {"not a domain"}}, "is not a domain name"},
		} {
			if code, body := call(t, n, admin, "POST", "/api/v1/admin/email_domain_blocks", bad.form); code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(body["error"]), bad.want) {
				t.Errorf("POST %v: %d %v, want 422 %q", bad.form, code, body, bad.want)
			}
		}
		if code, got := call(t, n, admin, "GET", "/api/v1/admin/email_domain_blocks/"+edID, nil); code != http.StatusOK || got["domain"] != "spam-mail.example" || len(got["history"].([]any)) != 7 {
			t.Fatalf("GET one: %d %v", code, got)
		}
		for i := 0; i < 4; i++ {
			if code, body := call(t, n, admin, "POST", "/api/v1/admin/email_domain_blocks", url.Values{"domain": {fmt.Sprintf("d%d.example", i)}}); code != http.StatusOK {
				t.Fatalf("POST: %d %v", code, body)
			}
		}
		if ids := pageAll(t, n, admin, "/api/v1/admin/email_domain_blocks?limit=2"); len(ids) != 5 || ids[4] != edID {
			t.Fatalf("paging email domain blocks saw %v", ids)
		}
		if code, body := call(t, n, admin, "DELETE", "/api/v1/admin/email_domain_blocks/"+edID, nil); code != http.StatusOK || len(body) != 0 {
			t.Fatalf("DELETE: %d %v, want 200 {}", code, body)
		}
		for _, m := range []string{"GET", "DELETE"} {
			if code, body := call(t, n, admin, m, "/api/v1/admin/email_domain_blocks/"+edID, nil); code != http.StatusNotFound || body["error"] != "Record not found" {
				t.Fatalf("%s a lifted block: %d %v", m, code, body)
			}
		}

		// Canonical email blocks: the hash of the address with its dots and
		// +tag gone, lower case.
		sum := sha256.Sum256([]byte("janedoe@example.org"))
		janeHash := hex.EncodeToString(sum[:])
		code, cb := call(t, n, granular, "POST", "/api/v1/admin/canonical_email_blocks", url.Values{"email": {"Jane.Doe+Work@Example.ORG"}, "canonical_email_hash": {"ignored"}})
		if code != http.StatusOK || cb["canonical_email_hash"] != janeHash {
			t.Fatalf("POST canonical_email_blocks: %d %v, want hash %s", code, cb, janeHash)
		}
		requireKeys(t, "Admin::CanonicalEmailBlock", cb, "id", "canonical_email_hash")
		cbID := cb["id"].(string)
		other := strings.Repeat("ab", 32)
		code, cb2 := call(t, n, admin, "POST", "/api/v1/admin/canonical_email_blocks", url.Values{"canonical_email_hash": {strings.ToUpper(other)}})
		if code != http.StatusOK || cb2["canonical_email_hash"] != other {
			t.Fatalf("POST by hash: %d %v", code, cb2)
		}
		for _, bad := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"email": {"janedoe@example.org"}}, "Validation failed: Canonical email hash has already been taken"},
			{url.Values{}, "Validation failed: Canonical email hash can't be blank"},
			{url.Values{"canonical_email_hash": {"xyz"}}, "must be a hex SHA-256"},
		} {
			if code, body := call(t, n, admin, "POST", "/api/v1/admin/canonical_email_blocks", bad.form); code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(body["error"]), bad.want) {
				t.Errorf("POST %v: %d %v, want 422 %q", bad.form, code, body, bad.want)
			}
		}
		var matches []map[string]any
		if code := postList(t, n, admin, "/api/v1/admin/canonical_email_blocks/test", url.Values{"email": {"j.a.n.e.d.o.e+news@EXAMPLE.org"}}, &matches); code != http.StatusOK || len(matches) != 1 || matches[0]["id"] != cbID {
			t.Fatalf("test a variant: %d %v", code, matches)
		}
		if code := postList(t, n, admin, "/api/v1/admin/canonical_email_blocks/test", url.Values{"email": {"jane.doe@example.com"}}, &matches); code != http.StatusOK || len(matches) != 0 {
			t.Fatalf("test another address: %d %v", code, matches)
		}
		if code, body := call(t, n, admin, "POST", "/api/v1/admin/canonical_email_blocks/test", url.Values{}); code != http.StatusUnprocessableEntity || body["error"] != "Validation failed: Email can't be blank" {
			t.Fatalf("test without an email: %d %v", code, body)
		}
		if code, got := call(t, n, admin, "GET", "/api/v1/admin/canonical_email_blocks/"+cbID, nil); code != http.StatusOK || got["canonical_email_hash"] != janeHash {
			t.Fatalf("GET one: %d %v", code, got)
		}
		if ids := pageAll(t, n, admin, "/api/v1/admin/canonical_email_blocks?limit=1"); len(ids) != 2 || ids[0] != cb2["id"] || ids[1] != cbID {
			t.Fatalf("paging canonical blocks saw %v", ids)
		}
		if code, body := call(t, n, admin, "DELETE", "/api/v1/admin/canonical_email_blocks/"+cb2["id"].(string), nil); code != http.StatusOK || len(body) != 0 {
			t.Fatalf("DELETE: %d %v", code, body)
		}
		if code, _ := call(t, n, admin, "GET", "/api/v1/admin/canonical_email_blocks/"+cb2["id"].(string), nil); code != http.StatusNotFound {
			t.Fatalf("GET a lifted block: %d", code)
		}

		// IP blocks.
		before := time.Now()
		code, ib := call(t, n, granular, "POST", "/api/v1/admin/ip_blocks", url.Values{"ip": {"198.51.100.77/24"}, "severity": {"sign_up_block"}, "comment": {"sign-up spam"}, "expires_in": {"3600"}})
		if code != http.StatusOK {
			t.Fatalf("POST ip_blocks: %d %v", code, ib)
		}
		requireKeys(t, "Admin::IpBlock", ib, "id", "ip", "severity", "comment", "created_at", "expires_at")
		exp, err := time.Parse(time.RFC3339, fmt.Sprint(ib["expires_at"]))
		if ib["ip"] != "198.51.100.0/24" || ib["severity"] != "sign_up_block" || ib["comment"] != "sign-up spam" || err != nil ||
			exp.Before(before.Add(time.Hour-time.Second)) || exp.After(time.Now().Add(time.Hour+time.Second)) {
			t.Fatalf("ip block = %v", ib)
		}
		ipID := ib["id"].(string)
		code, single := call(t, n, admin, "POST", "/api/v1/admin/ip_blocks", url.Values{"ip": {"2001:DB8::1"}, "severity": {"no_access"}})
		if code != http.StatusOK || single["ip"] != "2001:db8::1/128" || single["expires_at"] != nil || single["comment"] != "" {
			t.Fatalf("POST one address: %d %v", code, single)
		}
		for _, bad := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"ip": {"198.51.100.0/24"}, "severity": {"no_access"}}, "Validation failed: Ip has already been taken"},
			{url.Values{"ip": {"192.0.2.0/24"}}, "Validation failed: Severity can't be blank"},
			{url.Values{"ip": {"192.0.2.0/24"}, "severity": {"ban"}}, "Validation failed: Severity must be"},
			{url.Values{"ip": {"192.0.2.300"}, "severity": {"no_access"}}, "is not an IP address"},
			{url.Values{"ip": {"192.0.2.0/24"}, "severity": {"no_access"}, "expires_in": {"soon"}}, "Expires in must be a number of seconds"},
		} {
			if code, body := call(t, n, admin, "POST", "/api/v1/admin/ip_blocks", bad.form); code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(body["error"]), bad.want) {
				t.Errorf("POST %v: %d %v, want 422 %q", bad.form, code, body, bad.want)
			}
		}
		code, upd := call(t, n, admin, "PUT", "/api/v1/admin/ip_blocks/"+ipID, url.Values{"severity": {"sign_up_requires_approval"}, "expires_in": {""}})
		if code != http.StatusOK || upd["severity"] != "sign_up_requires_approval" || upd["expires_at"] != nil || upd["comment"] != "sign-up spam" || upd["ip"] != "198.51.100.0/24" {
			t.Fatalf("PUT: %d %v", code, upd)
		}
		if code, body := call(t, n, admin, "PUT", "/api/v1/admin/ip_blocks/"+ipID, url.Values{"ip": {"2001:db8::1"}}); code != http.StatusUnprocessableEntity || body["error"] != "Validation failed: Ip has already been taken" {
			t.Fatalf("PUT onto another block's network: %d %v", code, body)
		}
		// PATCH reaches the update, as on Rails.
		if code, got := call(t, n, admin, "PATCH", "/api/v1/admin/ip_blocks/"+ipID, url.Values{"comment": {"changed"}}); code != http.StatusOK || got["comment"] != "changed" {
			t.Fatalf("PATCH: %d %v", code, got)
		}
		if code, got := call(t, n, admin, "GET", "/api/v1/admin/ip_blocks/"+ipID, nil); code != http.StatusOK || got["comment"] != "changed" {
			t.Fatalf("GET one: %d %v", code, got)
		}
		for i := 0; i < 3; i++ {
			if code, body := call(t, n, admin, "POST", "/api/v1/admin/ip_blocks", url.Values{"ip": {fmt.Sprintf("192.0.2.%d", i)}, "severity": {"sign_up_block"}}); code != http.StatusOK {
				t.Fatalf("POST: %d %v", code, body)
			}
		}
		if ids := pageAll(t, n, admin, "/api/v1/admin/ip_blocks?limit=2"); len(ids) != 5 || ids[4] != ipID {
			t.Fatalf("paging ip blocks saw %v", ids)
		}
		if code, body := call(t, n, admin, "DELETE", "/api/v1/admin/ip_blocks/"+single["id"].(string), nil); code != http.StatusOK || len(body) != 0 {
			t.Fatalf("DELETE: %d %v", code, body)
		}
		if code, _ := call(t, n, admin, "DELETE", "/api/v1/admin/ip_blocks/"+single["id"].(string), nil); code != http.StatusNotFound {
			t.Fatalf("DELETE twice: %d", code)
		}

		for action, want := range map[string]int{"block_email_domain": 5, "unblock_email_domain": 1, "block_canonical_email": 2, "unblock_canonical_email": 1,
			"block_ip": 5, "update_ip_block": 2, "unblock_ip": 1} {
			entries, err := n.svc.AuditLog(ctx, social.CommandLine, storage.AuditFilter{Action: action}, storage.Page{})
			if err != nil || len(entries) != want || entries[0].Actor != "@admin" {
				t.Errorf("%s audit entries: %d (%v), want %d by @admin", action, len(entries), err, want)
			}
		}

		// Nobody else may, nor an admin's token without the scope.
		refused := map[string]string{
			"a moderator":                       tokenFor(t, n, "mod", scopes),
			"a plain user":                      tokenFor(t, n, "plain", scopes),
			"an admin token without admin":      tokenFor(t, n, "admin", "read write follow"),
			"an admin token with another scope": tokenFor(t, n, "admin", "admin:read:domain_blocks admin:write:domain_blocks admin:read:accounts"),
		}
		for _, kind := range []string{"email_domain_blocks", "canonical_email_blocks", "ip_blocks"} {
			base := "/api/v1/admin/" + kind
			routes := [][2]string{{"GET", base}, {"GET", base + "/1"}, {"POST", base}, {"DELETE", base + "/1"}}
			if kind == "ip_blocks" {
				routes = append(routes, [2]string{"PUT", base + "/1"})
			}
			if kind == "canonical_email_blocks" {
				routes = append(routes, [2]string{"POST", base + "/test"})
			}
			for _, r := range routes {
				form := url.Values{"domain": {"new.example"}, "email": {"new@new.example"}, "ip": {"10.9.9.9"}, "severity": {"no_access"}}
				if code, _ := call(t, n, "", r[0], r[1], form); code != http.StatusUnauthorized {
					t.Errorf("%s %s without a token: %d, want 401", r[0], r[1], code)
				}
				for who, tok := range refused {
					if code, body := call(t, n, tok, r[0], r[1], form); code != http.StatusForbidden || body["error"] == nil {
						t.Errorf("%s %s by %s: %d %v, want 403", r[0], r[1], who, code, body)
					}
				}
			}
		}
		if list, _ := n.svc.IPBlocks(ctx, social.CommandLine, storage.Page{Limit: 50}); len(list) != 4 {
			t.Fatalf("%d ip blocks after refused calls, want 4", len(list))
		}
	})
}

// postList posts form and decodes a JSON array answer into v.
func postList(t *testing.T, n *node, token, path string, form url.Values, v *[]map[string]any) int {
	t.Helper()
	resp, body := oauthSend(t, http.DefaultClient, "POST", n.base+path, form, map[string]string{"Authorization": "Bearer " + token})
	*v = nil
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	}
	return resp.StatusCode
}

// The blocks act where Mastodon's do: an email at a blocked domain (or a
// subdomain) or of a blocked canonical form is refused at sign-up with the
// 422 of a validation error, through the API and the web form alike; an
// address under sign_up_block may not sign up; one under
// sign_up_requires_approval signs up to wait for an admin even with an
// invite; one under no_access reaches nothing, sign-in included, until the
// block expires.
func TestSignUpBlocksRefuseOrHoldSignUpsAndNoAccessRefusesEverything(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		a := social.CommandLine
		if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: "admin", Password: "a long password", Role: social.RoleAdmin, Approved: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: "ana", Password: "a long password", Role: social.RoleUser, Approved: true}); err != nil {
			t.Fatal(err)
		}
		adminTok := tokenFor(t, n, "admin", "admin:read")
		edb, err := n.svc.BlockEmailDomain(ctx, a, "blocked.example")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.BlockCanonicalEmail(ctx, a, "Jane.Doe@example.org", ""); err != nil {
			t.Fatal(err)
		}
		signUpBlock, err := n.svc.BlockIP(ctx, a, social.IPBlockInput{IP: "203.0.113.0/24", Severity: social.IPSignUpBlock})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.BlockIP(ctx, a, social.IPBlockInput{IP: "198.51.100.0/24", Severity: social.IPSignUpRequiresApproval}); err != nil {
			t.Fatal(err)
		}
		noAccess, err := n.svc.BlockIP(ctx, a, social.IPBlockInput{IP: "192.0.2.0/24", Severity: social.IPNoAccess, ExpiresIn: time.Hour})
		if err != nil {
			t.Fatal(err)
		}

		// Through the API, in approval mode.
		setRegistrations(t, n, social.RegistrationsApproval)
		app := newSignUpApp(t, n, "read write")
		reg := func(user, email string) url.Values { return registration(user, "email", email, "reason", "Ward nurse") }
		code, m := app.signUp(t, reg("mailer", "someone@mx.Blocked.Example"), "")
		if code != http.StatusUnprocessableEntity || detailCode(m, "email") != social.ErrCodeBlocked ||
			m["error"] != "Validation failed: Email uses a disallowed e-mail provider" {
			t.Fatalf("email at a blocked domain's subdomain: %d %v", code, m)
		}
		code, m = app.signUp(t, reg("jane", "janedoe+again@EXAMPLE.org"), "")
		if code != http.StatusUnprocessableEntity || detailCode(m, "email") != social.ErrCodeTaken {
			t.Fatalf("a blocked canonical email: %d %v", code, m)
		}
		code, m = app.signUp(t, reg("spammer", "spammer@fine.example"), "203.0.113.9")
		if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(m["error"]), "Sign-ups from your network address are blocked") {
			t.Fatalf("sign-up from a sign_up_block network: %d %v", code, m)
		}
		if code, m = app.signUp(t, reg("nurse", "nurse@fine.example"), ""); code != http.StatusOK {
			t.Fatalf("a sign-up nothing blocks: %d %v", code, m)
		}
		code, got := call(t, n, adminTok, "GET", fmt.Sprintf("/api/v1/admin/email_domain_blocks/%d", edb.ID), nil)
		if h, _ := got["history"].([]any); code != http.StatusOK || len(h) != 7 || h[0].(map[string]any)["uses"] != "1" || h[0].(map[string]any)["accounts"] != "1" {
			t.Fatalf("the block's history after one refused sign-up: %d %v", code, got)
		}

		// An invite lets the person in at once, but not from a network whose
		// sign-ups need approval; and, as on Mastodon, it vouches for an
		// email at a blocked domain.
		setRegistrations(t, n, social.RegistrationsInvite)
		inv, _, err := n.svc.CreateInvite(ctx, a, social.InviteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			user, email, from string
			approved          bool
		}{
			{"held", "held@fine.example", "198.51.100.5", false},
			{"welcomed", "welcomed@fine.example", "", true},
			{"vouched", "vouched@blocked.example", "", true},
		} {
			if code, m := app.signUp(t, registration(c.user, "email", c.email, "invite_code", inv.Code), c.from); code != http.StatusOK {
				t.Fatalf("invited %s: %d %v", c.user, code, m)
			}
			if u, err := n.svc.UserByUsername(ctx, c.user); err != nil || u.Approved != c.approved {
				t.Fatalf("invited %s from %q: approved %v (%v), want %v", c.user, c.from, u != nil && u.Approved, err, c.approved)
			}
		}

		// The web form, in approval mode.
		setRegistrations(t, n, social.RegistrationsApproval)
		browser := oauthBrowser(t)
		webSignUp := func(user, email, from string) (int, string) {
			t.Helper()
			_, page := oauthSend(t, browser, "GET", n.base+"/auth/sign_up", nil, map[string]string{"X-Forwarded-For": "10.7.0.1"})
			form := hiddenInputs(page)
			for k, v := range map[string]string{"username": user, "email": email, "password": "a long password", "password_confirmation": "a long password", "agreement": "1", "reason": "Pharmacist"} {
				form.Set(k, v)
			}
			resp, body := oauthSend(t, browser, "POST", n.base+"/auth/sign_up", form, map[string]string{"X-Forwarded-For": from})
			return resp.StatusCode, body
		}
		if code, page := webSignUp("web_mailer", "x@blocked.example", "10.7.0.2"); code != http.StatusUnprocessableEntity || !strings.Contains(page, "disallowed e-mail provider") {
			t.Fatalf("web sign-up with a blocked email domain: %d\n%s", code, page)
		}
		if code, page := webSignUp("web_jane", "Jane.Doe@example.org", "10.7.0.3"); code != http.StatusUnprocessableEntity || !strings.Contains(page, "Email is already taken") {
			t.Fatalf("web sign-up with a blocked email: %d\n%s", code, page)
		}
		if code, page := webSignUp("web_spammer", "s@fine.example", "203.0.113.50"); code != http.StatusForbidden || !strings.Contains(page, "Sign-ups from your network address are blocked") {
			t.Fatalf("web sign-up from a sign_up_block network: %d\n%s", code, page)
		}
		if code, page := webSignUp("web_ok", "ok@fine.example", "10.7.0.4"); code != http.StatusOK || !strings.Contains(page, "waiting for an admin") {
			t.Fatalf("web sign-up nothing blocks: %d\n%s", code, page)
		}
		// Lifting the block opens sign-ups again.
		if _, err := n.svc.UnblockIP(ctx, a, signUpBlock.ID); err != nil {
			t.Fatal(err)
		}
		if code, m := app.signUp(t, reg("late", "late@fine.example"), "203.0.113.9"); code != http.StatusOK {
			t.Fatalf("sign-up after the block was lifted: %d %v", code, m)
		}

		// no_access: sign-in by password grant, the sign-in page and the
		// API all answer 403 to the blocked network, and only to it.
		code, appRec := call(t, n, "", "POST", "/api/v1/apps", url.Values{"client_name": {"blocked test"}, "redirect_uris": {social.OOBRedirectURI}, "scopes": {"read"}})
		if code != http.StatusOK {
			t.Fatalf("app: %d %v", code, appRec)
		}
		grant := url.Values{"grant_type": {"password"}, "client_id": {appRec["client_id"].(string)}, "client_secret": {appRec["client_secret"].(string)},
			"username": {"ana"}, "password": {"a long password"}, "scope": {"read"}}
		code, m = callFrom(t, n, "192.0.2.10", "", "POST", "/oauth/token", grant)
		if code != http.StatusForbidden || !strings.Contains(fmt.Sprint(m["error"]), "192.0.2.10) is blocked") || m["access_token"] != nil {
			t.Fatalf("password grant from a no_access network: %d %v", code, m)
		}
		code, m = callFrom(t, n, "10.7.1.1", "", "POST", "/oauth/token", grant)
		tok, _ := m["access_token"].(string)
		if code != http.StatusOK || tok == "" {
			t.Fatalf("password grant from elsewhere: %d %v", code, m)
		}
		if code, m := callFrom(t, n, "192.0.2.10", tok, "GET", "/api/v1/accounts/verify_credentials", nil); code != http.StatusForbidden || m["error"] == nil {
			t.Fatalf("API from a no_access network: %d %v", code, m)
		}
		if code, m := callFrom(t, n, "::ffff:192.0.2.11", tok, "GET", "/api/v1/timelines/home", nil); code != http.StatusForbidden {
			t.Fatalf("API from a no_access network, IPv4-mapped: %d %v", code, m)
		}
		if code, m := callFrom(t, n, "10.7.1.1", tok, "GET", "/api/v1/accounts/verify_credentials", nil); code != http.StatusOK || m["username"] != "ana" {
			t.Fatalf("API from elsewhere: %d %v", code, m)
		}
		web := oauthBrowser(t)
		_, page := oauthSend(t, web, "GET", n.base+"/auth/sign_in", nil, map[string]string{"X-Forwarded-For": "10.7.1.2"})
		form := hiddenInputs(page)
		form.Set("username", "ana")
		form.Set("password", "a long password")
		resp, page := oauthSend(t, web, "POST", n.base+"/auth/sign_in", form, map[string]string{"X-Forwarded-For": "192.0.2.10", "Accept": "text/html"})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "is blocked on this server") || cookieNamed(resp, "rounds_session") != nil {
			t.Fatalf("web sign-in from a no_access network: %d %v\n%s", resp.StatusCode, resp.Cookies(), page)
		}
		for _, path := range []string{"/auth/sign_in", "/oauth/authorize?response_type=code&client_id=" + appRec["client_id"].(string) + "&redirect_uri=" + url.QueryEscape(social.OOBRedirectURI)} {
			if resp, _ := oauthSend(t, web, "GET", n.base+path, nil, map[string]string{"X-Forwarded-For": "192.0.2.10", "Accept": "text/html"}); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("GET %s from a no_access network: %d", path, resp.StatusCode)
			}
		}
		if resp, _ := oauthSend(t, web, "GET", n.base+"/healthz", nil, map[string]string{"X-Forwarded-For": "192.0.2.10"}); resp.StatusCode != http.StatusOK {
			t.Fatalf("health check from a no_access network: %d", resp.StatusCode)
		}
		if resp, _ := oauthSend(t, web, "POST", n.base+"/auth/sign_in", form, map[string]string{"X-Forwarded-For": "10.7.1.2"}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("web sign-in from elsewhere: %d", resp.StatusCode)
		}

		// An expired block is ignored.
		second := time.Second
		if _, err := n.svc.UpdateIPBlock(ctx, a, noAccess.ID, social.IPBlockChange{ExpiresIn: &second}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			code, m = callFrom(t, n, "192.0.2.10", "", "POST", "/oauth/token", grant)
			if code == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("password grant after the block expired: %d %v", code, m)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func TestSignUpBlockCommands(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		dbURL := storagetest.NewURL(t, dialect)
		env := map[string]string{"ROUNDS_DATABASE": dbURL, "ROUNDS_DOMAIN": "rounds.example.org"}
		if code, _, errs := runCLI(t, env, "migrate"); code != 0 {
			t.Fatal(errs)
		}
		sum := sha256.Sum256([]byte("janedoe@example.org"))
		janeHash := hex.EncodeToString(sum[:])
		steps := []struct {
			args []string
			code int
			want string
		}{
			{[]string{"admin", "ip-block"}, 2, "say what to do"},
			{[]string{"admin", "ip-block", "smite"}, 2, `unknown command "smite"`},
			{[]string{"admin", "ip-block", "add"}, 2, "give an address or network"},
			{[]string{"admin", "ip-block", "add", "192.0.2.0/24"}, 2, "give --severity"},
			{[]string{"admin", "ip-block", "add", "192.0.2.0/24", "--severity", "ban"}, 2, "--severity must be"},
			{[]string{"admin", "ip-block", "add", "192.0.2.7/24", "--severity", "no_access", "--comment", "scraper", "--expires-in", "720h"}, 0, "Blocked 192.0.2.0/24: no access at all"},
			{[]string{"admin", "ip-block", "add", "192.0.2.0/24", "--severity", "sign_up_block"}, 1, "ip has already been taken"},
			{[]string{"admin", "ip-block", "add", "nonsense", "--severity", "sign_up_block"}, 1, "is not an IP address"},
			{[]string{"admin", "ip-block", "add", "2001:db8::/32", "--severity", "sign_up_requires_approval"}, 0, "until removed"},
			{[]string{"admin", "ip-block", "list"}, 0, "scraper"},
			{[]string{"admin", "ip-block", "remove", "2001:db8::/32"}, 0, "Lifted the block of 2001:db8::/32"},
			{[]string{"admin", "ip-block", "remove", "2001:db8::/32"}, 1, "is not blocked"},
			{[]string{"admin", "email-domain-block", "add"}, 2, "give a domain"},
			{[]string{"admin", "email-domain-block", "add", "Spam-Mail.Example"}, 0, "Blocked sign-ups with email addresses at spam-mail.example"},
			{[]string{"admin", "email-domain-block", "add", "spam-mail.example"}, 1, "domain has already been taken"},
			{[]string{"admin", "email-domain-block", "add", "lost.example"}, 0, "lost.example"},
			{[]string{"admin", "email-domain-block", "remove", "lost.example"}, 0, "Lifted the block of email addresses at lost.example"},
			{[]string{"admin", "email-domain-block", "list"}, 0, "spam-mail.example"},
			{[]string{"admin", "canonical-email-block", "add", "Jane.Doe+x@example.org"}, 0, janeHash},
			{[]string{"admin", "canonical-email-block", "add", janeHash}, 1, "canonical email hash has already been taken"},
			{[]string{"admin", "canonical-email-block", "test", "janedoe@EXAMPLE.org"}, 0, "is blocked by block"},
			{[]string{"admin", "canonical-email-block", "test", "jane@example.org"}, 0, "is not blocked"},
			{[]string{"admin", "canonical-email-block", "list"}, 0, janeHash},
			{[]string{"admin", "canonical-email-block", "remove", "j.a.n.e.doe@example.org"}, 0, "Lifted block"},
			{[]string{"admin", "canonical-email-block", "list"}, 0, "No email address is blocked"},
		}
		for _, s := range steps {
			code, out, errs := runCLI(t, env, s.args...)
			if code != s.code || !strings.Contains(out+errs, s.want) {
				t.Fatalf("%v: exit %d\n%s%s\nwant exit %d and %q", s.args, code, out, errs, s.code, s.want)
			}
		}
		_, out, _ := runCLI(t, env, "admin", "ip-block", "list")
		if !contains(out, "192.0.2.0/24", "no_access", "until ") || strings.Contains(out, "2001:db8") {
			t.Fatalf("ip-block list:\n%s", out)
		}
		_, out, _ = runCLI(t, env, "admin", "email-domain-block", "list")
		if strings.Contains(out, "lost.example") {
			t.Fatalf("email-domain-block list:\n%s", out)
		}

		db, err := storage.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, tt := range []struct {
			targetType string
			want       int
		}{{"ip_block", 3}, {"email_domain_block", 3}, {"canonical_email_block", 2}} {
			entries, err := db.AuditLog(context.Background(), storage.AuditFilter{TargetType: tt.targetType}, storage.Page{Limit: 50})
			if err != nil || len(entries) != tt.want {
				t.Fatalf("%d %s audit entries (%v), want %d", len(entries), tt.targetType, err, tt.want)
			}
			for _, e := range entries {
				if e.Actor != "command line" {
					t.Errorf("entry %s by %q", e.Action, e.Actor)
				}
			}
		}
	})
}

// The blocks page lists the three kinds and adds and lifts each through
// the same rules, for admins only, and never without the form's token.
func TestAdminBlocksPage(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	for name, role := range map[string]string{"admin": social.RoleAdmin, "mod": social.RoleModerator} {
		if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true}); err != nil {
			t.Fatal(err)
		}
	}
	p := signInPages(t, n, "admin")
	code, page, _ := p.get("/admin/blocks")
	if code != http.StatusOK || !contains(page, "Sign-up and IP blocks", `action="/admin/ip_blocks"`, `action="/admin/email_domain_blocks"`, `action="/admin/canonical_email_blocks"`, "No IP blocks.") {
		t.Fatalf("blocks page: %d\n%s", code, page)
	}
	if !strings.Contains(page, `href="/admin/blocks" aria-current="page"`) {
		t.Fatalf("the navigation does not lead to the page:\n%s", page)
	}
	p.formPage = "/admin/blocks"
	p.mustPost("/admin/ip_blocks", url.Values{"ip": {"198.51.100.0/24"}, "severity": {"sign_up_block"}, "comment": {"bot farm"}, "expires_in": {"168h"}}, "ip_blocked")
	p.mustPost("/admin/email_domain_blocks", url.Values{"domain": {"Spam-Mail.Example"}}, "email_domain_blocked")
	p.mustPost("/admin/canonical_email_blocks", url.Values{"email": {"Jane.Doe@example.org"}}, "email_blocked")
	sum := sha256.Sum256([]byte("janedoe@example.org"))
	_, page, _ = p.get("/admin/blocks")
	if !contains(page, "198.51.100.0/24", "sign_up_block", "bot farm", "spam-mail.example", hex.EncodeToString(sum[:])) {
		t.Fatalf("blocks page after adding:\n%s", page)
	}
	if code, page, _ := p.post("/admin/ip_blocks", url.Values{"ip": {"198.51.100.9/24"}, "severity": {"no_access"}}); code != http.StatusUnprocessableEntity || !strings.Contains(page, "Ip has already been taken") {
		t.Fatalf("a second block of the network: %d\n%s", code, page)
	}
	if rule, _ := n.svc.AddressRule(ctx, "198.51.100.23"); rule != social.IPSignUpBlock {
		t.Fatalf("rule for an address in the network = %q", rule)
	}
	// A forged form changes nothing; a moderator may not see the page.
	if code, _, _ := p.send("/admin/ip_blocks", url.Values{"csrf_token": {"forged"}, "ip": {"10.0.0.0/8"}, "severity": {"no_access"}}); code != http.StatusForbidden {
		t.Fatalf("forged form: %d", code)
	}
	mod := signInPages(t, n, "mod")
	if code, _, _ := mod.get("/admin/blocks"); code != http.StatusForbidden {
		t.Fatalf("a moderator's blocks page: %d", code)
	}
	ips, _ := n.svc.IPBlocks(ctx, social.CommandLine, storage.Page{Limit: 10})
	domains, _ := n.svc.EmailDomainBlocks(ctx, social.CommandLine, storage.Page{Limit: 10})
	emails, _ := n.svc.CanonicalEmailBlocks(ctx, social.CommandLine, storage.Page{Limit: 10})
	if len(ips) != 1 || ips[0].ExpiresAt == nil || len(domains) != 1 || len(emails) != 1 {
		t.Fatalf("blocks: %d ip, %d domain, %d email", len(ips), len(domains), len(emails))
	}
	p.mustPost(fmt.Sprintf("/admin/ip_blocks/%d/remove", ips[0].ID), nil, "ip_unblocked")
	p.mustPost(fmt.Sprintf("/admin/email_domain_blocks/%d/remove", domains[0].ID), nil, "email_domain_unblocked")
	p.mustPost(fmt.Sprintf("/admin/canonical_email_blocks/%d/remove", emails[0].ID), nil, "email_unblocked")
	_, page, _ = p.get("/admin/blocks")
	if !contains(page, "No IP blocks.", "No email domains are blocked.", "No email addresses are blocked.") {
		t.Fatalf("blocks page after lifting:\n%s", page)
	}
	entries, err := n.svc.AuditLog(ctx, social.CommandLine, storage.AuditFilter{}, storage.Page{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	byAdmin := 0
	for _, e := range entries {
		if e.Actor == "@admin" && strings.Contains(e.TargetType, "block") {
			byAdmin++
		}
	}
	if byAdmin != 6 {
		t.Fatalf("%d block audit entries by @admin, want 6", byAdmin)
	}
}
