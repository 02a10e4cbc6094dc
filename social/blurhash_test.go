package social_test

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"rounds/social"
)

func decode83(s string) int {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
	v := 0
	for _, c := range s {
		v = v*83 + strings.IndexRune(chars, c)
	}
	return v
}

// A blurhash has the length and header of 4×3 components, carries the
// average colour in its DC part, and has no detail for a flat image.
func TestBlurhashEncodesColourAndDetail(t *testing.T) {
	flat := image.NewRGBA(image.Rect(0, 0, 50, 30))
	for x := 0; x < 50; x++ {
		for y := 0; y < 30; y++ {
			flat.Set(x, y, color.RGBA{R: 200, G: 30, B: 60, A: 255})
		}
	}
	h := social.Blurhash(flat)
	if len(h) != 28 {
		t.Fatalf("blurhash %q: want 28 characters for 4x3 components", h)
	}
	if decode83(h[:1]) != 21 {
		t.Fatalf("size flag %d, want 21", decode83(h[:1]))
	}
	dc := decode83(h[2:6])
	if r, g, b := dc>>16, dc>>8&255, dc&255; r != 200 || g != 30 || b != 60 {
		t.Fatalf("DC colour %d,%d,%d, want 200,30,60", r, g, b)
	}
	// A gradient has more detail than a flat image.
	grad := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for x := 0; x < 64; x++ {
		for y := 0; y < 64; y++ {
			grad.Set(x, y, color.RGBA{R: uint8(x * 4), G: uint8(x * 4), B: uint8(x * 4), A: 255})
		}
	}
	g := social.Blurhash(grad)
	if len(g) != 28 || decode83(g[1:2]) <= decode83(h[1:2]) {
		t.Fatalf("a gradient %q shows no more detail than a flat image %q", g, h)
	}
	if social.Blurhash(image.NewRGBA(image.Rect(0, 0, 0, 0))) != "" {
		t.Fatal("an empty image has a blurhash")
	}
}
