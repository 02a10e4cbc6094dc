package main

import (
	"fmt"
	"net/url"
	"testing"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// Muting a conversation: after POST /statuses/:id/mute (on any post of the
// thread) replies and likes in that thread notify nobody who muted it, the
// status says muted in every rendering; unmute brings the notifications
// back. Errors are Mastodon's.
func TestMutingAConversationStopsItsNotifications(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		n.user(t, "carol", false)
		alice := tokenFor(t, n, "alice", "read write follow")
		bob := tokenFor(t, n, "bob", "read write follow")
		carol := tokenFor(t, n, "carol", "read write follow")
		post := func(tok, text, replyTo string) string {
			t.Helper()
			form := url.Values{"status": {text}}
			if replyTo != "" {
				form.Set("in_reply_to_id", replyTo)
			}
			code, st := call(t, n, tok, "POST", "/api/v1/statuses", form)
			if code != 200 {
				t.Fatalf("post %q: %d %v", text, code, st)
			}
			return st["id"].(string)
		}
		notified := func(text string) bool {
			_, ns := call(t, n, alice, "GET", "/api/v1/notifications", nil)
			return anyContains(contentsOf(ns), text)
		}
		root := post(alice, "Handover at 8, questions below", "")
		first := post(bob, "@alice first question", root)
		if !notified("first question") {
			t.Fatal("the first reply did not notify alice")
		}
		other := post(alice, "A different thread", "")

		// Errors: unknown status, a status alice may not see, no scope.
		if code, body := call(t, n, alice, "POST", "/api/v1/statuses/1/mute", nil); code != 404 {
			t.Errorf("unknown status: %d %v", code, body)
		}
		secretDM := func() string {
			code, st := call(t, n, bob, "POST", "/api/v1/statuses", url.Values{"status": {"@carol private"}, "visibility": {"direct"}})
			if code != 200 {
				t.Fatalf("direct post: %d %v", code, st)
			}
			return st["id"].(string)
		}()
		if code, body := call(t, n, alice, "POST", "/api/v1/statuses/"+secretDM+"/mute", nil); code != 404 {
			t.Errorf("someone else's direct post: %d %v", code, body)
		}
		readOnly := tokenFor(t, n, "alice", "read")
		if code, body := call(t, n, readOnly, "POST", "/api/v1/statuses/"+root+"/mute", nil); code != 403 {
			t.Errorf("read-only token: %d %v", code, body)
		}

		// alice mutes the thread from bob's reply, not its first post.
		code, st := call(t, n, alice, "POST", "/api/v1/statuses/"+first+"/mute", nil)
		if code != 200 || st["muted"] != true || st["id"] != first {
			t.Fatalf("mute: %d %v", code, st)
		}
		if _, st := call(t, n, alice, "GET", "/api/v1/statuses/"+root, nil); st["muted"] != true {
			t.Errorf("the thread's first post is not muted: %v", st["muted"])
		}
		_, mine := call(t, n, alice, "GET", fmt.Sprintf("/api/v1/accounts/%d/statuses", mustID(t, n, "alice")), nil)
		for _, x := range mine["list"].([]any) {
			s := x.(map[string]any)
			if want := s["id"] == root; s["muted"] != want {
				t.Errorf("in a page of statuses, %v has muted %v", s["content"], s["muted"])
			}
		}

		post(bob, "@alice second question", first)
		post(carol, "@alice third question", root)
		if code, body := call(t, n, carol, "POST", "/api/v1/statuses/"+root+"/favourite", nil); code != 200 {
			t.Fatalf("favourite: %d %v", code, body)
		}
		post(bob, "@alice about the other thread", other)
		if !notified("about the other thread") {
			t.Fatal("a reply in another thread did not notify alice")
		}
		if notified("second question") || notified("third question") {
			t.Error("a reply in the muted thread notified alice")
		}
		_, ns := call(t, n, alice, "GET", "/api/v1/notifications?types[]=favourite", nil)
		if len(ns["list"].([]any)) != 0 {
			t.Errorf("a like in the muted thread notified alice: %v", ns["list"])
		}

		code, st = call(t, n, alice, "POST", "/api/v1/statuses/"+root+"/unmute", nil)
		if code != 200 || st["muted"] != false {
			t.Fatalf("unmute: %d %v", code, st)
		}
		post(bob, "@alice fourth question", first)
		if !notified("fourth question") {
			t.Error("after unmute a reply did not notify alice")
		}
	})
}
