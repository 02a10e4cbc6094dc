package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// statusesOf fetches a list of statuses and indexes them by content.
func statusesOf(t *testing.T, n *node, token, path string) map[string]map[string]any {
	t.Helper()
	code, body := call(t, n, token, "GET", path, nil)
	if code != 200 {
		t.Fatalf("GET %s: %d %v", path, code, body)
	}
	out := map[string]map[string]any{}
	list, _ := body["list"].([]any)
	for _, x := range list {
		st := x.(map[string]any)
		if _, ok := st["filtered"].([]any); !ok {
			t.Errorf("GET %s: status %v has no filtered array", path, st["id"])
		}
		out[st["content"].(string)] = st
	}
	return out
}

func filteredOf(t *testing.T, st map[string]any) []any {
	t.Helper()
	if st == nil {
		t.Fatal("status missing")
	}
	return st["filtered"].([]any)
}

// A clinician's v2 filters are created, changed and deleted through the
// API, and applied where their context says: hide removes a post from home,
// public and notifications; warn keeps it with `filtered` results; whole
// words, expiry and context are honoured; no one else sees the filters.
func TestFiltersHideAndWarnInTheirContexts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		alice := tokenFor(t, n, "alice", "read write follow")
		bob := tokenFor(t, n, "bob", "read write follow")
		bobID := mustID(t, n, "bob")
		if code, body := call(t, n, alice, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", bobID), url.Values{}); code != 200 {
			t.Fatalf("follow: %d %v", code, body)
		}

		// A warn filter on home and public: "cat" as a whole word, "dog"
		// anywhere.
		code, warn := call(t, n, alice, "POST", "/api/v2/filters", url.Values{
			"title": {"Pets"}, "context[]": {"home", "public"}, "filter_action": {"warn"},
			"keywords_attributes[0][keyword]": {"cat"}, "keywords_attributes[0][whole_word]": {"true"},
			"keywords_attributes[1][keyword]": {"dog"}, "keywords_attributes[1][whole_word]": {"false"},
		})
		if code != 200 {
			t.Fatalf("create warn filter: %d %v", code, warn)
		}
		requireKeys(t, "Filter", warn, "id", "title", "context", "expires_at", "filter_action", "keywords", "statuses")
		if warn["expires_at"] != nil || warn["filter_action"] != "warn" || len(warn["keywords"].([]any)) != 2 {
			t.Fatalf("warn filter = %v", warn)
		}
		for _, k := range warn["keywords"].([]any) {
			requireKeys(t, "FilterKeyword", k.(map[string]any), "id", "keyword", "whole_word")
		}
		warnID := warn["id"].(string)
		catKeywordID := warn["keywords"].([]any)[0].(map[string]any)["id"].(string)
		if warn["keywords"].([]any)[0].(map[string]any)["keyword"] != "cat" {
			t.Fatalf("keywords out of order: %v", warn["keywords"])
		}

		// A hide filter on home, public and notifications, in Rails' array form.
		code, hide := call(t, n, alice, "POST", "/api/v2/filters", url.Values{
			"title": {"Secrets"}, "context[]": {"home", "public", "notifications"}, "filter_action": {"hide"},
			"keywords_attributes[][keyword]": {"secret"},
		})
		if code != 200 || hide["filter_action"] != "hide" {
			t.Fatalf("create hide filter: %d %v", code, hide)
		}
		hideID := hide["id"].(string)

		// Bad input is refused.
		if code, body := call(t, n, alice, "POST", "/api/v2/filters", url.Values{"title": {"x"}, "context[]": {"nowhere"}}); code != 422 {
			t.Errorf("bad context: %d %v", code, body)
		}
		if code, body := call(t, n, alice, "POST", "/api/v2/filters", url.Values{"title": {"x"}, "context[]": {"home"}, "filter_action": {"shout"}}); code != 422 {
			t.Errorf("bad action: %d %v", code, body)
		}

		posts := []string{"I love cats", "my cat sleeps", "hotdogs for lunch", "the SECRET plan @alice", "hello @alice about cat"}
		ids := map[string]string{}
		for _, p := range posts {
			code, st := call(t, n, bob, "POST", "/api/v1/statuses", url.Values{"status": {p}})
			if code != 200 {
				t.Fatalf("post %q: %d %v", p, code, st)
			}
			ids[p] = st["id"].(string)
		}
		content := func(text string) string {
			for c, st := range statusesOf(t, n, bob, "/api/v1/accounts/"+fmt.Sprint(bobID)+"/statuses") {
				if st["id"] == ids[text] {
					return c
				}
			}
			t.Fatalf("no post %q", text)
			return ""
		}
		cByText := map[string]string{}
		for _, p := range posts {
			cByText[p] = content(p)
		}

		var home map[string]map[string]any
		eventually(t, "bob's posts in alice's home", func() bool {
			home = statusesOf(t, n, alice, "/api/v1/timelines/home")
			return len(home) >= 4
		})
		if _, ok := home[cByText["the SECRET plan @alice"]]; ok {
			t.Error("a hide filter's post is on the home timeline")
		}
		if f := filteredOf(t, home[cByText["I love cats"]]); len(f) != 0 {
			t.Errorf("whole word cat matched cats: %v", f)
		}
		f := filteredOf(t, home[cByText["my cat sleeps"]])
		if len(f) != 1 {
			t.Fatalf("my cat sleeps filtered = %v", f)
		}
		res := f[0].(map[string]any)
		requireKeys(t, "FilterResult", res, "filter", "keyword_matches", "status_matches")
		requireKeys(t, "FilterResult.filter", res["filter"].(map[string]any), "id", "title", "context", "expires_at", "filter_action", "keywords", "statuses")
		if res["filter"].(map[string]any)["id"] != warnID || !slices.Equal(res["keyword_matches"].([]any), []any{"cat"}) || res["status_matches"] != nil {
			t.Errorf("FilterResult = %v", res)
		}
		if f := filteredOf(t, home[cByText["hotdogs for lunch"]]); len(f) != 1 {
			t.Errorf("dog (not whole word) did not match hotdogs: %v", f)
		}

		public := statusesOf(t, n, alice, "/api/v1/timelines/public")
		if _, ok := public[cByText["the SECRET plan @alice"]]; ok {
			t.Error("a hide filter's post is on the public timeline")
		}
		if f := filteredOf(t, public[cByText["my cat sleeps"]]); len(f) != 1 {
			t.Errorf("public: my cat sleeps filtered = %v", f)
		}
		// Filters are the viewer's own: bob and anonymous see nothing filtered.
		for who, tok := range map[string]string{"bob": bob, "anonymous": ""} {
			pub := statusesOf(t, n, tok, "/api/v1/timelines/public")
			if len(pub) != 5 || len(filteredOf(t, pub[cByText["my cat sleeps"]])) != 0 {
				t.Errorf("%s sees public = %d posts, filtered %v", who, len(pub), pub[cByText["my cat sleeps"]]["filtered"])
			}
		}
		// No filter has the account context.
		acct := statusesOf(t, n, alice, "/api/v1/accounts/"+fmt.Sprint(bobID)+"/statuses")
		if len(acct) != 5 || len(filteredOf(t, acct[cByText["my cat sleeps"]])) != 0 {
			t.Errorf("account context: %d posts, %v", len(acct), acct[cByText["my cat sleeps"]]["filtered"])
		}

		// Notifications: the hidden mention is gone; the other mention stays
		// and is not warned (the warn filter lacks the notifications context).
		var notes []any
		eventually(t, "alice's mention notifications", func() bool {
			_, body := call(t, n, alice, "GET", "/api/v1/notifications", nil)
			notes, _ = body["list"].([]any)
			return len(notes) >= 1
		})
		time.Sleep(200 * time.Millisecond)
		_, body := call(t, n, alice, "GET", "/api/v1/notifications", nil)
		notes = body["list"].([]any)
		if len(notes) != 1 {
			t.Fatalf("notifications = %v", notes)
		}
		st := notes[0].(map[string]any)["status"].(map[string]any)
		if st["id"] != ids["hello @alice about cat"] || len(st["filtered"].([]any)) != 0 {
			t.Errorf("notification status = %v filtered %v", st["id"], st["filtered"])
		}

		// A status entry: "I love cats" is now matched by id.
		code, fs := call(t, n, alice, "POST", "/api/v2/filters/"+warnID+"/statuses", url.Values{"status_id": {ids["I love cats"]}})
		if code != 200 {
			t.Fatalf("add filter status: %d %v", code, fs)
		}
		requireKeys(t, "FilterStatus", fs, "id", "status_id")
		home = statusesOf(t, n, alice, "/api/v1/timelines/home")
		f = filteredOf(t, home[cByText["I love cats"]])
		if len(f) != 1 || !slices.Equal(f[0].(map[string]any)["status_matches"].([]any), []any{ids["I love cats"]}) {
			t.Errorf("status match = %v", f)
		}
		fsID := fs["id"].(string)
		if code, got := call(t, n, alice, "GET", "/api/v2/filters/statuses/"+fsID, nil); code != 200 || got["status_id"] != ids["I love cats"] {
			t.Errorf("get filter status: %d %v", code, got)
		}
		if code, got := call(t, n, alice, "GET", "/api/v2/filters/"+warnID+"/statuses", nil); code != 200 || len(got["list"].([]any)) != 1 {
			t.Errorf("list filter statuses: %d %v", code, got)
		}

		// Keywords: add, read, change, delete; and through PUT with
		// keywords_attributes.
		code, kw := call(t, n, alice, "POST", "/api/v2/filters/"+warnID+"/keywords", url.Values{"keyword": {"lunch"}, "whole_word": {"false"}})
		if code != 200 || kw["keyword"] != "lunch" || kw["whole_word"] != false {
			t.Fatalf("add keyword: %d %v", code, kw)
		}
		kwID := kw["id"].(string)
		if code, got := call(t, n, alice, "PUT", "/api/v2/filters/keywords/"+kwID, url.Values{"keyword": {"sleeps"}}); code != 200 || got["keyword"] != "sleeps" || got["whole_word"] != false {
			t.Errorf("update keyword: %d %v", code, got)
		}
		if code, got := call(t, n, alice, "GET", "/api/v2/filters/keywords/"+kwID, nil); code != 200 || got["keyword"] != "sleeps" {
			t.Errorf("get keyword: %d %v", code, got)
		}
		code, upd := call(t, n, alice, "PUT", "/api/v2/filters/"+warnID, url.Values{
			"title":                            {"Animals"},
			"keywords_attributes[0][id]":       {catKeywordID},
			"keywords_attributes[0][_destroy]": {"true"},
			"keywords_attributes[1][keyword]":  {"bird"},
		})
		if code != 200 || upd["title"] != "Animals" {
			t.Fatalf("update filter: %d %v", code, upd)
		}
		var kws []string
		for _, k := range upd["keywords"].([]any) {
			kws = append(kws, k.(map[string]any)["keyword"].(string))
		}
		if !slices.Equal(kws, []string{"dog", "sleeps", "bird"}) || !slices.Equal(upd["context"].([]any), []any{"home", "public"}) {
			t.Errorf("after update: keywords %v context %v", kws, upd["context"])
		}
		if code, got := call(t, n, alice, "DELETE", "/api/v2/filters/keywords/"+kwID, nil); code != 200 || len(got) != 0 {
			t.Errorf("delete keyword: %d %v", code, got)
		}
		if code, got := call(t, n, alice, "GET", "/api/v2/filters/"+warnID+"/keywords", nil); code != 200 || len(got["list"].([]any)) != 2 {
			t.Errorf("keywords after delete: %d %v", code, got)
		}

		// The v1 view lists one entry per keyword.
		if code, got := call(t, n, alice, "GET", "/api/v1/filters", nil); code != 200 || len(got["list"].([]any)) != 3 {
			t.Errorf("v1 filters: %d %v", code, got)
		} else {
			requireKeys(t, "V1Filter", got["list"].([]any)[0].(map[string]any), "id", "phrase", "context", "expires_at", "irreversible", "whole_word")
		}

		// Another user's filters are 404 to bob, every way he asks.
		for _, req := range [][2]string{
			{"GET", "/api/v2/filters/" + warnID}, {"PUT", "/api/v2/filters/" + warnID}, {"DELETE", "/api/v2/filters/" + hideID},
			{"GET", "/api/v2/filters/" + warnID + "/keywords"}, {"POST", "/api/v2/filters/" + warnID + "/keywords"},
			{"GET", "/api/v2/filters/keywords/" + catKeywordID}, {"DELETE", "/api/v2/filters/statuses/" + fsID},
			{"POST", "/api/v2/filters/" + warnID + "/statuses"},
		} {
			if code, got := call(t, n, bob, req[0], req[1], url.Values{"keyword": {"x"}, "status_id": {ids["I love cats"]}}); code != 404 {
				t.Errorf("bob %s %s: %d %v", req[0], req[1], code, got)
			}
		}
		if code, got := call(t, n, bob, "GET", "/api/v2/filters", nil); code != 200 || len(got["list"].([]any)) != 0 {
			t.Errorf("bob's filters: %d %v", code, got)
		}

		// An expired filter stops hiding.
		code, upd = call(t, n, alice, "PUT", "/api/v2/filters/"+hideID, url.Values{"expires_in": {"1"}})
		if code != 200 || upd["expires_at"] == nil || !mastoTimeRE.MatchString(upd["expires_at"].(string)) {
			t.Fatalf("set expiry: %d %v", code, upd)
		}
		time.Sleep(1100 * time.Millisecond)
		home = statusesOf(t, n, alice, "/api/v1/timelines/home")
		if _, ok := home[cByText["the SECRET plan @alice"]]; !ok {
			t.Error("an expired hide filter still hides")
		}

		// Deleting removes the filter and its effect.
		if code, got := call(t, n, alice, "DELETE", "/api/v2/filters/"+warnID, nil); code != 200 || len(got) != 0 {
			t.Errorf("delete filter: %d %v", code, got)
		}
		if code, _ := call(t, n, alice, "GET", "/api/v2/filters/"+warnID, nil); code != 404 {
			t.Errorf("deleted filter: %d", code)
		}
		if code, _ := call(t, n, alice, "GET", "/api/v2/filters/statuses/"+fsID, nil); code != 404 {
			t.Errorf("deleted filter's status: %d", code)
		}
		home = statusesOf(t, n, alice, "/api/v1/timelines/home")
		if f := filteredOf(t, home[cByText["my cat sleeps"]]); len(f) != 0 {
			t.Errorf("deleted filter still warns: %v", f)
		}

		// A thread filter, created from a JSON body, hides replies in a
		// conversation but nowhere else.
		req, _ := http.NewRequest("POST", n.base+"/api/v2/filters", strings.NewReader(
			`{"title":"Lunch talk","context":["thread"],"filter_action":"hide","keywords_attributes":[{"keyword":"lunch","whole_word":true}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+alice)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var thread map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&thread)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(thread["keywords"].([]any)) != 1 || !slices.Equal(thread["context"].([]any), []any{"thread"}) {
			t.Fatalf("JSON filter: %d %v", resp.StatusCode, thread)
		}
		code, reply := call(t, n, bob, "POST", "/api/v1/statuses", url.Values{"status": {"and then lunch"}, "in_reply_to_id": {ids["my cat sleeps"]}})
		if code != 200 {
			t.Fatalf("reply: %d %v", code, reply)
		}
		for who, tok := range map[string]string{"alice": alice, "bob": bob} {
			_, conv := call(t, n, tok, "GET", "/api/v1/statuses/"+ids["my cat sleeps"]+"/context", nil)
			desc := conv["descendants"].([]any)
			if want := map[string]int{"alice": 0, "bob": 1}[who]; len(desc) != want {
				t.Errorf("%s sees %d replies in the thread, want %d", who, len(desc), want)
			}
		}
		eventually(t, "the reply in alice's home", func() bool {
			for _, st := range statusesOf(t, n, alice, "/api/v1/timelines/home") {
				if st["id"] == reply["id"] {
					return true
				}
			}
			return false
		})
	})
}
