package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Follow is one account following another; pending while AcceptedAt is nil.
type Follow struct {
	bun.BaseModel `bun:"table:follows,alias:f"`

	ID              int64  `bun:",pk"`
	AccountID       int64  `bun:",notnull"`
	TargetAccountID int64  `bun:",notnull"`
	URI             string `bun:"uri,notnull"`
	ShowReblogs     bool   `bun:",notnull"`
	Notify          bool   `bun:",notnull"`
	AcceptedAt      *time.Time
	CreatedAt       time.Time `bun:",notnull"`
}

// InsertFollow stores f, or returns the existing follow of the same pair
// (with ErrConflict) so that a repeated Follow is not an error to callers
// that expect it.
func (q queries) InsertFollow(ctx context.Context, f *Follow) error {
	if _, err := q.w.NewInsert().Model(f).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("follow: %w", ErrConflict)
		}
		return fmt.Errorf("insert follow: %w", err)
	}
	if f.AcceptedAt != nil {
		return q.backfillFeed(ctx, f.AccountID, f.TargetAccountID)
	}
	return nil
}

// FollowBetween returns the follow of target by account.
func (q queries) FollowBetween(ctx context.Context, accountID, targetID int64) (*Follow, error) {
	f := new(Follow)
	err := q.r.NewSelect().Model(f).Where("account_id = ? AND target_account_id = ?", accountID, targetID).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return f, nil
}

// FollowByURI returns the follow created by the Follow activity uri.
func (q queries) FollowByURI(ctx context.Context, uri string) (*Follow, error) {
	f := new(Follow)
	if err := q.r.NewSelect().Model(f).Where("uri = ?", uri).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return f, nil
}

// AcceptFollow marks f accepted at t.
func (q queries) AcceptFollow(ctx context.Context, f *Follow, t time.Time) error {
	f.AcceptedAt = &t
	if _, err := q.w.NewUpdate().Model(f).Column("accepted_at").WherePK().Exec(ctx); err != nil {
		return err
	}
	return q.backfillFeed(ctx, f.AccountID, f.TargetAccountID)
}

// SetFollowURI makes uri the id of the Follow activity behind f.
func (q queries) SetFollowURI(ctx context.Context, f *Follow, uri string) error {
	f.URI = uri
	_, err := q.w.NewUpdate().Model(f).Column("uri").WherePK().Exec(ctx)
	return err
}

// DeleteFollow removes f, the followed account from the follower's lists,
// and its posts from the follower's home feed.
func (q queries) DeleteFollow(ctx context.Context, f *Follow) error {
	if _, err := q.w.NewDelete().Model(f).WherePK().Exec(ctx); err != nil {
		return err
	}
	if err := q.dropFromLists(ctx, f.AccountID, f.TargetAccountID); err != nil {
		return err
	}
	// Only followed accounts are endorsed: the endorsement ends with the
	// follow rather than coming back with a later one.
	if err := q.Unendorse(ctx, f.AccountID, f.TargetAccountID); err != nil {
		return err
	}
	return q.dropFromFeed(ctx, f.AccountID, f.TargetAccountID)
}

// FollowerInboxes returns the distinct inboxes of target's accepted remote
// followers, preferring each server's shared inbox, so that one delivery
// reaches every follower on a server.
func (q queries) FollowerInboxes(ctx context.Context, targetID int64) ([]string, error) {
	var inboxes []string
	err := q.r.NewSelect().
		ColumnExpr("DISTINCT CASE WHEN a.shared_inbox_url <> '' THEN a.shared_inbox_url ELSE a.inbox_url END").
		TableExpr("follows AS f").
		Join("JOIN accounts AS a ON a.id = f.account_id").
		Where("f.target_account_id = ?", targetID).
		Where("f.accepted_at IS NOT NULL").
		Where("a.domain <> ''").
		Scan(ctx, &inboxes)
	return inboxes, err
}

