package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"testing"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
)

// fetchImage GETs u and decodes it, checking the served type.
func fetchImage(t *testing.T, u, wantType string) image.Config {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != wantType {
		t.Fatalf("GET %s: Content-Type %q, want %q", u, ct, wantType)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || "image/"+format != wantType {
		t.Fatalf("GET %s: %s image, %v", u, format, err)
	}
	return cfg
}

func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 90, A: 255})
		}
	}
	return img
}

// Uploads larger than 640x640 get a smaller preview, kept in shape and
// served with its type; smaller ones are their own preview, never scaled
// up.
func TestUploadedImagesGetSmallPreviews(t *testing.T) {
	ctx := context.Background()
	n := startNode(t, storage.SQLite) // SQLite is enough: this is about files
	n.user(t, "dr_ruth", false)
	c := signIn(t, n, "dr_ruth")

	encode := func(img image.Image, kind string) []byte {
		var buf bytes.Buffer
		var err error
		switch kind {
		case "jpeg":
			err = jpeg.Encode(&buf, img, nil)
		case "png":
			err = png.Encode(&buf, img)
		case "gif":
			err = gif.Encode(&buf, img, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name, kind, previewType string
		w, h, pw, ph            int
	}{
		{"wide photo", "jpeg", "image/jpeg", 2000, 1000, 640, 320},
		{"tall scan", "png", "image/png", 500, 1500, 213, 640},
		{"gif", "gif", "image/png", 800, 600, 640, 480},
		{"small image", "png", "image/png", 300, 200, 300, 200},
		{"exactly the limit", "jpeg", "image/jpeg", 640, 640, 640, 640},
	} {
		t.Run(tc.name, func(t *testing.T) {
			att, err := c.UploadMediaFromMedia(ctx, &mastodon.Media{File: bytes.NewReader(encode(gradient(tc.w, tc.h), tc.kind))})
			if err != nil {
				t.Fatal(err)
			}
			small := tc.pw != tc.w || tc.ph != tc.h
			if small == (att.PreviewURL == att.URL) {
				t.Fatalf("preview_url %s, url %s", att.PreviewURL, att.URL)
			}
			cfg := fetchImage(t, att.PreviewURL, tc.previewType)
			if cfg.Width != tc.pw || cfg.Height != tc.ph {
				t.Fatalf("preview is %dx%d, want %dx%d", cfg.Width, cfg.Height, tc.pw, tc.ph)
			}
			s, o := att.Meta.Small, att.Meta.Original
			if s.Width != int64(tc.pw) || s.Height != int64(tc.ph) || o.Width != int64(tc.w) || o.Height != int64(tc.h) {
				t.Fatalf("meta = %+v", att.Meta)
			}
			orig := fetchImage(t, att.URL, "image/"+map[string]string{"jpeg": "jpeg", "png": "png", "gif": "gif"}[tc.kind])
			if orig.Width != tc.w || orig.Height != tc.h {
				t.Fatalf("original is %dx%d", orig.Width, orig.Height)
			}
			// The same when the attachment is read again.
			var again map[string]any
			rawGet(t, n, c, "/api/v1/media/"+string(att.ID), &again)
			if again["preview_url"] != att.PreviewURL {
				t.Fatalf("GET media: preview_url %v", again["preview_url"])
			}
		})
	}

	// A preview is scaled, not cropped or nearest-picked: the wide photo's
	// colours run left to right across it as in the original.
	att, err := c.UploadMediaFromMedia(ctx, &mastodon.Media{File: bytes.NewReader(encode(gradient(1280, 200), "png"))})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(att.PreviewURL)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	r, _, _, _ := img.At(300, 50).RGBA()
	if got, want := int(r>>8), 600%256; got < want-4 || got > want+4 {
		t.Fatalf("preview pixel (300,50) red = %d, want about %d (the original's at 600)", got, want)
	}

	// A large avatar is stored whole; the profile points at the image itself.
	me, err := n.svc.AccountByAcct(ctx, "dr_ruth", "")
	if err != nil {
		t.Fatal(err)
	}
	me, err = n.svc.SetProfileImage(ctx, me, social.ProfileAvatar, bytes.NewReader(encode(gradient(1000, 1000), "png")))
	if err != nil {
		t.Fatal(err)
	}
	if cfg := fetchImage(t, me.AvatarURL, "image/png"); cfg.Width != 1000 {
		t.Fatalf("avatar is %dx%d", cfg.Width, cfg.Height)
	}
}
