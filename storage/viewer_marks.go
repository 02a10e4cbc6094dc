package storage

import "context"

// ViewerMarks is what a viewer did to one status and its author: the
// marks the Status entity shows them. MutesThreads says only that they
// muted some thread, whether this one the caller decides.
type ViewerMarks struct {
	Favourited, Reblogged, Bookmarked, Pinned, MutedAuthor, MutesThreads bool
}

// ViewerMarksOf reads accountID's marks on status statusID by authorID in
// one prepared statement, for the paths that render one status for many
// viewers (a post going out on live streams).
func (q queries) ViewerMarksOf(ctx context.Context, accountID, statusID, authorID int64) (ViewerMarks, error) {
	var m ViewerMarks
	rows, done, err := q.queryP(ctx, stmtViewerMarks, accountID, statusID, accountID, statusID, accountID, statusID, accountID, statusID, accountID, authorID, accountID)
	if err != nil {
		return m, err
	}
	defer done()
	if !rows.Next() {
		return m, rows.Err()
	}
	err = rows.Scan(&m.Favourited, &m.Reblogged, &m.Bookmarked, &m.Pinned, &m.MutedAuthor, &m.MutesThreads)
	return m, err
}

var stmtViewerMarks = prepareRead(`SELECT
	EXISTS (SELECT 1 FROM favourites WHERE account_id = ? AND status_id = ?),
	EXISTS (SELECT 1 FROM statuses WHERE account_id = ? AND reblog_of_id = ?),
	EXISTS (SELECT 1 FROM bookmarks WHERE account_id = ? AND status_id = ?),
	EXISTS (SELECT 1 FROM pins WHERE account_id = ? AND status_id = ?),
	EXISTS (SELECT 1 FROM mutes WHERE account_id = ? AND target_account_id = ?),
	EXISTS (SELECT 1 FROM thread_mutes WHERE account_id = ?)`)
