package social

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"
)

// MaxImagePixels bounds an uploaded image's width times height, as
// Mastodon's 7680×4320: a few kilobytes of PNG or JPEG can declare a
// picture whose pixels take gigabytes, so the size is read from the header
// and checked before anything is decoded.
const MaxImagePixels = 7680 * 4320

// maxAnimationPixels bounds the pixels of all a GIF's frames together
// (each frame is decoded whole, one byte a pixel).
const maxAnimationPixels = 4 * MaxImagePixels

// errImageTooLarge refuses an image whose header declares too many pixels.
var errImageTooLarge = errors.New("image dimensions are too large")

// checkImageSize reads the dimensions an image declares, without decoding
// its pixels, and refuses one that is too large to decode.
func checkImageSize(data []byte, ctype string) error {
	var cfg image.Config
	var err error
	switch ctype {
	case "image/gif":
		return checkGIFSize(data)
	case "image/jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case "image/webp":
		cfg, err = webp.DecodeConfig(bytes.NewReader(data))
	default:
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return err
	}
	return checkDimensions(cfg.Width, cfg.Height)
}

func checkDimensions(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("image is %d×%d", w, h)
	}
	if int64(w)*int64(h) > MaxImagePixels {
		return fmt.Errorf("%w: %d×%d", errImageTooLarge, w, h)
	}
	return nil
}

// checkGIFSize walks a GIF's blocks (GIF89a, section 17 on) to read the
// canvas and every frame's size: image/gif decodes all the frames at once,
// so a small file of many large frames must be refused before it is.
func checkGIFSize(data []byte) error {
	if len(data) < 13 || (string(data[:6]) != "GIF87a" && string(data[:6]) != "GIF89a") {
		return errors.New("gif: bad header")
	}
	u16 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 }
	if err := checkDimensions(u16(data[6:]), u16(data[8:])); err != nil {
		return err
	}
	canvas := int64(u16(data[6:])) * int64(u16(data[8:]))
	total := canvas
	i := 13
	if flags := data[10]; flags&0x80 != 0 {
		i += 3 << ((flags & 7) + 1)
	}
	// skipSubBlocks returns the index after a chain of data sub-blocks.
	skipSubBlocks := func(i int) int {
		for i < len(data) {
			n := int(data[i])
			i++
			if n == 0 {
				return i
			}
			i += n
		}
		return len(data)
	}
	for i < len(data) {
		switch data[i] {
		case 0x21: // extension: label, then sub-blocks
			i = skipSubBlocks(i + 2)
		case 0x2C: // image descriptor
			if i+10 > len(data) {
				return nil // truncated: the decoder says so
			}
			w, h := u16(data[i+5:]), u16(data[i+7:])
			// A frame larger than the canvas is an error to the decoder,
			// but count it as it is, whatever the decoder does.
			total += max(int64(w)*int64(h), 0)
			if total > maxAnimationPixels {
				return fmt.Errorf("%w: the frames of a %d×%d GIF hold more than %d pixels", errImageTooLarge, u16(data[6:]), u16(data[8:]), maxAnimationPixels)
			}
			flags := data[i+9]
			i += 10
			if flags&0x80 != 0 {
				i += 3 << ((flags & 7) + 1)
			}
			i = skipSubBlocks(i + 1) // LZW minimum code size, then the data
		default: // trailer, or something the decoder will refuse
			return nil
		}
	}
	return nil
}
