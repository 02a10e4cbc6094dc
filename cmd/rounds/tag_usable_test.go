package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// A hashtag staff made unusable (PUT /api/v1/admin/tags/:id usable=false)
// cannot be used in a new post or an edit, as on Mastodon; made usable
// again, it can.
func TestUnusableTagRefusedInPostsAndEdits(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		if _, err := n.svc.CreateUser(ctx, social.NewUser{Username: "mod", Password: "a long password", Role: social.RoleModerator, Approved: true}); err != nil {
			t.Fatal(err)
		}
		n.user(t, "alice", false)
		mod := tokenFor(t, n, "mod", "read write admin:read admin:write")
		alice := tokenFor(t, n, "alice", "read write")

		code, post := call(t, n, alice, "POST", "/api/v1/statuses", url.Values{"status": {"Handover notes #WardRounds"}})
		if code != http.StatusOK {
			t.Fatalf("post: %d %v", code, post)
		}
		code, plain := call(t, n, alice, "POST", "/api/v1/statuses", url.Values{"status": {"Handover notes"}})
		if code != http.StatusOK {
			t.Fatalf("post: %d %v", code, plain)
		}
		tag := findBy(getList(t, n, mod, "/api/v1/admin/tags"), "name", "wardrounds")
		if tag == nil {
			t.Fatal("no wardrounds in admin tags")
		}
		tagID := tag["id"].(string)
		setUsable := func(v string) {
			t.Helper()
			if code, body := call(t, n, mod, "PUT", "/api/v1/admin/tags/"+tagID, url.Values{"usable": {v}}); code != http.StatusOK || body["usable"] != (v == "true") {
				t.Fatalf("usable=%s: %d %v", v, code, body)
			}
		}
		setUsable("false")

		code, body := call(t, n, alice, "POST", "/api/v1/statuses", url.Values{"status": {"More on #wardrounds and #Handover"}})
		if code != http.StatusUnprocessableEntity || body["error"] != "Validation failed: Text contained a disallowed hashtag: wardrounds" {
			t.Fatalf("a post with the unusable tag: %d %v", code, body)
		}
		code, body = call(t, n, alice, "PUT", "/api/v1/statuses/"+plain["id"].(string), url.Values{"status": {"Handover notes #WARDROUNDS"}})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body["error"].(string), "disallowed hashtag: wardrounds") {
			t.Fatalf("an edit adding the unusable tag: %d %v", code, body)
		}
		if code, body := call(t, n, alice, "POST", "/api/v1/statuses", url.Values{"status": {"More on #handover"}}); code != http.StatusOK {
			t.Fatalf("a post with another tag: %d %v", code, body)
		}

		setUsable("true")
		if code, body := call(t, n, alice, "POST", "/api/v1/statuses", url.Values{"status": {"More on #wardrounds"}}); code != http.StatusOK {
			t.Fatalf("a post with the tag usable again: %d %v", code, body)
		}
	})
}
