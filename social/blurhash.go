package social

import (
	"image"
	"math"
	"strings"
)

// Blurhash, as Mastodon sends with every image (the `blurhash` field of a
// MediaAttachment): a short string apps draw as a blurred placeholder while
// the image loads. Written from the published algorithm: a few cosine
// components of the image in linear light, quantised, in base 83.

const base83Chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"

func base83(v, length int, b *strings.Builder) {
	for i := 1; i <= length; i++ {
		d := (v / int(math.Pow(83, float64(length-i)))) % 83
		b.WriteByte(base83Chars[d])
	}
}

func srgbToLinear(v uint32) float64 {
	x := float64(v>>8) / 255
	if x <= 0.04045 {
		return x / 12.92
	}
	return math.Pow((x+0.055)/1.055, 2.4)
}

func linearToSRGB(v float64) int {
	v = math.Max(0, math.Min(1, v))
	if v <= 0.0031308 {
		return int(v*12.92*255 + 0.5)
	}
	return int((1.055*math.Pow(v, 1/2.4)-0.055)*255 + 0.5)
}

func signPow(v, exp float64) float64 {
	return math.Copysign(math.Pow(math.Abs(v), exp), v)
}

// blurhashSamples bounds the pixels read: a blurred placeholder needs no
// more, and a large photo would otherwise cost seconds.
const blurhashSamples = 64

// Blurhash encodes img with 4 by 3 components (Mastodon's choice).
func Blurhash(img image.Image) string {
	const cx, cy = 4, 3
	bounds := img.Bounds()
	w, h := bounds.Dx(), bounds.Dy()
	if w == 0 || h == 0 {
		return ""
	}
	sw, sh := min(w, blurhashSamples), min(h, blurhashSamples)
	// The image in linear light, sampled on an sw × sh grid.
	lin := make([][3]float64, sw*sh)
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			r, g, b, _ := img.At(bounds.Min.X+x*w/sw, bounds.Min.Y+y*h/sh).RGBA()
			lin[y*sw+x] = [3]float64{srgbToLinear(r), srgbToLinear(g), srgbToLinear(b)}
		}
	}
	var factors [cx * cy][3]float64
	for j := 0; j < cy; j++ {
		for i := 0; i < cx; i++ {
			norm := 2.0
			if i == 0 && j == 0 {
				norm = 1
			}
			var sum [3]float64
			for y := 0; y < sh; y++ {
				by := math.Cos(math.Pi * float64(j) * float64(y) / float64(sh))
				for x := 0; x < sw; x++ {
					basis := math.Cos(math.Pi*float64(i)*float64(x)/float64(sw)) * by
					p := lin[y*sw+x]
					sum[0] += basis * p[0]
					sum[1] += basis * p[1]
					sum[2] += basis * p[2]
				}
			}
			scale := norm / float64(sw*sh)
			factors[j*cx+i] = [3]float64{sum[0] * scale, sum[1] * scale, sum[2] * scale}
		}
	}
	var b strings.Builder
	base83((cx-1)+(cy-1)*9, 1, &b)
	maxAC := 0.0
	for _, f := range factors[1:] {
		for _, c := range f {
			maxAC = math.Max(maxAC, math.Abs(c))
		}
	}
	quantMax := 0
	maxValue := 1.0
	if len(factors) > 1 {
		quantMax = int(math.Max(0, math.Min(82, math.Floor(maxAC*166-0.5))))
		maxValue = float64(quantMax+1) / 166
	}
	base83(quantMax, 1, &b)
	dc := factors[0]
	base83(linearToSRGB(dc[0])<<16+linearToSRGB(dc[1])<<8+linearToSRGB(dc[2]), 4, &b)
	quant := func(v float64) int {
		return int(math.Max(0, math.Min(18, math.Floor(signPow(v/maxValue, 0.5)*9+9.5))))
	}
	for _, f := range factors[1:] {
		base83(quant(f[0])*19*19+quant(f[1])*19+quant(f[2]), 2, &b)
	}
	return b.String()
}
