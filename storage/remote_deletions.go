package storage

import (
	"context"
	"fmt"
	"time"
)

// MarkDeletedByOrigin records that accountID's own server deleted it at t,
// the time its deletion wrote to suspended_at (DeleteAccountContent).
func (q queries) MarkDeletedByOrigin(ctx context.Context, accountID int64, t time.Time) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO remote_deletions (account_id, deleted_at) VALUES (?, ?)
ON CONFLICT (account_id) DO UPDATE SET deleted_at = excluded.deleted_at`, accountID, t)
	if err != nil {
		return fmt.Errorf("mark remote deletion: %w", err)
	}
	return nil
}

// DeletedByOrigin reports whether accountID is suspended only because its
// own server deleted it: nobody here has suspended it since.
func (q queries) DeletedByOrigin(ctx context.Context, accountID int64) (bool, error) {
	ok, err := q.r.NewSelect().Table("remote_deletions").
		Where("account_id = ?", accountID).
		Where("deleted_at = (SELECT suspended_at FROM accounts WHERE accounts.id = ?)", accountID).
		Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("remote deletion of %d: %w", accountID, err)
	}
	return ok, nil
}

// LiftDeletionByOrigin lifts accountID's suspension at now when it is still
// the one its own server's deletion set, and forgets the deletion; it
// reports whether it lifted anything.
func (q queries) LiftDeletionByOrigin(ctx context.Context, accountID int64, now time.Time) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE accounts SET suspended_at = NULL, updated_at = ? WHERE id = ? AND suspended_at = (
	SELECT deleted_at FROM remote_deletions WHERE account_id = ?)`, now, accountID, accountID)
	if err != nil {
		return false, fmt.Errorf("lift remote deletion: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		return false, nil
	}
	return true, q.ForgetDeletionByOrigin(ctx, accountID)
}

// ForgetDeletionByOrigin drops the record of accountID's deletion by its own
// server, so that no later Update of it lifts anything.
func (q queries) ForgetDeletionByOrigin(ctx context.Context, accountID int64) error {
	if _, err := q.w.ExecContext(ctx, "DELETE FROM remote_deletions WHERE account_id = ?", accountID); err != nil {
		return fmt.Errorf("forget remote deletion: %w", err)
	}
	return nil
}
