package social

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// RemoteEmoji is a custom emoji as another server's post or profile tags
// it: Shortcode with or without its colons, the image's address and type.
type RemoteEmoji struct {
	Shortcode, URI, ImageURL, ContentType string
}

// emojiShortcode is what Mastodon accepts as a shortcode.
var emojiShortcode = regexp.MustCompile(`^[a-zA-Z0-9_]{2,64}$`)

// emojiInText finds :shortcode: in a post's or profile's text.
var emojiInText = regexp.MustCompile(`:([a-zA-Z0-9_]{2,64}):`)

// emojiImageTypes are the image types shown as custom emojis: the ones
// Mastodon takes for emojis, and none (a server that does not say).
var emojiImageTypes = map[string]bool{"": true, "image/png": true, "image/gif": true, "image/webp": true, "image/jpeg": true, "image/avif": true, "image/apng": true}

// maxEmojisPerDocument bounds the emojis kept from one post or profile.
const maxEmojisPerDocument = 50

// SaveRemoteEmojis keeps the custom emojis that author's post or profile
// tags, under author's domain, each replacing the one of the same shortcode
// there, and queues a job to copy each image here (CacheEmojiArgs). Emojis
// with an unusable shortcode, address or type are left out, and none is
// kept from a domain whose media a domain block rejects.
func (s *Service) SaveRemoteEmojis(ctx context.Context, author *storage.Account, es []RemoteEmoji) error {
	if author == nil || author.Local() || len(es) == 0 {
		return nil
	}
	p, err := s.DomainPolicy(ctx, author.Domain)
	if err != nil || p.RejectMedia {
		return err
	}
	now := s.now()
	var keep []storage.CustomEmoji
	seen := map[string]bool{}
	for _, e := range es {
		code := strings.TrimSuffix(strings.TrimPrefix(e.Shortcode, ":"), ":")
		u, err := url.Parse(e.ImageURL)
		if !emojiShortcode.MatchString(code) || seen[code] || err != nil || (u.Scheme != "https" && u.Scheme != "http") ||
			u.Host == "" || len(e.ImageURL) > 2048 || len(e.URI) > 2048 || !emojiImageTypes[strings.ToLower(e.ContentType)] {
			continue
		}
		seen[code] = true
		keep = append(keep, storage.CustomEmoji{Shortcode: code, Domain: author.Domain, URI: e.URI, ImageURL: e.ImageURL, ContentType: e.ContentType, UpdatedAt: now})
		if len(keep) == maxEmojisPerDocument {
			break
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.SaveCustomEmojis(ctx, keep); err != nil {
			return err
		}
		if s.jobs == nil {
			return nil
		}
		for _, e := range keep {
			// One copy job per emoji in ten minutes: the same emoji arrives
			// with every post that uses it, and the job reads the emoji's
			// image when it runs.
			opts := &river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: 10 * time.Minute}}
			if err := s.jobs.InsertTx(ctx, tx, CacheEmojiArgs{Domain: e.Domain, Shortcode: e.Shortcode}, opts); err != nil {
				return err
			}
		}
		return nil
	})
}

// MaxEmojiBytes is the largest custom emoji image copied here, Mastodon's
// limit for remote emojis.
const MaxEmojiBytes = 256 << 10

// CacheEmojiArgs is the durable job that copies a remote custom emoji's
// image into the media directory, checked for size and type.
type CacheEmojiArgs struct {
	Domain    string `json:"domain"`
	Shortcode string `json:"shortcode"`
}

// Kind names the job kind.
func (CacheEmojiArgs) Kind() string { return "cache_emoji" }

// EmojiToCache returns the emoji a CacheEmojiArgs job names, or ErrNotFound.
func (s *Service) EmojiToCache(ctx context.Context, domain, shortcode string) (*storage.CustomEmoji, error) {
	e, err := s.db.CustomEmoji(ctx, domain, shortcode)
	return e, domainErr(err)
}

// StoreEmojiImage keeps data, fetched from imageURL, as the copy of emoji
// e's image: it must be a PNG, GIF, WebP or JPEG image (by its content) of
// at most MaxEmojiBytes. An emoji whose image changed meanwhile is left as
// it is.
func (s *Service) StoreEmojiImage(ctx context.Context, e *storage.CustomEmoji, imageURL string, data []byte) error {
	if len(data) == 0 || len(data) > MaxEmojiBytes {
		return invalid("image", fmt.Sprintf("is empty or larger than %d bytes", MaxEmojiBytes))
	}
	ext, ok := ImageTypes[http.DetectContentType(data)]
	if !ok {
		return invalid("image", "is not a PNG, GIF, WebP or JPEG image")
	}
	if err := os.MkdirAll(s.MediaDir(), 0o750); err != nil {
		return fmt.Errorf("media directory: %w", err)
	}
	name := newMediaFileName(ext)
	if err := writeMediaFile(s.MediaDir(), name, data); err != nil {
		return err
	}
	set, err := s.db.SetCustomEmojiFile(ctx, e.Domain, e.Shortcode, imageURL, name)
	if err != nil || !set {
		os.Remove(filepath.Join(s.MediaDir(), name))
	}
	return err
}

// EmojiImageURL is where an emoji's image is shown from: its copy here once
// made, else its own server.
func (s *Service) EmojiImageURL(e *storage.CustomEmoji) string {
	if e.FileName != "" {
		return s.base + "/media/" + e.FileName
	}
	return e.ImageURL
}

// EmojisIn returns the custom emojis of domain that texts name as
// :shortcode:, for a remote account's name and bio or a remote post; none
// for a local one (Rounds has no custom emojis of its own) or from a
// domain whose media a domain block rejects.
func (s *Service) EmojisIn(ctx context.Context, domain string, texts ...string) ([]*storage.CustomEmoji, error) {
	if domain == "" || domain == s.domain {
		return nil, nil
	}
	var codes []string
	seen := map[string]bool{}
	for _, t := range texts {
		if !strings.Contains(t, ":") {
			continue
		}
		for _, m := range emojiInText.FindAllStringSubmatch(t, -1) {
			if !seen[m[1]] && len(codes) < maxEmojisPerDocument {
				seen[m[1]] = true
				codes = append(codes, m[1])
			}
		}
	}
	if len(codes) == 0 {
		return nil, nil
	}
	p, err := s.DomainPolicy(ctx, domain)
	if err != nil || p.RejectMedia {
		return nil, err
	}
	return s.db.CustomEmojis(ctx, domain, codes)
}
