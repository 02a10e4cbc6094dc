package storage

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Filter is one account's filter group (Mastodon's v2 Filter): statuses
// matching its keywords or listed statuses are hidden or shown behind a
// warning in the contexts it names.
type Filter struct {
	bun.BaseModel `bun:"table:filters,alias:f"`

	ID        int64  `bun:",pk"`
	AccountID int64  `bun:",notnull"`
	Title     string `bun:",notnull"`
	Context   string `bun:",notnull"` // comma-separated contexts
	Action    string `bun:",notnull"` // warn | hide
	ExpiresAt *time.Time
	CreatedAt time.Time `bun:",notnull"`

	Keywords []*FilterKeyword `bun:"rel:has-many,join:id=filter_id"`
	Statuses []*FilterStatus  `bun:"rel:has-many,join:id=filter_id"`
}

// FilterKeyword is a word or phrase a filter matches.
type FilterKeyword struct {
	bun.BaseModel `bun:"table:filter_keywords,alias:fk"`

	ID        int64  `bun:",pk"`
	FilterID  int64  `bun:",notnull"`
	Keyword   string `bun:",notnull"`
	WholeWord bool   `bun:",notnull"`
}

// FilterStatus is a status a filter matches by id.
type FilterStatus struct {
	bun.BaseModel `bun:"table:filter_statuses,alias:fs"`

	ID       int64 `bun:",pk"`
	FilterID int64 `bun:",notnull"`
	StatusID int64 `bun:",notnull"`
}

func orderByID(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("id ASC") }

// Filters returns accountID's filters with their keywords and statuses,
// oldest first.
func (q queries) Filters(ctx context.Context, accountID int64) ([]*Filter, error) {
	var fs []*Filter
	err := q.r.NewSelect().Model(&fs).Relation("Keywords", orderByID).Relation("Statuses", orderByID).
		Where("f.account_id = ?", accountID).OrderExpr("f.id ASC").Scan(ctx)
	return fs, err
}

// Filter returns accountID's filter id, or ErrNotFound.
func (q queries) Filter(ctx context.Context, accountID, id int64) (*Filter, error) {
	f := new(Filter)
	err := q.r.NewSelect().Model(f).Relation("Keywords", orderByID).Relation("Statuses", orderByID).
		Where("f.account_id = ? AND f.id = ?", accountID, id).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return f, nil
}

// InsertFilter stores f (not its keywords or statuses).
func (q queries) InsertFilter(ctx context.Context, f *Filter) error {
	_, err := q.w.NewInsert().Model(f).Exec(ctx)
	return err
}

// UpdateFilter saves f's title, context, action and expiry.
func (q queries) UpdateFilter(ctx context.Context, f *Filter) error {
	_, err := q.w.NewUpdate().Model(f).Column("title", "context", "action", "expires_at").WherePK().Exec(ctx)
	return err
}

// DeleteFilter removes accountID's filter id with its keywords and
// statuses; ErrNotFound when there is none.
func (q queries) DeleteFilter(ctx context.Context, accountID, id int64) error {
	if _, err := q.w.NewDelete().Model((*FilterKeyword)(nil)).Where("filter_id = ?", id).
		Where("EXISTS (SELECT 1 FROM filters WHERE filters.id = ? AND filters.account_id = ?)", id, accountID).Exec(ctx); err != nil {
		return err
	}
	if _, err := q.w.NewDelete().Model((*FilterStatus)(nil)).Where("filter_id = ?", id).
		Where("EXISTS (SELECT 1 FROM filters WHERE filters.id = ? AND filters.account_id = ?)", id, accountID).Exec(ctx); err != nil {
		return err
	}
	res, err := q.w.NewDelete().Model((*Filter)(nil)).Where("id = ? AND account_id = ?", id, accountID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// InsertFilterKeyword stores k.
func (q queries) InsertFilterKeyword(ctx context.Context, k *FilterKeyword) error {
	_, err := q.w.NewInsert().Model(k).Exec(ctx)
	return err
}

// UpdateFilterKeyword saves k's keyword and whole_word.
func (q queries) UpdateFilterKeyword(ctx context.Context, k *FilterKeyword) error {
	_, err := q.w.NewUpdate().Model(k).Column("keyword", "whole_word").WherePK().Exec(ctx)
	return err
}

// DeleteFilterKeyword removes keyword id.
func (q queries) DeleteFilterKeyword(ctx context.Context, id int64) error {
	_, err := q.w.NewDelete().Model((*FilterKeyword)(nil)).Where("id = ?", id).Exec(ctx)
	return err
}

// FilterKeyword returns keyword id of one of accountID's filters, or
// ErrNotFound.
func (q queries) FilterKeyword(ctx context.Context, accountID, id int64) (*FilterKeyword, error) {
	k := new(FilterKeyword)
	err := q.r.NewSelect().Model(k).Join("JOIN filters AS f ON f.id = fk.filter_id").
		Where("fk.id = ? AND f.account_id = ?", id, accountID).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return k, nil
}

// InsertFilterStatus stores s; ErrConflict when the filter already has
// that status.
func (q queries) InsertFilterStatus(ctx context.Context, s *FilterStatus) error {
	_, err := q.w.NewInsert().Model(s).Exec(ctx)
	if isUniqueViolation(err) {
		return ErrConflict
	}
	return err
}

// DeleteFilterStatus removes filter status id.
func (q queries) DeleteFilterStatus(ctx context.Context, id int64) error {
	_, err := q.w.NewDelete().Model((*FilterStatus)(nil)).Where("id = ?", id).Exec(ctx)
	return err
}

// FilterStatus returns filter status id of one of accountID's filters, or
// ErrNotFound.
func (q queries) FilterStatus(ctx context.Context, accountID, id int64) (*FilterStatus, error) {
	s := new(FilterStatus)
	err := q.r.NewSelect().Model(s).Join("JOIN filters AS f ON f.id = fs.filter_id").
		Where("fs.id = ? AND f.account_id = ?", id, accountID).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return s, nil
}
