package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// listOf returns the list answer call wrapped as {"list": [...]}.
func listOf(t *testing.T, what string, code int, body map[string]any) []map[string]any {
	t.Helper()
	if code != http.StatusOK {
		t.Fatalf("%s: %d %v", what, code, body)
	}
	raw, ok := body["list"].([]any)
	if !ok && body != nil {
		t.Fatalf("%s: not a list: %v", what, body)
	}
	out := make([]map[string]any, 0, len(raw))
	for _, v := range raw {
		out = append(out, v.(map[string]any))
	}
	return out
}

// findBy returns the entry of list whose key is value, or nil.
func findBy(list []map[string]any, key, value string) map[string]any {
	for _, e := range list {
		if e[key] == value {
			return e
		}
	}
	return nil
}

// Trends come from this server's posts and show in public only once staff
// approve them; staff review them through the admin API, which leaves
// audit entries; the link timeline answers for a trending link only.
func TestTrendsNeedStaffApprovalAndComeFromPosts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		for name, role := range map[string]string{"admin": social.RoleAdmin, "mod": social.RoleModerator, "plain": social.RoleUser, "alice": social.RoleUser, "bob": social.RoleUser} {
			if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: name, Password: "a long password", Role: role, Approved: true}); err != nil {
				t.Fatal(err)
			}
		}
		scopes := "read write admin:read admin:write"
		admin, mod, plain := tokenFor(t, n, "admin", scopes), tokenFor(t, n, "mod", scopes), tokenFor(t, n, "plain", scopes)
		alice, bob := tokenFor(t, n, "alice", "read write"), tokenFor(t, n, "bob", "read write")

		link := "https://example.org/guide?a=1&b=2"
		code, post := call(t, n, alice, "POST", "/api/v1/statuses", url.Values{"status": {"New #WardRounds guide " + link}})
		if code != http.StatusOK {
			t.Fatalf("post: %d %v", code, post)
		}
		postID := post["id"].(string)
		if code, _ := call(t, n, bob, "POST", "/api/v1/statuses", url.Values{"status": {"Agreed #wardrounds " + link}}); code != http.StatusOK {
			t.Fatal("bob's post:", code)
		}
		if code, _ := call(t, n, bob, "POST", "/api/v1/statuses/"+postID+"/favourite", nil); code != http.StatusOK {
			t.Fatal("favourite:", code)
		}

		// Nothing is public before review.
		for _, path := range []string{"/api/v1/trends", "/api/v1/trends/tags", "/api/v1/trends/statuses", "/api/v1/trends/links"} {
			if l := getList(t, n, "", path); len(l) != 0 {
				t.Errorf("%s before review: %v", path, l)
			}
		}
		if code, body := call(t, n, "", "GET", "/api/v1/timelines/link?url="+url.QueryEscape(link), nil); code != http.StatusNotFound {
			t.Errorf("link timeline of a link not trending: %d %v", code, body)
		}
		// Staff see the candidates; others may not.
		if code, _ := call(t, n, plain, "GET", "/api/v1/admin/trends/tags", nil); code != http.StatusForbidden {
			t.Errorf("plain user on admin trends: %d", code)
		}
		tags := getList(t, n, mod, "/api/v1/admin/trends/tags")
		tag := findBy(tags, "name", "wardrounds")
		if tag == nil || tag["requires_review"] != true || tag["trendable"] != false || tag["usable"] != true || tag["listable"] != true {
			t.Fatalf("admin trends tags: %v", tags)
		}
		tagID := tag["id"].(string)
		code, approved := call(t, n, mod, "POST", "/api/v1/admin/trends/tags/"+tagID+"/approve", nil)
		if code != http.StatusOK || approved["trendable"] != true || approved["requires_review"] != false {
			t.Fatalf("approve tag: %d %v", code, approved)
		}
		public := getList(t, n, "", "/api/v1/trends/tags")
		if len(public) != 1 || public[0]["name"] != "wardrounds" {
			t.Fatalf("trends tags after approval: %v", public)
		}
		hist := public[0]["history"].([]any)
		if len(hist) != 7 || hist[0].(map[string]any)["accounts"] != "2" || hist[0].(map[string]any)["uses"] != "2" {
			t.Errorf("trending tag history: %v", hist)
		}
		if l := getList(t, n, "", "/api/v1/trends/tags?offset=1"); len(l) != 0 {
			t.Errorf("trends tags from offset 1: %v", l)
		}

		// Posts: approve, then reject.
		sts := getList(t, n, admin, "/api/v1/admin/trends/statuses")
		if len(sts) != 1 || sts[0]["id"] != postID || sts[0]["requires_review"] != true {
			t.Fatalf("admin trends statuses: %v", sts)
		}
		call(t, n, admin, "POST", "/api/v1/admin/trends/statuses/"+postID+"/approve", nil)
		if l := getList(t, n, "", "/api/v1/trends/statuses"); len(l) != 1 || l[0]["id"] != postID {
			t.Errorf("trends statuses after approval: %v", l)
		}
		call(t, n, admin, "POST", "/api/v1/admin/trends/statuses/"+postID+"/reject", nil)
		if l := getList(t, n, "", "/api/v1/trends/statuses"); len(l) != 0 {
			t.Errorf("trends statuses after rejection: %v", l)
		}

		// Links: approving the publisher lets its links trend.
		links := getList(t, n, admin, "/api/v1/admin/trends/links")
		if len(links) != 1 || links[0]["url"] != link || links[0]["requires_review"] != true {
			t.Fatalf("admin trends links: %v", links)
		}
		pubs := getList(t, n, admin, "/api/v1/admin/trends/links/publishers")
		if len(pubs) != 1 || pubs[0]["domain"] != "example.org" || pubs[0]["requires_review"] != true {
			t.Fatalf("publishers: %v", pubs)
		}
		if code, body := call(t, n, admin, "POST", "/api/v1/admin/trends/links/publishers/"+pubs[0]["id"].(string)+"/approve", nil); code != http.StatusOK {
			t.Fatalf("approve publisher: %d %v", code, body)
		}
		if code, _ := call(t, n, admin, "POST", "/api/v1/admin/trends/links/12345/approve", nil); code != http.StatusNotFound {
			t.Errorf("approve an unknown link: %d", code)
		}
		tl := getList(t, n, "", "/api/v1/trends/links")
		if len(tl) != 1 || tl[0]["url"] != link || tl[0]["provider_name"] != "example.org" || len(tl[0]["history"].([]any)) != 7 {
			t.Fatalf("trends links: %v", tl)
		}
		byLink := getList(t, n, "", "/api/v1/timelines/link?url="+url.QueryEscape(link)+"&limit=1")
		if len(byLink) != 1 {
			t.Fatalf("link timeline: %v", byLink)
		}

		// Admin tags: settings; an unlisted tag leaves the trends.
		all := getList(t, n, admin, "/api/v1/admin/tags")
		if findBy(all, "id", tagID) == nil {
			t.Fatalf("admin tags: %v", all)
		}
		code, upd := call(t, n, admin, "PUT", "/api/v1/admin/tags/"+tagID, url.Values{"display_name": {"WardRounds"}, "listable": {"false"}})
		if code != http.StatusOK || upd["display_name"] != "WardRounds" || upd["listable"] != false || upd["trendable"] != true {
			t.Fatalf("update tag: %d %v", code, upd)
		}
		if code, body := call(t, n, admin, "PUT", "/api/v1/admin/tags/"+tagID, url.Values{"display_name": {"Other"}}); code != http.StatusUnprocessableEntity {
			t.Errorf("display name of another tag: %d %v", code, body)
		}
		if code, one := call(t, n, mod, "GET", "/api/v1/admin/tags/"+tagID, nil); code != http.StatusOK || one["listable"] != false {
			t.Errorf("admin tag: %d %v", code, one)
		}
		if l := getList(t, n, "", "/api/v1/trends/tags"); len(l) != 0 {
			t.Errorf("an unlisted tag trends: %v", l)
		}
		for action, want := range map[string]int{"approve_trend": 3, "reject_trend": 1, "update_tag": 1} { // counted before the command line's
			entries, err := n.svc.AuditLog(ctx, social.CommandLine, storage.AuditFilter{Action: action}, storage.Page{})
			if err != nil || len(entries) != want {
				t.Errorf("%s audit entries: %d (%v), want %d", action, len(entries), err, want)
			}
		}

		// Dashboard figures.
		today := time.Now().UTC().Format("2006-01-02")
		code, ms := call(t, n, mod, "POST", "/api/v1/admin/measures", url.Values{
			"keys[]":   {"new_users", "active_users", "interactions", "tag_uses", "tag_accounts", "opened_reports", "instance_statuses"},
			"start_at": {today}, "end_at": {today}, "tag_uses[id]": {tagID}, "tag_accounts[id]": {tagID}, "instance_statuses[domain]": {"remote.example"},
		})
		measures := listOf(t, "measures", code, ms)
		want := map[string]string{"new_users": "5", "active_users": "2", "interactions": "1", "tag_uses": "2", "tag_accounts": "2", "opened_reports": "0", "instance_statuses": "0"}
		for key, total := range want {
			m := findBy(measures, "key", key)
			if m == nil || m["total"] != total || len(m["data"].([]any)) != 1 {
				t.Errorf("measure %s: %v, want total %s", key, m, total)
			}
		}
		code, ds := call(t, n, mod, "POST", "/api/v1/admin/dimensions", url.Values{
			"keys[]": {"languages", "servers", "space_usage", "software_versions", "sources", "tag_servers"}, "start_at": {today}, "end_at": {today}, "tag_servers[id]": {tagID},
		})
		dims := listOf(t, "dimensions", code, ds)
		if len(dims) != 6 {
			t.Errorf("dimensions: %v", dims)
		}
		if d := findBy(dims, "key", "tag_servers"); d == nil || len(d["data"].([]any)) != 1 {
			t.Errorf("tag_servers: %v", d)
		}
		code, rs := call(t, n, mod, "POST", "/api/v1/admin/retention", url.Values{"start_at": {today}, "end_at": {today}, "frequency": {"day"}})
		cohorts := listOf(t, "retention", code, rs)
		if len(cohorts) != 1 || cohorts[0]["data"].([]any)[0].(map[string]any)["value"] != "5" {
			t.Errorf("retention: %v", cohorts)
		}
		if code, _ := call(t, n, plain, "POST", "/api/v1/admin/measures", url.Values{"keys[]": {"new_users"}, "start_at": {today}, "end_at": {today}}); code != http.StatusForbidden {
			t.Errorf("plain user on measures: %d", code)
		}

		// The command line reviews the same candidates, through the audit log.
		env := map[string]string{"ROUNDS_DATABASE": n.dbURL, "ROUNDS_DOMAIN": n.domain}
		for _, step := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"admin", "trends"}, 2, "say what to do"},
			{[]string{"admin", "trends", "list", "people"}, 2, "say tags, statuses, links or publishers"},
			{[]string{"admin", "trends", "approve", "tags"}, 2, "give the ID"},
			{[]string{"admin", "trends", "list", "tags"}, 0, "approved  #wardrounds"},
			{[]string{"admin", "trends", "reject", "tags", tagID}, 0, "Rejected tag " + tagID},
			{[]string{"admin", "trends", "list", "tags"}, 0, "rejected  #wardrounds"},
			{[]string{"admin", "trends", "list", "statuses"}, 0, "rejected  1"},
			{[]string{"admin", "trends", "list", "links"}, 0, link},
			{[]string{"admin", "trends", "list", "publishers"}, 0, "approved  example.org"},
			{[]string{"admin", "trends", "approve", "statuses", "999"}, 1, "no post candidate with ID 999"},
		} {
			code, out, errs := runCLI(t, env, step.args...)
			if code != step.code || !strings.Contains(out+errs, step.want) {
				t.Errorf("rounds %s: %d %q %q, want %d and %q", strings.Join(step.args, " "), code, out, errs, step.code, step.want)
			}
		}

		// The staff page shows the same candidates and reviews them with a
		// CSRF-checked form; a plain user is not let in.
		page := signInPages(t, n, "mod")
		page.formPage = "/admin/trends"
		if code, body, _ := page.get("/admin/trends"); code != http.StatusOK || !strings.Contains(body, "#wardrounds") || !strings.Contains(body, "example.org") || !strings.Contains(body, "Rejected") {
			t.Fatalf("trends page: %d\n%s", code, body)
		}
		if code, _, _ := page.send("/admin/trends/tags/"+tagID+"/approve", url.Values{}); code != http.StatusForbidden {
			t.Errorf("approve without a form token: %d", code)
		}
		page.mustPost("/admin/trends/tags/"+tagID+"/approve", nil, "trend_approved")
		if tag, err := n.svc.AdminTag(ctx, social.CommandLine, mustInt(t, tagID)); err != nil || !tag.Trendable {
			t.Errorf("tag after approval on the page: %+v %v", tag, err)
		}
		if code, body, _ := signInPages(t, n, "plain").get("/admin/trends"); code == http.StatusOK && strings.Contains(body, "#wardrounds") {
			t.Errorf("a plain user sees the trends page")
		}

		// Translation is off; an address already confirmed has nothing to resend.
		if code, body := call(t, n, alice, "POST", "/api/v1/statuses/"+postID+"/translate", nil); code != http.StatusNotFound || body["error"] != "Record not found" {
			t.Errorf("translate: %d %v", code, body)
		}
		code, body := call(t, n, alice, "POST", "/api/v1/emails/confirmations", nil)
		if code != http.StatusForbidden || body["error"] != "This method is only available while the e-mail is awaiting confirmation" {
			t.Errorf("resend confirmation: %d %v", code, body)
		}
		req, _ := http.NewRequest("GET", n.base+"/api/v1/emails/check_confirmation", nil)
		req.Header.Set("Authorization", "Bearer "+alice)
		if resp, err := http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != "true" {
				t.Errorf("check confirmation: %d %s, want true", resp.StatusCode, b)
			}
		}

		// Things Rounds never has answer as Mastodon does when there are none.
		for _, c := range []struct{ method, path string }{
			{"POST", "/api/v1/announcements/1/dismiss"}, {"PUT", "/api/v1/announcements/1/reactions/x"},
			{"DELETE", "/api/v1/announcements/1/reactions/x"}, {"GET", "/api/v1/async_refreshes/1"},
		} {
			if code, body := call(t, n, alice, c.method, c.path, nil); code != http.StatusNotFound || body["error"] != "Record not found" {
				t.Errorf("%s %s: %d %v", c.method, c.path, code, body)
			}
		}
		if l := getList(t, n, alice, "/api/v1/accounts/"+post["account"].(map[string]any)["id"].(string)+"/identity_proofs"); len(l) != 0 {
			t.Errorf("identity proofs: %v", l)
		}
		// Deleting several notifications: bob's favourite told alice.
		notes := getList(t, n, alice, "/api/v1/notifications")
		if len(notes) == 0 {
			t.Fatal("alice has no notification of bob's favourite")
		}
		q := url.Values{"ids[]": {notes[0]["id"].(string), "not-an-id"}}
		if code, body := call(t, n, alice, "DELETE", "/api/v1/notifications/destroy_multiple?"+q.Encode(), nil); code != http.StatusOK {
			t.Errorf("destroy_multiple: %d %v", code, body)
		}
		if after := getList(t, n, alice, "/api/v1/notifications"); len(after) != len(notes)-1 {
			t.Errorf("notifications after destroy_multiple: %d, want %d", len(after), len(notes)-1)
		}
	})
}

// getList GETs path with token ("" for none) and returns its list answer.
func getList(t *testing.T, n *node, token, path string) []map[string]any {
	t.Helper()
	code, body := call(t, n, token, "GET", path, nil)
	return listOf(t, path, code, body)
}
