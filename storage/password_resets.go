package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// PasswordReset is a one-time password reset link, known only by the hash
// of its token.
type PasswordReset struct {
	bun.BaseModel `bun:"table:password_resets"`

	TokenHash string    `bun:",pk"`
	UserID    int64     `bun:",notnull"`
	ExpiresAt time.Time `bun:",notnull"`
	UsedAt    *time.Time
	CreatedAt time.Time `bun:",notnull"`
}

// InsertPasswordReset stores a new reset link.
func (q queries) InsertPasswordReset(ctx context.Context, p *PasswordReset) error {
	if _, err := q.w.NewInsert().Model(p).Exec(ctx); err != nil {
		return fmt.Errorf("insert password reset: %w", err)
	}
	return nil
}

// PasswordResetValid returns the user of the unused, unexpired reset link
// with hash, or ErrNotFound.
func (q queries) PasswordResetValid(ctx context.Context, hash string, now time.Time) (int64, error) {
	p := new(PasswordReset)
	err := q.r.NewSelect().Model(p).
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Where("expires_at > ?", now).
		Scan(ctx)
	if err != nil {
		return 0, notFound(err)
	}
	return p.UserID, nil
}

// UsePasswordReset marks the unused, unexpired reset link with hash used
// at now, together with every other link of its user, and returns the
// user. It returns ErrNotFound when there is no such link, so a link works
// once even when two requests race with it.
func (q queries) UsePasswordReset(ctx context.Context, hash string, now time.Time) (int64, error) {
	userID, err := q.PasswordResetValid(ctx, hash, now)
	if err != nil {
		return 0, err
	}
	res, err := q.w.NewUpdate().Model((*PasswordReset)(nil)).
		Set("used_at = ?", now).
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("use password reset: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, ErrNotFound
	}
	_, err = q.w.NewUpdate().Model((*PasswordReset)(nil)).
		Set("used_at = ?", now).
		Where("user_id = ?", userID).
		Where("used_at IS NULL").
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("end other password resets: %w", err)
	}
	return userID, nil
}

// RevokeUserSignIns ends every browser session of user and revokes every
// access token issued to them, at now, and every authorization code not
// exchanged yet, which would otherwise still give a token.
func (q queries) RevokeUserSignIns(ctx context.Context, userID int64, now time.Time) error {
	if err := q.EndOtherSessions(ctx, userID, "", now); err != nil { // no session is kept
		return err
	}
	if _, err := q.DeleteUnusedAuthorizationCodes(ctx, userID, 0); err != nil {
		return err
	}
	_, err := q.w.NewUpdate().Model((*AccessToken)(nil)).
		Set("revoked_at = ?", now).
		Where("user_id = ?", userID).
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke access tokens: %w", err)
	}
	return q.deleteRevokedWebPush(ctx)
}

// EmailConfirmation is a one-time link that confirms an email address,
// known only by the hash of its token.
type EmailConfirmation struct {
	bun.BaseModel `bun:"table:email_confirmations"`

	TokenHash string    `bun:",pk"`
	UserID    int64     `bun:",notnull"`
	Email     string    `bun:",notnull"`
	ExpiresAt time.Time `bun:",notnull"`
	UsedAt    *time.Time
	CreatedAt time.Time `bun:",notnull"`
}

// InsertEmailConfirmation stores a new confirmation link.
func (q queries) InsertEmailConfirmation(ctx context.Context, c *EmailConfirmation) error {
	if _, err := q.w.NewInsert().Model(c).Exec(ctx); err != nil {
		return fmt.Errorf("insert email confirmation: %w", err)
	}
	return nil
}

// UseEmailConfirmation marks the unused, unexpired confirmation link with
// hash used at now and returns it, or ErrNotFound.
func (q queries) UseEmailConfirmation(ctx context.Context, hash string, now time.Time) (*EmailConfirmation, error) {
	c := new(EmailConfirmation)
	err := q.w.NewSelect().Model(c).
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Where("expires_at > ?", now).
		Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	res, err := q.w.NewUpdate().Model((*EmailConfirmation)(nil)).
		Set("used_at = ?", now).
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("use email confirmation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	return c, nil
}
