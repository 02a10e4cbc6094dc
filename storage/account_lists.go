package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// List is a named set of accounts its owner follows, read as a timeline of
// their posts (a Mastodon list).
type List struct {
	bun.BaseModel `bun:"table:lists,alias:l"`

	ID            int64     `bun:",pk"`
	AccountID     int64     `bun:",notnull"`
	Title         string    `bun:",notnull"`
	RepliesPolicy string    `bun:",notnull"`
	Exclusive     bool      `bun:",notnull"`
	CreatedAt     time.Time `bun:",notnull"`
}

// InsertList stores l.
func (q queries) InsertList(ctx context.Context, l *List) error {
	_, err := q.w.NewInsert().Model(l).Exec(ctx)
	return err
}

// UpdateList saves l's title, replies policy and exclusive flag.
func (q queries) UpdateList(ctx context.Context, l *List) error {
	_, err := q.w.NewUpdate().Model(l).Column("title", "replies_policy", "exclusive").WherePK().Exec(ctx)
	return err
}

// DeleteList removes l and its memberships.
func (q queries) DeleteList(ctx context.Context, l *List) error {
	if _, err := q.w.ExecContext(ctx, "DELETE FROM list_accounts WHERE list_id = ?", l.ID); err != nil {
		return err
	}
	_, err := q.w.NewDelete().Model(l).WherePK().Exec(ctx)
	return err
}

// ListByID returns the list id.
func (q queries) ListByID(ctx context.Context, id int64) (*List, error) {
	l := new(List)
	if err := q.r.NewSelect().Model(l).Where("l.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return l, nil
}

// ListsOf returns accountID's lists, oldest first.
func (q queries) ListsOf(ctx context.Context, accountID int64) ([]*List, error) {
	var ls []*List
	err := q.r.NewSelect().Model(&ls).Where("l.account_id = ?", accountID).OrderExpr("l.id ASC").Scan(ctx)
	return ls, err
}

// CountLists counts accountID's lists.
func (q queries) CountLists(ctx context.Context, accountID int64) (int, error) {
	n, err := q.r.NewSelect().Model((*List)(nil)).Where("account_id = ?", accountID).Count(ctx)
	return int(n), err
}

// ListsContaining returns ownerID's lists that memberID is in, oldest
// first.
func (q queries) ListsContaining(ctx context.Context, ownerID, memberID int64) ([]*List, error) {
	var ls []*List
	err := q.r.NewSelect().Model(&ls).Where("l.account_id = ?", ownerID).
		Where("l.id IN (SELECT list_id FROM list_accounts WHERE account_id = ?)", memberID).
		OrderExpr("l.id ASC").Scan(ctx)
	return ls, err
}

// AddListAccounts puts accountIDs in listID; ones already there stay.
func (q queries) AddListAccounts(ctx context.Context, listID int64, accountIDs []int64, t time.Time) error {
	for _, id := range accountIDs {
		if _, err := q.w.ExecContext(ctx, "INSERT INTO list_accounts (id, list_id, account_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", NewID(), listID, id, t); err != nil {
			return fmt.Errorf("add to list: %w", err)
		}
	}
	return nil
}

// InList reports whether accountID is in listID.
func (q queries) InList(ctx context.Context, listID, accountID int64) (bool, error) {
	return q.r.NewSelect().Table("list_accounts").Where("list_id = ? AND account_id = ?", listID, accountID).Exists(ctx)
}

// RemoveListAccounts takes accountIDs out of listID.
func (q queries) RemoveListAccounts(ctx context.Context, listID int64, accountIDs []int64) error {
	if len(accountIDs) == 0 {
		return nil
	}
	_, err := q.w.NewDelete().TableExpr("list_accounts").
		Where("list_id = ? AND account_id IN (?)", listID, bun.In(accountIDs)).Exec(ctx)
	return err
}

// dropFromLists takes targetID out of every list of ownerID, as ownerID
// stops following it.
func (q queries) dropFromLists(ctx context.Context, ownerID, targetID int64) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM list_accounts WHERE account_id = ? AND list_id IN (SELECT id FROM lists WHERE account_id = ?)", targetID, ownerID)
	return err
}

