package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ScheduledStatus is a post its author asked to publish at ScheduledAt.
type ScheduledStatus struct {
	bun.BaseModel `bun:"table:scheduled_statuses,alias:ss"`

	ID          int64     `bun:",pk"`
	AccountID   int64     `bun:",notnull"`
	ScheduledAt time.Time `bun:",notnull"`
	// Params is what the author wrote, as JSON (the social package's
	// ScheduledParams).
	Params         string    `bun:",notnull"`
	IdempotencyKey string    `bun:",notnull"`
	Error          string    `bun:",notnull"`
	CreatedAt      time.Time `bun:",notnull"`
}

// InsertScheduledStatus stores ss.
func (q queries) InsertScheduledStatus(ctx context.Context, ss *ScheduledStatus) error {
	if _, err := q.w.NewInsert().Model(ss).Exec(ctx); err != nil {
		return fmt.Errorf("insert scheduled status: %w", err)
	}
	return nil
}

// ScheduledStatusByID returns the scheduled status id.
func (q queries) ScheduledStatusByID(ctx context.Context, id int64) (*ScheduledStatus, error) {
	ss := new(ScheduledStatus)
	if err := q.r.NewSelect().Model(ss).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return ss, nil
}

// ScheduledStatusByIdempotencyKey returns accountID's scheduled status made
// with key since since.
func (q queries) ScheduledStatusByIdempotencyKey(ctx context.Context, accountID int64, key string, since time.Time) (*ScheduledStatus, error) {
	ss := new(ScheduledStatus)
	err := q.r.NewSelect().Model(ss).Where("account_id = ? AND idempotency_key = ? AND created_at > ?", accountID, key, since).
		OrderExpr("id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return ss, nil
}

// ScheduledStatuses returns a page of accountID's scheduled statuses, by id,
// newest first.
func (q queries) ScheduledStatuses(ctx context.Context, accountID int64, p Page) ([]*ScheduledStatus, error) {
	var out []*ScheduledStatus
	sel := p.apply(q.r.NewSelect().Model(&out).Where("account_id = ?", accountID), "ss.id")
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("scheduled statuses: %w", err)
	}
	if p.MinID > 0 {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// CountScheduledStatuses counts accountID's scheduled statuses, all of them
// when from is zero, otherwise those due in [from, to), leaving out
// exceptID (the one being moved).
func (q queries) CountScheduledStatuses(ctx context.Context, accountID int64, from, to time.Time, exceptID int64) (int, error) {
	sel := q.r.NewSelect().Model((*ScheduledStatus)(nil)).Where("account_id = ?", accountID).Where("id <> ?", exceptID)
	if !from.IsZero() {
		sel = sel.Where("scheduled_at >= ? AND scheduled_at < ?", from, to)
	}
	n, err := sel.Count(ctx)
	return int(n), err
}

// UpdateScheduledStatus saves ss's time and error.
func (q queries) UpdateScheduledStatus(ctx context.Context, ss *ScheduledStatus) error {
	_, err := q.w.NewUpdate().Model(ss).Column("scheduled_at", "error").WherePK().Exec(ctx)
	return err
}

// DeleteScheduledStatus deletes the scheduled status id and frees the images
// it held; it reports whether it was there. Of two transactions deleting
// the same row, only one sees it deleted.
func (q queries) DeleteScheduledStatus(ctx context.Context, id int64) (bool, error) {
	if _, err := q.w.NewUpdate().Model((*Media)(nil)).Set("scheduled_status_id = NULL").Where("scheduled_status_id = ?", id).Exec(ctx); err != nil {
		return false, err
	}
	res, err := q.w.NewDelete().Model((*ScheduledStatus)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("delete scheduled status: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// HoldMedia marks accountID's images ids as held by the scheduled status
// id; it reports false, holding none, unless every one of them is the
// account's and free (not attached, nor held, nor kept for an edit's
// history).
func (q queries) HoldMedia(ctx context.Context, accountID, id int64, ids []int64) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	res, err := q.w.NewUpdate().Model((*Media)(nil)).Set("scheduled_status_id = ?", id).
		Where("id IN (?)", bun.In(ids)).Where("account_id = ?", accountID).
		Where("status_id IS NULL AND removed_from_status_id IS NULL AND scheduled_status_id IS NULL").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == int64(len(ids)), nil
}

// ScheduledStatusMedia returns the images held by the scheduled status id.
func (q queries) ScheduledStatusMedia(ctx context.Context, id int64) ([]*Media, error) {
	var ms []*Media
	err := q.r.NewSelect().Model(&ms).Where("scheduled_status_id = ?", id).OrderExpr("id").Scan(ctx)
	return ms, err
}

// LockScheduling holds accountID's scheduled posts until tx ends, so that
// two requests at once cannot both pass the limits' counts. SQLite needs
// nothing: its transactions already take the write lock when they begin.
func (tx Tx) LockScheduling(ctx context.Context, accountID int64) error {
	if tx.dialect != Postgres {
		return nil
	}
	_, err := tx.tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(?))", fmt.Sprintf("scheduled_statuses:%d", accountID))
	return err
}
