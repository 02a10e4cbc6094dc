package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// TestRemoteClockADayOffIsRefusedAndSchedulingGoesOn: a remote server
// whose clock is a day behind or ahead signs requests with that Date; they
// are refused with 401 and a message saying why, nothing is stored, the
// same delivery with a right Date is taken, and the server's own schedule
// (a scheduled post) keeps to its own clock.
func TestRemoteClockADayOffIsRefusedAndSchedulingGoesOn(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNodeWith(t, dialect, func(rc *rawConfig) { rc.scheduleMinOffset = "1s" })
		doc := n.user(t, "doc", false)
		token := signIn(t, n, "doc").Config.AccessToken

		// A post scheduled two seconds ahead, before the skewed requests.
		at := time.Now().Add(2 * time.Second).UTC()
		b, _ := json.Marshal(map[string]any{"status": "Handover at seven", "scheduled_at": at.Format(time.RFC3339Nano)})
		if code, body := apiDo(t, "POST", n.base+"/api/v1/statuses", token, "application/json", b); code != http.StatusOK || !strings.Contains(body, `"scheduled_at"`) {
			t.Fatalf("scheduling a post: %d %s", code, body)
		}

		rem := newFakeRemote(t, fakeRemoteOptions{}, "mallory")
		mallory := rem.actorURI("mallory")
		noteID := rem.nextID("mallory", "statuses")
		body, err := federation.MarshalActivity(federation.ActivityDoc{
			ID: noteID + "/activity", Type: "Create", Actor: mallory, Published: time.Now().UTC(),
			To: []string{doc.URI}, ObjectID: noteID,
			Note: &federation.NoteDoc{
				ID: noteID, Type: "Note", URL: noteID, AttributedTo: mallory,
				Content: "<p>@doc bed 4 is stable</p>", To: []string{doc.URI},
				Tags:      []federation.Tag{{Type: "Mention", Href: doc.URI, Name: "@doc@" + n.domain}},
				Published: time.Now().UTC(),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			skew time.Duration
			want string
		}{{-24 * time.Hour, "old"}, {24 * time.Hour, "in the future"}} {
			resp := rem.post(t, n.base+"/inbox", "mallory", body, func(r *http.Request) {
				r.Header.Set("Date", time.Now().Add(c.skew).UTC().Format(http.TimeFormat))
				if err := federation.SignRequest(r, body, rem.signer("mallory")); err != nil {
					t.Fatal(err)
				}
			})
			got := readAll(resp)
			var e map[string]any
			if resp.StatusCode != http.StatusUnauthorized || json.Unmarshal([]byte(got), &e) != nil ||
				!strings.Contains(e["error"].(string), "signature date out of range") || !strings.Contains(e["error"].(string), c.want) {
				t.Fatalf("Date %v off: %d %s, want 401 saying the date is out of range (%s)", c.skew, resp.StatusCode, got, c.want)
			}
			if _, err := n.svc.StatusByURI(ctx, noteID); !errors.Is(err, social.ErrNotFound) {
				t.Fatalf("the refused note was stored (%v)", err)
			}
		}
		if resp := rem.post(t, n.base+"/inbox", "mallory", body, nil); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("the same delivery with a right Date: %d %s", resp.StatusCode, readAll(resp))
		}
		if _, err := n.svc.StatusByURI(ctx, noteID); err != nil {
			t.Fatalf("the note delivered with a right Date: %v", err)
		}

		eventually(t, "the scheduled post being published", func() bool {
			c, err := n.svc.Counts(ctx, doc)
			return err == nil && c.Statuses == 1
		})
		if late := time.Since(at); late < 0 || late > 10*time.Second {
			t.Fatalf("the scheduled post came out %v after its time", late)
		}
	})
}
