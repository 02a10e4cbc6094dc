package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/storage"
)

func TestBookmarksPinsMutesAndWhoInteracted(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite)
	n.user(t, "alice", false)
	n.user(t, "bob", false)
	ca, cb := signIn(t, n, "alice"), signIn(t, n, "bob")
	alice, _ := ca.GetAccountCurrentUser(ctx)
	bob, _ := cb.GetAccountCurrentUser(ctx)
	if _, err := ca.AccountFollow(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	post := mustPost(t, cb, "Pin-worthy teaching point")

	// Bookmarks are private and listed.
	st, err := ca.Bookmark(ctx, post)
	if err != nil || st.Bookmarked != true {
		t.Fatalf("bookmark = %+v, %v", st, err)
	}
	marks, err := ca.GetBookmarks(ctx, nil)
	if err != nil || len(marks) != 1 || marks[0].ID != post {
		t.Fatalf("bookmarks = %v, %v", marks, err)
	}
	if _, err := ca.Unbookmark(ctx, post); err != nil {
		t.Fatal(err)
	}
	if marks, _ := ca.GetBookmarks(ctx, nil); len(marks) != 0 {
		t.Fatalf("bookmarks after unbookmark = %d", len(marks))
	}

	// Who liked and boosted; the favourites list.
	if _, err := ca.Favourite(ctx, post); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Reblog(ctx, post); err != nil {
		t.Fatal(err)
	}
	if by, err := cb.GetFavouritedBy(ctx, post, nil); err != nil || len(by) != 1 || by[0].ID != alice.ID {
		t.Fatalf("favourited_by = %v, %v", by, err)
	}
	if by, err := cb.GetRebloggedBy(ctx, post, nil); err != nil || len(by) != 1 || by[0].ID != alice.ID {
		t.Fatalf("reblogged_by = %v, %v", by, err)
	}
	if favs, err := ca.GetFavourites(ctx, nil); err != nil || len(favs) != 1 {
		t.Fatalf("favourites = %v, %v", favs, err)
	}

	// Pins: own posts only, shown with pinned=true.
	if code, _ := rawPost(t, n, ca, "/api/v1/statuses/"+string(post)+"/pin"); code != 422 {
		t.Fatalf("alice pinning bob's post = %d, want 422", code)
	}
	if code, body := rawPost(t, n, cb, "/api/v1/statuses/"+string(post)+"/pin"); code != 200 || body["pinned"] != true {
		t.Fatalf("pin = %d %v", code, body)
	}
	pinned, err := ca.GetAccountPinnedStatuses(ctx, bob.ID)
	if err != nil || len(pinned) != 1 || pinned[0].ID != post {
		t.Fatalf("pinned = %v, %v", pinned, err)
	}
	var featured map[string]any
	if code, _, _ := getAS(t, n.base+"/users/bob/collections/featured"); code != 200 {
		t.Fatalf("featured = %d", code)
	}
	_, featured, _ = getAS(t, n.base+"/users/bob/collections/featured")
	if items, _ := featured["orderedItems"].([]any); len(items) != 1 || items[0].(map[string]any)["type"] != "Note" {
		t.Fatalf("featured = %v", featured)
	}

	// Muting bob hides his posts from alice's home and his notifications.
	if _, err := ca.AccountMute(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	later := mustPost(t, cb, "Muted post")
	home, err := ca.GetTimelineHome(ctx, &mastodon.Pagination{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range home {
		if s.ID == later {
			t.Fatal("a muted account's post is in the home timeline")
		}
	}
	if mutes, err := ca.GetMutes(ctx, nil); err != nil || len(mutes) != 1 || mutes[0].ID != bob.ID {
		t.Fatalf("mutes = %v, %v", mutes, err)
	}
	rels, _ := ca.GetAccountRelationships(ctx, []string{string(bob.ID)})
	if len(rels) != 1 || !rels[0].Muting {
		t.Fatalf("relationship = %+v", rels)
	}
	if _, err := ca.AccountUnmute(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.AccountBlock(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if blocks, err := ca.GetBlocks(ctx, nil); err != nil || len(blocks) != 1 {
		t.Fatalf("blocks = %v, %v", blocks, err)
	}
}

func rawPost(t *testing.T, n *node, c *mastodon.Client, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", n.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.Config.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}
