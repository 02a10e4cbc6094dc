package storage

import (
	"context"

	"github.com/uptrace/bun"
)

// StatusExtras is what a page of statuses needs besides the rows, loaded
// for the whole page in a few queries instead of a few per status.
type StatusExtras struct {
	Replies, Reblogs, Favourites map[int64]int
	Mentions                     map[int64][]*Account
	Media                        map[int64][]*Media
	Tags                         map[int64][]string
	// The viewer's own marks, by status id; MutedAuthors by account id.
	Favourited, Reblogged, Bookmarked, Pinned map[int64]bool
	MutedAuthors                              map[int64]bool
}

// AccountExtras are an account's counts, for a set of accounts at once.
type AccountExtras struct {
	Followers, Following, Statuses map[int64]int
	LastStatusID                   map[int64]int64
}

type idCount struct {
	ID    int64 `bun:"id"`
	Count int   `bun:"n"`
}

func (q queries) countBy(ctx context.Context, table, col string, ids []int64, extra string, args ...any) (map[int64]int, error) {
	out := map[int64]int{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []idCount
	sel := q.r.NewSelect().TableExpr(table).ColumnExpr(col+" AS id, count(*) AS n").
		Where(col+" IN (?)", bun.In(ids)).GroupExpr(col)
	if extra != "" {
		sel = sel.Where(extra, args...)
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Count
	}
	return out, nil
}

func (q queries) idSet(ctx context.Context, query string, args ...any) (map[int64]bool, error) {
	var ids []int64
	if err := q.r.NewRaw(query, args...).Scan(ctx, &ids); err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// LoadStatusExtras loads counts, mentions, media, tags and viewerID's marks
// (viewerID 0: none) for the statuses ids, whose authors are authorIDs.
func (q queries) LoadStatusExtras(ctx context.Context, ids, authorIDs []int64, viewerID int64) (*StatusExtras, error) {
	x := &StatusExtras{}
	var err error
	if len(ids) == 0 {
		return x, nil
	}
	if x.Replies, err = q.countBy(ctx, "statuses", "in_reply_to_id", ids, ""); err != nil {
		return nil, err
	}
	if x.Reblogs, err = q.countBy(ctx, "statuses", "reblog_of_id", ids, ""); err != nil {
		return nil, err
	}
	if x.Favourites, err = q.countBy(ctx, "favourites", "status_id", ids, ""); err != nil {
		return nil, err
	}
	x.Mentions = map[int64][]*Account{}
	var ms []struct {
		StatusID int64 `bun:"status_id"`
		Account
	}
	if err := q.r.NewSelect().ColumnExpr("m.status_id, a.*").TableExpr("mentions AS m").
		Join("JOIN accounts AS a ON a.id = m.account_id").Where("m.status_id IN (?)", bun.In(ids)).
		OrderExpr("a.id").Scan(ctx, &ms); err != nil {
		return nil, err
	}
	for i := range ms {
		a := ms[i].Account
		x.Mentions[ms[i].StatusID] = append(x.Mentions[ms[i].StatusID], &a)
	}
	x.Media = map[int64][]*Media{}
	var media []*Media
	if err := q.r.NewSelect().Model(&media).Where("status_id IN (?)", bun.In(ids)).OrderExpr("position, id").Scan(ctx); err != nil {
		return nil, err
	}
	for _, m := range media {
		x.Media[*m.StatusID] = append(x.Media[*m.StatusID], m)
	}
	x.Tags = map[int64][]string{}
	var tags []struct {
		StatusID int64  `bun:"status_id"`
		Name     string `bun:"name"`
	}
	if err := q.r.NewSelect().ColumnExpr("st.status_id, t.name").TableExpr("status_tags AS st").
		Join("JOIN tags AS t ON t.id = st.tag_id").Where("st.status_id IN (?)", bun.In(ids)).
		OrderExpr("t.name").Scan(ctx, &tags); err != nil {
		return nil, err
	}
	for _, t := range tags {
		x.Tags[t.StatusID] = append(x.Tags[t.StatusID], t.Name)
	}
	x.Favourited, x.Reblogged, x.Bookmarked, x.Pinned, x.MutedAuthors = map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	if viewerID == 0 {
		return x, nil
	}
	if x.Favourited, err = q.idSet(ctx, "SELECT status_id FROM favourites WHERE account_id = ? AND status_id IN (?)", viewerID, bun.In(ids)); err != nil {
		return nil, err
	}
	if x.Reblogged, err = q.idSet(ctx, "SELECT reblog_of_id FROM statuses WHERE account_id = ? AND reblog_of_id IN (?)", viewerID, bun.In(ids)); err != nil {
		return nil, err
	}
	if x.Bookmarked, err = q.idSet(ctx, "SELECT status_id FROM bookmarks WHERE account_id = ? AND status_id IN (?)", viewerID, bun.In(ids)); err != nil {
		return nil, err
	}
	if x.Pinned, err = q.idSet(ctx, "SELECT status_id FROM pins WHERE account_id = ? AND status_id IN (?)", viewerID, bun.In(ids)); err != nil {
		return nil, err
	}
	if len(authorIDs) > 0 {
		if x.MutedAuthors, err = q.idSet(ctx, "SELECT target_account_id FROM mutes WHERE account_id = ? AND target_account_id IN (?)", viewerID, bun.In(authorIDs)); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// LoadAccountExtras loads the counts of the accounts ids.
func (q queries) LoadAccountExtras(ctx context.Context, ids []int64) (*AccountExtras, error) {
	x := &AccountExtras{LastStatusID: map[int64]int64{}}
	var err error
	if x.Followers, err = q.countBy(ctx, "follows", "target_account_id", ids, "accepted_at IS NOT NULL"); err != nil {
		return nil, err
	}
	if x.Following, err = q.countBy(ctx, "follows", "account_id", ids, "accepted_at IS NOT NULL"); err != nil {
		return nil, err
	}
	if x.Statuses, err = q.countBy(ctx, "statuses", "account_id", ids, ""); err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		var rows []struct {
			ID   int64 `bun:"id"`
			Last int64 `bun:"last"`
		}
		if err := q.r.NewSelect().TableExpr("statuses").ColumnExpr("account_id AS id, max(id) AS last").
			Where("account_id IN (?)", bun.In(ids)).GroupExpr("account_id").Scan(ctx, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			x.LastStatusID[r.ID] = r.Last
		}
	}
	return x, nil
}
