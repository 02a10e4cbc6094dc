package main

import (
	"context"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/storage"
	"rounds/storage/storagetest"
)

func homeIDs(t *testing.T, c *mastodon.Client) map[mastodon.ID]bool {
	t.Helper()
	sts, err := c.GetTimelineHome(context.Background(), &mastodon.Pagination{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[mastodon.ID]bool{}
	for _, st := range sts {
		ids[st.ID] = true
	}
	return ids
}

func TestHomeFeedFollowsFollowsUnfollowsAndPrivacy(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		n.user(t, "carol", false)
		ca, cb, cc := signIn(t, n, "alice"), signIn(t, n, "bob"), signIn(t, n, "carol")
		alice, _ := ca.GetAccountCurrentUser(ctx)

		before := mustPost(t, ca, "Posted before bob followed")
		private, err := ca.PostStatus(ctx, &mastodon.Toot{Status: "Followers only", Visibility: "private"})
		if err != nil {
			t.Fatal(err)
		}
		direct, err := ca.PostStatus(ctx, &mastodon.Toot{Status: "@carol just for you", Visibility: "direct"})
		if err != nil {
			t.Fatal(err)
		}
		if home := homeIDs(t, cb); home[before] {
			t.Fatal("bob sees alice's post before following her")
		}
		if _, err := cb.AccountFollow(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		home := homeIDs(t, cb)
		if !home[before] || !home[private.ID] {
			t.Fatalf("after following, bob's home lacks alice's earlier posts: %v", home)
		}
		if home[direct.ID] {
			t.Fatal("bob sees a direct post to carol")
		}
		if h := homeIDs(t, cc); !h[direct.ID] || h[before] {
			t.Fatalf("carol's home = %v: want the direct post only", h)
		}
		if h := homeIDs(t, ca); !h[before] || !h[private.ID] || !h[direct.ID] {
			t.Fatalf("alice's own home lacks her posts: %v", h)
		}
		after := mustPost(t, ca, "Posted while followed")
		if !homeIDs(t, cb)[after] {
			t.Fatal("a new post of a followed account is not in the home feed")
		}
		if _, err := cb.AccountUnfollow(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if home := homeIDs(t, cb); home[before] || home[after] {
			t.Fatalf("after unfollowing, bob still sees alice: %v", home)
		}
		// Blocking removes the blocked account's posts from the feed too.
		if _, err := cc.AccountFollow(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if !homeIDs(t, cc)[after] {
			t.Fatal("carol follows alice but does not see her")
		}
		if _, err := cc.AccountBlock(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if homeIDs(t, cc)[after] {
			t.Fatal("carol blocked alice but still sees her posts")
		}
	})
}
