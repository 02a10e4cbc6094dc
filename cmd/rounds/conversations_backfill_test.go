package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// Direct posts stored before conversations existed are filed once, at the
// start, into the conversations they would have made, read; a second run
// does nothing.
func TestConversationsBackfill(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		ca, cb := signIn(t, n, "alice"), signIn(t, n, "bob")
		aliceAcct, _ := ca.GetAccountCurrentUser(ctx)
		bobAcct, _ := cb.GetAccountCurrentUser(ctx)
		first := direct(t, ca, "@bob can you cover my clinic on Friday?", "")
		reply := direct(t, cb, "@alice yes, happy to", first.ID)
		other := direct(t, cb, "@alice separately: the rota", "")

		// Old data: the posts predate the conversations, which hold
		// nothing.
		db, err := storage.Open(ctx, n.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{"DELETE FROM account_conversations", "DELETE FROM instance_settings WHERE key = 'conversations_backfilled'"} {
			if err := db.ExecForTest(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.ExecForTest(ctx, "UPDATE statuses SET created_at = ? WHERE visibility = 'direct'", time.Now().Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := conversationsOf(t, cb); len(got) != 0 {
			t.Fatalf("bob has %d conversations before the backfill", len(got))
		}

		filed, err := n.svc.BackfillConversations(ctx)
		if err != nil || filed != 3 {
			t.Fatalf("BackfillConversations = %d, %v; want 3", filed, err)
		}
		for _, who := range []struct {
			name  string
			other string
		}{{"alice", string(bobAcct.ID)}, {"bob", string(aliceAcct.ID)}} {
			c := ca
			if who.name == "bob" {
				c = cb
			}
			var raw []map[string]any
			if code, _ := rawGet(t, n, c, "/api/v1/conversations", &raw); code != http.StatusOK || len(raw) != 2 {
				t.Fatalf("%s: GET /api/v1/conversations: %d, %d items, want 2", who.name, code, len(raw))
			}
			lasts := map[string]bool{}
			for _, conv := range raw {
				if conv["unread"] != false {
					t.Errorf("%s: a backfilled conversation is unread: %v", who.name, conv["unread"])
				}
				accts, _ := conv["accounts"].([]any)
				if len(accts) != 1 || accts[0].(map[string]any)["id"] != who.other {
					t.Errorf("%s: conversation accounts %v, want only %s", who.name, conv["accounts"], who.other)
				}
				last, _ := conv["last_status"].(map[string]any)
				if last == nil {
					t.Fatalf("%s: conversation with no last_status", who.name)
				}
				lasts[last["id"].(string)] = true
			}
			// The reply joined its parent's thread: first is no last
			// post.
			if !lasts[string(reply.ID)] || !lasts[string(other.ID)] || lasts[string(first.ID)] {
				t.Errorf("%s: last posts %v, want the reply %s and %s", who.name, lasts, reply.ID, other.ID)
			}
		}
		if again, err := n.svc.BackfillConversations(ctx); err != nil || again != 0 {
			t.Fatalf("a second BackfillConversations = %d, %v; want 0", again, err)
		}
		// A new direct post is filed as before, unread for bob.
		fresh := direct(t, ca, "@bob thanks!", reply.ID)
		got := conversationsOf(t, cb)
		conv := conversationWith(t, "bob", got, fresh.ID)
		if !conv.Unread || len(got) != 2 {
			t.Fatalf("bob after a new post: %d conversations, unread %v", len(got), conv.Unread)
		}
	})
}
