package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// nv2Get fetches path with token and decodes the JSON answer into out
// (when not nil), returning the status and the Link header.
func nv2Get(t *testing.T, n *node, token, path string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", n.base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, raw)
		}
	}
	return resp.StatusCode, resp.Header.Get("Link")
}

// grouped is the decoded GroupedNotificationsResults, kept loose so that
// missing keys show.
type grouped struct {
	Accounts           []map[string]any `json:"accounts"`
	PartialAccounts    []map[string]any `json:"partial_accounts"`
	Statuses           []map[string]any `json:"statuses"`
	NotificationGroups []map[string]any `json:"notification_groups"`
}

func (g grouped) summary() string {
	var parts []string
	for _, ng := range g.NotificationGroups {
		parts = append(parts, fmt.Sprintf("%v:%v", ng["type"], ng["notifications_count"]))
	}
	return strings.Join(parts, " ")
}

func linkURL(link, rel string) string {
	m := regexp.MustCompile(`<([^>]+)>; rel="` + rel + `"`).FindStringSubmatch(link)
	if m == nil {
		return ""
	}
	u, _ := url.Parse(m[1])
	return u.RequestURI()
}

// waitPastMidnight keeps the test's notifications inside one UTC day:
// groups are per day, and a test crossing midnight would split them.
func waitPastMidnight() {
	now := time.Now().UTC()
	next := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	if next.Sub(now) < time.Minute {
		time.Sleep(next.Sub(now) + time.Second)
	}
}

