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

	Shortcode   string `bun:",pk"`
	Domain      string `bun:",pk"`
	URI         string `bun:"uri,notnull"`
	ImageURL    string `bun:",notnull"`
	ContentType string `bun:",notnull"`
	// FileName is the image's copy in the media directory ("" until it is
	// fetched).
	FileName  string    `bun:",notnull"`
	UpdatedAt time.Time `bun:",notnull"`
}

// SaveCustomEmojis stores es, replacing the image of a shortcode its domain
// already had (and forgetting the copy of the old one).
func (q queries) SaveCustomEmojis(ctx context.Context, es []CustomEmoji) error {
	for _, e := range es {
		if _, err := q.w.ExecContext(ctx, `INSERT INTO custom_emojis (shortcode, domain, uri, image_url, content_type, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (domain, shortcode) DO UPDATE SET uri = excluded.uri, image_url = excluded.image_url, content_type = excluded.content_type, updated_at = excluded.updated_at,
	file_name = CASE WHEN custom_emojis.image_url = excluded.image_url THEN custom_emojis.file_name ELSE '' END`,
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

// CustomEmoji returns the emoji shortcode of domain.
func (q queries) CustomEmoji(ctx context.Context, domain, shortcode string) (*CustomEmoji, error) {
	e := new(CustomEmoji)
	err := q.r.NewSelect().Model(e).Where("domain = ? AND shortcode = ?", domain, shortcode).Scan(ctx)
	return e, notFound(err)
}

// SetCustomEmojiFile records fileName as the copy of the emoji's image,
// when its image is still imageURL; it reports whether it was.
func (q queries) SetCustomEmojiFile(ctx context.Context, domain, shortcode, imageURL, fileName string) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE custom_emojis SET file_name = ? WHERE domain = ? AND shortcode = ? AND image_url = ?`,
		fileName, domain, shortcode, imageURL)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
