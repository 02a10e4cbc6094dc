package storage

import (
	"context"
)

// StatusExtras is what a page of statuses needs besides the rows, loaded
// for the whole page in a few queries instead of a few per status.
type StatusExtras struct {
	Replies, Reblogs, Favourites map[int64]int
	// Mentions carry the accounts' ID, Username, Domain and URL only.
	Mentions map[int64][]*Account
	Media    map[int64][]*Media
	Tags     map[int64][]string
	// The viewer's own marks, by status id; MutedAuthors by account id.
	Favourited, Reblogged, Bookmarked, Pinned map[int64]bool
	MutedAuthors                              map[int64]bool
}

// AccountExtras are an account's counts, for a set of accounts at once.
type AccountExtras struct {
	Followers, Following, Statuses map[int64]int
	LastStatusID                   map[int64]int64
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
	if err := q.scanAllP(ctx, stmtPageMentions, &ms, IDs(ids)); err != nil {
		return nil, err
	}
	for i := range ms {
		a := ms[i].Account
		x.Mentions[ms[i].StatusID] = append(x.Mentions[ms[i].StatusID], &a)
	}
	x.Media = map[int64][]*Media{}
	var media []*Media
	if err := q.scanAllP(ctx, stmtPageMedia, &media, IDs(ids)); err != nil {
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
	if err := q.scanAllP(ctx, stmtPageTags, &tags, IDs(ids)); err != nil {
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
	var rows []struct {
		K  int   `bun:"k"`
		ID int64 `bun:"id"`
		N  int   `bun:"n"`
	}
	// viewerID 0 and no authors match no rows: one statement serves all.
	list := IDs(ids)
	if err := q.scanAllP(ctx, stmtPageCounts, &rows, list, list, list,
		viewerID, list, viewerID, list, viewerID, list, viewerID, list, viewerID, IDs(authorIDs)); err != nil {
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

var (
	// Replies still waiting out their send delay are not counted yet.
	stmtPageCounts = prepareRead(`SELECT 1 AS k, in_reply_to_id AS id, count(*) AS n FROM statuses WHERE in_reply_to_id {ids} AND pending_until IS NULL GROUP BY in_reply_to_id
UNION ALL SELECT 2, reblog_of_id, count(*) FROM statuses WHERE reblog_of_id {ids} GROUP BY reblog_of_id
UNION ALL SELECT 3, status_id, count(*) FROM favourites WHERE status_id {ids} GROUP BY status_id
UNION ALL SELECT 4, status_id, 1 FROM favourites WHERE account_id = ? AND status_id {ids}
UNION ALL SELECT 5, reblog_of_id, 1 FROM statuses WHERE account_id = ? AND reblog_of_id {ids}
UNION ALL SELECT 6, status_id, 1 FROM bookmarks WHERE account_id = ? AND status_id {ids}
UNION ALL SELECT 7, status_id, 1 FROM pins WHERE account_id = ? AND status_id {ids}
UNION ALL SELECT 8, target_account_id, 1 FROM mutes WHERE account_id = ? AND target_account_id {ids}`)
	// Only what a mention shows of an account (StatusExtras.Mentions).
	stmtPageMentions = prepareRead(`SELECT m.status_id, a.id, a.username, a.domain, a.url
FROM mentions AS m JOIN accounts AS a ON a.id = m.account_id WHERE m.status_id {ids} ORDER BY a.id`)
	stmtPageMedia = prepareRead(selectSQL((*Media)(nil), "WHERE status_id {ids} ORDER BY position, id"))
	stmtPageTags  = prepareRead(`SELECT st.status_id, t.name FROM status_tags AS st JOIN tags AS t ON t.id = st.tag_id
WHERE st.status_id {ids} ORDER BY t.name`)
	stmtAccountCounts = prepareRead(`SELECT 1 AS k, target_account_id AS id, count(*) AS n FROM follows WHERE target_account_id {ids} AND accepted_at IS NOT NULL GROUP BY target_account_id
UNION ALL SELECT 2, account_id, count(*) FROM follows WHERE account_id {ids} AND accepted_at IS NOT NULL GROUP BY account_id
UNION ALL SELECT 3, account_id, count(*) FROM statuses WHERE account_id {ids} GROUP BY account_id
UNION ALL SELECT 4, account_id, max(id) FROM statuses WHERE account_id {ids} AND id <= ? GROUP BY account_id
UNION ALL SELECT 5, account_id, count(*) FROM statuses WHERE account_id {ids} AND id > ? AND pending_until IS NOT NULL GROUP BY account_id
UNION ALL SELECT 6, account_id, max(id) FROM statuses WHERE account_id {ids} AND id > ? AND pending_until IS NULL GROUP BY account_id`)
)

// LoadAccountExtras loads the counts of the accounts ids. Posts waiting out
// their send delay are neither counted nor the last post yet: their
// existence is not to show before they are sent. Their ids are the times
// they will be sent, so only recent ids are looked at for them
// (recentPostsFrom), and the rest of the counting stays in the index.
func (q queries) LoadAccountExtras(ctx context.Context, ids []int64) (*AccountExtras, error) {
	x := &AccountExtras{Followers: map[int64]int{}, Following: map[int64]int{}, Statuses: map[int64]int{}, LastStatusID: map[int64]int64{}}
	if len(ids) == 0 {
		return x, nil
	}
	var rows []struct {
		K  int   `bun:"k"`
		ID int64 `bun:"id"`
		N  int64 `bun:"n"`
	}
	list := IDs(ids)
	recent := recentPostsFrom()
	if err := q.scanAllP(ctx, stmtAccountCounts, &rows, list, list, list, list, recent, list, recent, list, recent); err != nil {
		return nil, err
	}
	pending := map[int64]int{}
	for _, r := range rows {
		switch r.K {
		case 1:
			x.Followers[r.ID] = int(r.N)
		case 2:
			x.Following[r.ID] = int(r.N)
		case 3:
			x.Statuses[r.ID] = int(r.N)
		case 4, 6:
			x.LastStatusID[r.ID] = max(x.LastStatusID[r.ID], r.N)
		case 5:
			pending[r.ID] = int(r.N)
		}
	}
	for id, n := range pending {
		x.Statuses[id] -= n
	}
	return x, nil
}
