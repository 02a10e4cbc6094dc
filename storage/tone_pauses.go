package storage

import (
	"context"
	"time"
)

// TonePausedBetween reports whether accountID was asked to pause over the
// text hashed as hash at a time after from and no later than to.
func (q queries) TonePausedBetween(ctx context.Context, accountID int64, hash string, from, to time.Time) (bool, error) {
	n, err := q.r.NewSelect().Table("tone_pauses").
		Where("account_id = ? AND hash = ? AND created_at > ? AND created_at <= ?", accountID, hash, from, to).Count(ctx)
	return n > 0, err
}

// RememberTonePause records that accountID was asked to pause over hash at
// now, unless a pause over it after expired is on record already (the
// wait does not start again), and forgets pauses from expired or before.
func (q queries) RememberTonePause(ctx context.Context, accountID int64, hash string, now, expired time.Time) error {
	if _, err := q.w.ExecContext(ctx, "DELETE FROM tone_pauses WHERE account_id = ? AND created_at <= ?", accountID, expired); err != nil {
		return err
	}
	_, err := q.w.ExecContext(ctx, "INSERT INTO tone_pauses (account_id, hash, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", accountID, hash, now)
	return err
}

// ForgetTonePause removes the pause over hash once its text has gone out.
func (q queries) ForgetTonePause(ctx context.Context, accountID int64, hash string) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM tone_pauses WHERE account_id = ? AND hash = ?", accountID, hash)
	return err
}
