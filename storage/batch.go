package storage

import (
	"context"
	"strings"

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
	if len(ids) == 0 {
		return x, nil
	}
	x.Favourited, x.Reblogged, x.Bookmarked, x.Pinned, x.MutedAuthors = map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	if err := q.loadCountsAndMarks(ctx, x, ids, authorIDs, viewerID); err != nil {
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
	return x, nil
}

// loadCountsAndMarks fills x's counts and viewerID's marks in one query:
// on SQLite each statement has a fixed cost that a page of statuses would
// otherwise pay nine times.
func (q queries) loadCountsAndMarks(ctx context.Context, x *StatusExtras, ids, authorIDs []int64, viewerID int64) error {
	x.Replies, x.Reblogs, x.Favourites = map[int64]int{}, map[int64]int{}, map[int64]int{}
	in := bun.In(ids)
	parts := []string{
		"SELECT 1 AS k, in_reply_to_id AS id, count(*) AS n FROM statuses WHERE in_reply_to_id IN (?) GROUP BY in_reply_to_id",
		"SELECT 2, reblog_of_id, count(*) FROM statuses WHERE reblog_of_id IN (?) GROUP BY reblog_of_id",
		"SELECT 3, status_id, count(*) FROM favourites WHERE status_id IN (?) GROUP BY status_id",
	}
	args := []any{in, in, in}
	if viewerID != 0 {
		parts = append(parts,
			"SELECT 4, status_id, 1 FROM favourites WHERE account_id = ? AND status_id IN (?)",
			"SELECT 5, reblog_of_id, 1 FROM statuses WHERE account_id = ? AND reblog_of_id IN (?)",
			"SELECT 6, status_id, 1 FROM bookmarks WHERE account_id = ? AND status_id IN (?)",
			"SELECT 7, status_id, 1 FROM pins WHERE account_id = ? AND status_id IN (?)",
		)
		args = append(args, viewerID, in, viewerID, in, viewerID, in, viewerID, in)
		if len(authorIDs) > 0 {
			parts = append(parts, "SELECT 8, target_account_id, 1 FROM mutes WHERE account_id = ? AND target_account_id IN (?)")
			args = append(args, viewerID, bun.In(authorIDs))
		}
	}
	var rows []struct {
		K  int   `bun:"k"`
		ID int64 `bun:"id"`
		N  int   `bun:"n"`
	}
	if err := q.r.NewRaw(strings.Join(parts, " UNION ALL "), args...).Scan(ctx, &rows); err != nil {
		return err
	}
	for _, r := range rows {
		switch r.K {
		case 1:
			x.Replies[r.ID] = r.N
		case 2:
			x.Reblogs[r.ID] = r.N
		case 3:
			x.Favourites[r.ID] = r.N
		case 4:
			x.Favourited[r.ID] = true
		case 5:
			x.Reblogged[r.ID] = true
		case 6:
			x.Bookmarked[r.ID] = true
		case 7:
			x.Pinned[r.ID] = true
		case 8:
			x.MutedAuthors[r.ID] = true
		}
	}
	return nil
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
