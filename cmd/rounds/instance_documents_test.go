package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// Admins write the instance's documents in Markdown, through the CLI and
// the admin settings page; apps read them as sanitised HTML: nothing a
// document's author writes runs as script in an app's web view. Terms of
// service keep their versions by effective date. Every change is audited.
func TestInstanceDocumentsFromCLIAndAdminPageReachTheAPI(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: "boss", Password: "a long password", Role: social.RoleAdmin, Approved: true}); err != nil {
			t.Fatal(err)
		}

		// Nothing written yet: empty documents, no terms of service.
		code, doc := call(t, n, "", "GET", "/api/v1/instance/extended_description", nil)
		if code != 200 || doc["content"] != "" || doc["updated_at"] != nil {
			t.Fatalf("empty extended description = %d %v", code, doc)
		}
		if code, doc := call(t, n, "", "GET", "/api/v1/instance/terms_of_service", nil); code != 404 || doc["error"] == nil {
			t.Fatalf("terms of service before any = %d %v", code, doc)
		}

		// The CLI writes the extended description from a file.
		dir := t.TempDir()
		file := filepath.Join(dir, "about.md")
		md := "# About\n\nFor **clinicians**.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror=alert(3)>\n"
		if err := os.WriteFile(file, []byte(md), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"ROUNDS_DATABASE": n.dbURL, "ROUNDS_DOMAIN": n.domain}
		if code, out, errs := runCLI(t, env, "admin", "instance", "set-document", "extended_description", file); code != 0 || !strings.Contains(out, "saved") {
			t.Fatalf("set-document: exit %d %s%s", code, out, errs)
		}
		code, doc = call(t, n, "", "GET", "/api/v1/instance/extended_description", nil)
		content, _ := doc["content"].(string)
		if code != 200 || !strings.Contains(content, "<h1>About</h1>") || !strings.Contains(content, "<strong>clinicians</strong>") || doc["updated_at"] == nil {
			t.Fatalf("extended description = %d %v", code, doc)
		}
		for _, bad := range []string{"<script", "alert(1)", "javascript:", "onerror"} {
			if strings.Contains(content, bad) {
				t.Fatalf("extended description keeps %q: %s", bad, content)
			}
		}

		// Terms of service by CLI: one to come in 2099, shown while none is
		// in effect, then one in effect since 2026-01-01.
		for _, v := range []struct{ date, text string }{{"2099-01-01", "Later terms."}, {"2026-01-01", "First *terms*."}} {
			f := filepath.Join(dir, v.date+".md")
			_ = os.WriteFile(f, []byte(v.text), 0o600)
			if code, out, errs := runCLI(t, env, "admin", "instance", "set-document", "terms_of_service", f, "--effective-date", v.date); code != 0 {
				t.Fatalf("set-document terms %s: exit %d %s%s", v.date, code, out, errs)
			}
			if v.date == "2099-01-01" {
				if code, doc := call(t, n, "", "GET", "/api/v1/instance/terms_of_service", nil); code != 200 || doc["effective_date"] != "2099-01-01" || doc["effective"] != false {
					t.Fatalf("terms to come, none in effect = %d %v", code, doc)
				}
			}
		}
		if code, _, errs := runCLI(t, env, "admin", "instance", "set-document", "privacy_policy", file, "--effective-date", "2026-01-01"); code == 0 || !strings.Contains(errs, "only for the terms of service") {
			t.Fatalf("privacy policy with a date: exit %d %s", code, errs)
		}
		if code, _, _ := runCLI(t, env, "admin", "instance", "set-document", "rules", file); code == 0 {
			t.Fatal("set-document took an unknown document")
		}
		code, doc = call(t, n, "", "GET", "/api/v1/instance/terms_of_service", nil)
		if code != 200 || doc["effective_date"] != "2026-01-01" || doc["effective"] != true || doc["succeeded_by"] != "2099-01-01" || !strings.Contains(doc["content"].(string), "<em>terms</em>") {
			t.Fatalf("terms of service = %d %v", code, doc)
		}
		code, doc = call(t, n, "", "GET", "/api/v1/instance/terms_of_service/2099-01-01", nil)
		if code != 200 || doc["effective"] != false || doc["succeeded_by"] != nil || doc["content"] != "<p>Later terms.</p>" {
			t.Fatalf("terms of 2099 = %d %v", code, doc)
		}
		if code, _ := call(t, n, "", "GET", "/api/v1/instance/terms_of_service/2050-01-01", nil); code != 404 {
			t.Fatalf("terms of a date without a version = %d", code)
		}

		// The admin page: the privacy policy and a new version of the terms.
		admin := signInPages(t, n, "boss")
		if code, body, _ := admin.get("/admin/settings"); code != 200 || !strings.Contains(body, "Privacy policy") || !strings.Contains(body, "2099-01-01") {
			t.Fatalf("settings page = %d\n%s", code, body)
		}
		admin.mustPost("/admin/settings/documents", url.Values{"kind": {"privacy_policy"}, "text": {"We keep **little**.\r\n\r\n<iframe src=//evil></iframe>"}}, "document")
		code, doc = call(t, n, "", "GET", "/api/v1/instance/privacy_policy", nil)
		if code != 200 || doc["content"] != "<p>We keep <strong>little</strong>.</p>" {
			t.Fatalf("privacy policy = %d %v", code, doc)
		}
		admin.mustPost("/admin/settings/documents", url.Values{"kind": {"terms_of_service"}, "text": {"Revised terms."}, "effective_date": {"2026-06-01"}}, "document")
		code, doc = call(t, n, "", "GET", "/api/v1/instance/terms_of_service", nil)
		if code != 200 || doc["effective_date"] != "2026-06-01" || doc["succeeded_by"] != "2099-01-01" {
			t.Fatalf("terms after the admin page = %d %v", code, doc)
		}
		if code, doc := call(t, n, "", "GET", "/api/v1/instance/terms_of_service/2026-01-01", nil); code != 200 || doc["succeeded_by"] != "2026-06-01" {
			t.Fatalf("first terms = %d %v", code, doc)
		}
		// Without its CSRF token the form does nothing.
		if code, _, _ := admin.send("/admin/settings/documents", url.Values{"kind": {"privacy_policy"}, "text": {"changed"}}); code != http.StatusForbidden {
			t.Fatalf("document form without CSRF = %d", code)
		}
		// A plain user's session may not.
		n.user(t, "plain", false)
		plain := signInPages(t, n, "plain")
		if code, _, _ := plain.send("/admin/settings/documents", url.Values{"csrf_token": {plain.token()}, "kind": {"privacy_policy"}, "text": {"mine"}}); code != http.StatusForbidden {
			t.Fatalf("a plain user's document form = %d", code)
		}
		if _, doc := call(t, n, "", "GET", "/api/v1/instance/privacy_policy", nil); !strings.Contains(doc["content"].(string), "little") {
			t.Fatalf("privacy policy changed by a refused form: %v", doc)
		}

		// Each change is in the audit log: 3 by the CLI, 2 by the page.
		entries, err := n.svc.AuditLog(ctx, social.CommandLine, storage.AuditFilter{}, storage.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var audited []string
		for _, e := range entries {
			if e.Action == "update_instance_document" {
				audited = append(audited, e.Actor+": "+e.Target)
			}
		}
		if len(audited) != 5 {
			t.Fatalf("audited document changes = %v", audited)
		}
	})
}

