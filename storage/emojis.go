package storage

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// CustomEmoji is a custom emoji of another server: its image stays on that
// server, named by shortcode (without colons) within its domain.
type CustomEmoji struct {
	bun.BaseModel `bun:"table:custom_emojis,alias:ce"`

	Shortcode   string    `bun:",pk"`
	Domain      string    `bun:",pk"`
	URI         string    `bun:"uri,notnull"`
	ImageURL    string    `bun:",notnull"`
	ContentType string    `bun:",notnull"`
	UpdatedAt   time.Time `bun:",notnull"`
}

// SaveCustomEmojis stores es, replacing the image of a shortcode its domain
// already had.
func (q queries) SaveCustomEmojis(ctx context.Context, es []CustomEmoji) error {
	for _, e := range es {
		if _, err := q.w.ExecContext(ctx, `INSERT INTO custom_emojis (shortcode, domain, uri, image_url, content_type, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (domain, shortcode) DO UPDATE SET uri = excluded.uri, image_url = excluded.image_url, content_type = excluded.content_type, updated_at = excluded.updated_at`,
			e.Shortcode, e.Domain, e.URI, e.ImageURL, e.ContentType, e.UpdatedAt); err != nil {
			return err
		}
	}
	return nil
}

// CustomEmojis returns the emojis of domain among shortcodes, by shortcode.
func (q queries) CustomEmojis(ctx context.Context, domain string, shortcodes []string) ([]*CustomEmoji, error) {
	if len(shortcodes) == 0 {
		return nil, nil
	}
	var es []*CustomEmoji
	err := q.r.NewSelect().Model(&es).Where("domain = ?", domain).
		Where("shortcode IN (?)", bun.In(shortcodes)).Order("shortcode").Scan(ctx)
	return es, err
}
