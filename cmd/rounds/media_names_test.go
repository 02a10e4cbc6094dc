package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// pngOf is a w x h PNG.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, gradient(w, h)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// statusOf GETs a media URL without credentials and returns the status.
func statusOf(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var randomMediaPath = regexp.MustCompile(`^/media/[0-9a-f]{32}\.png$`)

// TestMediaOfPrivatePostsHaveUnguessableURLs: an image's file and preview
// are named by 128 random bits, not by the attachment's id (which sorts by
// time and which apps see), so the image of a followers-only or direct post
// cannot be fetched by guessing or from its id.
func TestMediaOfPrivatePostsHaveUnguessableURLs(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite) // files, not queries
	n.user(t, "dr_ruth", false)
	c := signIn(t, n, "dr_ruth")
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		att, err := c.UploadMediaFromMedia(ctx, &mastodon.Media{File: bytes.NewReader(pngOf(t, 900, 700))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PostStatus(ctx, &mastodon.Toot{Status: "Wound on day 3", MediaIDs: []mastodon.ID{att.ID}, Visibility: "direct"}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{att.URL, att.PreviewURL} {
			p, err := url.Parse(u)
			if err != nil || !randomMediaPath.MatchString(p.Path) || seen[p.Path] || strings.Contains(p.Path, string(att.ID)) {
				t.Fatalf("media URL %q: want /media/ and 32 random hex digits, unlike the id %s and every other", u, att.ID)
			}
			seen[p.Path] = true
			if code := statusOf(t, u); code != http.StatusOK {
				t.Fatalf("GET %s: %d", u, code)
			}
		}
		// The id, the way files were named before, finds nothing.
		if code := statusOf(t, n.base+"/media/"+string(att.ID)+".png"); code != http.StatusNotFound {
			t.Fatalf("GET /media/<attachment id>.png: %d, want 404", code)
		}
	}
}

// TestMediaNamedByIDAreRenamedUnlessPublic: files stored when names were
// ids (made here by renaming new uploads back) are served by those names
// only while public (a public post's image, an avatar); the start-up step
// gives the others random names that the API then shows, and runs once.
func TestMediaNamedByIDAreRenamedUnlessPublic(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		ruth := n.user(t, "dr_ruth", false)
		c := signIn(t, n, "dr_ruth")
		upload := func() *mastodon.Attachment {
			t.Helper()
			att, err := c.UploadMediaFromMedia(ctx, &mastodon.Media{File: bytes.NewReader(pngOf(t, 900, 700))})
			if err != nil {
				t.Fatal(err)
			}
			return att
		}
		post := func(att *mastodon.Attachment, visibility string) *mastodon.Status {
			t.Helper()
			st, err := c.PostStatus(ctx, &mastodon.Toot{Status: visibility + " rounds photo", MediaIDs: []mastodon.ID{att.ID}, Visibility: visibility})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		private, public, draft := upload(), upload(), upload()
		privatePost, publicPost := post(private, "private"), post(public, "public")
		if _, err := n.svc.SetProfileImage(ctx, ruth, social.ProfileAvatar, bytes.NewReader(pngOf(t, 100, 100))); err != nil {
			t.Fatal(err)
		}
		ruth, err := n.svc.AccountByURI(ctx, ruth.URI)
		if err != nil {
			t.Fatal(err)
		}

		// Back to names by id, as stored before.
		db, err := storage.Open(ctx, n.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dir := n.svc.MediaDir()
		legacy := func(u string) string {
			t.Helper()
			name := path.Base(u)
			old := fmt.Sprint(storage.NewID()) + ".png"
			if err := os.Rename(filepath.Join(dir, name), filepath.Join(dir, old)); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				"UPDATE media_attachments SET file_name = ? WHERE file_name = ?",
				"UPDATE media_attachments SET preview_file_name = ? WHERE preview_file_name = ?",
			} {
				if err := db.ExecForTest(ctx, q, old, name); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.ExecForTest(ctx, "UPDATE accounts SET avatar_url = ? WHERE avatar_url = ?", n.base+"/media/"+old, u); err != nil {
				t.Fatal(err)
			}
			return n.base + "/media/" + old
		}
		privateURL, privatePreview := legacy(private.URL), legacy(private.PreviewURL)
		publicURL, publicPreview := legacy(public.URL), legacy(public.PreviewURL)
		draftURL := legacy(draft.URL)
		avatarURL := legacy(ruth.AvatarURL)
		if err := db.ExecForTest(ctx, "DELETE FROM instance_settings WHERE key = 'legacy_media_names_secured'"); err != nil {
			t.Fatal(err)
		}

		for u, want := range map[string]int{
			privateURL: 404, privatePreview: 404, draftURL: 404, // guessable and not public
			publicURL: 200, publicPreview: 200, avatarURL: 200,
		} {
			if code := statusOf(t, u); code != want {
				t.Errorf("before renaming, GET %s: %d, want %d", u, code, want)
			}
		}

		renamed, err := n.svc.SecureLegacyMediaNames(ctx)
		if err != nil || renamed != 2 {
			t.Fatalf("SecureLegacyMediaNames = %d, %v; want the private post's image and the draft", renamed, err)
		}
		var st mastodon.Status
		if code, _ := rawGet(t, n, c, "/api/v1/statuses/"+string(privatePost.ID), &st); code != 200 || len(st.MediaAttachments) != 1 {
			t.Fatalf("the private post: %d %+v", code, st)
		}
		for _, u := range []string{st.MediaAttachments[0].URL, st.MediaAttachments[0].PreviewURL} {
			p, _ := url.Parse(u)
			if !randomMediaPath.MatchString(p.Path) || statusOf(t, u) != http.StatusOK {
				t.Errorf("the private post's image is now at %s; want a random name that serves it", u)
			}
		}
		for _, u := range []string{privateURL, privatePreview, draftURL} {
			if _, err := os.Stat(filepath.Join(dir, path.Base(u))); !os.IsNotExist(err) {
				t.Errorf("%s is still on disk under its old name (%v)", u, err)
			}
		}
		if code, _ := rawGet(t, n, c, "/api/v1/statuses/"+string(publicPost.ID), &st); code != 200 || st.MediaAttachments[0].URL != publicURL {
			t.Errorf("the public post's image moved: %d %s, want %s", code, st.MediaAttachments[0].URL, publicURL)
		}
		for _, u := range []string{publicURL, publicPreview, avatarURL} {
			if code := statusOf(t, u); code != 200 {
				t.Errorf("after renaming, the public %s: %d", u, code)
			}
		}
		if again, err := n.svc.SecureLegacyMediaNames(ctx); err != nil || again != 0 {
			t.Errorf("a second run = %d, %v; want nothing to do", again, err)
		}
	})
}