// Several colleagues like and boost one post and follow its author, and
// one mentions her: the grouped notifications API shows one group for each
// kind of interaction with the post, one for the follows and one for the
// mention, with counts, sample accounts and every documented field; pages
// follow the Link header without repeats; a group can be read, listed,
// dismissed; the unread count follows the notifications marker.
func TestNotificationsV2GroupLikesBoostsAndFollows(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		waitPastMidnight()
		n := startNode(t, dialect)
		ana := n.user(t, "ana", false)
		others := map[string]*storage.Account{}
		toks := map[string]string{}
		for _, u := range []string{"ben", "cara", "dan", "eve"} {
			others[u] = n.user(t, u, false)
			toks[u] = tokenFor(t, n, u, "read write follow")
		}
		anaTok := tokenFor(t, n, "ana", "read write")
		code, post := call(t, n, anaTok, "POST", "/api/v1/statuses", url.Values{"status": {"Handover notes for ward 7"}})
		if code != 200 {
			t.Fatalf("post: %d %v", code, post)
		}
		postID := post["id"].(string)
		for _, u := range []string{"ben", "cara", "dan"} {
			if code, body := call(t, n, toks[u], "POST", "/api/v1/statuses/"+postID+"/favourite", url.Values{}); code != 200 {
				t.Fatalf("%s favourite: %d %v", u, code, body)
			}
		}
		for _, u := range []string{"ben", "cara"} {
			if code, body := call(t, n, toks[u], "POST", "/api/v1/statuses/"+postID+"/reblog", url.Values{}); code != 200 {
				t.Fatalf("%s reblog: %d %v", u, code, body)
			}
		}
		for _, u := range []string{"ben", "cara", "dan", "eve"} {
			if code, body := call(t, n, toks[u], "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", ana.ID), url.Values{}); code != 200 {
				t.Fatalf("%s follow: %d %v", u, code, body)
			}
		}
		code, mention := call(t, n, toks["eve"], "POST", "/api/v1/statuses", url.Values{"status": {"@ana can you review bed 3?"}})
		if code != 200 {
			t.Fatalf("mention: %d %v", code, mention)
		}
		eventually(t, "ten notifications", func() bool {
			var v1 []any
			nv2Get(t, n, anaTok, "/api/v1/notifications?limit=40", &v1)
			return len(v1) == 10
		})

		// Unauthenticated: refused.
		if code, _ := nv2Get(t, n, "", "/api/v2/notifications", nil); code != 401 {
			t.Fatalf("no token: %d", code)
		}

		var all grouped
		if code, _ := nv2Get(t, n, anaTok, "/api/v2/notifications", &all); code != 200 {
			t.Fatalf("v2 notifications: %d", code)
		}
		if got := all.summary(); got != "mention:1 follow:4 reblog:2 favourite:3" {
			t.Fatalf("groups = %s", got)
		}
		raw, _ := json.Marshal(all)
		var top map[string]any
		_ = json.Unmarshal(raw, &top)
		requireKeys(t, "results", top, "accounts", "partial_accounts", "statuses", "notification_groups")
		id := func(a *storage.Account) string { return fmt.Sprint(a.ID) }
		day := time.Now().UTC().Unix() / 86400
		wantKeys := []string{
			"ungrouped-" + fmt.Sprint(all.NotificationGroups[0]["most_recent_notification_id"]),
			fmt.Sprintf("follow-%d", day),
			fmt.Sprintf("reblog-%s-%d", postID, day),
			fmt.Sprintf("favourite-%s-%d", postID, day),
		}
		for i, ng := range all.NotificationGroups {
			requireKeys(t, "group", ng, "group_key", "notifications_count", "type", "most_recent_notification_id",
				"page_min_id", "page_max_id", "latest_page_notification_at", "sample_account_ids", "status_id")
			if ng["group_key"] != wantKeys[i] {
				t.Errorf("group %d key = %v, want %s", i, ng["group_key"], wantKeys[i])
			}
			if at, _ := ng["latest_page_notification_at"].(string); !strings.HasSuffix(at, "Z") || len(at) != 24 {
				t.Errorf("latest_page_notification_at = %v", ng["latest_page_notification_at"])
			}
		}
		fav, follow, mentionG := all.NotificationGroups[3], all.NotificationGroups[1], all.NotificationGroups[0]
		if fav["status_id"] != postID || follow["status_id"] != nil || mentionG["status_id"] != mention["id"] {
			t.Errorf("status ids: %v %v %v", fav["status_id"], follow["status_id"], mentionG["status_id"])
		}
		if got := fmt.Sprint(fav["sample_account_ids"]); got != fmt.Sprint([]string{id(others["dan"]), id(others["cara"]), id(others["ben"])}) {
			t.Errorf("favourite samples = %s", got)
		}
		if got := len(follow["sample_account_ids"].([]any)); got != 4 {
			t.Errorf("follow samples = %d", got)
		}
		if fav["page_min_id"] == fav["page_max_id"] || fav["most_recent_notification_id"] != fav["page_max_id"] {
			t.Errorf("favourite page ids: %v", fav)
		}
		if len(all.Accounts) != 4 || len(all.PartialAccounts) != 0 {
			t.Errorf("accounts %d, partial %d", len(all.Accounts), len(all.PartialAccounts))
		}
		if len(all.Statuses) != 2 {
			t.Errorf("statuses = %d, want the post and the mention once each", len(all.Statuses))
		}
		for _, st := range all.Statuses {
			requireKeys(t, "status", st, "id", "url", "edited_at", "account")
		}

		// Paging: two groups a page, following Link, nothing twice.
		var p1, p2, p3 grouped
		_, link1 := nv2Get(t, n, anaTok, "/api/v2/notifications?limit=2", &p1)
		next := linkURL(link1, "next")
		if p1.summary() != "mention:1 follow:4" || next == "" || linkURL(link1, "prev") == "" {
			t.Fatalf("page 1 = %s, Link %q", p1.summary(), link1)
		}
		_, link2 := nv2Get(t, n, anaTok, next, &p2)
		if p2.summary() != "reblog:2 favourite:3" {
			t.Fatalf("page 2 = %s (%s)", p2.summary(), next)
		}
		_, link3 := nv2Get(t, n, anaTok, linkURL(link2, "next"), &p3)
		if len(p3.NotificationGroups) != 0 || link3 != "" {
			t.Fatalf("page 3 = %s, Link %q", p3.summary(), link3)
		}
		// Back up from page 2 with min_id: the two groups just newer.
		var back grouped
		nv2Get(t, n, anaTok, linkURL(link2, "prev"), &back)
		if back.summary() != "mention:1 follow:4" {
			t.Fatalf("prev of page 2 = %s", back.summary())
		}

		// Filters and grouping choices.
		for _, c := range []struct{ query, want string }{
			{"types[]=favourite", "favourite:3"},
			{"exclude_types[]=follow&exclude_types[]=mention", "reblog:2 favourite:3"},
			{"grouped_types[]=favourite", "mention:1 follow:1 follow:1 follow:1 follow:1 reblog:1 reblog:1 favourite:3"},
			{"account_id=" + id(others["eve"]), "mention:1 follow:4"},
			{"expand_accounts=partial_avatars&include_filtered=true", "mention:1 follow:4 reblog:2 favourite:3"},
		} {
			var g grouped
			if code, _ := nv2Get(t, n, anaTok, "/api/v2/notifications?"+c.query, &g); code != 200 || g.summary() != c.want {
				t.Errorf("%s: %d %s, want %s", c.query, code, g.summary(), c.want)
			}
		}

		// One group, its accounts.
		favKey := wantKeys[3]
		var one grouped
		if code, _ := nv2Get(t, n, anaTok, "/api/v2/notifications/"+favKey, &one); code != 200 || one.summary() != "favourite:3" || len(one.Accounts) != 3 || len(one.Statuses) != 1 {
			t.Fatalf("group %s: %d %s %d accounts", favKey, code, one.summary(), len(one.Accounts))
		}
		var accts []map[string]any
		if code, _ := nv2Get(t, n, anaTok, "/api/v2/notifications/"+wantKeys[1]+"/accounts", &accts); code != 200 || len(accts) != 4 {
			t.Fatalf("follow group accounts: %d %d", code, len(accts))
		}
		if code, _ := nv2Get(t, n, anaTok, "/api/v2/notifications/favourite-1-2", nil); code != 404 {
			t.Fatalf("unknown group: %d", code)
		}
		if code, _ := nv2Get(t, n, toks["ben"], "/api/v2/notifications/"+wantKeys[0], nil); code != 404 {
			t.Fatalf("someone else's notification: %d", code)
		}

		// Unread count: every group without a marker, then those past it.
		var count map[string]int
		if nv2Get(t, n, anaTok, "/api/v2/notifications/unread_count", &count); count["count"] != 4 {
			t.Fatalf("unread without marker = %v", count)
		}
		reblogMax := all.NotificationGroups[2]["page_max_id"].(string)
		if code, body := call(t, n, anaTok, "POST", "/api/v1/markers", url.Values{"notifications[last_read_id]": {reblogMax}}); code != 200 {
			t.Fatalf("marker: %d %v", code, body)
		}
		if nv2Get(t, n, anaTok, "/api/v2/notifications/unread_count", &count); count["count"] != 2 {
			t.Fatalf("unread after marker = %v", count)
		}
		if nv2Get(t, n, anaTok, "/api/v2/notifications/unread_count?limit=1", &count); count["count"] != 1 {
			t.Fatalf("unread capped = %v", count)
		}
		if nv2Get(t, n, anaTok, "/api/v2/notifications/unread_count?grouped_types[]=reblog", &count); count["count"] != 5 {
			t.Fatalf("unread with follows ungrouped = %v", count)
		}

		// Dismissing a group removes all of it.
		if code, body := call(t, n, toks["ben"], "POST", "/api/v2/notifications/"+favKey+"/dismiss", url.Values{}); code != 200 {
			t.Fatalf("dismiss by another: %d %v", code, body)
		}
		if code, body := call(t, n, anaTok, "POST", "/api/v2/notifications/"+favKey+"/dismiss", url.Values{}); code != 200 {
			t.Fatalf("dismiss: %d %v", code, body)
		}
		var after grouped
		nv2Get(t, n, anaTok, "/api/v2/notifications", &after)
		if after.summary() != "mention:1 follow:4 reblog:2" {
			t.Fatalf("after dismiss = %s", after.summary())
		}
		if code, _ := nv2Get(t, n, anaTok, "/api/v2/notifications/"+favKey, nil); code != 404 {
			t.Fatalf("dismissed group: %d", code)
		}
	})
}
