package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// TestInboxRefusesBadSignaturesAndStoresNothing sends a remote actor's
// Create{Note} to the shared inbox in every way a forger or a broken server
// might, and checks both the answer and that nothing was stored. After each
// refusal the genuine, properly signed delivery of the very same activity is
// sent and must be stored: that proves the note would have been kept, so
// "not stored" means "refused", and that a refusal does not mark the
// activity as received.
func TestInboxRefusesBadSignaturesAndStoresNothing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		doc := n.user(t, "doc", false)
		rem := newFakeRemote(t, fakeRemoteOptions{AutoAccept: true, KeepBodies: true}, "mallory", "eve")
		mallory := rem.actorURI("mallory")
		sharedInbox := n.base + "/inbox"

		// mallory follows doc with a properly signed Follow.
		follow, err := federation.MarshalActivity(federation.ActivityDoc{
			ID: rem.nextID("mallory", "follows"), Type: "Follow", Actor: mallory,
			To: []string{doc.URI}, ObjectID: doc.URI,
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp := rem.post(t, doc.InboxURL, "mallory", follow, nil); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("signed Follow: %d %s", resp.StatusCode, readAll(resp))
		}
		eventually(t, "doc being followed by mallory", func() bool {
			c, err := n.svc.Counts(ctx, doc)
			return err == nil && c.Followers == 1
		})
		eventually(t, "doc's Accept reaching mallory", func() bool {
			return rem.count("/users/mallory/inbox") == 1
		})

		// A remote post is kept only when someone here follows its author,
		// so doc follows mallory back (the fake server accepts at once).
		malloryHere, err := n.svc.AccountByURI(ctx, mallory)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.svc.Follow(ctx, doc, malloryHere); err != nil {
			t.Fatal(err)
		}
		eventually(t, "mallory accepting doc's follow", func() bool {
			c, err := n.svc.Counts(ctx, doc)
			return err == nil && c.Following == 1
		})
		if f := rem.failures(); len(f) > 0 {
			t.Fatalf("the fake server saw problems during setup: %v", f)
		}

		stored := 0 // mallory's statuses on the node, as this test stores them
		create := func(noteID, activityID, content string) []byte {
			t.Helper()
			body, err := federation.MarshalActivity(federation.ActivityDoc{
				ID: activityID, Type: "Create", Actor: mallory, Published: time.Now().UTC(),
				To: []string{federation.PublicCollection}, Cc: []string{mallory + "/followers"},
				ObjectID: noteID,
				Note: &federation.NoteDoc{
					ID: noteID, Type: "Note", URL: noteID, AttributedTo: mallory, Content: content,
					To: []string{federation.PublicCollection}, Cc: []string{mallory + "/followers"},
					Published: time.Now().UTC(),
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			return body
		}
		notStored := func(t *testing.T, noteID string) {
			t.Helper()
			st, err := n.svc.StatusByURI(ctx, noteID)
			if err == nil {
				t.Fatalf("the note was stored: %+v", st)
			}
			if !errors.Is(err, social.ErrNotFound) {
				t.Fatalf("looking the note up: %v", err)
			}
			if c, err := n.svc.Counts(ctx, malloryHere); err != nil || c.Statuses != stored {
				t.Fatalf("mallory has %d statuses here (%v), want %d", c.Statuses, err, stored)
			}
		}
		isStored := func(t *testing.T, noteID string) *storage.Status {
			t.Helper()
			var st *storage.Status
			eventually(t, "the note being stored", func() bool {
				var err error
				st, err = n.svc.StatusByURI(ctx, noteID)
				return err == nil
			})
			stored++
			if st.AccountID != malloryHere.ID || st.Local {
				t.Fatalf("stored as %+v", st)
			}
			if c, err := n.svc.Counts(ctx, malloryHere); err != nil || c.Statuses != stored {
				t.Fatalf("mallory has %d statuses here (%v), want %d", c.Statuses, err, stored)
			}
			return st
		}
		// expect checks the status and, when why is not empty, that the
		// answer names the reason, so a case cannot pass by failing for
		// another reason than the one it tests.
		expect := func(t *testing.T, resp *http.Response, want int, why string) {
			t.Helper()
			body := readAll(resp)
			if resp.StatusCode != want || !strings.Contains(body, why) {
				t.Fatalf("status %d %s; want %d with %q", resp.StatusCode, body, want, why)
			}
		}

		cases := []struct {
			name string
			want int
			why  string // in the answer
			// send posts the Create of noteID (as body) in the faulty way.
			send func(t *testing.T, body []byte) *http.Response
			// retry: the genuine delivery of the same body must then be
			// stored (not for bodies that are broken in themselves).
			retry bool
		}{
			{"no signature", http.StatusUnauthorized, "request is not signed", func(t *testing.T, body []byte) *http.Response {
				return rem.post(t, sharedInbox, "mallory", body, func(r *http.Request) {
					r.Header.Del("Signature")
					r.Header.Del("Authorization")
				})
			}, true},
			{"key the actor does not publish", http.StatusUnauthorized, "bad signature", func(t *testing.T, body []byte) *http.Response {
				return rem.post(t, sharedInbox, "mallory", body, func(r *http.Request) {
					forged := &federation.Signer{KeyID: mallory + "#main-key", Key: fakeKey(t, "impostor")}
					if err := federation.SignRequest(r, body, forged); err != nil {
						t.Fatal(err)
					}
				})
			}, true},
			{"eve's key for mallory's activity", http.StatusUnauthorized, "not the actor's", func(t *testing.T, body []byte) *http.Response {
				return rem.post(t, sharedInbox, "eve", body, nil)
			}, true},
			{"Date 13 hours old", http.StatusUnauthorized, "signature date out of range", func(t *testing.T, body []byte) *http.Response {
				return rem.post(t, sharedInbox, "mallory", body, func(r *http.Request) {
					r.Header.Set("Date", time.Now().Add(-13*time.Hour).UTC().Format(http.TimeFormat))
					if err := federation.SignRequest(r, body, rem.signer("mallory")); err != nil {
						t.Fatal(err)
					}
				})
			}, true},
			{"Date 2 hours ahead", http.StatusUnauthorized, "in the future", func(t *testing.T, body []byte) *http.Response {
				return rem.post(t, sharedInbox, "mallory", body, func(r *http.Request) {
					r.Header.Set("Date", time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat))
					if err := federation.SignRequest(r, body, rem.signer("mallory")); err != nil {
						t.Fatal(err)
					}
				})
			}, true},
			{"body changed after signing", http.StatusBadRequest, "digest mismatch", func(t *testing.T, body []byte) *http.Response {
				tampered := bytes.Replace(body, []byte("an honest note"), []byte("a tampered note"), 2)
				if bytes.Equal(tampered, body) {
					t.Fatal("nothing to tamper with")
				}
				return rem.post(t, sharedInbox, "mallory", body, func(r *http.Request) {
					r.Body = io.NopCloser(bytes.NewReader(tampered))
					r.GetBody = nil
					r.ContentLength = int64(len(tampered))
				})
			}, true},
			{"signature over other headers only", http.StatusUnauthorized, "digest is not signed", func(t *testing.T, body []byte) *http.Response {
				return rem.post(t, sharedInbox, "mallory", body, func(r *http.Request) {
					// A valid-looking signature that covers no digest: the
					// body is then unauthenticated.
					sig := r.Header.Get("Signature")
					r.Header.Set("Signature", strings.Replace(sig, `headers="(request-target) host date digest"`, `headers="(request-target) host date"`, 1))
					if r.Header.Get("Signature") == sig {
						t.Fatalf("unexpected signature layout %q", sig)
					}
				})
			}, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				noteID := rem.nextID("mallory", "statuses")
				body := create(noteID, noteID+"/activity", "<p>an honest note</p>")
				expect(t, c.send(t, body), c.want, c.why)
				notStored(t, noteID)
				if c.retry {
					expect(t, rem.post(t, sharedInbox, "mallory", body, nil), http.StatusAccepted, "")
					isStored(t, noteID)
				}
			})
		}

		t.Run("body over 1 MiB", func(t *testing.T) {
			noteID := rem.nextID("mallory", "statuses")
			body := create(noteID, noteID+"/activity", "<p>"+strings.Repeat("padding ", 1<<17)+"</p>")
			if len(body) <= 1<<20 {
				t.Fatalf("body is only %d bytes", len(body))
			}
			expect(t, rem.post(t, sharedInbox, "mallory", body, nil), http.StatusRequestEntityTooLarge, "too large")
			notStored(t, noteID)
		})

		t.Run("body over 1 MiB without Content-Length", func(t *testing.T) {
			noteID := rem.nextID("mallory", "statuses")
			body := create(noteID, noteID+"/activity", "<p>"+strings.Repeat("padding ", 1<<17)+"</p>")
			expect(t, rem.post(t, sharedInbox, "mallory", body, func(r *http.Request) {
				r.Body = io.NopCloser(bytes.NewReader(body)) // a plain reader: sent chunked
				r.GetBody = nil
				r.ContentLength = -1
			}), http.StatusRequestEntityTooLarge, "larger than 1 MB")
			notStored(t, noteID)
		})

		t.Run("malformed JSON", func(t *testing.T) {
			noteID := rem.nextID("mallory", "statuses")
			body := create(noteID, noteID+"/activity", "<p>cut short</p>")
			body = body[:len(body)/2]
			expect(t, rem.post(t, sharedInbox, "mallory", body, nil), http.StatusBadRequest, "not an activity")
			notStored(t, noteID)
		})

		t.Run("activity id on another server", func(t *testing.T) {
			noteID := rem.nextID("mallory", "statuses")
			body := create(noteID, n.base+"/users/doc/statuses/forged/activity", "<p>an honest note</p>")
			expect(t, rem.post(t, sharedInbox, "mallory", body, nil), http.StatusBadRequest, "not on its actor's server")
			notStored(t, noteID)
		})

		t.Run("note attributed to someone else", func(t *testing.T) {
			noteID := rem.nextID("eve", "statuses")
			body := bytes.ReplaceAll(create(noteID, rem.nextID("mallory", "creates"), "<p>an honest note</p>"),
				[]byte(`"attributedTo":"`+mallory+`"`), []byte(`"attributedTo":"`+rem.actorURI("eve")+`"`))
			expect(t, rem.post(t, sharedInbox, "mallory", body, nil), http.StatusForbidden, "")
			notStored(t, noteID)
		})

		var noteID string
		t.Run("properly signed, content sanitised", func(t *testing.T) {
			noteID = rem.nextID("mallory", "statuses")
			body := create(noteID, noteID+"/activity", "<p>hi<script>alert(1)</script></p>")
			expect(t, rem.post(t, sharedInbox, "mallory", body, nil), http.StatusAccepted, "")
			st := isStored(t, noteID)
			if strings.Contains(strings.ToLower(st.Content), "script") || strings.Contains(st.Content, "alert") {
				t.Fatalf("stored content %q keeps the script", st.Content)
			}
			if !strings.Contains(st.Content, "hi") {
				t.Fatalf("stored content %q lost the text", st.Content)
			}
			if st.Visibility != social.VisibilityPublic {
				t.Fatalf("visibility %q, want public", st.Visibility)
			}
		})
		if noteID == "" {
			t.FailNow()
		}

		t.Run("the same activity twice is applied once", func(t *testing.T) {
			before, err := n.svc.StatusByURI(ctx, noteID)
			if err != nil {
				t.Fatal(err)
			}
			// The same activity id again, with other content: a replay.
			again := create(noteID, noteID+"/activity", "<p>rewritten by a replay</p>")
			expect(t, rem.post(t, sharedInbox, "mallory", again, nil), http.StatusAccepted, "")
			// A new activity id creating the same note again.
			recreate := create(noteID, rem.nextID("mallory", "creates"), "<p>rewritten by a second Create</p>")
			expect(t, rem.post(t, sharedInbox, "mallory", recreate, nil), http.StatusAccepted, "")
			after, err := n.svc.StatusByURI(ctx, noteID)
			if err != nil {
				t.Fatal(err)
			}
			if after.ID != before.ID || after.Content != before.Content || after.EditedAt != nil {
				t.Fatalf("the note changed from %+v to %+v", before, after)
			}
			if c, err := n.svc.Counts(ctx, malloryHere); err != nil || c.Statuses != stored {
				t.Fatalf("mallory has %d statuses here (%v), want %d", c.Statuses, err, stored)
			}
		})

		t.Run("unknown activity type", func(t *testing.T) {
			id := rem.nextID("mallory", "reactions")
			body := []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"EmojiReact","actor":%q,"object":%q,"content":"\u2764"}`,
				id, mallory, noteID))
			expect(t, rem.post(t, sharedInbox, "mallory", body, nil), http.StatusAccepted, "")
			// And unsigned it is still refused: unknown types are not a way
			// around the signature check.
			unsigned := []byte(strings.Replace(string(body), id, id+"-2", 1))
			expect(t, rem.post(t, sharedInbox, "mallory", unsigned, func(r *http.Request) { r.Header.Del("Signature") }), http.StatusUnauthorized, "request is not signed")
			if c, err := n.svc.Counts(ctx, malloryHere); err != nil || c.Statuses != stored {
				t.Fatalf("mallory has %d statuses here (%v), want %d", c.Statuses, err, stored)
			}
		})

		if f := rem.failures(); len(f) > 0 {
			t.Fatalf("the fake server saw problems: %v", f)
		}
	})
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}
