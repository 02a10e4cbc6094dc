package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"rounds/storage"
)

// exifJPEG returns a real JPEG whose metadata says where and with what it
// was taken: an EXIF APP1 segment (a TIFF structure with a GPS IFD holding
// the latitude and longitude of St James's Hospital, Dublin, and an Exif IFD
// holding the camera body's serial number), an XMP packet, an IPTC caption
// and a comment.
func exifJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		for y := 0; y < 48; y++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 4), G: uint8(y * 5), B: 90, A: 255})
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}

	// TIFF, little-endian. IFD0 at 8: Make, ExifIFD pointer, GPS pointer.
	le := binary.LittleEndian
	var tiff bytes.Buffer
	w16 := func(v uint16) { _ = binary.Write(&tiff, le, v) }
	w32 := func(v uint32) { _ = binary.Write(&tiff, le, v) }
	tiff.WriteString("II")
	w16(42)
	w32(8)
	const (
		ifd0At    = 8
		ifd0Len   = 2 + 3*12 + 4
		makeAt    = ifd0At + ifd0Len // "PhoneCam\0" (9 bytes, padded to 10)
		exifAt    = makeAt + 10
		exifLen   = 2 + 1*12 + 4
		serialAt  = exifAt + exifLen // "CAM-12345\0" (10 bytes)
		gpsAt     = serialAt + 10
		gpsLen    = 2 + 4*12 + 4
		latAt     = gpsAt + gpsLen // 3 rationals = 24 bytes
		lonAt     = latAt + 24
		tiffBytes = lonAt + 24
	)
	entry := func(tag, typ uint16, count, value uint32) { w16(tag); w16(typ); w32(count); w32(value) }
	// IFD0
	w16(3)
	entry(0x010F, 2, 9, makeAt) // Make
	entry(0x8769, 4, 1, exifAt) // ExifIFDPointer
	entry(0x8825, 4, 1, gpsAt)  // GPSInfoIFDPointer
	w32(0)
	tiff.WriteString("PhoneCam\x00\x00")
	// Exif IFD: BodySerialNumber
	w16(1)
	entry(0xA431, 2, 10, serialAt)
	w32(0)
	tiff.WriteString("CAM-12345\x00")
	// GPS IFD: N 53°20'22.35", W 6°17'43.8"
	w16(4)
	entry(0x0001, 2, 2, uint32('N'))
	entry(0x0002, 5, 3, latAt)
	entry(0x0003, 2, 2, uint32('W'))
	entry(0x0004, 5, 3, lonAt)
	w32(0)
	for _, r := range [][2]uint32{{53, 1}, {20, 1}, {2235, 100}, {6, 1}, {17, 1}, {438, 10}} {
		w32(r[0])
		w32(r[1])
	}
	if tiff.Len() != tiffBytes {
		t.Fatalf("TIFF is %d bytes, laid out for %d", tiff.Len(), tiffBytes)
	}

	segment := func(marker byte, payload []byte) []byte {
		n := len(payload) + 2
		return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
	}
	exif := segment(0xE1, append([]byte("Exif\x00\x00"), tiff.Bytes()...))
	xmp := segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:Description exif:GPSLatitude=\"53,20.3725N\" aux:SerialNumber=\"CAM-12345\"/></x:xmpmeta>"))
	iptc := segment(0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x1a\x1c\x02\x78\x00\x16Bed 4, Ward St Marys"))
	comment := segment(0xFE, []byte("Taken at the bedside of Mary Byrne"))

	src := plain.Bytes()
	out := append([]byte{}, src[:2]...) // SOI
	for _, s := range [][]byte{exif, xmp, iptc, comment} {
		out = append(out, s...)
	}
	return append(out, src[2:]...)
}

// The leaks the image above carries, as bytes that must appear nowhere in
// what Rounds stores or serves.
var imageSecrets = []string{"Exif", "CAM-12345", "PhoneCam", "GPSLatitude", "xmpmeta", "Photoshop", "8BIM", "Ward St Marys", "Mary Byrne"}

// An uploaded JPEG with GPS coordinates, a camera serial, XMP, IPTC and a
// comment is stored and served with none of them: only the pixels.
func TestUploadedPhotoLosesLocationAndCameraSerial(t *testing.T) {
	n := startNode(t, storage.SQLite) // SQLite is enough: this is about files
	n.user(t, "dr_ruth", false)
	in := exifJPEG(t)
	for _, s := range imageSecrets {
		if !bytes.Contains(in, []byte(s)) {
			t.Fatalf("the test image does not carry %q", s)
		}
	}
	if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
		t.Fatalf("the test image is not a JPEG: %v", err)
	}
	c := signIn(t, n, "dr_ruth")
	att, err := c.UploadMediaFromBytes(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(att.BlurHash) != 28 {
		t.Errorf("the attachment's blurhash is %q, want 28 characters (4x3 components)", att.BlurHash)
	}
	resp, err := http.Get(att.URL)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", att.URL, resp.StatusCode)
	}
	name := filepath.Base(att.URL)
	stored, err := os.ReadFile(filepath.Join(n.svc.MediaDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	for what, data := range map[string][]byte{"stored": stored, "served": served} {
		for _, s := range imageSecrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("the %s image still contains %q", what, s)
			}
		}
		for _, marker := range []byte{0xE1, 0xED, 0xFE} {
			if bytes.Contains(data, []byte{0xFF, marker}) && hasSegment(data, marker) {
				t.Errorf("the %s image still has an FF %X segment", what, marker)
			}
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil || img.Bounds().Dx() != 64 || img.Bounds().Dy() != 48 {
			t.Fatalf("the %s image does not decode as the 64x48 photo: %v", what, err)
		}
	}
}

// hasSegment walks the JPEG's header segments (up to the scan) looking for
// marker.
func hasSegment(b []byte, marker byte) bool {
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		m := b[i+1]
		if m == 0xDA { // start of scan: headers end
			return false
		}
		if m == marker {
			return true
		}
		i += 2 + int(b[i+2])<<8 + int(b[i+3])
	}
	return false
}
