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

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// lmDo sends method path with token and an optional body of type ct, and
// returns the status, the Link header and the raw JSON answer.
func lmDo(t *testing.T, n *node, token, method, path, ct, body string) (int, string, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, n.base+path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
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
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s %s: Content-Type %q, body %s", method, path, resp.Header.Get("Content-Type"), raw)
	}
	return resp.StatusCode, resp.Header.Get("Link"), raw
}

var nextLinkRE = regexp.MustCompile(`<([^>]+)>; rel="next"`)

// statusTexts returns the plain content of sts, newest first.
func statusTexts(sts []*mastodon.Status) []string {
	var out []string
	for _, st := range sts {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(st.Content, "<p>"), "</p>"))
	}
	return out
}

func listTimeline(t *testing.T, c *mastodon.Client, id mastodon.ID) []string {
	t.Helper()
	sts, err := c.GetTimelineList(context.Background(), id, &mastodon.Pagination{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	return statusTexts(sts)
}

func sameStrings(a, b []string) bool {
	return strings.Join(a, "|") == strings.Join(b, "|")
}

// A clinician groups people they follow into a list and reads it as a
// timeline, through a real Mastodon client library: only followed accounts
// join, another user cannot see or touch the list, replies follow the
// list's policy, mutes apply, unfollowing takes someone out of the list.
func TestListsGroupFollowedAccountsIntoATimeline(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		for _, u := range []string{"aoife", "ben", "cara", "dan", "eve"} {
			n.user(t, u, false)
		}
		aoife, ben, cara, dan := signIn(t, n, "aoife"), signIn(t, n, "ben"), signIn(t, n, "cara"), signIn(t, n, "dan")
		tok := aoife.Config.AccessToken
		eveTok := tokenFor(t, n, "eve", "read write")
		id := func(c *mastodon.Client) mastodon.ID {
			a, err := c.GetAccountCurrentUser(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return a.ID
		}
		benID, caraID, danID := id(ben), id(cara), id(dan)
		for _, who := range []mastodon.ID{benID, caraID} {
			if rel, err := aoife.AccountFollow(ctx, who); err != nil || !rel.Following {
				t.Fatalf("follow %s: %+v %v", who, rel, err)
			}
		}

		// Creating: the entity carries every documented field.
		code, _, raw := lmDo(t, n, tok, "POST", "/api/v1/lists", "application/x-www-form-urlencoded", "title=Ward+7")
		var created map[string]any
		if err := json.Unmarshal(raw, &created); err != nil || code != 200 {
			t.Fatalf("create list: %d %s", code, raw)
		}
		requireKeys(t, "list", created, "id", "title", "replies_policy", "exclusive")
		if created["title"] != "Ward 7" || created["replies_policy"] != "list" || created["exclusive"] != false {
			t.Fatalf("created list = %v", created)
		}
		listID := mastodon.ID(created["id"].(string))
		if code, _, raw := lmDo(t, n, tok, "POST", "/api/v1/lists", "application/json", `{"title":"  "}`); code != 422 || !strings.Contains(string(raw), "Title can't be blank") {
			t.Fatalf("blank title: %d %s", code, raw)
		}
		if l, err := aoife.CreateList(ctx, "Journal club"); err != nil || l.Title != "Journal club" {
			t.Fatalf("second list: %+v %v", l, err)
		}
		if ls, err := aoife.GetLists(ctx); err != nil || len(ls) != 2 || ls[0].ID != listID {
			t.Fatalf("lists = %+v %v", ls, err)
		}

		// Updating, with a bad replies policy refused.
		code, _, raw = lmDo(t, n, tok, "PUT", "/api/v1/lists/"+string(listID), "application/json", `{"title":"Ward 7 team","exclusive":true}`)
		if code != 200 || !strings.Contains(string(raw), `"exclusive":true`) || !strings.Contains(string(raw), `"title":"Ward 7 team"`) {
			t.Fatalf("update list: %d %s", code, raw)
		}
		if code, _, raw := lmDo(t, n, tok, "PUT", "/api/v1/lists/"+string(listID), "application/x-www-form-urlencoded", "replies_policy=everyone"); code != 422 {
			t.Fatalf("bad replies_policy: %d %s", code, raw)
		}

		// Members: only accounts aoife follows, each once.
		if err := aoife.AddToList(ctx, listID, benID, caraID); err != nil {
			t.Fatal(err)
		}
		if code, _, raw := lmDo(t, n, tok, "POST", "/api/v1/lists/"+string(listID)+"/accounts", "application/x-www-form-urlencoded", "account_ids[]="+string(danID)); code != 422 {
			t.Fatalf("adding an account not followed: %d %s", code, raw)
		}
		if code, _, raw := lmDo(t, n, tok, "POST", "/api/v1/lists/"+string(listID)+"/accounts", "application/json", `{"account_ids":["`+string(benID)+`"]}`); code != 422 {
			t.Fatalf("adding a member twice: %d %s", code, raw)
		}
		if code, _, raw := lmDo(t, n, tok, "POST", "/api/v1/lists/"+string(listID)+"/accounts", "application/json", `{"account_ids":["999999"]}`); code != 404 {
			t.Fatalf("adding an unknown account: %d %s", code, raw)
		}
		if members, err := aoife.GetListAccounts(ctx, listID); err != nil || len(members) != 2 {
			t.Fatalf("members = %+v %v", members, err)
		}
		// Paged one at a time by the Link header, ending without a next.
		path := "/api/v1/lists/" + string(listID) + "/accounts?limit=1"
		var pagedIDs []string
		for i := 0; i < 5; i++ {
			code, link, raw := lmDo(t, n, tok, "GET", path, "", "")
			var page []map[string]any
			if err := json.Unmarshal(raw, &page); err != nil || code != 200 {
				t.Fatalf("members page: %d %s", code, raw)
			}
			if len(page) == 0 {
				if link != "" {
					t.Fatalf("empty page has Link %q", link)
				}
				break
			}
			pagedIDs = append(pagedIDs, page[0]["id"].(string))
			m := nextLinkRE.FindStringSubmatch(link)
			if m == nil {
				t.Fatalf("members page without next: %q", link)
			}
			path = strings.TrimPrefix(m[1], n.base)
		}
		if len(pagedIDs) != 2 || pagedIDs[0] != string(caraID) || pagedIDs[1] != string(benID) {
			t.Fatalf("paged members = %v", pagedIDs)
		}
		if ls, err := aoife.GetAccountLists(ctx, benID); err != nil || len(ls) != 1 || ls[0].ID != listID {
			t.Fatalf("ben's lists = %+v %v", ls, err)
		}

		// Another user's list is not found, whatever they try.
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/api/v1/lists/" + string(listID), ""},
			{"PUT", "/api/v1/lists/" + string(listID), "title=Mine"},
			{"DELETE", "/api/v1/lists/" + string(listID), ""},
			{"GET", "/api/v1/lists/" + string(listID) + "/accounts", ""},
			{"POST", "/api/v1/lists/" + string(listID) + "/accounts", "account_ids[]=" + string(benID)},
			{"GET", "/api/v1/timelines/list/" + string(listID), ""},
		} {
			ct := ""
			if c.body != "" {
				ct = "application/x-www-form-urlencoded"
			}
			if code, _, raw := lmDo(t, n, eveTok, c.method, c.path, ct, c.body); code != 404 || !strings.Contains(string(raw), `"error"`) {
				t.Errorf("eve %s %s: %d %s", c.method, c.path, code, raw)
			}
		}
		var eveLists []any
		if code, _, raw := lmDo(t, n, eveTok, "GET", "/api/v1/lists", "", ""); code != 200 || json.Unmarshal(raw, &eveLists) != nil || len(eveLists) != 0 {
			t.Fatalf("eve's lists: %d %s", code, raw)
		}

		// Scopes: read:lists reads, write:lists writes.
		readLists := tokenFor(t, n, "aoife", "read:lists")
		if code, _, _ := lmDo(t, n, readLists, "GET", "/api/v1/timelines/list/"+string(listID), "", ""); code != 200 {
			t.Fatalf("read:lists list timeline: %d", code)
		}
		if code, _, _ := lmDo(t, n, readLists, "POST", "/api/v1/lists", "application/x-www-form-urlencoded", "title=x"); code != 403 {
			t.Fatalf("read:lists creating a list: %d", code)
		}
		if code, _, _ := lmDo(t, n, tokenFor(t, n, "aoife", "read:statuses"), "GET", "/api/v1/lists", "", ""); code != 403 {
			t.Fatalf("read:statuses reading lists: %d", code)
		}
		if code, _, _ := lmDo(t, n, "", "GET", "/api/v1/lists", "", ""); code != 401 {
			t.Fatalf("anonymous lists: %d", code)
		}

		// The timeline: members' posts aoife may see, newest first.
		post := func(c *mastodon.Client, text, visibility string, replyTo mastodon.ID) mastodon.ID {
			t.Helper()
			st, err := c.PostStatus(ctx, &mastodon.Toot{Status: text, Visibility: visibility, InReplyToID: replyTo})
			if err != nil {
				t.Fatalf("post %q: %v", text, err)
			}
			return st.ID
		}
		if _, err := ben.AccountFollow(ctx, caraID); err != nil {
			t.Fatal(err)
		}
		benFirst := post(ben, "ben first", "public", "")
		caraPost := post(cara, "cara private", "private", "")
		danPost := post(dan, "dan outside", "public", "")
		post(ben, "ben to dan", "public", danPost)
		post(ben, "ben to cara", "unlisted", caraPost)
		post(ben, "ben thread", "public", benFirst)
		post(ben, "ben direct", "direct", "")
		want := []string{"ben thread", "ben to cara", "cara private", "ben first"}
		if got := listTimeline(t, aoife, listID); !sameStrings(got, want) {
			t.Fatalf("list timeline = %v, want %v", got, want)
		}
		// Paged two at a time through the client's Link handling.
		var paged []string
		pg := &mastodon.Pagination{Limit: 2}
		for i := 0; i < 5; i++ {
			sts, err := aoife.GetTimelineList(ctx, listID, pg)
			if err != nil {
				t.Fatal(err)
			}
			paged = append(paged, statusTexts(sts)...)
			if len(sts) == 0 || pg.MaxID == "" {
				break
			}
			pg = &mastodon.Pagination{Limit: 2, MaxID: pg.MaxID}
		}
		if !sameStrings(paged, want) {
			t.Fatalf("paged list timeline = %v, want %v", paged, want)
		}

		setPolicy := func(policy string) {
			t.Helper()
			if code, _, raw := lmDo(t, n, tok, "PUT", "/api/v1/lists/"+string(listID), "application/x-www-form-urlencoded", "replies_policy="+policy); code != 200 || !strings.Contains(string(raw), `"replies_policy":"`+policy+`"`) {
				t.Fatalf("set replies_policy %s: %d %s", policy, code, raw)
			}
		}
		setPolicy("none")
		if got, want := listTimeline(t, aoife, listID), []string{"ben thread", "cara private", "ben first"}; !sameStrings(got, want) {
			t.Fatalf("replies_policy none: %v, want %v", got, want)
		}
		setPolicy("followed")
		if got, want := listTimeline(t, aoife, listID), []string{"ben thread", "ben to cara", "cara private", "ben first"}; !sameStrings(got, want) {
			t.Fatalf("replies_policy followed: %v, want %v", got, want)
		}
		if _, err := aoife.AccountFollow(ctx, danID); err != nil {
			t.Fatal(err)
		}
		if got, want := listTimeline(t, aoife, listID), []string{"ben thread", "ben to cara", "ben to dan", "cara private", "ben first"}; !sameStrings(got, want) {
			t.Fatalf("replies_policy followed, following dan: %v, want %v", got, want)
		}

		// A member's boost shows, until its author is muted.
		boost, err := ben.Reblog(ctx, danPost)
		if err != nil {
			t.Fatal(err)
		}
		hasBoost := func() bool {
			sts, err := aoife.GetTimelineList(ctx, listID, &mastodon.Pagination{Limit: 40})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range sts {
				if st.ID == boost.ID {
					return true
				}
			}
			return false
		}
		if !hasBoost() {
			t.Fatal("ben's boost is not in the list timeline")
		}
		if _, err := aoife.AccountMute(ctx, danID); err != nil {
			t.Fatal(err)
		}
		if hasBoost() {
			t.Fatal("ben's boost of muted dan is in the list timeline")
		}

		// A muted member's posts leave the list timeline.
		if _, err := aoife.AccountMute(ctx, caraID); err != nil {
			t.Fatal(err)
		}
		if got := listTimeline(t, aoife, listID); strings.Contains(strings.Join(got, "|"), "cara private") {
			t.Fatalf("muted cara still in the list: %v", got)
		}
		if _, err := aoife.AccountUnmute(ctx, caraID); err != nil {
			t.Fatal(err)
		}

		// Unfollowing takes cara out of every list.
		if _, err := aoife.AccountUnfollow(ctx, caraID); err != nil {
			t.Fatal(err)
		}
		if ls, err := aoife.GetAccountLists(ctx, caraID); err != nil || len(ls) != 0 {
			t.Fatalf("cara's lists after unfollow = %+v %v", ls, err)
		}
		if got := listTimeline(t, aoife, listID); strings.Contains(strings.Join(got, "|"), "cara private") {
			t.Fatalf("unfollowed cara still in the list: %v", got)
		}

		// Removing (DELETE with a form body, as go-mastodon sends it) and
		// deleting.
		if err := aoife.RemoveFromList(ctx, listID, benID); err != nil {
			t.Fatal(err)
		}
		if members, err := aoife.GetListAccounts(ctx, listID); err != nil || len(members) != 0 {
			t.Fatalf("members after removal = %+v %v", members, err)
		}
		if got := listTimeline(t, aoife, listID); len(got) != 0 {
			t.Fatalf("empty list's timeline = %v", got)
		}
		if err := aoife.DeleteList(ctx, listID); err != nil {
			t.Fatal(err)
		}
		if code, _, _ := lmDo(t, n, tok, "GET", "/api/v1/lists/"+string(listID), "", ""); code != 404 {
			t.Fatalf("deleted list: %d", code)
		}
		if ls, err := aoife.GetLists(ctx); err != nil || len(ls) != 1 {
			t.Fatalf("lists after delete = %+v %v", ls, err)
		}

		// Blocking ends the follow, and so the membership.
		other, err := aoife.CreateList(ctx, "Ward 8")
		if err != nil {
			t.Fatal(err)
		}
		if err := aoife.AddToList(ctx, other.ID, benID); err != nil {
			t.Fatal(err)
		}
		if _, err := aoife.AccountBlock(ctx, benID); err != nil {
			t.Fatal(err)
		}
		if members, err := aoife.GetListAccounts(ctx, other.ID); err != nil || len(members) != 0 {
			t.Fatalf("members after blocking ben = %+v %v", members, err)
		}
	})
}

