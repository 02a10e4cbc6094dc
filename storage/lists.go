package storage

import (
	"context"
	"fmt"
	"time"
)

// A mark is a row linking an account to a status or account: a bookmark, a
// pin, a mute. They share their queries.

func (q queries) insertMark(ctx context.Context, table string, id, accountID, otherID int64, otherCol string, t time.Time) error {
	_, err := q.w.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (id, account_id, %s, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", table, otherCol), id, accountID, otherID, t)
	return err
}

func (q queries) deleteMark(ctx context.Context, table, otherCol string, accountID, otherID int64) error {
	_, err := q.w.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE account_id = ? AND %s = ?", table, otherCol), accountID, otherID)
	return err
}

func (q queries) hasMark(ctx context.Context, table, otherCol string, accountID, otherID int64) bool {
	ok, err := q.r.NewSelect().Table(table).Where("account_id = ? AND "+otherCol+" = ?", accountID, otherID).Exists(ctx)
	return err == nil && ok
}

// AddBookmark, RemoveBookmark and Bookmarked manage bookmarks.
func (q queries) AddBookmark(ctx context.Context, accountID, statusID int64, t time.Time) error {
	return q.insertMark(ctx, "bookmarks", NewID(), accountID, statusID, "status_id", t)
}

// RemoveBookmark removes a bookmark.
func (q queries) RemoveBookmark(ctx context.Context, accountID, statusID int64) error {
	return q.deleteMark(ctx, "bookmarks", "status_id", accountID, statusID)
}

// Bookmarked reports whether accountID bookmarked statusID.
func (q queries) Bookmarked(ctx context.Context, accountID, statusID int64) bool {
	return q.hasMark(ctx, "bookmarks", "status_id", accountID, statusID)
}

// AddPin pins statusID to accountID's profile.
func (q queries) AddPin(ctx context.Context, accountID, statusID int64, t time.Time) error {
	return q.insertMark(ctx, "pins", NewID(), accountID, statusID, "status_id", t)
}

// RemovePin unpins a status.
func (q queries) RemovePin(ctx context.Context, accountID, statusID int64) error {
	return q.deleteMark(ctx, "pins", "status_id", accountID, statusID)
}

// Pinned reports whether statusID is pinned by accountID.
func (q queries) Pinned(ctx context.Context, accountID, statusID int64) bool {
	return q.hasMark(ctx, "pins", "status_id", accountID, statusID)
}

// CountPins counts accountID's pins.
func (q queries) CountPins(ctx context.Context, accountID int64) (int, error) {
	n, err := q.r.NewSelect().Table("pins").Where("account_id = ?", accountID).Count(ctx)
	return int(n), err
}

// PinnedStatuses returns accountID's pinned statuses, most recently pinned
// first.
func (q queries) PinnedStatuses(ctx context.Context, accountID int64) ([]*Status, error) {
	var sts []*Status
	err := q.r.NewSelect().Model(&sts).Relation("Account").
		Join("JOIN pins AS p ON p.status_id = s.id").
		Where("p.account_id = ?", accountID).OrderExpr("p.id DESC").Scan(ctx)
	return sts, err
}

// AddMute mutes targetID for accountID.
func (q queries) AddMute(ctx context.Context, accountID, targetID int64, notifications bool, t time.Time) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO mutes (id, account_id, target_account_id, notifications, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (account_id, target_account_id) DO UPDATE SET notifications = excluded.notifications`, NewID(), accountID, targetID, notifications, t)
	return err
}

// RemoveMute lifts a mute.
func (q queries) RemoveMute(ctx context.Context, accountID, targetID int64) error {
	return q.deleteMark(ctx, "mutes", "target_account_id", accountID, targetID)
}

// Muting reports whether accountID mutes targetID, and their notifications.
func (q queries) Muting(ctx context.Context, accountID, targetID int64) (muted, notifications bool) {
	var rows []bool
	err := q.scanAllP(ctx, stmtMuting, &rows, accountID, targetID)
	if err != nil || len(rows) == 0 {
		return false, false
	}
	return true, rows[0]
}

var stmtMuting = prepareRead("SELECT notifications FROM mutes WHERE account_id = ? AND target_account_id = ?")

// MarkedStatuses pages the statuses accountID bookmarked or liked (table
// "bookmarks" or "favourites"), newest mark first, with the marks' ids as
// cursors.
func (q queries) MarkedStatuses(ctx context.Context, table string, accountID int64, p Page) ([]*Status, []int64, error) {
	var rows []struct {
		MarkID   int64 `bun:"mark_id"`
		StatusID int64 `bun:"status_id"`
	}
	sel := q.r.NewSelect().ColumnExpr("m.id AS mark_id, m.status_id").TableExpr(table+" AS m").Where("m.account_id = ?", accountID)
	if err := p.apply(sel, "m.id").Scan(ctx, &rows); err != nil {
		return nil, nil, err
	}
	reverseIfMin(rows, p)
	var sts []*Status
	var ids []int64
	for _, r := range rows {
		st, err := q.StatusByID(ctx, r.StatusID)
		if err != nil {
			continue
		}
		sts = append(sts, st)
		ids = append(ids, r.MarkID)
	}
	return sts, ids, nil
}

// MarkedAccounts pages the accounts accountID blocked or muted (table
// "blocks" or "mutes"), newest first, with the marks' ids as cursors.
func (q queries) MarkedAccounts(ctx context.Context, table string, accountID int64, p Page) ([]*Account, []int64, error) {
	var rows []struct {
		MarkID   int64 `bun:"mark_id"`
		TargetID int64 `bun:"target_account_id"`
	}
	sel := q.r.NewSelect().ColumnExpr("m.id AS mark_id, m.target_account_id").TableExpr(table+" AS m").Where("m.account_id = ?", accountID)
	if err := p.apply(sel, "m.id").Scan(ctx, &rows); err != nil {
		return nil, nil, err
	}
	var accts []*Account
	var ids []int64
	for _, r := range rows {
		a, err := q.AccountByID(ctx, r.TargetID)
		if err != nil {
			continue
		}
		accts = append(accts, a)
		ids = append(ids, r.MarkID)
	}
	return accts, ids, nil
}

// StatusActors returns the accounts that liked (favourites) or boosted
// (reblogs) statusID, newest first.
func (q queries) StatusActors(ctx context.Context, statusID int64, boosts bool, limit int) ([]*Account, error) {
	var accts []*Account
	sub := "SELECT account_id FROM favourites WHERE status_id = ?"
	if boosts {
		sub = "SELECT account_id FROM statuses WHERE reblog_of_id = ?"
	}
	err := q.r.NewSelect().Model(&accts).Where("id IN ("+sub+")", statusID).
		Where("suspended_at IS NULL").OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx)
	return accts, err
}
