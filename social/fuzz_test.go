package social

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"

	"rounds/internal/htmlcheck"
)

// Fuzz targets of what social reads from people: Markdown of instance
// documents, OAuth scopes and redirect URIs, uploaded images.

func FuzzRenderDocument(f *testing.F) {
	for _, s := range []string{
		"# Privacy policy\n\nWe keep **your posts** and [nothing else](https://rounds.example/about).\n\n- one\n- two\n",
		"<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>",
		"[x](javascript:alert(1)) [y](JAVASCRIPT:alert(1)) [z](java\tscript:alert(1)) ![i](data:image/svg+xml,<svg onload=x>)",
		"<a href=\"javascript:x\">raw</a> <div onclick=\"x\">d</div>",
		"```html\n<script>x</script>\n```\n\n`<b onclick=x>`",
		"> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<https://rounds.example/> <javascript:alert(1)>",
		"[a]: javascript:alert(1)\n\n[link][a]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := RenderDocument(s)
		if why := htmlcheck.Unsafe(out); why != "" {
			t.Fatalf("RenderDocument(%q) = %q: %s", s, out, why)
		}
	})
}

func FuzzParseScopes(f *testing.F) {
	for _, s := range []string{"", "read", "read write follow push", "read:statuses+write:media", "profile", "admin:read:accounts admin:write:reports",
		"read read", "read\twrite\u00a0push", "reed", "admin:read:", "read:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		scopes, err := ParseScopes(s)
		if err != nil {
			return
		}
		if len(scopes) == 0 {
			t.Fatalf("ParseScopes(%q) gave no scope", s)
		}
		for i, sc := range scopes {
			if !slices.Contains(ScopesSupported(), sc) {
				t.Fatalf("ParseScopes(%q) gave %q, which is not supported", s, sc)
			}
			if slices.Contains(scopes[:i], sc) {
				t.Fatalf("ParseScopes(%q) repeats %q", s, sc)
			}
			if !ScopeAllows(scopes, sc) {
				t.Fatalf("scopes %q do not allow their own %q", scopes, sc)
			}
		}
		// What is stored reads back the same.
		again, err := ParseScopes(strings.Join(scopes, " "))
		if err != nil || !slices.Equal(again, scopes) {
			t.Fatalf("ParseScopes(%q) = %q, which reads back as %q, %v", s, scopes, again, err)
		}
	})
}

func FuzzRedirectURIs(f *testing.F) {
	for _, s := range []string{
		"https://app.example/callback", "urn:ietf:wg:oauth:2.0:oob", "com.tapbots.Ivory.19300:/request_token",
		"http://127.0.0.1:8080/cb?x=1", "https://a.example/cb https://b.example/cb\nhttps://a.example/cb",
		"javascript:alert(1)", "JavaScript:alert(1)", "https://a.example/#frag", "https:///nohost", "data:text/html,x",
		" java\tscript:alert(1)", "//no-scheme.example/", "elk://callback?x", "https://a.example/cb?",
	} {
		f.Add(s, "state-1")
	}
	f.Fuzz(func(t *testing.T, raw, state string) {
		uris, err := parseRedirectURIs([]string{raw})
		if err != nil {
			return
		}
		for _, r := range uris {
			if r == OOBRedirectURI {
				continue
			}
			u, err := url.Parse(r)
			if err != nil {
				t.Fatalf("accepted redirect URI %q does not parse: %v", r, err)
			}
			switch strings.ToLower(u.Scheme) {
			case "", "javascript", "data", "vbscript", "file", "blob", "about":
				t.Fatalf("accepted redirect URI %q has scheme %q", r, u.Scheme)
			}
			if strings.Contains(r, "#") {
				t.Fatalf("accepted redirect URI %q has a fragment", r)
			}
			// The code and state an app is sent back with read back as sent.
			a := &Authorization{RedirectURI: r, State: state}
			back, err := url.Parse(a.CodeRedirect("the-code"))
			if err != nil {
				t.Fatalf("redirect to %q does not parse: %v", a.CodeRedirect("the-code"), err)
			}
			q := back.Query()
			if back.Scheme != u.Scheme || q.Get("code") != "the-code" || q.Get("state") != state {
				t.Fatalf("redirect %q from %q reads code %q, state %q", a.CodeRedirect("the-code"), r, q.Get("code"), q.Get("state"))
			}
		}
	})
}

func testImages(f *testing.F) [][]byte {
	img := image.NewRGBA(image.Rect(0, 0, 12, 8))
	for x := range 12 {
		img.Set(x, x%8, color.RGBA{200, 10, 10, 255})
	}
	var p, j, g bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		f.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, nil); err != nil {
		f.Fatal(err)
	}
	pal := image.NewPaletted(img.Bounds(), color.Palette{color.Black, color.White})
	if err := gif.EncodeAll(&g, &gif.GIF{Image: []*image.Paletted{pal, pal}, Delay: []int{10, 10}}); err != nil {
		f.Fatal(err)
	}
	return [][]byte{p.Bytes(), j.Bytes(), g.Bytes(), p.Bytes()[:len(p.Bytes())/2], j.Bytes()[:40], g.Bytes()[:30], pngBomb(65535, 65535)}
}

func FuzzReencodeImage(f *testing.F) {
	for _, b := range testImages(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctype := detectImageType(data)
		if ctype == "" {
			return
		}
		out, outType, img, err := reencode(data, ctype)
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 || int64(b.Dx())*int64(b.Dy()) > MaxImagePixels {
			t.Fatalf("reencoded a %v image", b)
		}
		// What is stored is an image of an accepted type again.
		if detectImageType(out) != outType {
			t.Fatalf("reencoded %s reads as %q", outType, detectImageType(out))
		}
	})
}

// pngBomb is a PNG whose header declares w×h pixels, with a few bytes of
// pixel data.
func pngBomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1})
	chunk("IEND", nil)
	return b.Bytes()
}

// gifBomb is a small GIF of many frames, each as large as the canvas.
func gifBomb(w, h, frames int) []byte {
	var b bytes.Buffer
	b.WriteString("GIF89a")
	binary.Write(&b, binary.LittleEndian, [2]uint16{uint16(w), uint16(h)})
	b.Write([]byte{0x80, 0, 0, 0, 0, 0, 255, 255, 255}) // two-colour table
	for range frames {
		b.WriteByte(0x2C)
		binary.Write(&b, binary.LittleEndian, [4]uint16{0, 0, uint16(w), uint16(h)})
		b.Write([]byte{0, 2, 2, 0x4C, 0x01, 0}) // min code size, a clear code, end
	}
	b.WriteByte(0x3B)
	return b.Bytes()
}

// An image whose header declares more pixels than the limit is refused
// before its pixels are allocated: decoding a 65535×65535 PNG would take
// 16 GB.
func TestImageDimensionsOverTheLimitAreRefusedWithoutAllocating(t *testing.T) {
	for name, data := range map[string][]byte{
		"png 65535×65535":         pngBomb(65535, 65535),
		"png just over the limit": pngBomb(7681, 4320),
		"gif of 200 large frames": gifBomb(4000, 4000, 200),
		"gif 65535×65535":         gifBomb(65535, 65535, 1),
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, _, err := reencode(data, detectImageType(data))
		runtime.ReadMemStats(&after)
		if !errors.Is(err, errImageTooLarge) {
			t.Errorf("%s: reencode error %v, want errImageTooLarge", name, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%s: %d bytes allocated to refuse it", name, n)
		}
	}
}

func detectImageType(b []byte) string {
	ct := http.DetectContentType(b)
	if _, ok := ImageTypes[ct]; ok {
		return ct
	}
	return ""
}
