package social

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// DeliveryChunk is how many inboxes one delivery job serves. Each inbox
// has its own durable delivery row (pending, delivered or failed), so a job
// that is retried or rescued after a crash sends only to the inboxes still
// pending; grouping them saves the queue's per-job cost on large fan-outs,
// and a chunk is small enough to finish well within the job timeout.
const DeliveryChunk = 50

// DeliverArgs is the durable job that sends one stored activity to a few
// inboxes.
type DeliverArgs struct {
	ActivityID int64    `json:"activity_id,string"`
	Inboxes    []string `json:"inboxes"`
}

// Kind names the job kind.
func (DeliverArgs) Kind() string { return "deliver" }

// InsertOpts follows Mastodon's schedule: 16 attempts with growing delays,
// over two to three days.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 16, Queue: river.QueueDefault}
}

// Outgoing is an activity ready to send.
type Outgoing struct {
	URI       string
	AccountID int64
	StatusID  int64 // 0 when the activity is not about a status
	Body      []byte
}

// QueueDelivery stores an outgoing activity once, a pending delivery row per
// inbox, and the jobs that send it, in one transaction; inboxes are
// de-duplicated.
func (s *Service) QueueDelivery(ctx context.Context, out Outgoing, inboxes []string) error {
	if s.localOnlyDelivery(ctx, out) {
		s.log.Warn("not delivering an activity about a local-only post", "activity", out.URI, "status_id", out.StatusID)
		return nil
	}
	seen := map[string]bool{}
	var unique []string
	for _, in := range inboxes {
		if in != "" && !seen[in] {
			seen[in] = true
			unique = append(unique, in)
		}
	}
	a := &storage.OutboxActivity{ID: storage.NewID(), URI: out.URI, AccountID: out.AccountID, Body: string(out.Body), CreatedAt: s.now()}
	if out.StatusID != 0 {
		a.StatusID = &out.StatusID
	}
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertOutboxActivity(ctx, a, unique); err != nil {
			return err
		}
		var jobs []river.JobArgs
		for len(unique) > 0 {
			n := min(DeliveryChunk, len(unique))
			jobs = append(jobs, DeliverArgs{ActivityID: a.ID, Inboxes: unique[:n]})
			unique = unique[n:]
		}
		return s.jobs.InsertManyTx(ctx, tx, jobs)
	})
}

// OutboxActivity returns a stored outgoing activity.
func (s *Service) OutboxActivity(ctx context.Context, id int64) (*storage.OutboxActivity, error) {
	a, err := s.db.OutboxActivityByID(ctx, id)
	return a, domainErr(err)
}

// DomainUnavailableAfter is how long a domain may fail without one success
// before deliveries to it are skipped.
const DomainUnavailableAfter = 3 * 24 * time.Hour

// DeliveryResult is the outcome of one attempt to deliver to one inbox.
type DeliveryResult struct {
	Inbox  string
	Domain string // "" when nothing was sent
	State  string // storage.DeliveryPending (retry), Delivered or Failed
	Error  string
}

// RecordDeliveryResults saves the outcomes of one attempt at a chunk of
// inboxes, and the health of their domains, in one transaction.
func (s *Service) RecordDeliveryResults(ctx context.Context, activityID int64, results []DeliveryResult, attempt int, retryAt time.Time) error {
	if len(results) == 0 {
		return nil
	}
	now := s.now()
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		failing := map[string]bool{}
		for _, r := range results {
			var next *time.Time
			if r.State == storage.DeliveryPending && !retryAt.IsZero() {
				next = &retryAt
			}
			if err := tx.RecordDelivery(ctx, activityID, r.Inbox, r.State, r.Error, attempt, now, next); err != nil {
				return err
			}
			if r.Domain == "" {
				continue // not sent at all (a bad URL, a blocked domain): says nothing of the domain's health
			}
			if r.State == storage.DeliveryDelivered {
				if _, seen := failing[r.Domain]; !seen {
					failing[r.Domain] = false
				}
			} else if r.Error != "" {
				failing[r.Domain] = true
			}
		}
		for domain, failed := range failing {
			var err error
			if failed {
				err = tx.RecordDomainFailure(ctx, domain, now, DomainUnavailableAfter)
			} else {
				err = tx.RecordDomainSuccess(ctx, domain, now)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// PendingInboxes returns which of inboxes still wait for activityID.
func (s *Service) PendingInboxes(ctx context.Context, activityID int64, inboxes []string) ([]string, error) {
	return s.db.PendingInboxes(ctx, activityID, inboxes)
}

// DomainUnavailable reports whether deliveries to domain are skipped.
func (s *Service) DomainUnavailable(ctx context.Context, domain string) (bool, error) {
	return s.db.DomainUnavailable(ctx, domain)
}

// DomainAnswered marks domain available again: it sent us something.
func (s *Service) DomainAnswered(ctx context.Context, domain string) error {
	return s.db.RecordDomainSuccess(ctx, domain, s.now())
}

// Deliveries lists where a status's activities went and how that went.
func (s *Service) Deliveries(ctx context.Context, statusID int64) ([]storage.Delivery, error) {
	return s.db.DeliveriesOf(ctx, statusID)
}

// StatusDeliveries lists where me's status went: one row per remote inbox
// (one per server where a shared inbox is known), delivered, pending with
// the next attempt's time, or failed. Only the author may ask; a post still
// waiting out its send delay has gone nowhere yet.
func (s *Service) StatusDeliveries(ctx context.Context, me *storage.Account, statusID int64) (*storage.Status, []storage.Delivery, error) {
	st, err := s.db.StatusByID(ctx, statusID)
	if err != nil {
		return nil, nil, domainErr(err)
	}
	if st.AccountID != me.ID {
		return nil, nil, ErrNotFound
	}
	ds, err := s.db.DeliveriesOf(ctx, statusID)
	return st, ds, err
}
