package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// nrMention posts text from token with visibility and returns its id.
func nrMention(t *testing.T, n *node, token, text, visibility string) string {
	t.Helper()
	code, st := call(t, n, token, "POST", "/api/v1/statuses", url.Values{"status": {text}, "visibility": {visibility}})
	if code != 200 {
		t.Fatalf("post %q: %d %v", text, code, st)
	}
	return st["id"].(string)
}

// nrStatusIDs lists the status ids of token's v1 notifications, with
// query's further parameters.
func nrStatusIDs(t *testing.T, n *node, token string, query ...string) string {
	t.Helper()
	var ns []map[string]any
	if code, _ := nv2Get(t, n, token, "/api/v1/notifications?limit=80&"+strings.Join(query, "&"), &ns); code != 200 {
		t.Fatalf("notifications: %d", code)
	}
	var ids []string
	for _, x := range ns {
		if st, ok := x["status"].(map[string]any); ok {
			ids = append(ids, st["id"].(string))
		}
	}
	return " " + strings.Join(ids, " ") + " "
}

// nrRequests lists token's notification requests.
func nrRequests(t *testing.T, n *node, token string) []map[string]any {
	t.Helper()
	var rs []map[string]any
	if code, _ := nv2Get(t, n, token, "/api/v1/notifications/requests", &rs); code != 200 {
		t.Fatalf("requests: %d", code)
	}
	return rs
}

func nrAccountID(r map[string]any) string {
	a, _ := r["account"].(map[string]any)
	id, _ := a["id"].(string)
	return id
}

