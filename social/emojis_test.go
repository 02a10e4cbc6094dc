package social_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// Remote custom emojis: only usable ones are kept, per domain; an image is
// copied here only when it is a small enough image, and a new image for the
// shortcode forgets the old copy.
func TestRemoteEmojisKeepOnlyUsableImages(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		db := storagetest.Open(t, dialect)
		s := social.New(social.Options{DB: db, Jobs: storage.NewJobs(db, storage.JobsOptions{}), Domain: "rounds.test", Protocol: "https", DataDir: t.TempDir()})
		author := &storage.Account{ID: storage.NewID(), Username: "x", URI: "https://m.example/users/x", InboxURL: "https://m.example/users/x/inbox", Fields: "[]"}
		if err := s.StoreRemoteAccount(ctx, author); err != nil {
			t.Fatal(err)
		}
		err := s.SaveRemoteEmojis(ctx, author, []social.RemoteEmoji{
			{Shortcode: ":good:", ImageURL: "https://m.example/e/good.png", ContentType: "image/png"},
			{Shortcode: ":good:", ImageURL: "https://m.example/e/second.png"}, // the first of a shortcode wins
			{Shortcode: ":svg:", ImageURL: "https://m.example/e/s.svg", ContentType: "image/svg+xml"},
			{Shortcode: ":js:", ImageURL: "javascript:alert(1)"},
			{Shortcode: ":bad code:", ImageURL: "https://m.example/e/b.png"},
		})
		if err != nil {
			t.Fatal(err)
		}
		es, err := s.EmojisIn(ctx, "m.example", "<p>:good: :svg: :js: :unknown:</p>", "cw :good:")
		if err != nil || len(es) != 1 || es[0].Shortcode != "good" || s.EmojiImageURL(es[0]) != "https://m.example/e/good.png" {
			t.Fatalf("emojis = %+v, %v", es, err)
		}
		if es, _ := s.EmojisIn(ctx, "other.example", ":good:"); len(es) != 0 {
			t.Fatalf("another domain's text uses m.example's emoji: %+v", es)
		}
		e := es[0]
		var ve *social.ValidationError
		if err := s.StoreEmojiImage(ctx, e, e.ImageURL, []byte("<svg onload=alert(1)>")); !errors.As(err, &ve) {
			t.Fatalf("an SVG stored as the emoji: %v", err)
		}
		big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, social.MaxEmojiBytes)...)
		if err := s.StoreEmojiImage(ctx, e, e.ImageURL, big); !errors.As(err, &ve) {
			t.Fatalf("an image over the limit stored as the emoji: %v", err)
		}
		var img bytes.Buffer
		if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
			t.Fatal(err)
		}
		if err := s.StoreEmojiImage(ctx, e, e.ImageURL, img.Bytes()); err != nil {
			t.Fatal(err)
		}
		es, _ = s.EmojisIn(ctx, "m.example", ":good:")
		if u := s.EmojiImageURL(es[0]); !strings.HasPrefix(u, "https://rounds.test/media/") || !strings.HasSuffix(u, ".png") {
			t.Fatalf("the copied emoji is shown from %s", u)
		}
		// The server changes the image: the copy is forgotten, and a late
		// copy of the old image is not taken.
		if err := s.SaveRemoteEmojis(ctx, author, []social.RemoteEmoji{{Shortcode: "good", ImageURL: "https://m.example/e/new.png"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.StoreEmojiImage(ctx, e, "https://m.example/e/good.png", img.Bytes()); err != nil {
			t.Fatal(err)
		}
		es, _ = s.EmojisIn(ctx, "m.example", ":good:")
		if u := s.EmojiImageURL(es[0]); u != "https://m.example/e/new.png" {
			t.Fatalf("after the image changed the emoji is shown from %s", u)
		}
	})
}
