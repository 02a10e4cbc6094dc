package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// v1 filters through go-mastodon: each is one keyword of a v2 filter
// (Mastodon's mapping), so what a v1 app creates, changes and deletes shows
// in v2 and applies to timelines: irreversible hides, otherwise the post
// carries `filtered`. A change to a filter shared by several keywords is
// refused as Mastodon refuses it; errors are Mastodon's.
func TestFiltersV1AreKeywordsOfV2Filters(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		bob := n.user(t, "bob", false)
		n.user(t, "carol", false)
		c := signIn(t, n, "alice")
		tok := c.Config.AccessToken
		if _, err := n.svc.PostStatus(ctx, bob, social.NewStatus{Text: "The secret plan for the ward", Visibility: social.VisibilityPublic}); err != nil {
			t.Fatal(err)
		}
		public := func() map[string]any {
			t.Helper()
			_, body := call(t, n, tok, "GET", "/api/v1/timelines/public", nil)
			for _, x := range body["list"].([]any) {
				if st := x.(map[string]any); strings.Contains(st["content"].(string), "secret plan") {
					return st
				}
			}
			return nil
		}
		if public() == nil {
			t.Fatal("bob's post is not in the public timeline")
		}

		f, err := c.CreateFilter(ctx, &mastodon.Filter{Phrase: "secret", Context: []string{"home", "public"}, WholeWord: true, Irreversible: true})
		if err != nil {
			t.Fatal(err)
		}
		if f.ID == "" || f.Phrase != "secret" || !f.WholeWord || !f.Irreversible || len(f.Context) != 2 || !f.ExpiresAt.IsZero() {
			t.Fatalf("created %+v", f)
		}
		code, raw := call(t, n, tok, "GET", "/api/v1/filters/"+string(f.ID), nil)
		requireKeys(t, "v1 Filter", raw, "id", "phrase", "context", "expires_at", "irreversible", "whole_word")
		if code != 200 {
			t.Fatalf("get: %d %v", code, raw)
		}
		all, err := c.GetFilters(ctx)
		if err != nil || len(all) != 1 || all[0].ID != f.ID {
			t.Fatalf("list: %v %+v", err, all)
		}

		// In v2: a filter titled by the phrase, hiding, with that keyword.
		_, v2 := call(t, n, tok, "GET", "/api/v2/filters", nil)
		list := v2["list"].([]any)
		if len(list) != 1 {
			t.Fatalf("v2 filters: %v", list)
		}
		v2f := list[0].(map[string]any)
		kws := v2f["keywords"].([]any)
		if v2f["title"] != "secret" || v2f["filter_action"] != "hide" || len(kws) != 1 || kws[0].(map[string]any)["id"] != string(f.ID) || kws[0].(map[string]any)["whole_word"] != true {
			t.Fatalf("v2 filter: %v", v2f)
		}
		v2id := v2f["id"].(string)
		if public() != nil {
			t.Error("an irreversible v1 filter does not hide the post")
		}

		// Changed through v1: warn instead of hide, another phrase.
		f2, err := c.UpdateFilter(ctx, f.ID, &mastodon.Filter{Phrase: "plan", Context: []string{"public"}})
		if err != nil {
			t.Fatal(err)
		}
		if f2.ID != f.ID || f2.Phrase != "plan" || f2.Irreversible || f2.WholeWord || len(f2.Context) != 1 {
			t.Fatalf("updated %+v", f2)
		}
		_, v2f = call(t, n, tok, "GET", "/api/v2/filters/"+v2id, nil)
		if v2f["filter_action"] != "warn" || v2f["title"] != "plan" || v2f["keywords"].([]any)[0].(map[string]any)["keyword"] != "plan" {
			t.Errorf("v2 after the v1 update: %v", v2f)
		}
		st := public()
		if st == nil || len(st["filtered"].([]any)) != 1 {
			t.Fatalf("a warn filter should mark the post: %v", st)
		}

		// A second keyword in the same filter: v1 may still change its own
		// keyword, not the filter they share.
		code, kw := call(t, n, tok, "POST", "/api/v2/filters/"+v2id+"/keywords", url.Values{"keyword": {"ward"}})
		if code != 200 {
			t.Fatalf("add keyword: %d %v", code, kw)
		}
		if _, err := c.UpdateFilter(ctx, f.ID, &mastodon.Filter{Phrase: "plan", Context: []string{"home"}}); err == nil || !strings.Contains(err.Error(), "more than one filter keyword") {
			t.Errorf("changing a shared filter's context: %v", err)
		}
		if code, body := call(t, n, tok, "PUT", "/api/v1/filters/"+string(f.ID), url.Values{"phrase": {"plans"}}); code != 200 || body["phrase"] != "plans" {
			t.Errorf("changing only the phrase: %d %v", code, body)
		}
		all, _ = c.GetFilters(ctx)
		if len(all) != 2 {
			t.Errorf("v1 list should show both keywords: %+v", all)
		}

		// Errors.
		for _, form := range []url.Values{{"context[]": {"home"}}, {"phrase": {"x"}}, {"phrase": {"x"}, "context[]": {"nowhere"}}} {
			if code, body := call(t, n, tok, "POST", "/api/v1/filters", form); code != 422 {
				t.Errorf("create %v: %d %v", form, code, body)
			}
		}
		carol := tokenFor(t, n, "carol", "read write")
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			if code, body := call(t, n, carol, m, "/api/v1/filters/"+string(f.ID), url.Values{"phrase": {"x"}}); code != 404 {
				t.Errorf("%s someone else's filter: %d %v", m, code, body)
			}
		}
		if code, _ := call(t, n, "", "GET", "/api/v1/filters", nil); code != 401 {
			t.Errorf("no token: %d", code)
		}

		// Deleting through v1 removes the keyword, and the v2 filter with
		// its last one.
		if err := c.DeleteFilter(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
		if code, _ := call(t, n, tok, "GET", "/api/v1/filters/"+string(f.ID), nil); code != 404 {
			t.Errorf("deleted filter: %d", code)
		}
		if code, body := call(t, n, tok, "GET", "/api/v2/filters/"+v2id, nil); code != 200 || len(body["keywords"].([]any)) != 1 {
			t.Fatalf("v2 filter after one keyword went: %d %v", code, body)
		}
		if err := c.DeleteFilter(ctx, mastodon.ID(kw["id"].(string))); err != nil {
			t.Fatal(err)
		}
		if code, _ := call(t, n, tok, "GET", "/api/v2/filters/"+v2id, nil); code != 404 {
			t.Errorf("v2 filter after its last keyword went: %d", code)
		}
		if st := public(); st == nil || len(st["filtered"].([]any)) != 0 {
			t.Errorf("the post after the filters went: %v", st)
		}
	})
}
