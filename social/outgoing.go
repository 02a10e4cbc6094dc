package social

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// DeliverArgs is the durable job that sends one stored activity to one
// inbox.
type DeliverArgs struct {
	ActivityID int64  `json:"activity_id,string"`
	Inbox      string `json:"inbox"`
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

// QueueDelivery stores an outgoing activity once and queues one delivery job
// per inbox, in one transaction; inboxes are de-duplicated.
func (s *Service) QueueDelivery(ctx context.Context, out Outgoing, inboxes []string) error {
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
		jobs := make([]river.JobArgs, len(unique))
		for i, in := range unique {
			jobs[i] = DeliverArgs{ActivityID: a.ID, Inbox: in}
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

// RecordDeliveryResult saves the outcome of one delivery attempt and the
// health of the inbox's domain.
func (s *Service) RecordDeliveryResult(ctx context.Context, d DeliverArgs, domain, state, lastErr string, attempt int) error {
	now := s.now()
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.RecordDelivery(ctx, d.ActivityID, d.Inbox, state, lastErr, attempt, now); err != nil {
			return err
		}
		if state == storage.DeliveryDelivered {
			return tx.RecordDomainSuccess(ctx, domain, now)
		}
		if lastErr != "" {
			return tx.RecordDomainFailure(ctx, domain, now, DomainUnavailableAfter)
		}
		return nil
	})
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