// A private mention from a stranger is filtered under the default policy:
// it waits in a request (not in the list, not on the stream) while one
// from a colleague she follows goes through; accepting the request moves
// its notifications into the list and lets later ones through; dismissing
// removes them; drop records nothing; the v1 and v2 policies read and
// change the same rules; requests are accepted and dismissed in bulk.
func TestNotificationRequestsFilterAcceptDismissAndDrop(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "ana", false)
		toks := map[string]string{}
		ids := map[string]string{}
		for _, u := range []string{"ben", "cara", "dan", "eve", "fay", "gus"} {
			ids[u] = fmt.Sprint(n.user(t, u, false).ID)
			toks[u] = tokenFor(t, n, u, "read write")
		}
		ana := tokenFor(t, n, "ana", "read write follow")
		if code, body := call(t, n, ana, "POST", "/api/v1/accounts/"+ids["cara"]+"/follow", url.Values{}); code != 200 {
			t.Fatalf("follow: %d %v", code, body)
		}

		// The defaults, in both shapes.
		code, pol := call(t, n, ana, "GET", "/api/v2/notifications/policy", nil)
		if code != 200 {
			t.Fatalf("policy: %d %v", code, pol)
		}
		requireKeys(t, "policy", pol, "for_not_following", "for_not_followers", "for_new_accounts", "for_private_mentions", "for_limited_accounts", "summary")
		if got := fmt.Sprintln(pol["for_not_following"], pol["for_not_followers"], pol["for_new_accounts"], pol["for_private_mentions"], pol["for_limited_accounts"]); got != "accept accept accept filter filter\n" {
			t.Fatalf("default policy = %s", got)
		}
		code, v1 := call(t, n, ana, "GET", "/api/v1/notifications/policy", nil)
		if code != 200 || v1["filter_private_mentions"] != true || v1["filter_not_following"] != false || v1["summary"] == nil {
			t.Fatalf("v1 policy: %d %v", code, v1)
		}
		if code, _ := call(t, n, "", "GET", "/api/v2/notifications/policy", nil); code != 401 {
			t.Fatalf("policy without a token: %d", code)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		stream := openSSE(t, ctx, n.base, ana, "/api/v1/streaming/user/notification")
		time.Sleep(200 * time.Millisecond) // subscribed before the posts

		// A stranger's private mention waits; a colleague's goes through.
		benDM := nrMention(t, n, toks["ben"], "@ana can I ask about a patient?", "direct")
		caraDM := nrMention(t, n, toks["cara"], "@ana bed 4 is ready", "direct")
		for waiting := true; waiting; {
			select {
			case d := <-stream.data:
				if strings.Contains(d, `"id":"`+benDM+`"`) {
					t.Fatal("the filtered mention was streamed")
				}
				waiting = !strings.Contains(d, `"id":"`+caraDM+`"`)
			case <-ctx.Done():
				t.Fatal("the colleague's mention was not streamed")
			}
		}
		if got := nrStatusIDs(t, n, ana); strings.Contains(got, benDM) || !strings.Contains(got, caraDM) {
			t.Fatalf("list = %s: want %s, not %s", got, caraDM, benDM)
		}
		rs := nrRequests(t, n, ana)
		if len(rs) != 1 {
			t.Fatalf("requests = %v", rs)
		}
		req := rs[0]
		requireKeys(t, "request", req, "id", "created_at", "updated_at", "account", "notifications_count", "last_status")
		if nrAccountID(req) != ids["ben"] || req["notifications_count"] != "1" || req["last_status"].(map[string]any)["id"] != benDM {
			t.Fatalf("request = %v", req)
		}
		benReq := req["id"].(string)
		// What a request holds is read as apps do, by account_id (or with
		// include_filtered), in v1 and v2.
		if got := nrStatusIDs(t, n, ana, "account_id="+ids["ben"]); strings.TrimSpace(got) != benDM {
			t.Fatalf("notifications from the sender = %s, want %s", got, benDM)
		}
		if got := nrStatusIDs(t, n, ana, "include_filtered=true"); !strings.Contains(got, benDM) || !strings.Contains(got, caraDM) {
			t.Fatalf("notifications with include_filtered = %s", got)
		}
		var g grouped
		if nv2Get(t, n, ana, "/api/v2/notifications?account_id="+ids["ben"], &g); g.summary() != "mention:1" {
			t.Fatalf("v2 notifications from the sender = %s", g.summary())
		}
		benDM2 := nrMention(t, n, toks["ben"], "@ana it is about bed 9", "direct")
		code, one := call(t, n, ana, "GET", "/api/v1/notifications/requests/"+benReq, nil)
		if code != 200 || one["notifications_count"] != "2" || one["last_status"].(map[string]any)["id"] != benDM2 {
			t.Fatalf("request after a second mention: %d %v", code, one)
		}
		if code, _ := call(t, n, toks["cara"], "GET", "/api/v1/notifications/requests/"+benReq, nil); code != 404 {
			t.Fatalf("someone else's request: %d", code)
		}
		code, pol = call(t, n, ana, "GET", "/api/v2/notifications/policy", nil)
		if sum, _ := pol["summary"].(map[string]any); code != 200 || fmt.Sprintln(sum["pending_requests_count"], sum["pending_notifications_count"]) != "1 2\n" {
			t.Fatalf("summary: %d %v", code, pol)
		}
		if code, m := call(t, n, ana, "GET", "/api/v1/notifications/requests/merged", nil); code != 200 || m["merged"] != true {
			t.Fatalf("merged: %d %v", code, m)
		}

		// Accepting moves both into the list; the next one goes straight
		// there.
		if code, body := call(t, n, ana, "POST", "/api/v1/notifications/requests/"+benReq+"/accept", url.Values{}); code != 200 {
			t.Fatalf("accept: %d %v", code, body)
		}
		if got := nrStatusIDs(t, n, ana); !strings.Contains(got, benDM) || !strings.Contains(got, benDM2) {
			t.Fatalf("list after accept = %s", got)
		}
		benDM3 := nrMention(t, n, toks["ben"], "@ana thank you", "direct")
		if got := nrStatusIDs(t, n, ana); !strings.Contains(got, benDM3) {
			t.Fatalf("a later mention from an accepted sender is not listed: %s", got)
		}
		if rs := nrRequests(t, n, ana); len(rs) != 0 {
			t.Fatalf("requests after accept = %v", rs)
		}

		// Dismissing removes the request and what it held.
		danDM := nrMention(t, n, toks["dan"], "@ana hello", "direct")
		rs = nrRequests(t, n, ana)
		if len(rs) != 1 || nrAccountID(rs[0]) != ids["dan"] {
			t.Fatalf("requests = %v", rs)
		}
		if code, body := call(t, n, ana, "POST", "/api/v1/notifications/requests/"+rs[0]["id"].(string)+"/dismiss", url.Values{}); code != 200 {
			t.Fatalf("dismiss: %d %v", code, body)
		}
		if code, _ := call(t, n, ana, "GET", "/api/v1/notifications/requests/"+rs[0]["id"].(string), nil); code != 404 {
			t.Fatalf("dismissed request: %d", code)
		}
		if got := nrStatusIDs(t, n, ana); strings.Contains(got, danDM) {
			t.Fatalf("a dismissed notification is listed: %s", got)
		}

		// Drop: nothing is recorded.
		code, pol = call(t, n, ana, "PATCH", "/api/v2/notifications/policy", url.Values{"for_private_mentions": {"drop"}})
		if code != 200 || pol["for_private_mentions"] != "drop" || pol["for_limited_accounts"] != "filter" {
			t.Fatalf("patch: %d %v", code, pol)
		}
		eveDM := nrMention(t, n, toks["eve"], "@ana private", "direct")
		evePublic := nrMention(t, n, toks["eve"], "@ana public", "public")
		if got := nrStatusIDs(t, n, ana); strings.Contains(got, eveDM) || !strings.Contains(got, evePublic) {
			t.Fatalf("list with drop = %s", got)
		}
		if rs := nrRequests(t, n, ana); len(rs) != 0 {
			t.Fatalf("requests with drop = %v", rs)
		}
		if code, body := call(t, n, ana, "PATCH", "/api/v2/notifications/policy", url.Values{"for_new_accounts": {"maybe"}}); code != 422 {
			t.Fatalf("bad value: %d %v", code, body)
		}

		// v1's booleans: filter_not_following filters public mentions of
		// strangers too; v2 shows it.
		code, v1 = call(t, n, ana, "PUT", "/api/v1/notifications/policy", url.Values{"filter_not_following": {"true"}})
		if code != 200 || v1["filter_not_following"] != true || v1["filter_private_mentions"] != true {
			t.Fatalf("v1 put: %d %v", code, v1)
		}
		code, pol = call(t, n, ana, "GET", "/api/v2/notifications/policy", nil)
		if code != 200 || pol["for_not_following"] != "filter" || pol["for_private_mentions"] != "drop" {
			t.Fatalf("policy after v1 put: %d %v", code, pol)
		}
		fayPost := nrMention(t, n, toks["fay"], "@ana hi", "public")
		gusPost := nrMention(t, n, toks["gus"], "@ana hi", "public")
		rs = nrRequests(t, n, ana)
		if len(rs) != 2 || nrAccountID(rs[0]) != ids["gus"] || nrAccountID(rs[1]) != ids["fay"] {
			t.Fatalf("requests = %v", rs)
		}
		// Paging follows the Link header.
		var page []map[string]any
		_, link := nv2Get(t, n, ana, "/api/v1/notifications/requests?limit=1", &page)
		var page2 []map[string]any
		if next := linkURL(link, "next"); len(page) != 1 || next == "" {
			t.Fatalf("page 1: %v %q", page, link)
		} else if nv2Get(t, n, ana, next, &page2); len(page2) != 1 || nrAccountID(page2[0]) != ids["fay"] {
			t.Fatalf("page 2: %v", page2)
		}
		gusReq, fayReq := rs[0]["id"].(string), rs[1]["id"].(string)
		if code, body := call(t, n, ana, "POST", "/api/v1/notifications/requests/accept", url.Values{"id[]": {fayReq}}); code != 200 {
			t.Fatalf("bulk accept: %d %v", code, body)
		}
		if code, body := call(t, n, ana, "POST", "/api/v1/notifications/requests/dismiss", url.Values{"id[]": {gusReq, "12345"}}); code != 200 {
			t.Fatalf("bulk dismiss: %d %v", code, body)
		}
		if got := nrStatusIDs(t, n, ana); !strings.Contains(got, fayPost) || strings.Contains(got, gusPost) {
			t.Fatalf("list after bulk = %s", got)
		}
		if rs := nrRequests(t, n, ana); len(rs) != 0 {
			t.Fatalf("requests after bulk = %v", rs)
		}
	})
}

