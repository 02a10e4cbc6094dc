package social_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// jpegWithGPS makes a real JPEG carrying an EXIF segment with a position.
func jpegWithGPS(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		img.Set(x, x%30, color.RGBA{G: 180, A: 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	payload := []byte("Exif\x00\x00GPSLatitude 53.3498N GPSLongitude 6.2603W SerialNumber CAM-12345")
	seg := append([]byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
	out := append([]byte{}, plain[:2]...) // SOI
	out = append(out, seg...)
	return append(out, plain[2:]...)
}

func TestUploadedImagesLoseTheirMetadata(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := storagetest.Open(t, storage.SQLite)
	s := social.New(social.Options{DB: db, Jobs: storage.NewJobs(db, storage.JobsOptions{}), Domain: "rounds.test", Protocol: "https", DataDir: dir})
	u, err := s.CreateUser(ctx, social.NewUser{Username: "photographer", Password: "long enough pw", Approved: true})
	if err != nil {
		t.Fatal(err)
	}
	in := jpegWithGPS(t)
	if !bytes.Contains(in, []byte("53.3498N")) {
		t.Fatal("the test image has no GPS text to strip")
	}
	m, err := s.UploadMedia(ctx, u.Account, bytes.NewReader(in), "  X-ray, anonymised  ")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(filepath.Join(s.MediaDir(), m.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Exif", "53.3498N", "CAM-12345"} {
		if bytes.Contains(stored, []byte(secret)) {
			t.Errorf("the stored image still contains %q", secret)
		}
	}
	if _, err := jpeg.Decode(bytes.NewReader(stored)); err != nil || m.Width != 40 || m.Height != 30 || m.Description != "X-ray, anonymised" {
		t.Fatalf("stored %dx%d %q: %v", m.Width, m.Height, m.Description, err)
	}

	for name, data := range map[string][]byte{
		"text":  []byte("hello, not an image"),
		"empty": nil,
		"fake":  append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...),
	} {
		if _, err := s.UploadMedia(ctx, u.Account, bytes.NewReader(data), ""); err == nil {
			t.Errorf("%s upload was accepted", name)
		}
	}
	if _, err := s.UploadMedia(ctx, u.Account, bytes.NewReader(in), strings.Repeat("a", 1501)); err == nil {
		t.Error("an over-long description was accepted")
	}
	entries, _ := os.ReadDir(s.MediaDir())
	if len(entries) != 1 {
		t.Fatalf("media directory holds %d files, want only the one good upload", len(entries))
	}
}
