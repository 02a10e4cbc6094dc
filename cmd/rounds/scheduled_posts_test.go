package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// A post with scheduled_at is refused with 422 and a clear error, in every
// form a client sends it (the client library, a form, a JSON body), and
// nothing is published: until Rounds has scheduled posts, a post must never
// appear earlier than its author asked. An empty scheduled_at (or JSON
// null) is no schedule and posts at once.
func TestScheduledPostsAreRefusedNotPublishedEarly(t *testing.T) {
	storagetest.Run(t, testScheduledPostsAreRefused)
}

func testScheduledPostsAreRefused(t *testing.T, dialect storage.Dialect) {
	ctx := context.Background()
	n := startNode(t, dialect)
	alice := n.user(t, "alice", false)
	c := signIn(t, n, "alice")
	token := c.Config.AccessToken
	later := time.Now().Add(2 * time.Hour).UTC()

	refused := func(how string, code int, body map[string]any) {
		t.Helper()
		msg, _ := body["error"].(string)
		if code != http.StatusUnprocessableEntity || !strings.Contains(msg, "Scheduled posts are not supported") {
			t.Errorf("%s: %d %v, want 422 saying scheduled posts are not supported", how, code, body)
		}
	}
	_, err := c.PostStatus(ctx, &mastodon.Toot{Status: "Grand rounds at noon (library)", ScheduledAt: &later})
	if err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("go-mastodon with ScheduledAt: %v, want a 422", err)
	}
	code, body := call(t, n, token, "POST", "/api/v1/statuses", url.Values{"status": {"Grand rounds at noon (form)"}, "scheduled_at": {later.Format(time.RFC3339)}})
	refused("form", code, body)
	code, body = callJSON(t, n, token, "POST", "/api/v1/statuses", map[string]any{"status": "Grand rounds at noon (JSON)", "scheduled_at": later.Format(time.RFC3339Nano)})
	refused("JSON", code, body)
	// Even a time in the past, or one that does not parse, is not quietly
	// posted now: the author asked for something Rounds cannot do.
	code, body = callJSON(t, n, token, "POST", "/api/v1/statuses", map[string]any{"status": "Grand rounds (garbled time)", "scheduled_at": "next tuesday"})
	refused("JSON, unparsable time", code, body)

	code, body = call(t, n, token, "GET", "/api/v1/accounts/"+idString(alice.ID)+"/statuses", nil)
	if list, _ := body["list"].([]any); code != 200 || len(list) != 0 {
		t.Fatalf("alice's statuses after the refused posts: %d %v, want none", code, body)
	}

	// No schedule: posted at once.
	code, body = call(t, n, token, "POST", "/api/v1/statuses", url.Values{"status": {"Now (form)"}, "scheduled_at": {""}})
	if code != 200 {
		t.Errorf("form with an empty scheduled_at: %d %v", code, body)
	}
	code, body = callJSON(t, n, token, "POST", "/api/v1/statuses", map[string]any{"status": "Now (JSON)", "scheduled_at": nil})
	if code != 200 {
		t.Errorf("JSON with scheduled_at null: %d %v", code, body)
	}
}
