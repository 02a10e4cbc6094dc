package main

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// An upload not yet in a post can be read back and deleted with its files;
// once in a post it is refused with Mastodon's 422. Removing the avatar or
// header answers the CredentialAccount and reaches followers' servers as an
// Update of the actor.
func TestDeleteMediaWhileUnattachedAndRemoveProfileImages(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false)
		a.user(t, "carol", false)
		bob := b.user(t, "bob", false)
		aliceOnB := followAcross(t, b, bob, a, "alice")
		c := signIn(t, a, "alice")
		tok := c.Config.AccessToken
		carol := tokenFor(t, a, "carol", "read write")

		files := func(id mastodon.ID) []string {
			t.Helper()
			m, err := a.svc.Media(ctx, alice, mustInt(t, string(id)))
			if err != nil {
				t.Fatal(err)
			}
			out := []string{filepath.Join(a.svc.MediaDir(), m.FileName)}
			if m.PreviewFileName != "" {
				out = append(out, filepath.Join(a.svc.MediaDir(), m.PreviewFileName))
			}
			return out
		}
		exist := func(paths []string) (n int) {
			for _, p := range paths {
				if _, err := os.Stat(p); err == nil {
					n++
				}
			}
			return n
		}

		att := uploadPNG(t, c, 1200, 900, "Ward plan")
		code, got := call(t, a, tok, "GET", "/api/v1/media/"+string(att.ID), nil)
		if code != 200 || got["id"] != string(att.ID) || got["url"] == nil {
			t.Fatalf("GET media: %d %v", code, got)
		}
		paths := files(att.ID)
		if len(paths) != 2 || exist(paths) != 2 {
			t.Fatalf("the upload's files %v: %d exist", paths, exist(paths))
		}

		// Errors: someone else's, no token, a token without the scope.
		if code, body := call(t, a, carol, "DELETE", "/api/v1/media/"+string(att.ID), nil); code != 404 {
			t.Errorf("someone else's media: %d %v", code, body)
		}
		if code, _ := call(t, a, "", "DELETE", "/api/v1/media/"+string(att.ID), nil); code != 401 {
			t.Errorf("no token: %d", code)
		}
		if code, _ := call(t, a, tokenFor(t, a, "alice", "read"), "DELETE", "/api/v1/media/"+string(att.ID), nil); code != 403 {
			t.Errorf("read-only token: %d", code)
		}

		if code, body := call(t, a, tok, "DELETE", "/api/v1/media/"+string(att.ID), nil); code != 200 || len(body) != 0 {
			t.Fatalf("delete: %d %v", code, body)
		}
		if n := exist(paths); n != 0 {
			t.Errorf("%d files of the deleted upload remain", n)
		}
		if code, _ := call(t, a, tok, "GET", "/api/v1/media/"+string(att.ID), nil); code != 404 {
			t.Errorf("GET deleted media: %d", code)
		}
		if code, _ := call(t, a, tok, "DELETE", "/api/v1/media/"+string(att.ID), nil); code != 404 {
			t.Errorf("delete again: %d", code)
		}

		// Attached: refused, and the files stay.
		used := uploadPNG(t, c, 300, 200, "Chart")
		if _, err := c.PostStatus(ctx, &mastodon.Toot{Status: "See the chart", MediaIDs: []mastodon.ID{used.ID}}); err != nil {
			t.Fatal(err)
		}
		usedPaths := files(used.ID)
		code, body := call(t, a, tok, "DELETE", "/api/v1/media/"+string(used.ID), nil)
		if code != 422 || body["error"] != "Media attachment is currently used by a status" {
			t.Errorf("delete attached media: %d %v", code, body)
		}
		if exist(usedPaths) != len(usedPaths) {
			t.Error("the refused delete removed files")
		}

		// Avatar and header, set and then removed.
		var img bytes.Buffer
		if err := png.Encode(&img, gradient(200, 200)); err != nil {
			t.Fatal(err)
		}
		for _, which := range []string{social.ProfileAvatar, social.ProfileHeader} {
			if _, err := a.svc.SetProfileImage(ctx, alice, which, bytes.NewReader(img.Bytes())); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, "B seeing alice's avatar and header", func() bool {
			got, err := b.svc.AccountByURI(ctx, aliceOnB.URI)
			return err == nil && got.AvatarURL != "" && got.HeaderURL != ""
		})
		for _, which := range []string{"avatar", "header"} {
			if code, _ := call(t, a, tokenFor(t, a, "alice", "read"), "DELETE", "/api/v1/profile/"+which, nil); code != 403 {
				t.Errorf("read-only token deleting the %s: %d", which, code)
			}
			code, acct := call(t, a, tok, "DELETE", "/api/v1/profile/"+which, url.Values{})
			if code != 200 {
				t.Fatalf("delete %s: %d %v", which, code, acct)
			}
			requireKeys(t, "CredentialAccount", acct, "id", "source", which, which+"_static")
			if !strings.Contains(acct[which].(string), "/static/") {
				t.Errorf("the %s after removal is %v", which, acct[which])
			}
		}
		eventually(t, "B seeing alice's avatar and header removed", func() bool {
			got, err := b.svc.AccountByURI(ctx, aliceOnB.URI)
			return err == nil && got.AvatarURL == "" && got.HeaderURL == ""
		})
	})
}