// The v1 unread count counts each notification past the marker (up to
// limit); one notification is dismissed; v2 clear empties the list.
func TestNotificationsUnreadCountDismissAndClear(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "ana", false)
		n.user(t, "ben", false)
		ana := tokenFor(t, n, "ana", "read write")
		benTok := tokenFor(t, n, "ben", "read write")
		var posts []string
		for i := range 4 {
			posts = append(posts, nrMention(t, n, benTok, fmt.Sprintf("@ana note %d", i), "public"))
		}
		var ns []map[string]any
		nv2Get(t, n, ana, "/api/v1/notifications", &ns)
		if len(ns) != 4 {
			t.Fatalf("notifications = %d", len(ns))
		}
		var count map[string]int
		if code, _ := nv2Get(t, n, ana, "/api/v1/notifications/unread_count", &count); code != 200 || count["count"] != 4 {
			t.Fatalf("unread without a marker: %d %v", code, count)
		}
		// Newest first: the marker at the second oldest leaves two.
		if code, body := call(t, n, ana, "POST", "/api/v1/markers", url.Values{"notifications[last_read_id]": {ns[2]["id"].(string)}}); code != 200 {
			t.Fatalf("marker: %d %v", code, body)
		}
		if nv2Get(t, n, ana, "/api/v1/notifications/unread_count", &count); count["count"] != 2 {
			t.Fatalf("unread after the marker = %v", count)
		}
		if nv2Get(t, n, ana, "/api/v1/notifications/unread_count?limit=1", &count); count["count"] != 1 {
			t.Fatalf("unread with limit 1 = %v", count)
		}
		if code, _ := nv2Get(t, n, "", "/api/v1/notifications/unread_count", nil); code != 401 {
			t.Fatalf("unread without a token: %d", code)
		}

		// Dismiss one (someone else cannot).
		if code, _ := call(t, n, benTok, "POST", "/api/v1/notifications/"+ns[0]["id"].(string)+"/dismiss", url.Values{}); code != 404 {
			t.Fatalf("dismiss by another: %d", code)
		}
		if code, body := call(t, n, ana, "POST", "/api/v1/notifications/"+ns[0]["id"].(string)+"/dismiss", url.Values{}); code != 200 {
			t.Fatalf("dismiss: %d %v", code, body)
		}
		if got := nrStatusIDs(t, n, ana); strings.Contains(got, posts[3]) || !strings.Contains(got, posts[2]) {
			t.Fatalf("after dismiss = %s", got)
		}
		if code, body := call(t, n, ana, "POST", "/api/v2/notifications/clear", url.Values{}); code != 200 {
			t.Fatalf("clear: %d %v", code, body)
		}
		if got := nrStatusIDs(t, n, ana); strings.TrimSpace(got) != "" {
			t.Fatalf("after clear = %s", got)
		}
	})
}