// Languages, translation languages (none while translation is off) and
// the peers search (Rounds publishes no peers) answer as Mastodon's do.
func TestInstanceLanguagesAndPeersSearch(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		code, out := call(t, n, "", "GET", "/api/v1/instance/languages", nil)
		list, _ := out["list"].([]any)
		if code != 200 || len(list) < 180 {
			t.Fatalf("languages = %d, %d entries", code, len(list))
		}
		names := map[string]string{}
		for _, l := range list {
			m := l.(map[string]any)
			names[m["code"].(string)] = m["name"].(string)
		}
		if names["en"] != "English" || names["de"] != "German" || names["ga"] != "Irish" {
			t.Fatalf("language names: en %q de %q ga %q", names["en"], names["de"], names["ga"])
		}
		if code, out := call(t, n, "", "GET", "/api/v1/instance/translation_languages", nil); code != 200 || len(out) != 0 {
			t.Fatalf("translation languages = %d %v", code, out)
		}
		code, out = call(t, n, "", "GET", "/api/v1/peers/search?q=exa", nil)
		if l, ok := out["list"].([]any); code != 200 || !ok || len(l) != 0 {
			t.Fatalf("peers search = %d %v", code, out)
		}
	})
}

// oEmbed answers for this server's public and unlisted posts only: a
// followers-only post, one still in its send delay, another server's URL
// and a missing post are all 404.
func TestOEmbedOnlyForPublicLocalPosts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		doc := n.user(t, "doc", false)
		pub, err := n.svc.PostStatus(ctx, doc, social.NewStatus{Text: "Hand hygiene <b>saves</b> lives"})
		if err != nil {
			t.Fatal(err)
		}
		priv, err := n.svc.PostStatus(ctx, doc, social.NewStatus{Text: "followers only", Visibility: social.VisibilityPrivate})
		if err != nil {
			t.Fatal(err)
		}
		delay := social.Duration(10 * time.Minute)
		if _, err := n.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &delay }); err != nil {
			t.Fatal(err)
		}
		pending, err := n.svc.PostStatus(ctx, doc, social.NewStatus{Text: "not yet sent"})
		if err != nil {
			t.Fatal(err)
		}
		if !pending.Pending() {
			t.Fatal("the post is not in its send delay")
		}
		oembed := func(u string) (int, map[string]any) {
			return call(t, n, "", "GET", "/api/oembed?url="+url.QueryEscape(u), nil)
		}
		for _, u := range []string{pub.URL, pub.URI} {
			code, out := oembed(u)
			if code != 200 || out["type"] != "rich" || out["version"] != "1.0" || out["author_name"] != "doc" || out["author_url"] != doc.URL ||
				out["provider_name"] != n.domain || out["provider_url"] != n.base+"/" || out["width"] != float64(400) || out["height"] != nil {
				t.Fatalf("oembed %s = %d %v", u, code, out)
			}
			h, _ := out["html"].(string)
			if !strings.Contains(h, "<blockquote") || !strings.Contains(h, pub.URL) || !strings.Contains(h, "saves") || strings.Contains(h, "<b>") {
				t.Fatalf("oembed html = %s", h)
			}
		}
		for _, u := range []string{priv.URL, pending.URL, "https://elsewhere.example/@doc/" + "1", n.base + "/@doc/999999", "not a url", ""} {
			if code, out := oembed(u); code != 404 || out["error"] == nil {
				t.Fatalf("oembed %q = %d %v, want 404", u, code, out)
			}
		}
	})
}

