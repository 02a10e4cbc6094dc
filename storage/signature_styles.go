package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// SignatureStyle is the HTTP signature style a remote domain accepted last:
// "rfc9421" or "cavage".
type SignatureStyle struct {
	bun.BaseModel `bun:"table:signature_styles"`

	Domain    string    `bun:",pk"`
	Style     string    `bun:",notnull"`
	UpdatedAt time.Time `bun:",notnull"`
}

// PutSignatureStyle records the style domain accepted.
func (q queries) PutSignatureStyle(ctx context.Context, s *SignatureStyle) error {
	_, err := q.w.NewInsert().Model(s).
		On("CONFLICT (domain) DO UPDATE").
		Set("style = EXCLUDED.style").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store signature style of %s: %w", s.Domain, err)
	}
	return nil
}

// SignatureStyleOf returns what is known of domain's signature style, or
// ErrNotFound.
func (q queries) SignatureStyleOf(ctx context.Context, domain string) (*SignatureStyle, error) {
	s := new(SignatureStyle)
	if err := q.r.NewSelect().Model(s).Where("domain = ?", domain).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return s, nil
}
