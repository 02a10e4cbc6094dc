package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// The streams that get one status event share its rendering, but each
// viewer still sees their own marks on it: when bob edits a post that
// carol liked, bookmarked and boosted, carol's stream says so and alice's,
// on the same event, does not; each sees the edit's text.
func TestStreamsShareAPostButNotTheViewersMarks(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		n := startNode(t, dialect)
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		n.user(t, "carol", false)
		alice, bob, carol := tokenFor(t, n, "alice", "read write follow"), tokenFor(t, n, "bob", "read write"), tokenFor(t, n, "carol", "read write follow")
		for _, tok := range []string{alice, carol} {
			if code, body := call(t, n, tok, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", mustID(t, n, "bob")), nil); code != 200 {
				t.Fatalf("follow bob: %d %v", code, body)
			}
		}
		code, body := call(t, n, bob, "POST", "/api/v1/statuses", url.Values{"status": {"Handover at eight"}})
		if code != 200 {
			t.Fatalf("post: %d %v", code, body)
		}
		id := body["id"].(string)
		for _, action := range []string{"favourite", "bookmark", "reblog"} {
			if code, body := call(t, n, carol, "POST", "/api/v1/statuses/"+id+"/"+action, nil); code != 200 {
				t.Fatalf("carol: %s: %d %v", action, code, body)
			}
		}

		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		aliceWS := openWS(t, ctx, n.base, alice, "user")
		carolWS := openWS(t, ctx, n.base, carol, "user")
		time.Sleep(200 * time.Millisecond) // both listening
		if code, body := call(t, n, bob, "PUT", "/api/v1/statuses/"+id, url.Values{"status": {"Handover at nine"}}); code != 200 {
			t.Fatalf("edit: %d %v", code, body)
		}
		type marks struct {
			ID         string `json:"id"`
			Content    string `json:"content"`
			Favourited bool   `json:"favourited"`
			Bookmarked bool   `json:"bookmarked"`
			Reblogged  bool   `json:"reblogged"`
		}
		edited := func(who string, ws func() wsMessage) marks {
			for {
				m := ws()
				if m.Event != "status.update" {
					continue
				}
				var st marks
				if err := json.Unmarshal([]byte(m.Payload), &st); err != nil {
					t.Fatalf("%s: %v in %s", who, err, m.Payload)
				}
				if st.ID == id {
					return st
				}
			}
		}
		a := edited("alice", func() wsMessage { return readWS(t, ctx, aliceWS, "alice waits for the edit") })
		c := edited("carol", func() wsMessage { return readWS(t, ctx, carolWS, "carol waits for the edit") })
		if !strings.Contains(a.Content, "nine") || !strings.Contains(c.Content, "nine") {
			t.Fatalf("the edit's text: alice %q, carol %q", a.Content, c.Content)
		}
		if a.Favourited || a.Bookmarked || a.Reblogged {
			t.Errorf("alice sees carol's marks: %+v", a)
		}
		if !c.Favourited || !c.Bookmarked || !c.Reblogged {
			t.Errorf("carol does not see her marks: %+v", c)
		}
	})
}