// OpenID Connect userinfo needs the profile scope (or read, which covers
// it); token info describes the bearer's token; introspection answers an
// app about its own tokens, and {"active": false} for revoked ones and
// other apps'. The server metadata names both endpoints.
func TestOAuthUserinfoTokenInfoAndIntrospection(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		ana := n.user(t, "ana", false)

		code, meta := call(t, n, "", "GET", "/.well-known/oauth-authorization-server", nil)
		if code != 200 || meta["userinfo_endpoint"] != n.base+"/oauth/userinfo" || meta["introspection_endpoint"] != n.base+"/oauth/introspect" {
			t.Fatalf("metadata = %d %v", code, meta)
		}

		profile := tokenFor(t, n, "ana", "profile")
		for _, method := range []string{"GET", "POST"} {
			code, info := call(t, n, profile, method, "/oauth/userinfo", nil)
			if code != 200 || info["sub"] != ana.URI || info["preferred_username"] != "ana" || info["iss"] != n.base+"/" || info["profile"] != ana.URL || info["picture"] == "" || info["name"] == nil {
				t.Fatalf("%s userinfo = %d %v", method, code, info)
			}
		}
		if code, out := call(t, n, tokenFor(t, n, "ana", "write:statuses"), "GET", "/oauth/userinfo", nil); code != 403 || out["error"] == nil {
			t.Fatalf("userinfo without profile = %d %v", code, out)
		}
		if code, _ := call(t, n, "", "GET", "/oauth/userinfo", nil); code != 401 {
			t.Fatalf("userinfo without a token = %d", code)
		}

		code, ti := call(t, n, profile, "GET", "/oauth/token/info", nil)
		if scopes, _ := ti["scope"].([]any); code != 200 || len(scopes) != 1 || scopes[0] != "profile" || ti["resource_owner_id"] == nil || ti["created_at"] == nil {
			t.Fatalf("token info = %d %v", code, ti)
		}

		// An app signs ana in with the password grant and introspects.
		code, app := call(t, n, "", "POST", "/api/v1/apps", url.Values{"client_name": {"checker"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read profile"}})
		if code != 200 {
			t.Fatalf("app = %d %v", code, app)
		}
		id, secret := app["client_id"].(string), app["client_secret"].(string)
		code, tok := call(t, n, "", "POST", "/oauth/token", url.Values{"grant_type": {"password"}, "client_id": {id}, "client_secret": {secret}, "username": {"ana"}, "password": {"a long password"}, "scope": {"read"}})
		if code != 200 {
			t.Fatalf("token = %d %v", code, tok)
		}
		access := tok["access_token"].(string)
		introspect := func(token string, creds url.Values) (int, map[string]any) {
			f := url.Values{"token": {token}}
			for k, v := range creds {
				f[k] = v
			}
			return call(t, n, "", "POST", "/oauth/introspect", f)
		}
		creds := url.Values{"client_id": {id}, "client_secret": {secret}}
		code, in := introspect(access, creds)
		if code != 200 || in["active"] != true || in["scope"] != "read" || in["client_id"] != id || in["username"] != "ana" || in["sub"] != ana.URI || in["token_type"] != "Bearer" || in["iat"] == nil {
			t.Fatalf("introspection = %d %v", code, in)
		}
		// Another app's token, an unknown one: inactive, nothing more.
		for _, other := range []string{profile, "no-such-token"} {
			if code, in := introspect(other, creds); code != 200 || in["active"] != false || len(in) != 1 {
				t.Fatalf("introspecting a token not the app's = %d %v", code, in)
			}
		}
		// Without the app's credentials: 401 invalid_client.
		if code, in := introspect(access, url.Values{"client_id": {id}, "client_secret": {"wrong"}}); code != 401 || in["error"] != "invalid_client" {
			t.Fatalf("introspection with a wrong secret = %d %v", code, in)
		}
		// Revoked: inactive.
		if code, out := call(t, n, "", "POST", "/oauth/revoke", url.Values{"client_id": {id}, "client_secret": {secret}, "token": {access}}); code != 200 {
			t.Fatalf("revoke = %d %v", code, out)
		}
		if code, in := introspect(access, creds); code != 200 || in["active"] != false || len(in) != 1 {
			t.Fatalf("introspecting a revoked token = %d %v", code, in)
		}
	})
}
