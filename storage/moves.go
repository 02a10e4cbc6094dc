package storage

import (
	"context"
	"fmt"
)

// LocalFollowersOf returns the local accounts that follow targetID, the
// follow accepted or not, oldest follow first.
func (q queries) LocalFollowersOf(ctx context.Context, targetID int64) ([]*Account, error) {
	var out []*Account
	err := q.r.NewSelect().Model(&out).
		Join("JOIN follows AS f ON f.account_id = account.id").
		Where("f.target_account_id = ?", targetID).
		Where("account.domain = ''").
		OrderExpr("f.id ASC").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("local followers of %d: %w", targetID, err)
	}
	return out, nil
}
