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

// scheduled_at is honoured in every form a client sends it (the client
// library, a form, a JSON body): the answer is a ScheduledStatus and
// nothing is published yet. A time that does not parse is refused with 422,
// never quietly posted now. An empty scheduled_at (or JSON null) is no
// schedule and posts at once.
func TestScheduledAtInEveryFormIsScheduledNeverPostedEarly(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		alice := n.user(t, "alice", false)
		c := signIn(t, n, "alice")
		token := c.Config.AccessToken
		later := time.Now().Add(2 * time.Hour).UTC()

		scheduled := func(how string, code int, body map[string]any) {
			t.Helper()
			params, _ := body["params"].(map[string]any)
			if code != http.StatusOK || body["scheduled_at"] == nil || params == nil || !strings.HasPrefix(params["text"].(string), "Grand rounds at noon") {
				t.Errorf("%s: %d %v, want a ScheduledStatus", how, code, body)
			}
		}
		st, err := c.PostStatus(ctx, &mastodon.Toot{Status: "Grand rounds at noon (library)", ScheduledAt: &later})
		if err != nil || st.ScheduledParams.Text != "Grand rounds at noon (library)" {
			t.Errorf("go-mastodon with ScheduledAt: %v %+v", err, st)
		}
		code, body := call(t, n, token, "POST", "/api/v1/statuses", url.Values{"status": {"Grand rounds at noon (form)"}, "scheduled_at": {later.Format(time.RFC3339)}})
		scheduled("form", code, body)
		code, body = callJSON(t, n, token, "POST", "/api/v1/statuses", map[string]any{"status": "Grand rounds at noon (JSON)", "scheduled_at": later.Format(time.RFC3339Nano)})
		scheduled("JSON", code, body)
		code, body = callJSON(t, n, token, "POST", "/api/v1/statuses", map[string]any{"status": "Grand rounds (garbled time)", "scheduled_at": "next tuesday"})
		if code != http.StatusUnprocessableEntity {
			t.Errorf("an unparsable scheduled_at: %d %v, want 422", code, body)
		}

		code, body = call(t, n, token, "GET", "/api/v1/accounts/"+idString(alice.ID)+"/statuses", nil)
		if list, _ := body["list"].([]any); code != 200 || len(list) != 0 {
			t.Fatalf("alice's statuses after scheduling: %d %v, want none", code, body)
		}

		// No schedule: posted at once.
		code, body = call(t, n, token, "POST", "/api/v1/statuses", url.Values{"status": {"Now (form)"}, "scheduled_at": {""}})
		if code != 200 || body["content"] == nil {
			t.Errorf("form with an empty scheduled_at: %d %v", code, body)
		}
		code, body = callJSON(t, n, token, "POST", "/api/v1/statuses", map[string]any{"status": "Now (JSON)", "scheduled_at": nil})
		if code != 200 || body["content"] == nil {
			t.Errorf("JSON with scheduled_at null: %d %v", code, body)
		}
	})
}
