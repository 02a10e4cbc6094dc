package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// SetupToken lets the first admin be created from a browser.
type SetupToken struct {
	bun.BaseModel `bun:"table:setup_tokens"`

	TokenHash string    `bun:",pk"`
	ExpiresAt time.Time `bun:",notnull"`
	UsedAt    *time.Time
	CreatedAt time.Time `bun:",notnull"`
}

// InsertSetupToken stores a new setup token.
func (q queries) InsertSetupToken(ctx context.Context, t *SetupToken) error {
	if _, err := q.w.NewInsert().Model(t).Exec(ctx); err != nil {
		return fmt.Errorf("insert setup token: %w", err)
	}
	return nil
}

// UseSetupToken marks the unexpired, unused token with hash as used at now.
// It returns ErrNotFound when there is no such token, so a token works once.
func (q queries) UseSetupToken(ctx context.Context, hash string, now time.Time) error {
	res, err := q.w.NewUpdate().Model((*SetupToken)(nil)).
		Set("used_at = ?", now).
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Where("expires_at > ?", now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("use setup token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetupTokenValid reports whether hash names an unexpired, unused token.
func (q queries) SetupTokenValid(ctx context.Context, hash string, now time.Time) (bool, error) {
	return q.r.NewSelect().Model((*SetupToken)(nil)).
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Where("expires_at > ?", now).
		Exists(ctx)
}
