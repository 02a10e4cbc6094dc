package storage

import (
	"context"
	"fmt"
	"time"
)

// DirectStatusesOutsideConversations returns up to limit direct posts (not
// reblogs) created before before, with ids above after, that no
// conversation holds, oldest first.
func (q queries) DirectStatusesOutsideConversations(ctx context.Context, before time.Time, after int64, limit int) ([]*Status, error) {
	var sts []*Status
	err := q.r.NewSelect().Model(&sts).
		Where("s.visibility = 'direct'").Where("s.reblog_of_id IS NULL").
		Where("s.id > ?", after).Where("s.created_at < ?", before).
		Where("NOT EXISTS (SELECT 1 FROM account_conversation_statuses AS cs WHERE cs.status_id = s.id)").
		OrderExpr("s.id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("direct posts outside conversations: %w", err)
	}
	return sts, nil
}

// MigrationAppliedAt returns when the migration named name was applied,
// and false when it was not.
func (q queries) MigrationAppliedAt(ctx context.Context, name string) (time.Time, bool, error) {
	var at []time.Time
	if err := q.r.NewSelect().TableExpr("schema_migrations").Column("migrated_at").
		Where("name = ?", name).Scan(ctx, &at); err != nil {
		return time.Time{}, false, fmt.Errorf("migration %s: %w", name, err)
	}
	if len(at) == 0 {
		return time.Time{}, false, nil
	}
	return at[0], true, nil
}