// A filtered notification is not pushed: of a stranger's private mention
// and a colleague's, only the colleague's reaches the push service.
func TestFilteredNotificationsAreNotPushed(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		carol := n.user(t, "carol", false)
		aliceTok := tokenFor(t, n, "alice", "read write follow push")
		alice := mastodon.NewClient(&mastodon.Config{Server: n.base, AccessToken: aliceTok})
		if _, err := alice.AccountFollow(ctx, mastodon.ID(fmt.Sprint(carol.ID))); err != nil {
			t.Fatal(err)
		}
		pr := newPushReceiver(t, false)
		var inst struct {
			Configuration struct {
				Vapid struct {
					PublicKey string `json:"public_key"`
				} `json:"vapid"`
			} `json:"configuration"`
		}
		rawGet(t, n, nil, "/api/v2/instance", &inst)
		dev := newPushDevice(t)
		uaKey, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), dev.key.PublicKey().Bytes())
		if err != nil {
			t.Fatal(err)
		}
		on := mastodon.Sbool(true)
		if _, err := alice.AddPushSubscription(ctx, pr.srv.URL+"/push/alice", *uaKey, dev.auth, mastodon.PushAlerts{Mention: &on}); err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		nrMention(t, n, tokenFor(t, n, "bob", "read write"), "@alice a question from a stranger", "direct")
		nrMention(t, n, tokenFor(t, n, "carol", "read write"), "@alice from your colleague", "direct")
		p := openPush(t, pr.next(t, "the colleague's mention"), dev, pr.srv.URL, inst.Configuration.Vapid.PublicKey)
		if !strings.Contains(p.Body, "from your colleague") {
			t.Fatalf("first push = %+v, want the colleague's mention", p)
		}
		pr.none(t, "a filtered mention")
	})
}
