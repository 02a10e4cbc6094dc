package api

import (
	"context"

	"rounds/storage"
)

// CustomEmoji is Mastodon's CustomEmoji entity. Emojis of other servers are
// never offered in the picker.
type CustomEmoji struct {
	Shortcode       string  `json:"shortcode"`
	URL             string  `json:"url"`
	StaticURL       string  `json:"static_url"`
	VisibleInPicker bool    `json:"visible_in_picker"`
	Category        *string `json:"category"`
}

// emojisOf renders the custom emojis of a's server that texts use, as
// Mastodon lists them on an account (name and bio) or a status (content,
// content warning, poll options).
func (p *present) emojisOf(ctx context.Context, a *storage.Account, texts ...string) []any {
	out := []any{}
	if a == nil || a.Local() {
		return out
	}
	es, err := p.h.social.EmojisIn(ctx, a.Domain, texts...)
	if err != nil {
		return out
	}
	for _, e := range es {
		u := p.h.social.EmojiImageURL(e)
		out = append(out, CustomEmoji{Shortcode: e.Shortcode, URL: u, StaticURL: u})
	}
	return out
}
