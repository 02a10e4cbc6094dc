package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// appToken registers an app with scopes and returns its own token (the
// client_credentials grant): a token with no person behind it.
func appToken(t *testing.T, n *node, scopes string) string {
	t.Helper()
	post := func(path string, form url.Values) map[string]any {
		resp, err := http.PostForm(n.base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		return out
	}
	app := post("/api/v1/apps", url.Values{"client_name": {"federation-bot"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {scopes}})
	tok := post("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {app["client_id"].(string)},
		"client_secret": {app["client_secret"].(string)}, "scope": {scopes}})
	return tok["access_token"].(string)
}

// getPage GETs path with token and returns the ids in the answer and the
// path of its rel="next" link ("" when none).
func getPage(t *testing.T, n *node, token, path string) (ids []string, next string) {
	t.Helper()
	req, _ := http.NewRequest("GET", n.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	for _, v := range list {
		ids = append(ids, v["id"].(string))
	}
	if m := regexp.MustCompile(`<([^>]+)>; rel="next"`).FindStringSubmatch(resp.Header.Get("Link")); m != nil {
		next = strings.TrimPrefix(m[1], n.base)
	}
	return ids, next
}

func TestAdminDomainBlocksAndAllowsAPI(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		for name, role := range map[string]string{"admin": social.RoleAdmin, "mod": social.RoleModerator, "plain": social.RoleUser, "gone_admin": social.RoleAdmin} {
			if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true}); err != nil {
				t.Fatal(err)
			}
		}
		scopes := "read write admin:read admin:write"
		admin := tokenFor(t, n, "admin", scopes)
		tokens := map[string]string{
			"a moderator":                         tokenFor(t, n, "mod", scopes),
			"a plain user":                        tokenFor(t, n, "plain", scopes),
			"an admin token without admin scopes": tokenFor(t, n, "admin", "read write follow"),
		}
		gone := tokenFor(t, n, "gone_admin", scopes)
		if _, err := n.svc.SuspendUser(ctx, "gone_admin"); err != nil {
			t.Fatal(err)
		}
		app := appToken(t, n, "read admin:read admin:write")

		// Create, read, change and remove, as an admin.
		code, blk := call(t, n, admin, "POST", "/api/v1/admin/domain_blocks", url.Values{
			"domain": {"Spam.Example."}, "severity": {"suspend"}, "reject_reports": {"true"},
			"private_comment": {"sends spam"}, "public_comment": {"Spam"}, "obfuscate": {"1"},
		})
		if code != http.StatusOK {
			t.Fatalf("POST domain_blocks: %d %v", code, blk)
		}
		requireKeys(t, "Admin::DomainBlock", blk, "id", "domain", "digest", "created_at", "severity", "reject_media",
			"reject_reports", "private_comment", "public_comment", "obfuscate")
		if blk["domain"] != "spam.example" || blk["severity"] != "suspend" || blk["reject_reports"] != true || blk["reject_media"] != false ||
			blk["private_comment"] != "sends spam" || blk["obfuscate"] != true || blk["digest"] != social.DomainDigest("spam.example") ||
			!mastoTimeRE.MatchString(blk["created_at"].(string)) {
			t.Fatalf("block = %v", blk)
		}
		id := blk["id"].(string)
		for _, bad := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"domain": {"spam.example"}}, "blocked already"},
			{url.Values{"domain": {"sub.spam.example"}, "severity": {"silence"}}, "stricter limits on spam.example"},
			{url.Values{"domain": {""}}, "Validation failed: Domain can't be blank"},
			{url.Values{"domain": {"not a domain"}}, "is not a domain name"},
			{url.Values{"domain": {n.domain}}, "own domain"},
			{url.Values{"domain": {"ok.example"}, "severity": {"ban"}}, "Severity must be silence, suspend or noop"},
		} {
			code, body := call(t, n, admin, "POST", "/api/v1/admin/domain_blocks", bad.form)
			if msg, _ := body["error"].(string); code != http.StatusUnprocessableEntity || !strings.Contains(msg, bad.want) {
				t.Errorf("POST %v: %d %v, want 422 saying %q", bad.form, code, body, bad.want)
			}
			if strings.Contains(bad.want, "already") || strings.Contains(bad.want, "stricter") {
				if ex, _ := body["existing_domain_block"].(map[string]any); ex["id"] != id {
					t.Errorf("POST %v names no existing block: %v", bad.form, body)
				}
			}
		}
		if code, got := call(t, n, admin, "GET", "/api/v1/admin/domain_blocks/"+id, nil); code != http.StatusOK || got["domain"] != "spam.example" {
			t.Fatalf("GET one: %d %v", code, got)
		}
		for _, missing := range []string{"/api/v1/admin/domain_blocks/1", "/api/v1/admin/domain_blocks/nope", "/api/v1/admin/domain_allows/1"} {
			if code, body := call(t, n, admin, "GET", missing, nil); code != http.StatusNotFound || body["error"] != "Record not found" {
				t.Errorf("GET %s: %d %v", missing, code, body)
			}
		}
		code, upd := call(t, n, admin, "PUT", "/api/v1/admin/domain_blocks/"+id, url.Values{"severity": {"silence"}, "public_comment": {""}})
		if code != http.StatusOK || upd["severity"] != "silence" || upd["public_comment"] != nil || upd["reject_reports"] != true || upd["private_comment"] != "sends spam" {
			t.Fatalf("PUT: %d %v", code, upd)
		}
		if code, body := call(t, n, admin, "PUT", "/api/v1/admin/domain_blocks/"+id, url.Values{"severity": {"ban"}}); code != http.StatusUnprocessableEntity {
			t.Fatalf("PUT a bad severity: %d %v", code, body)
		}
		if p, _ := n.svc.DomainPolicy(ctx, "www.spam.example"); !p.Silenced || !p.RejectReports {
			t.Fatalf("policy after the PUT = %+v", p)
		}

		// The public list: anyone may read it; the domain is obfuscated.
		var public []map[string]any
		if code, _ := rawGet(t, n, nil, "/api/v1/instance/domain_blocks", &public); code != http.StatusOK || len(public) != 1 {
			t.Fatalf("public list: %d %v", code, public)
		}
		if p := public[0]; p["domain"] != "spa*.****ple" || p["digest"] != social.DomainDigest("spam.example") || p["severity"] != "silence" || p["comment"] != nil {
			t.Fatalf("public entry = %v", p)
		}

		// Paging follows the Link header, newest first, nothing twice.
		for i := 0; i < 4; i++ {
			if code, body := call(t, n, admin, "POST", "/api/v1/admin/domain_blocks", url.Values{"domain": {fmt.Sprintf("d%d.example", i)}, "severity": {"noop"}, "reject_media": {"true"}}); code != http.StatusOK {
				t.Fatalf("POST: %d %v", code, body)
			}
		}
		seen := map[string]bool{}
		path := "/api/v1/admin/domain_blocks?limit=2"
		for pages := 0; path != "" && pages < 10; pages++ {
			var ids []string
			ids, path = getPage(t, n, admin, path)
			if len(ids) == 0 {
				break
			}
			for _, i := range ids {
				if seen[i] {
					t.Fatalf("block %s listed twice", i)
				}
				seen[i] = true
			}
		}
		if len(seen) != 5 || !seen[id] {
			t.Fatalf("paging saw %d blocks", len(seen))
		}

		if code, body := call(t, n, admin, "DELETE", "/api/v1/admin/domain_blocks/"+id, nil); code != http.StatusOK || len(body) != 0 {
			t.Fatalf("DELETE: %d %v, want 200 {}", code, body)
		}
		if code, _ := call(t, n, admin, "DELETE", "/api/v1/admin/domain_blocks/"+id, nil); code != http.StatusNotFound {
			t.Fatalf("DELETE twice: %d", code)
		}

		// Allows: posting an allowed domain again answers the same allow.
		code, al := call(t, n, admin, "POST", "/api/v1/admin/domain_allows", url.Values{"domain": {"Friend.Example"}})
		if code != http.StatusOK || al["domain"] != "friend.example" {
			t.Fatalf("POST domain_allows: %d %v", code, al)
		}
		requireKeys(t, "Admin::DomainAllow", al, "id", "domain", "created_at")
		if code, again := call(t, n, admin, "POST", "/api/v1/admin/domain_allows", url.Values{"domain": {"friend.example"}}); code != http.StatusOK || again["id"] != al["id"] {
			t.Fatalf("POST again: %d %v", code, again)
		}
		if code, body := call(t, n, admin, "POST", "/api/v1/admin/domain_allows", url.Values{}); code != http.StatusUnprocessableEntity || body["error"] != "Validation failed: Domain can't be blank" {
			t.Fatalf("POST without a domain: %d %v", code, body)
		}
		if ids, _ := getPage(t, n, admin, "/api/v1/admin/domain_allows"); len(ids) != 1 || ids[0] != al["id"] {
			t.Fatalf("allows = %v", ids)
		}
		if code, got := call(t, n, admin, "GET", "/api/v1/admin/domain_allows/"+al["id"].(string), nil); code != http.StatusOK || got["domain"] != "friend.example" {
			t.Fatalf("GET allow: %d %v", code, got)
		}
		if code, got := call(t, n, admin, "DELETE", "/api/v1/admin/domain_allows/"+al["id"].(string), nil); code != http.StatusOK || got["domain"] != "friend.example" {
			t.Fatalf("DELETE allow: %d %v", code, got)
		}

		for action, want := range map[string]int{"block_domain": 5, "update_domain_block": 1, "unblock_domain": 1, "allow_domain": 1, "disallow_domain": 1} {
			entries, err := n.svc.AuditLog(ctx, social.CommandLine, storage.AuditFilter{Action: action}, storage.Page{})
			if err != nil || len(entries) != want || entries[0].Actor != "@admin" {
				t.Errorf("%s audit entries: %d (%v), want %d by @admin", action, len(entries), err, want)
			}
		}

		// Everyone but an admin is refused, on every route.
		if _, err := n.svc.BlockDomain(ctx, social.CommandLine, social.DomainBlockInput{Domain: "kept.example"}); err != nil {
			t.Fatal(err)
		}
		kept, _ := n.svc.DomainBlockOf(ctx, social.CommandLine, "kept.example")
		keptAllow, _, _ := n.svc.AllowDomain(ctx, social.CommandLine, "kept.example")
		bid, aid := fmt.Sprint(kept.ID), fmt.Sprint(keptAllow.ID)
		routes := []struct {
			method, path string
			form         url.Values
		}{
			{"GET", "/api/v1/admin/domain_blocks", nil},
			{"GET", "/api/v1/admin/domain_blocks/" + bid, nil},
			{"POST", "/api/v1/admin/domain_blocks", url.Values{"domain": {"new.example"}}},
			{"PUT", "/api/v1/admin/domain_blocks/" + bid, url.Values{"severity": {"suspend"}}},
			{"DELETE", "/api/v1/admin/domain_blocks/" + bid, nil},
			{"GET", "/api/v1/admin/domain_allows", nil},
			{"GET", "/api/v1/admin/domain_allows/" + aid, nil},
			{"POST", "/api/v1/admin/domain_allows", url.Values{"domain": {"new.example"}}},
			{"DELETE", "/api/v1/admin/domain_allows/" + aid, nil},
		}
		for _, r := range routes {
			what := r.method + " " + r.path
			if code, _ := call(t, n, "", r.method, r.path, r.form); code != http.StatusUnauthorized {
				t.Errorf("%s without a token: %d, want 401", what, code)
			}
			for who, tok := range tokens {
				if code, body := call(t, n, tok, r.method, r.path, r.form); code != http.StatusForbidden || body["error"] == nil {
					t.Errorf("%s by %s: %d %v, want 403", what, who, code, body)
				}
			}
			if code, _ := call(t, n, gone, r.method, r.path, r.form); code != http.StatusUnauthorized && code != http.StatusForbidden {
				t.Errorf("%s by a suspended admin: %d, want 401 or 403", what, code)
			}
			if code, _ := call(t, n, app, r.method, r.path, r.form); code != http.StatusUnprocessableEntity && code != http.StatusForbidden {
				t.Errorf("%s by an app's own token: %d, want 422 or 403", what, code)
			}
		}
		if b, err := n.svc.DomainBlock(ctx, social.CommandLine, kept.ID); err != nil || b.Severity != social.SeveritySilence {
			t.Fatalf("a refused call changed the block: %+v %v", b, err)
		}
		if blocks, _ := n.svc.DomainBlocks(ctx, social.CommandLine, storage.Page{Limit: 50}); len(blocks) != 5 {
			t.Fatalf("%d blocks after refused calls, want 5", len(blocks))
		}
	})
}

