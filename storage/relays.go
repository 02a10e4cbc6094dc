package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Relay states: a Follow was sent and not yet answered, the relay accepted
// or rejected it.
const (
	RelayPending  = "pending"
	RelayAccepted = "accepted"
	RelayRejected = "rejected"
)

// Relay is an ActivityPub relay the server subscribes to.
type Relay struct {
	bun.BaseModel `bun:"table:relays,alias:r"`

	ID  int64  `bun:",pk"`
	URL string `bun:",notnull"` // as the admin gave it
	// InboxURL is where our public posts go; ActorURI is the relay's actor
	// once known, FollowObject what our Follow named.
	InboxURL     string `bun:",notnull"`
	ActorURI     string `bun:",notnull"`
	FollowObject string `bun:",notnull"`
	FollowURI    string `bun:",notnull"`
	State        string `bun:",notnull"`
	Enabled      bool   `bun:",notnull"`
	// Dropped counts deliveries from the relay left unread because the
	// relay queue was full.
	Dropped   int64     `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
	UpdatedAt time.Time `bun:",notnull"`
}

// InsertRelay stores a new relay; ErrConflict when its URL is there already.
func (q queries) InsertRelay(ctx context.Context, r *Relay) error {
	if _, err := q.w.NewInsert().Model(r).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return ErrConflict
		}
		return fmt.Errorf("insert relay: %w", err)
	}
	return nil
}

// UpdateRelay saves r's inbox, actor, follow, state and enabled flag.
func (q queries) UpdateRelay(ctx context.Context, r *Relay) error {
	res, err := q.w.NewUpdate().Model(r).WherePK().
		Column("inbox_url", "actor_uri", "follow_object", "follow_uri", "state", "enabled", "updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update relay: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteRelay removes a relay.
func (q queries) DeleteRelay(ctx context.Context, id int64) error {
	res, err := q.w.NewDelete().Model((*Relay)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete relay: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RelayByID returns a relay or ErrNotFound.
func (q queries) RelayByID(ctx context.Context, id int64) (*Relay, error) {
	r := new(Relay)
	if err := q.r.NewSelect().Model(r).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// RelayByURL returns the relay the admin gave as url, or ErrNotFound.
func (q queries) RelayByURL(ctx context.Context, url string) (*Relay, error) {
	r := new(Relay)
	if err := q.r.NewSelect().Model(r).Where("url = ?", url).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// RelayByFollow returns the relay our Follow followURI was sent to.
func (q queries) RelayByFollow(ctx context.Context, followURI string) (*Relay, error) {
	r := new(Relay)
	if err := q.r.NewSelect().Model(r).Where("follow_uri = ?", followURI).Limit(1).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// Relays lists every relay, oldest first.
func (q queries) Relays(ctx context.Context) ([]*Relay, error) {
	var out []*Relay
	if err := q.r.NewSelect().Model(&out).Order("id ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list relays: %w", err)
	}
	return out, nil
}

// CountRelayDropped adds n to the deliveries dropped from relay id.
func (q queries) CountRelayDropped(ctx context.Context, id, n int64) error {
	_, err := q.w.NewUpdate().Model((*Relay)(nil)).Set("dropped = dropped + ?", n).Where("id = ?", id).Exec(ctx)
	return err
}

// QueuedJobs counts the jobs of queue not yet finished (waiting, scheduled,
// retrying or running), counting no further than limit.
func (q queries) QueuedJobs(ctx context.Context, queue string, limit int) (int, error) {
	var n int
	err := q.r.NewRaw(`SELECT count(*) FROM (SELECT 1 FROM river_job WHERE queue = ? AND state IN ('available', 'scheduled', 'retryable', 'running', 'pending') LIMIT ?) AS q`, queue, limit).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("count queued jobs: %w", err)
	}
	return n, nil
}
