package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// A post waits out its send delay seen only by its author: a post deleted
// or edited in that window leaves no trace on another server, one left
// alone arrives after the delay, also when the server restarts in between.
func TestSendDelayKeepsPostsHomeUntilTheyLeave(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		bob := b.user(t, "bob", false)
		followAcross(t, b, bob, a, "alice")
		const delay = 3 * time.Second
		d := social.Duration(delay)
		if _, err := a.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.SendDelay = &d }); err != nil {
			t.Fatal(err)
		}
		post := func(text string) *storage.Status {
			st, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: text, Visibility: social.VisibilityPublic})
			if err != nil {
				t.Fatal(err)
			}
			if !st.Pending() {
				t.Fatalf("%q is not waiting out the delay", text)
			}
			return st
		}
		// The delay counts from each post's own time: sentAt is before the
		// kept post was made, so "not before sentAt+delay" cannot fail on a
		// slow machine by the time the next two posts took.
		sentAt := time.Now()
		kept := post("Journal club moved to Thursday")
		deleted := post("Oops, wrong account")
		edited := post("Teaching at 2pm in teh seminar room")
		posted := time.Now()

		// In the window: only alice sees them.
		aliceTok := tokenFor(t, a, "alice", "read write")
		if code, _ := call(t, a, "", "GET", fmt.Sprintf("/api/v1/statuses/%d", kept.ID), nil); code != http.StatusNotFound {
			t.Fatalf("anonymous read of a pending post: %d, want 404", code)
		}
		if code, _ := call(t, a, aliceTok, "GET", fmt.Sprintf("/api/v1/statuses/%d", kept.ID), nil); code != http.StatusOK {
			t.Fatalf("the author reading her pending post: %d", code)
		}
		if code, _ := call(t, a, "", "GET", fmt.Sprintf("/users/alice/statuses/%d", kept.ID), nil); code == http.StatusOK {
			t.Fatal("the pending post's Note can be fetched by other servers")
		}
		_, body := call(t, a, "", "GET", "/api/v1/timelines/public?local=true", nil)
		if list, _ := body["list"].([]any); len(list) != 0 {
			t.Fatalf("the public timeline shows pending posts: %v", list)
		}
		_, body = call(t, a, aliceTok, "GET", fmt.Sprintf("/api/v1/accounts/%d/statuses", alice.ID), nil)
		if list, _ := body["list"].([]any); len(list) != 3 {
			t.Fatalf("alice sees %d of her 3 pending posts on her profile", len(list))
		}
		if code, _ := call(t, a, aliceTok, "DELETE", fmt.Sprintf("/api/v1/statuses/%d", deleted.ID), nil); code != http.StatusOK {
			t.Fatalf("delete in the window: %d", code)
		}
		if _, err := a.svc.EditStatus(ctx, alice, edited.ID, social.NewStatus{Text: "Teaching at 2pm in the seminar room"}); err != nil {
			t.Fatal(err)
		}
		if time.Since(posted) > delay-time.Second {
			t.Skip("the machine is too slow to check the window reliably")
		}
		if _, err := b.svc.StatusByURI(ctx, kept.URI); err == nil {
			t.Fatal("B has the post before its delay passed")
		}

		// After the delay: the kept and edited posts arrive, the edit with
		// its final text and no Update; the deleted one never.
		got := waitInHome(t, b, bob, kept.URI, "the kept post on B")
		if time.Since(sentAt) < delay {
			t.Fatalf("the post arrived %v after posting, before its %v delay", time.Since(sentAt), delay)
		}
		_ = got
		ed := waitInHome(t, b, bob, edited.URI, "the edited post on B")
		if ed.EditedAt != nil || ed.Text != "" && ed.Text != "Teaching at 2pm in the seminar room" {
			t.Fatalf("the edited post on B: edited_at %v", ed.EditedAt)
		}
		if want := "Teaching at 2pm in the seminar room"; !strings.Contains(ed.Content, want) {
			t.Fatalf("the edited post on B reads %q", ed.Content)
		}
		time.Sleep(500 * time.Millisecond) // a Delete, were one sent, would be here by now
		bdb, err := storage.Open(ctx, b.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer bdb.Close()
		var n int
		if err := bdb.QueryRowForTest(ctx, "SELECT count(*) FROM tombstones WHERE uri = ?", deleted.URI).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatal("B received a Delete for a post that never left")
		}
		if _, err := b.svc.StatusByURI(ctx, deleted.URI); err == nil {
			t.Fatal("the deleted post reached B")
		}

		// Across a restart: the job publishes it when its time comes.
		late := post("Handover notes are on the shared drive")
		a.stop()
		a2 := startNodeWith(t, dialect, func(rc *rawConfig) { rc.database, rc.domain, rc.listen = a.dbURL, a.domain, a.domain })
		_ = a2
		waitInHome(t, b, bob, late.URI, "the post published after the restart")
	})
}