func TestAdminDomainCommands(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		dbURL := storagetest.NewURL(t, dialect)
		env := map[string]string{"ROUNDS_DATABASE": dbURL, "ROUNDS_DOMAIN": "rounds.example.org"}
		if code, _, errs := runCLI(t, env, "migrate"); code != 0 {
			t.Fatal(errs)
		}
		steps := []struct {
			args []string
			code int
			want string
		}{
			{[]string{"admin", "domain"}, 2, "say what to do"},
			{[]string{"admin", "domain", "smite", "x.org"}, 2, `unknown command "smite"`},
			{[]string{"admin", "domain", "block"}, 2, "give a domain"},
			{[]string{"admin", "domain", "block", "x.org", "--severity", "ban"}, 2, "--severity must be silence, suspend or noop"},
			{[]string{"admin", "domain", "mode", "closed"}, 2, "say open or allowlist"},
			{[]string{"admin", "domain", "list", "extra"}, 2, `unexpected argument "extra"`},
			{[]string{"admin", "domain", "block", "Spam.Example", "--severity", "suspend", "--reject-media", "--reason", "sends spam", "--public-comment", "Spam"}, 0, "Suspended spam.example and its subdomains"},
			{[]string{"admin", "domain", "block", "sub.spam.example"}, 1, "stricter limits on spam.example"},
			{[]string{"admin", "domain", "block", "spam.example", "--severity", "silence"}, 0, "spam.example was blocked already; the block is now: silence, media rejected"},
			{[]string{"admin", "domain", "block", "loud.example"}, 0, "Silenced loud.example"},
			{[]string{"admin", "domain", "block", "pics.example", "--severity", "noop", "--reject-media"}, 0, "Blocked pics.example: noop, media rejected"},
			{[]string{"admin", "domain", "block", "example.org"}, 1, "would cover this server's own domain"},
			{[]string{"admin", "domain", "block", "rounds.example.org"}, 1, "is this server's own domain"},
			{[]string{"admin", "domain", "block", "not_a.domain"}, 1, "is not a domain name"},
			{[]string{"admin", "domain", "list"}, 0, "sends spam"},
			{[]string{"admin", "domain", "unblock", "loud.example"}, 0, "Lifted the block of loud.example"},
			{[]string{"admin", "domain", "unblock", "loud.example"}, 1, "loud.example is not blocked"},
			{[]string{"admin", "domain", "allow", "friend.example"}, 0, "the allowlist has no effect until"},
			{[]string{"admin", "domain", "allow", "FRIEND.example"}, 0, "friend.example is allowed already"},
			{[]string{"admin", "domain", "mode", "allowlist"}, 0, "only the 1 listed domains"},
			{[]string{"admin", "domain", "disallow", "friend.example"}, 0, "Took friend.example off the allowlist"},
			{[]string{"admin", "domain", "disallow", "friend.example"}, 1, "not on the allowlist"},
			{[]string{"admin", "domain", "mode", "allowlist"}, 0, "federates with nobody"},
			{[]string{"admin", "domain", "list"}, 0, "Federation mode: allowlist"},
			{[]string{"admin", "domain", "mode", "open"}, 0, "Federation is open"},
		}
		for _, s := range steps {
			code, out, errs := runCLI(t, env, s.args...)
			if code != s.code || !strings.Contains(out+errs, s.want) {
				t.Fatalf("%v: exit %d\n%s%s\nwant exit %d and %q", s.args, code, out, errs, s.code, s.want)
			}
			if strings.Contains(errs, "goroutine ") {
				t.Fatalf("a stack trace leaked:\n%s", errs)
			}
		}
		_, out, _ := runCLI(t, env, "admin", "domain", "list")
		if !contains(out, "spam.example", "silence", "rejected", "pics.example", "No domain is on the allowlist") || strings.Contains(out, "loud.example") {
			t.Fatalf("list:\n%s", out)
		}

		// Every change left an audit entry by the command line.
		db, err := storage.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		entries, err := db.AuditLog(context.Background(), storage.AuditFilter{TargetType: "domain"}, storage.Page{Limit: 50})
		if err != nil || len(entries) != 7 {
			t.Fatalf("%d domain audit entries (%v), want 7", len(entries), err)
		}
		for _, e := range entries {
			if e.Actor != "command line" {
				t.Errorf("entry %s by %q", e.Action, e.Actor)
			}
		}
	})
}
