package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// OutboxActivity is an activity this server sent, stored once however many
// inboxes it goes to.
type OutboxActivity struct {
	bun.BaseModel `bun:"table:outbox_activities"`

	ID        int64  `bun:",pk"`
	URI       string `bun:"uri,notnull"`
	AccountID int64  `bun:",notnull"`
	StatusID  *int64
	Body      string    `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery records where an activity went.
type Delivery struct {
	bun.BaseModel `bun:"table:deliveries"`

	ActivityID int64     `bun:",pk"`
	InboxURL   string    `bun:",pk"`
	State      string    `bun:",notnull"`
	Attempts   int       `bun:",notnull"`
	LastError  string    `bun:",notnull"`
	UpdatedAt  time.Time `bun:",notnull"`
	// NextAttemptAt is when a pending delivery is tried again.
	NextAttemptAt *time.Time
}

// InsertOutboxActivity stores a and a pending delivery to each inbox.
func (q queries) InsertOutboxActivity(ctx context.Context, a *OutboxActivity, inboxes []string) error {
	if _, err := q.w.NewInsert().Model(a).Exec(ctx); err != nil {
		return fmt.Errorf("insert outbox activity: %w", err)
	}
	if len(inboxes) == 0 {
		return nil
	}
	ds := make([]Delivery, len(inboxes))
	for i, in := range inboxes {
		ds[i] = Delivery{ActivityID: a.ID, InboxURL: in, State: DeliveryPending, UpdatedAt: a.CreatedAt}
	}
	if _, err := q.w.NewInsert().Model(&ds).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("insert deliveries: %w", err)
	}
	return nil
}

// OutboxActivityByID returns the stored activity id.
func (q queries) OutboxActivityByID(ctx context.Context, id int64) (*OutboxActivity, error) {
	a := new(OutboxActivity)
	if err := q.r.NewSelect().Model(a).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// RecordDelivery saves the outcome of one attempt to deliver an activity.
func (q queries) RecordDelivery(ctx context.Context, activityID int64, inbox, state, lastErr string, attempt int, t time.Time, next *time.Time) error {
	_, err := q.execP(ctx, stmtRecordDelivery, state, attempt, lastErr, t, next, activityID, inbox)
	return err
}

var (
	stmtRecordDelivery    = prepareWrite("UPDATE deliveries SET state = ?, attempts = ?, last_error = ?, updated_at = ?, next_attempt_at = ? WHERE activity_id = ? AND inbox_url = ?")
	stmtDomainUnavailable = prepareRead("SELECT EXISTS (SELECT 1 FROM domain_health WHERE domain = ? AND unavailable_since IS NOT NULL)")
	stmtDomainSuccess     = prepareWrite(`UPDATE domain_health SET consecutive_failures = 0, first_failure_at = NULL, unavailable_since = NULL, last_success_at = ?
WHERE domain = ? AND (consecutive_failures > 0 OR unavailable_since IS NOT NULL)`)
)

// PendingInboxes returns which of inboxes still wait for activityID.
func (q queries) PendingInboxes(ctx context.Context, activityID int64, inboxes []string) ([]string, error) {
	var pending []string
	err := q.r.NewSelect().Model((*Delivery)(nil)).Column("inbox_url").
		Where("activity_id = ? AND state = ?", activityID, DeliveryPending).
		Where("inbox_url IN (?)", bun.In(inboxes)).
		Scan(ctx, &pending)
	return pending, err
}

// DeliveriesOf lists where a status's activities went.
func (q queries) DeliveriesOf(ctx context.Context, statusID int64) ([]Delivery, error) {
	var ds []Delivery
	err := q.r.NewSelect().Model(&ds).
		Where("activity_id IN (SELECT id FROM outbox_activities WHERE status_id = ?)", statusID).
		OrderExpr("inbox_url").Scan(ctx)
	return ds, err
}

// MarkReceived records that the activity uri was applied; it reports false
// when it was already, so the caller skips it.
func (q queries) MarkReceived(ctx context.Context, uri string, t time.Time) (bool, error) {
	res, err := q.execP(ctx, stmtMarkReceived, uri, t)
	if err != nil {
		return false, fmt.Errorf("mark activity received: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

var stmtMarkReceived = prepareWrite("INSERT INTO received_activities (uri, received_at) VALUES (?, ?) ON CONFLICT DO NOTHING")

// DomainHealth tracks whether a remote server answers deliveries.
type DomainHealth struct {
	bun.BaseModel `bun:"table:domain_health"`

	Domain              string `bun:",pk"`
	ConsecutiveFailures int    `bun:",notnull"`
	FirstFailureAt      *time.Time
	UnavailableSince    *time.Time
	LastSuccessAt       *time.Time
	LastFailureAt       *time.Time
}

// DomainUnavailable reports whether domain is marked unavailable.
func (q queries) DomainUnavailable(ctx context.Context, domain string) (bool, error) {
	return q.existsP(ctx, stmtDomainUnavailable, domain)
}

// RecordDomainSuccess clears a domain's failures. Only domains that have
// failed have a row: the common case writes nothing.
func (q queries) RecordDomainSuccess(ctx context.Context, domain string, t time.Time) error {
	_, err := q.execP(ctx, stmtDomainSuccess, t, domain)
	return err
}

// RecordDomainFailure counts a failure. A domain that has failed without a
// single success for longer than after is marked unavailable: a brief outage
// (a restart, a deploy) never is.
func (q queries) RecordDomainFailure(ctx context.Context, domain string, t time.Time, after time.Duration) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO domain_health (domain, consecutive_failures, first_failure_at, last_failure_at) VALUES (?, 1, ?, ?)
ON CONFLICT (domain) DO UPDATE SET consecutive_failures = domain_health.consecutive_failures + 1,
	first_failure_at = COALESCE(domain_health.first_failure_at, excluded.first_failure_at), last_failure_at = excluded.last_failure_at`, domain, t, t)
	if err != nil {
		return err
	}
	_, err = q.w.ExecContext(ctx, `UPDATE domain_health SET unavailable_since = ? WHERE domain = ? AND unavailable_since IS NULL AND first_failure_at < ?`, t, domain, t.Add(-after))
	return err
}

// UnmarkReceived forgets that the activity uri was received.
func (q queries) UnmarkReceived(ctx context.Context, uri string) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM received_activities WHERE uri = ?", uri)
	return err
}