// ListAccounts pages listID's members, most recently added first, with the
// memberships' ids as cursors. A Page with a negative Limit returns them
// all.
func (q queries) ListAccounts(ctx context.Context, listID int64, p Page) ([]*Account, []int64, error) {
	var rows []struct {
		MemberID  int64 `bun:"member_id"`
		AccountID int64 `bun:"account_id"`
	}
	sel := q.r.NewSelect().ColumnExpr("la.id AS member_id, la.account_id").TableExpr("list_accounts AS la").
		Where("la.list_id = ?", listID)
	if p.Limit < 0 {
		sel = sel.OrderExpr("la.id DESC")
	} else {
		sel = p.apply(sel, "la.id")
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, nil, err
	}
	reverseIfMin(rows, p)
	var accts []*Account
	var ids []int64
	for _, r := range rows {
		a, err := q.AccountByID(ctx, r.AccountID)
		if err != nil || a.Suspended() {
			continue
		}
		accts = append(accts, a)
		ids = append(ids, r.MemberID)
	}
	return accts, ids, nil
}

// ListTimeline returns the posts of listID's members that its owner may
// see, newest first: public and unlisted ones, and followers-only ones of
// accounts the owner follows (direct messages stay out, as in Mastodon);
// less posts waiting out their send delay, suspended authors, authors the
// owner mutes or blocks or is blocked by, and boosts of muted or blocked
// accounts. Replies pass by repliesPolicy: "none" keeps only
// replies to oneself, "list" also replies to members (and the owner),
// "followed" also replies to anyone the owner follows.
func (q queries) ListTimeline(ctx context.Context, l *List, p Page) ([]*Status, error) {
	owner := l.AccountID
	var sts []*Status
	sel := q.r.NewSelect().Model(&sts).Relation("Account", withoutKeys).
		Where("s.account_id IN (SELECT account_id FROM list_accounts WHERE list_id = ?)", l.ID).
		Where("s.pending_until IS NULL").
		Where("account.suspended_at IS NULL").
		Where("s.account_id NOT IN (SELECT target_account_id FROM mutes WHERE account_id = ?)", owner).
		Where("s.account_id NOT IN (SELECT target_account_id FROM blocks WHERE account_id = ?)", owner).
		Where("s.account_id NOT IN (SELECT account_id FROM blocks WHERE target_account_id = ?)", owner).
		// A member's boost of someone the owner mutes or blocks stays out too.
		Where(`(s.reblog_of_id IS NULL OR s.reblog_of_id NOT IN (SELECT id FROM statuses WHERE account_id IN
(SELECT target_account_id FROM mutes WHERE account_id = ? UNION SELECT target_account_id FROM blocks WHERE account_id = ?)))`, owner, owner).
		WhereGroup(" AND ", func(sq *bun.SelectQuery) *bun.SelectQuery {
			return sq.Where("s.visibility IN ('public', 'unlisted')").
				WhereOr("s.visibility = 'private' AND EXISTS (SELECT 1 FROM follows AS f WHERE f.account_id = ? AND f.target_account_id = s.account_id AND f.accepted_at IS NOT NULL)", owner)
		})
	switch l.RepliesPolicy {
	case "none":
		sel = sel.Where("(s.in_reply_to_uri = '' OR s.in_reply_to_account_id = s.account_id)")
	case "followed":
		sel = sel.Where(`(s.in_reply_to_uri = '' OR s.in_reply_to_account_id = s.account_id OR s.in_reply_to_account_id = ?
OR s.in_reply_to_account_id IN (SELECT target_account_id FROM follows WHERE account_id = ? AND accepted_at IS NOT NULL))`, owner, owner)
	default: // "list"
		sel = sel.Where(`(s.in_reply_to_uri = '' OR s.in_reply_to_account_id = s.account_id OR s.in_reply_to_account_id = ?
OR s.in_reply_to_account_id IN (SELECT account_id FROM list_accounts WHERE list_id = ?))`, owner, l.ID)
	}
	if err := p.apply(sel, "s.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list timeline: %w", err)
	}
	reverseIfMin(sts, p)
	return sts, nil
}
