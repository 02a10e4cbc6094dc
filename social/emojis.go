package social

import (
	"context"
	"net/url"
	"regexp"
	"strings"

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
// there. Emojis with an unusable shortcode, address or type are left out,
// and none is kept from a domain whose media a domain block rejects. The
// images stay on their server, like the attachments of remote posts.
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
	return s.db.SaveCustomEmojis(ctx, keep)
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
