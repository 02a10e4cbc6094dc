package storage

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Marker is where an account stopped reading a timeline ("home" or
// "notifications"), kept so that its apps resume at the same place.
type Marker struct {
	bun.BaseModel `bun:"table:markers,alias:mk"`

	AccountID  int64     `bun:",pk"`
	Timeline   string    `bun:",pk"`
	LastReadID int64     `bun:",notnull"`
	Version    int64     `bun:",notnull"`
	UpdatedAt  time.Time `bun:",notnull"`
}

// SaveMarker sets accountID's marker for timeline to lastReadID, counting
// one more version, and returns it as saved.
func (q queries) SaveMarker(ctx context.Context, accountID int64, timeline string, lastReadID int64, t time.Time) (*Marker, error) {
	if _, err := q.w.ExecContext(ctx, `INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) VALUES (?, ?, ?, 0, ?)
ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = excluded.last_read_id, version = markers.version + 1, updated_at = excluded.updated_at`,
		accountID, timeline, lastReadID, t); err != nil {
		return nil, err
	}
	m := new(Marker)
	if err := q.w.NewSelect().Model(m).Where("account_id = ? AND timeline = ?", accountID, timeline).Scan(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Markers returns accountID's markers for the given timelines (those it
// has saved).
func (q queries) Markers(ctx context.Context, accountID int64, timelines []string) ([]*Marker, error) {
	var ms []*Marker
	if len(timelines) == 0 {
		return nil, nil
	}
	err := q.r.NewSelect().Model(&ms).Where("account_id = ?", accountID).
		Where("timeline IN (?)", bun.In(timelines)).Scan(ctx)
	return ms, err
}