// Markers keep where a user stopped reading home and notifications: each
// save is one version newer, and each user sees only their own.
func TestMarkersSaveReadingPositionsWithVersions(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "aoife", false)
		n.user(t, "ben", false)
		tok := signIn(t, n, "aoife").Config.AccessToken
		get := func(token, query string) map[string]map[string]any {
			t.Helper()
			code, _, raw := lmDo(t, n, token, "GET", "/api/v1/markers?"+query, "", "")
			var out map[string]map[string]any
			if err := json.Unmarshal(raw, &out); err != nil || code != 200 {
				t.Fatalf("GET markers: %d %s", code, raw)
			}
			return out
		}
		save := func(ct, body string) map[string]map[string]any {
			t.Helper()
			code, _, raw := lmDo(t, n, tok, "POST", "/api/v1/markers", ct, body)
			var out map[string]map[string]any
			if err := json.Unmarshal(raw, &out); err != nil || code != 200 {
				t.Fatalf("POST markers: %d %s", code, raw)
			}
			return out
		}
		both := url.Values{"timeline[]": {"home", "notifications"}}.Encode()
		if m := get(tok, both); len(m) != 0 {
			t.Fatalf("markers before any save = %v", m)
		}

		m := save("application/x-www-form-urlencoded", url.Values{"home[last_read_id]": {"1001"}}.Encode())
		home := m["home"]
		requireKeys(t, "marker", home, "last_read_id", "version", "updated_at")
		if home["last_read_id"] != "1001" || home["version"] != float64(0) || !mastoTimeRE.MatchString(home["updated_at"].(string)) || len(m) != 1 {
			t.Fatalf("first save = %v", m)
		}
		m = save("application/x-www-form-urlencoded", url.Values{"home[last_read_id]": {"1002"}, "notifications[last_read_id]": {"77"}}.Encode())
		if m["home"]["last_read_id"] != "1002" || m["home"]["version"] != float64(1) || m["notifications"]["last_read_id"] != "77" || m["notifications"]["version"] != float64(0) {
			t.Fatalf("second save = %v", m)
		}
		m = save("application/json", `{"home":{"last_read_id":"1003"}}`)
		if m["home"]["last_read_id"] != "1003" || m["home"]["version"] != float64(2) || len(m) != 1 {
			t.Fatalf("JSON save = %v", m)
		}

		m = get(tok, both)
		if m["home"]["last_read_id"] != "1003" || m["home"]["version"] != float64(2) || m["notifications"]["last_read_id"] != "77" {
			t.Fatalf("markers = %v", m)
		}
		if m := get(tok, "timeline[]=notifications"); len(m) != 1 || m["notifications"] == nil {
			t.Fatalf("notifications marker only = %v", m)
		}
		if m := get(tokenFor(t, n, "ben", "read:statuses"), both); len(m) != 0 {
			t.Fatalf("ben sees markers %v", m)
		}

		if code, _, raw := lmDo(t, n, tok, "POST", "/api/v1/markers", "application/x-www-form-urlencoded", "home[last_read_id]=soon"); code != 422 {
			t.Fatalf("bad last_read_id: %d %s", code, raw)
		}
		readOnly := tokenFor(t, n, "aoife", "read:statuses")
		if code, _, _ := lmDo(t, n, readOnly, "POST", "/api/v1/markers", "application/x-www-form-urlencoded", "home[last_read_id]=5"); code != 403 {
			t.Fatalf("read-only token saved a marker: %d", code)
		}
		if code, _, _ := lmDo(t, n, tokenFor(t, n, "aoife", "read:lists"), "GET", "/api/v1/markers?"+both, "", ""); code != 403 {
			t.Fatalf("read:lists read markers: %d", code)
		}
	})
}

