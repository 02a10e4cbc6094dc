package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// NotificationPolicy is what a local account does with notifications from
// people it does not know: each For field is accept, filter or drop.
type NotificationPolicy struct {
	bun.BaseModel `bun:"table:notification_policies"`

	AccountID          int64  `bun:",pk"`
	ForNotFollowing    string `bun:",notnull"`
	ForNotFollowers    string `bun:",notnull"`
	ForNewAccounts     string `bun:",notnull"`
	ForPrivateMentions string `bun:",notnull"`
	ForLimitedAccounts string `bun:",notnull"`
}

// NotificationPolicy returns accountID's policy, ErrNotFound when it never
// set one.
func (q queries) NotificationPolicy(ctx context.Context, accountID int64) (*NotificationPolicy, error) {
	p := new(NotificationPolicy)
	if err := q.r.NewSelect().Model(p).Where("account_id = ?", accountID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return p, nil
}

// SaveNotificationPolicy stores p, replacing the account's former policy.
func (q queries) SaveNotificationPolicy(ctx context.Context, p *NotificationPolicy) error {
	_, err := q.w.NewInsert().Model(p).On("CONFLICT (account_id) DO UPDATE").
		Set("for_not_following = EXCLUDED.for_not_following").
		Set("for_not_followers = EXCLUDED.for_not_followers").
		Set("for_new_accounts = EXCLUDED.for_new_accounts").
		Set("for_private_mentions = EXCLUDED.for_private_mentions").
		Set("for_limited_accounts = EXCLUDED.for_limited_accounts").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("save notification policy: %w", err)
	}
	return nil
}

// NotificationRequest gathers the filtered notifications one sender caused
// a local account.
type NotificationRequest struct {
	bun.BaseModel `bun:"table:notification_requests,alias:nr"`

	ID            int64 `bun:",pk"`
	AccountID     int64 `bun:",notnull"`
	FromAccountID int64 `bun:",notnull"`
	LastStatusID  *int64
	CreatedAt     time.Time `bun:",notnull"`
	UpdatedAt     time.Time `bun:",notnull"`
	// NotificationsCount is how many filtered notifications it holds.
	NotificationsCount int `bun:",scanonly"`

	FromAccount *Account `bun:"rel:belongs-to,join:from_account_id=id"`
	LastStatus  *Status  `bun:"rel:belongs-to,join:last_status_id=id"`
}

// countFiltered is the number of filtered notifications of a request.
const countFiltered = "(SELECT COUNT(*) FROM notifications fn WHERE fn.account_id = nr.account_id AND fn.from_account_id = nr.from_account_id AND fn.filtered = ?)"

// FileNotificationRequest records that a notification from fromID to
// accountID was filtered: the pair's request is made, or its time and last
// status brought up to date.
func (q queries) FileNotificationRequest(ctx context.Context, accountID, fromID int64, statusID *int64, at time.Time) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO notification_requests (id, account_id, from_account_id, last_status_id, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (account_id, from_account_id) DO UPDATE SET updated_at = EXCLUDED.updated_at,
last_status_id = COALESCE(EXCLUDED.last_status_id, notification_requests.last_status_id)`,
		NewID(), accountID, fromID, statusID, at, at)
	if err != nil {
		return fmt.Errorf("file notification request: %w", err)
	}
	return nil
}

func (q queries) notificationRequests(model any, accountID int64) *bun.SelectQuery {
	return q.r.NewSelect().Model(model).Relation("FromAccount").Relation("LastStatus").
		ColumnExpr("nr.*").ColumnExpr(countFiltered+" AS notifications_count", true).
		Where("nr.account_id = ?", accountID).Where("from_account.suspended_at IS NULL").
		// A request whose notifications all went (their posts deleted)
		// has nothing left to show.
		Where("EXISTS (SELECT 1 FROM notifications fn WHERE fn.account_id = nr.account_id AND fn.from_account_id = nr.from_account_id AND fn.filtered = ?)", true)
}

// NotificationRequests pages accountID's requests, newest first.
func (q queries) NotificationRequests(ctx context.Context, accountID int64, p Page) ([]*NotificationRequest, error) {
	var rs []*NotificationRequest
	sel := q.notificationRequests(&rs, accountID)
	if err := p.apply(sel, "nr.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("notification requests: %w", err)
	}
	reverseIfMin(rs, p)
	return rs, nil
}

// NotificationRequestByID returns one of accountID's requests.
func (q queries) NotificationRequestByID(ctx context.Context, accountID, id int64) (*NotificationRequest, error) {
	r := new(NotificationRequest)
	if err := q.notificationRequests(r, accountID).Where("nr.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// AcceptNotificationRequest lets the request's sender through from now on
// and moves its filtered notifications into the list, returning them.
func (q queries) AcceptNotificationRequest(ctx context.Context, r *NotificationRequest) ([]int64, error) {
	if _, err := q.w.ExecContext(ctx, "INSERT INTO notification_permissions (account_id, from_account_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
		r.AccountID, r.FromAccountID); err != nil {
		return nil, fmt.Errorf("accept notification request: %w", err)
	}
	var ids []int64
	if err := q.w.NewSelect().Table("notifications").Column("id").
		Where("account_id = ? AND from_account_id = ? AND filtered = ?", r.AccountID, r.FromAccountID, true).
		Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("accept notification request: %w", err)
	}
	if _, err := q.w.ExecContext(ctx, "UPDATE notifications SET filtered = ? WHERE account_id = ? AND from_account_id = ? AND filtered = ?",
		false, r.AccountID, r.FromAccountID, true); err != nil {
		return nil, fmt.Errorf("accept notification request: %w", err)
	}
	return ids, q.deleteNotificationRequest(ctx, r)
}

// DismissNotificationRequest removes the request and the notifications it
// held; the sender's next filtered notification opens a new one.
func (q queries) DismissNotificationRequest(ctx context.Context, r *NotificationRequest) error {
	if _, err := q.w.ExecContext(ctx, "DELETE FROM notifications WHERE account_id = ? AND from_account_id = ? AND filtered = ?",
		r.AccountID, r.FromAccountID, true); err != nil {
		return fmt.Errorf("dismiss notification request: %w", err)
	}
	return q.deleteNotificationRequest(ctx, r)
}

func (q queries) deleteNotificationRequest(ctx context.Context, r *NotificationRequest) error {
	if _, err := q.w.ExecContext(ctx, "DELETE FROM notification_requests WHERE id = ?", r.ID); err != nil {
		return fmt.Errorf("delete notification request: %w", err)
	}
	return nil
}

// NotificationPermitted reports whether accountID accepted fromID's
// request once.
func (q queries) NotificationPermitted(ctx context.Context, accountID, fromID int64) (bool, error) {
	return q.r.NewSelect().Table("notification_permissions").
		Where("account_id = ? AND from_account_id = ?", accountID, fromID).Exists(ctx)
}

// PendingNotifications counts accountID's requests and the filtered
// notifications they hold.
func (q queries) PendingNotifications(ctx context.Context, accountID int64) (requests, notifications int, err error) {
	var rs []*NotificationRequest
	n, err := q.notificationRequests(&rs, accountID).Count(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("pending notification requests: %w", err)
	}
	m, err := q.r.NewSelect().Table("notifications").
		Where("account_id = ? AND filtered = ?", accountID, true).
		Where("from_account_id IN (SELECT from_account_id FROM notification_requests WHERE account_id = ?)", accountID).
		Count(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("pending notifications: %w", err)
	}
	return int(n), int(m), nil
}
