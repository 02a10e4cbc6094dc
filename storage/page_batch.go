package storage

import (
	"context"

	"github.com/uptrace/bun"
)

// StatusesByIDs returns, by id, the statuses among ids that exist, each
// with its author but without the author's keys (as a timeline reads
// them): one query for what StatusByID would read one by one.
func (q queries) StatusesByIDs(ctx context.Context, ids []int64) (map[int64]*Status, error) {
	out := make(map[int64]*Status, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var sts []*Status
	if err := q.scanAllP(ctx, stmtStatusesByIDs, &sts, IDs(ids)); err != nil {
		return nil, err
	}
	for _, st := range sts {
		out[st.ID] = st
	}
	return out, nil
}

var stmtStatusesByIDs = prepareRead("SELECT " + statusColumns("PublicKeyPEM", "PrivateKeyPEM") +
	" FROM statuses AS s LEFT JOIN accounts AS account ON account.id = s.account_id WHERE s.id {ids}")

// BlockersAmong returns which of accountIDs block targetID: one query for
// what BlockBetween(id, targetID) would ask of each.
func (q queries) BlockersAmong(ctx context.Context, accountIDs []int64, targetID int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(accountIDs) == 0 {
		return out, nil
	}
	var ids []int64
	if err := q.r.NewSelect().Model((*Block)(nil)).Column("account_id").
		Where("target_account_id = ? AND account_id IN (?)", targetID, bun.In(accountIDs)).Scan(ctx, &ids); err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
