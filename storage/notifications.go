package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Notification tells a local account that something happened.
type Notification struct {
	bun.BaseModel `bun:"table:notifications,alias:n"`

	ID            int64  `bun:",pk"`
	AccountID     int64  `bun:",notnull"`
	FromAccountID int64  `bun:",notnull"`
	Type          string `bun:",notnull"`
	StatusID      *int64
	CreatedAt     time.Time `bun:",notnull"`
	// Filtered notifications wait in a notification request, out of the
	// list, the streams and Web Push, until the request is accepted.
	Filtered bool `bun:",notnull"`

	FromAccount *Account `bun:"rel:belongs-to,join:from_account_id=id"`
	Status      *Status  `bun:"rel:belongs-to,join:status_id=id"`
}

// InsertNotification stores n.
func (q queries) InsertNotification(ctx context.Context, n *Notification) error {
	if _, err := q.execP(ctx, stmtInsertNotification, notificationValues(n)...); err != nil {
		return fmt.Errorf("insert notification: %w", err)
	}
	return nil
}

var (
	insertNotificationSQL, notificationValues = func() (string, func(*Notification) []any) {
		q, values := insertSQL((*Notification)(nil), "")
		return q, func(n *Notification) []any { return values(n) }
	}()
	stmtInsertNotification = prepareWrite(insertNotificationSQL)
)

// Notifications pages accountID's notifications, newest first, keeping only
// the given types when types is not empty and dropping excluded ones.
// Filtered notifications (those in notification requests) are left out.
func (q queries) Notifications(ctx context.Context, accountID int64, types, exclude []string, p Page) ([]*Notification, error) {
	return q.NotificationsFrom(ctx, accountID, 0, false, types, exclude, p)
}

// NotificationsFrom is Notifications of fromID alone (when not 0), with
// filtered ones too when includeFiltered.
func (q queries) NotificationsFrom(ctx context.Context, accountID, fromID int64, includeFiltered bool, types, exclude []string, p Page) ([]*Notification, error) {
	var ns []*Notification
	sel := q.r.NewSelect().Model(&ns).Relation("FromAccount").Relation("Status").
		Where("n.account_id = ?", accountID).Where("from_account.suspended_at IS NULL").
		Where("n.from_account_id NOT IN (SELECT target_account_id FROM mutes WHERE account_id = ? AND notifications = ?)", accountID, true)
	if !includeFiltered {
		sel = sel.Where("n.filtered = ?", false)
	}
	if fromID != 0 {
		sel = sel.Where("n.from_account_id = ?", fromID)
	}
	if len(types) > 0 {
		sel = sel.Where("n.type IN (?)", bun.In(types))
	}
	if len(exclude) > 0 {
		sel = sel.Where("n.type NOT IN (?)", bun.In(exclude))
	}
	if err := p.apply(sel, "n.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	reverseIfMin(ns, p)
	return ns, nil
}

// NotificationByID returns one of accountID's notifications.
func (q queries) NotificationByID(ctx context.Context, accountID, id int64) (*Notification, error) {
	n := new(Notification)
	err := q.r.NewSelect().Model(n).Relation("FromAccount").Relation("Status").
		Where("n.account_id = ? AND n.id = ?", accountID, id).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return n, nil
}

// DeleteNotifications removes accountID's notification id, or all of them
// when id is 0.
func (q queries) DeleteNotifications(ctx context.Context, accountID, id int64) error {
	del := q.w.NewDelete().Model((*Notification)(nil)).Where("account_id = ?", accountID)
	if id != 0 {
		del = del.Where("id = ?", id)
	}
	_, err := del.Exec(ctx)
	return err
}