// Members of an exclusive list are read in that list only: their posts
// leave the home timeline, and come back when the list stops being
// exclusive.
func TestExclusiveListKeepsItsMembersOutOfHome(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		reader := n.user(t, "reader", false)
		for _, name := range []string{"journal_club", "ward_chat"} {
			a := n.user(t, name, false)
			if _, err := n.svc.Follow(ctx, reader, a); err != nil {
				t.Fatal(err)
			}
			if _, err := n.svc.PostStatus(ctx, a, social.NewStatus{Text: "from " + name, Visibility: social.VisibilityPublic}); err != nil {
				t.Fatal(err)
			}
		}
		c := signIn(t, n, "reader")
		home := func() []string {
			t.Helper()
			sts, err := c.GetTimelineHome(ctx, &mastodon.Pagination{Limit: 40})
			if err != nil {
				t.Fatal(err)
			}
			return statusTexts(sts)
		}
		if got := home(); len(got) != 2 {
			t.Fatalf("home before the list = %v", got)
		}
		tok := c.Config.AccessToken
		code, _, body := lmDo(t, n, tok, "POST", "/api/v1/lists", "application/x-www-form-urlencoded", "title=Journal+club&exclusive=true")
		if code != 200 {
			t.Fatalf("create list: %d %s", code, body)
		}
		var list struct {
			ID        string `json:"id"`
			Exclusive bool   `json:"exclusive"`
		}
		if err := json.Unmarshal(body, &list); err != nil || !list.Exclusive {
			t.Fatalf("list = %s (%v)", body, err)
		}
		jc := mustID(t, n, "journal_club")
		if code, _, body := lmDo(t, n, tok, "POST", "/api/v1/lists/"+list.ID+"/accounts", "application/x-www-form-urlencoded", "account_ids[]="+fmt.Sprint(jc)); code != 200 {
			t.Fatalf("add member: %d %s", code, body)
		}
		if got := home(); len(got) != 1 || got[0] != "from ward_chat" {
			t.Fatalf("home with an exclusive list = %v", got)
		}
		if got := listTimeline(t, c, mastodon.ID(list.ID)); len(got) != 1 || got[0] != "from journal_club" {
			t.Fatalf("the list = %v", got)
		}
		if code, _, body := lmDo(t, n, tok, "PUT", "/api/v1/lists/"+list.ID, "application/x-www-form-urlencoded", "title=Journal+club&exclusive=false"); code != 200 {
			t.Fatalf("update list: %d %s", code, body)
		}
		if got := home(); len(got) != 2 {
			t.Fatalf("home after the list stopped being exclusive = %v", got)
		}
	})
}
