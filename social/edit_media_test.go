package social_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// A remote edit's attachments replace the copy's in order: one it had
// (the same address) keeps its row with the new description, one left out
// stays for the history, which shows each version's images as they were.
// An Update sent again changes nothing; another edit in the same second
// (ActivityStreams times have whole seconds) is applied; an older one is
// not.
func TestRemoteEditReplacesAttachmentsOnceWithHistory(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		alice := remoteAccount(t, s, "alice", "pics.example")
		created := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
		st := &storage.Status{ID: storage.NewID(), URI: alice.URI + "/statuses/1", URL: alice.URI + "/statuses/1", AccountID: alice.ID,
			Content: "<p>two films</p>", Visibility: social.VisibilityPublic, CreatedAt: created}
		img := func(name, desc string) social.RemoteMedia {
			return social.RemoteMedia{URL: "https://pics.example/" + name + ".png", ContentType: "image/png", Description: desc}
		}
		st, err := s.ReceiveStatus(ctx, st, nil, social.ReceiveOptions{Context: true, Media: []social.RemoteMedia{img("a", "film A"), img("b", "film B")}})
		if err != nil {
			t.Fatal(err)
		}
		first, _ := s.StatusMedia(ctx, st)
		describe := func(ms []*storage.Media) []string {
			var out []string
			for _, m := range ms {
				out = append(out, m.RemoteURL[len("https://pics.example/"):]+"="+m.Description)
			}
			return out
		}
		check := func(what string, got []*storage.Media, want ...string) {
			t.Helper()
			if g := describe(got); !slices.Equal(g, want) {
				t.Fatalf("%s: %v, want %v", what, g, want)
			}
		}

		edited := created.Add(time.Minute)
		update := func(content string, at time.Time, media ...social.RemoteMedia) {
			t.Helper()
			if err := s.ReceiveUpdateStatus(ctx, alice, st.URI, content, "", false, at, media); err != nil {
				t.Fatal(err)
			}
		}
		update("<p>better films</p>", edited, img("b", "film B, cropped"), img("c", "film C"))
		now, _ := s.StatusMedia(ctx, st)
		check("after the edit", now, "b.png=film B, cropped", "c.png=film C")
		if now[0].ID != first[1].ID {
			t.Fatalf("the kept image was stored anew")
		}
		update("<p>better films</p>", edited, img("b", "film B, cropped"), img("c", "film C")) // sent again
		again, _ := s.StatusMedia(ctx, st)
		if edits, _ := s.StatusEdits(ctx, st); len(edits) != 1 || again[0].ID != now[0].ID || again[1].ID != now[1].ID {
			t.Fatalf("the same Update again: %d versions kept, media %v", len(edits), describe(again))
		}
		st, _ = s.StatusByID(ctx, st.ID)
		edits, _ := s.StatusEdits(ctx, st)
		old, err := s.VersionMedia(ctx, st, &edits[0])
		if err != nil {
			t.Fatal(err)
		}
		check("the first version", old, "a.png=film A", "b.png=film B")

		update("<p>one film</p>", edited, img("c", "film C")) // a second edit in the same second
		st, _ = s.StatusByID(ctx, st.ID)
		now, _ = s.StatusMedia(ctx, st)
		check("after an edit in the same second", now, "c.png=film C")
		update("<p>stale</p>", edited.Add(-time.Second), img("a", "film A"))
		st, _ = s.StatusByID(ctx, st.ID)
		now, _ = s.StatusMedia(ctx, st)
		check("after an older edit", now, "c.png=film C")
		if st.Content != "<p>one film</p>" {
			t.Fatalf("an older edit applied: %q", st.Content)
		}
		edits, _ = s.StatusEdits(ctx, st)
		if len(edits) != 2 {
			t.Fatalf("%d versions kept, want 2", len(edits))
		}
		second, _ := s.VersionMedia(ctx, st, &edits[1])
		check("the second version", second, "b.png=film B, cropped", "c.png=film C")
	})
}
