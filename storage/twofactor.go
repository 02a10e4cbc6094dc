package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// TwoFactor is a person's TOTP secret. Nothing but the queries in this file
// reads the table it lives in.
type TwoFactor struct {
	bun.BaseModel `bun:"table:two_factor_secrets"`

	UserID int64 `bun:",pk"`
	// Secret is base32, as authenticator apps take it.
	Secret string `bun:",notnull"`
	// EnabledAt is nil until the person confirms the secret with a code.
	EnabledAt *time.Time
	// LastUsedStep is the TOTP time step of the last code accepted.
	LastUsedStep *int64
	CreatedAt    time.Time `bun:",notnull"`
}

// RecoveryCode is one single-use recovery code, known only by its hash.
type RecoveryCode struct {
	bun.BaseModel `bun:"table:two_factor_recovery_codes"`

	ID        int64     `bun:",pk"`
	UserID    int64     `bun:",notnull"`
	CodeHash  string    `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
	UsedAt    *time.Time
}

// SignInChallenge is a sign-in waiting for its second factor (or, when
// Setup is set, for the person to set one up), known only by the hash of
// the browser's token.
type SignInChallenge struct {
	bun.BaseModel `bun:"table:sign_in_challenges"`

	TokenHash string    `bun:",pk"`
	UserID    int64     `bun:",notnull"`
	Setup     bool      `bun:",notnull"`
	Attempts  int       `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
	ExpiresAt time.Time `bun:",notnull"`
	UsedAt    *time.Time
}

// TwoFactorByUser returns userID's TOTP secret, confirmed or not.
func (q queries) TwoFactorByUser(ctx context.Context, userID int64) (*TwoFactor, error) {
	tf := new(TwoFactor)
	if err := q.r.NewSelect().Model(tf).Where("user_id = ?", userID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return tf, nil
}

// PutUnconfirmedTwoFactor stores tf as its user's new, unconfirmed secret,
// replacing an earlier unconfirmed one. It returns ErrConflict when the user
// already has a confirmed secret.
func (q queries) PutUnconfirmedTwoFactor(ctx context.Context, tf *TwoFactor) error {
	tf.EnabledAt, tf.LastUsedStep = nil, nil
	res, err := q.w.NewInsert().Model(tf).
		On("CONFLICT (user_id) DO UPDATE").
		Set("secret = EXCLUDED.secret").
		Set("created_at = EXCLUDED.created_at").
		Set("last_used_step = NULL").
		Where("?TableAlias.enabled_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store two-factor secret: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("two-factor secret: %w", ErrConflict)
	}
	return nil
}

// EnableTwoFactor confirms userID's unconfirmed secret at now, recording
// step as the last one used. It returns ErrNotFound when there is no
// unconfirmed secret.
func (q queries) EnableTwoFactor(ctx context.Context, userID int64, now time.Time, step int64) error {
	res, err := q.w.NewUpdate().Model((*TwoFactor)(nil)).
		Set("enabled_at = ?", now).
		Set("last_used_step = ?", step).
		Where("user_id = ?", userID).
		Where("enabled_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("enable two-factor sign-in: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// UseTwoFactorStep records that a code of TOTP time step was accepted for
// userID, and reports false when a code of that step or a later one already
// was: of two requests with the same code only one succeeds.
func (q queries) UseTwoFactorStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := q.w.NewUpdate().Model((*TwoFactor)(nil)).
		Set("last_used_step = ?", step).
		Where("user_id = ?", userID).
		Where("enabled_at IS NOT NULL").
		Where("last_used_step IS NULL OR last_used_step < ?", step).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("use two-factor code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// DeleteTwoFactor removes userID's secret and recovery codes.
func (q queries) DeleteTwoFactor(ctx context.Context, userID int64) error {
	if _, err := q.w.NewDelete().Model((*RecoveryCode)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	if _, err := q.w.NewDelete().Model((*TwoFactor)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete two-factor secret: %w", err)
	}
	return nil
}

// ReplaceRecoveryCodes gives userID the recovery codes with hashes, used
// or not, in place of any earlier ones.
func (q queries) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string, now time.Time) error {
	if _, err := q.w.NewDelete().Model((*RecoveryCode)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	if len(hashes) == 0 {
		return nil
	}
	codes := make([]*RecoveryCode, len(hashes))
	for i, h := range hashes {
		codes[i] = &RecoveryCode{ID: NewID(), UserID: userID, CodeHash: h, CreatedAt: now}
	}
	if _, err := q.w.NewInsert().Model(&codes).Exec(ctx); err != nil {
		return fmt.Errorf("insert recovery codes: %w", err)
	}
	return nil
}

// UseRecoveryCode marks userID's unused recovery code with hash used at
// now, and reports false when there is no such unused code.
func (q queries) UseRecoveryCode(ctx context.Context, userID int64, hash string, now time.Time) (bool, error) {
	res, err := q.w.NewUpdate().Model((*RecoveryCode)(nil)).
		Set("used_at = ?", now).
		Where("user_id = ?", userID).
		Where("code_hash = ?", hash).
		Where("used_at IS NULL").
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CountUnusedRecoveryCodes counts userID's recovery codes not yet used.
func (q queries) CountUnusedRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	n, err := q.r.NewSelect().Model((*RecoveryCode)(nil)).
		Where("user_id = ?", userID).
		Where("used_at IS NULL").
		Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return int(n), nil
}

// InsertSignInChallenge stores a new challenge, and drops those that
// expired before c was made.
func (q queries) InsertSignInChallenge(ctx context.Context, c *SignInChallenge) error {
	if _, err := q.w.NewDelete().Model((*SignInChallenge)(nil)).Where("expires_at < ?", c.CreatedAt).Exec(ctx); err != nil {
		return fmt.Errorf("drop expired sign-in challenges: %w", err)
	}
	if _, err := q.w.NewInsert().Model(c).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("sign-in challenge: %w", ErrConflict)
		}
		return fmt.Errorf("insert sign-in challenge: %w", err)
	}
	return nil
}

// TakeSignInAttempt counts one attempt at the challenge with hash and
// returns the challenge as it is after that. It returns ErrNotFound when the
// challenge is unknown, used, expired at now, or has had maxAttempts
// attempts already. Inside a transaction it also locks the row, so that
// attempts at one challenge go one at a time.
func (q queries) TakeSignInAttempt(ctx context.Context, hash string, now time.Time, maxAttempts int) (*SignInChallenge, error) {
	res, err := q.w.NewUpdate().Model((*SignInChallenge)(nil)).
		Set("attempts = attempts + 1").
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Where("expires_at > ?", now).
		Where("attempts < ?", maxAttempts).
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("count sign-in attempt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	c := new(SignInChallenge)
	if err := q.w.NewSelect().Model(c).Where("token_hash = ?", hash).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return c, nil
}

// SignInChallengeByHash returns the unused challenge with hash that has not
// expired at now.
func (q queries) SignInChallengeByHash(ctx context.Context, hash string, now time.Time) (*SignInChallenge, error) {
	c := new(SignInChallenge)
	err := q.r.NewSelect().Model(c).
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Where("expires_at > ?", now).
		Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return c, nil
}

// UseSignInChallenge marks the challenge with hash used at now. It returns
// ErrNotFound when it already was.
func (q queries) UseSignInChallenge(ctx context.Context, hash string, now time.Time) error {
	res, err := q.w.NewUpdate().Model((*SignInChallenge)(nil)).
		Set("used_at = ?", now).
		Where("token_hash = ?", hash).
		Where("used_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("use sign-in challenge: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