// FollowerCount and FollowingCount count accepted follows.
func (q queries) FollowerCount(ctx context.Context, accountID int64) (int, error) {
	n, err := q.r.NewSelect().Model((*Follow)(nil)).Where("target_account_id = ? AND accepted_at IS NOT NULL", accountID).Count(ctx)
	return int(n), err
}

// FollowingCount counts the accounts accountID follows.
func (q queries) FollowingCount(ctx context.Context, accountID int64) (int, error) {
	n, err := q.r.NewSelect().Model((*Follow)(nil)).Where("account_id = ? AND accepted_at IS NOT NULL", accountID).Count(ctx)
	return int(n), err
}

// HasLocalFollowerOf reports whether any local account follows accountID.
func (q queries) HasLocalFollowerOf(ctx context.Context, accountID int64) (bool, error) {
	return q.existsP(ctx, stmtHasLocalFollower, accountID)
}

var stmtHasLocalFollower = prepareRead("SELECT EXISTS (SELECT 1 FROM follows AS f JOIN accounts AS a ON a.id = f.account_id WHERE f.target_account_id = ? AND f.accepted_at IS NOT NULL AND a.domain = '')")

// FollowByID returns the follow id.
func (q queries) FollowByID(ctx context.Context, id int64) (*Follow, error) {
	f := new(Follow)
	if err := q.r.NewSelect().Model(f).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return f, nil
}

// FollowerURIs returns, newest first, the actor ids of accountID's accepted
// followers (or of the accounts it follows, when following is true), paged
// by follow id; it also returns the follow id of the last item.
func (q queries) FollowURIs(ctx context.Context, accountID int64, following bool, maxID int64, limit int) ([]string, int64, error) {
	var rows []struct {
		ID  int64
		URI string
	}
	other, mine := "f.account_id", "f.target_account_id"
	if following {
		other, mine = "f.target_account_id", "f.account_id"
	}
	sel := q.r.NewSelect().ColumnExpr("f.id, a.uri").TableExpr("follows AS f").
		Join("JOIN accounts AS a ON a.id = "+other).
		Where(mine+" = ?", accountID).Where("f.accepted_at IS NOT NULL").
		OrderExpr("f.id DESC").Limit(int64(limit))
	if maxID > 0 {
		sel = sel.Where("f.id < ?", maxID)
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, 0, err
	}
	uris := make([]string, len(rows))
	var last int64
	for i, r := range rows {
		uris[i] = r.URI
		last = r.ID
	}
	return uris, last, nil
}

// PendingFollowers returns the accounts waiting for targetID to accept
// their follow, oldest first.
func (q queries) PendingFollowers(ctx context.Context, targetID int64, limit int) ([]*Account, error) {
	var accts []*Account
	err := q.r.NewSelect().Model(&accts).
		Join("JOIN follows AS f ON f.account_id = account.id").
		Where("f.target_account_id = ? AND f.accepted_at IS NULL", targetID).
		OrderExpr("f.id ASC").Limit(int64(limit)).Scan(ctx)
	return accts, err
}

// FollowAccounts pages the accounts following accountID (or followed by it,
// when following), newest follow first; the follow ids are the cursors.
func (q queries) FollowAccounts(ctx context.Context, accountID int64, following bool, p Page) ([]*Account, []int64, error) {
	var rows []struct {
		FollowID int64 `bun:"follow_id"`
		Account
	}
	other, mine := "f.account_id", "f.target_account_id"
	if following {
		other, mine = "f.target_account_id", "f.account_id"
	}
	sel := q.r.NewSelect().ColumnExpr("f.id AS follow_id, a.*").TableExpr("follows AS f").
		Join("JOIN accounts AS a ON a.id = "+other).
		Where(mine+" = ?", accountID).Where("f.accepted_at IS NOT NULL").Where("a.suspended_at IS NULL")
	sel = p.apply(sel, "f.id")
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, nil, fmt.Errorf("follow list: %w", err)
	}
	if p.MinID > 0 {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	accts := make([]*Account, len(rows))
	ids := make([]int64, len(rows))
	for i := range rows {
		a := rows[i].Account
		accts[i], ids[i] = &a, rows[i].FollowID
	}
	return accts, ids, nil
}
