package storage

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Status is a post, local or remote.
type Status struct {
	bun.BaseModel `bun:"table:statuses,alias:s"`

	ID                 int64  `bun:",pk"`
	URI                string `bun:"uri,notnull"`
	URL                string `bun:"url,notnull"`
	AccountID          int64  `bun:",notnull"`
	InReplyToID        *int64
	InReplyToURI       string `bun:"in_reply_to_uri,notnull"`
	InReplyToAccountID *int64
	ReblogOfID         *int64
	Content            string    `bun:",notnull"` // HTML, sanitised
	Text               string    `bun:",notnull"` // the author's source, local only
	SpoilerText        string    `bun:",notnull"`
	Sensitive          bool      `bun:",notnull"`
	Visibility         string    `bun:",notnull"`
	Language           string    `bun:",notnull"`
	Local              bool      `bun:",notnull"`
	CreatedAt          time.Time `bun:",notnull"`
	EditedAt           *time.Time
	// PendingUntil is set while a local post waits out its send delay:
	// only its author sees it until then.
	PendingUntil *time.Time
	// LocalOnly posts are seen only by signed-in accounts of this server
	// and never leave it.
	LocalOnly bool `bun:",notnull"`

	Account *Account `bun:"rel:belongs-to,join:account_id=id"`

	// Reblog is the boosted post, when the timeline that read this boost
	// loaded it already (never stored).
	Reblog *Status `bun:"-"`
}

// Pending reports whether st still waits to be published.
func (st *Status) Pending() bool { return st.PendingUntil != nil }

// Mention links a status to an account it mentions.
type Mention struct {
	bun.BaseModel `bun:"table:mentions"`

	StatusID  int64 `bun:",pk"`
	AccountID int64 `bun:",pk"`
}

// InsertStatus stores st and its mentions. A status whose URI was deleted
// before (a tombstone) or already exists gives ErrConflict.
func (q queries) InsertStatus(ctx context.Context, st *Status, mentions []int64) error {
	dead, err := q.existsP(ctx, stmtTombstoned, st.URI)
	if err != nil {
		return err
	}
	if dead {
		return fmt.Errorf("status %s was deleted: %w", st.URI, ErrConflict)
	}
	// ON CONFLICT DO NOTHING rather than a failed INSERT: on PostgreSQL a
	// failed statement would abort the whole transaction.
	for attempt := 0; ; attempt++ {
		res, err := q.execP(ctx, stmtInsertStatus, statusValues(st)...)
		if err != nil {
			return fmt.Errorf("insert status: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			break
		}
		have, err := q.existsP(ctx, stmtStatusURIExists, st.URI)
		if err != nil {
			return err
		}
		if have {
			return fmt.Errorf("status %s: %w", st.URI, ErrConflict)
		}
		if attempt == 5 {
			return fmt.Errorf("insert status %s: no free id near %d", st.URI, st.ID)
		}
		// Another status holds this ID (two remote posts of the same
		// instant): take the next one, which sorts the same.
		st.ID++
	}
	if err := q.indexStatus(ctx, st, false); err != nil {
		return err
	}
	for _, id := range mentions {
		if _, err := q.execP(ctx, stmtInsertMention, st.ID, id); err != nil {
			return fmt.Errorf("insert mention: %w", err)
		}
	}
	if st.Pending() {
		// Only the author's own feed until it is published.
		_, err := q.w.ExecContext(ctx, `INSERT INTO home_feed (account_id, status_id, author_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, st.AccountID, st.ID, st.AccountID)
		return err
	}
	return q.fanOut(ctx, st)
}

var (
	insertStatusSQL, statusValues = func() (string, func(*Status) []any) {
		q, values := insertSQL((*Status)(nil), "ON CONFLICT DO NOTHING")
		return q, func(st *Status) []any { return values(st) }
	}()
	stmtInsertStatus    = prepareWrite(insertStatusSQL)
	stmtTombstoned      = prepareRead("SELECT EXISTS (SELECT 1 FROM tombstones WHERE uri = ?)")
	stmtStatusURIExists = prepareRead("SELECT EXISTS (SELECT 1 FROM statuses WHERE uri = ?)")
	stmtInsertMention   = prepareWrite("INSERT INTO mentions (status_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING")
	stmtFeedOwn         = prepareWrite(`INSERT INTO home_feed (account_id, status_id, author_id) SELECT id, ?, id FROM accounts WHERE id = ? AND domain = '' ON CONFLICT DO NOTHING`)
	stmtFeedMentioned   = prepareWrite(`INSERT INTO home_feed (account_id, status_id, author_id) SELECT m.account_id, ?, ? FROM mentions AS m JOIN accounts AS a ON a.id = m.account_id WHERE m.status_id = ? AND a.domain = '' ON CONFLICT DO NOTHING`)
	stmtFeedFollowers   = prepareWrite(`INSERT INTO home_feed (account_id, status_id, author_id) SELECT f.account_id, ?, ? FROM follows AS f JOIN accounts AS a ON a.id = f.account_id WHERE f.target_account_id = ? AND f.accepted_at IS NOT NULL AND a.domain = '' ON CONFLICT DO NOTHING`)
	stmtLinkReplies     = prepareWrite("UPDATE statuses SET in_reply_to_id = ?, in_reply_to_account_id = ? WHERE in_reply_to_uri = ? AND in_reply_to_id IS NULL")
)

// ReleaseStatus publishes a pending st: it becomes visible and reaches the
// home feeds that show it. It reports false when st was not pending (it
// was published already).
func (q queries) ReleaseStatus(ctx context.Context, st *Status) (bool, error) {
	res, err := q.w.NewUpdate().Model((*Status)(nil)).Set("pending_until = NULL").
		Where("id = ?", st.ID).Where("pending_until IS NOT NULL").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("release status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	st.PendingUntil = nil
	return true, q.fanOut(ctx, st)
}

// fanOut adds st to the home feeds that show it: its local author's, its
// author's local followers' (unless it is direct) and the local accounts it
// mentions.
func (q queries) fanOut(ctx context.Context, st *Status) error {
	if _, err := q.execP(ctx, stmtFeedOwn, st.ID, st.AccountID); err != nil {
		return fmt.Errorf("home feed: %w", err)
	}
	if _, err := q.execP(ctx, stmtFeedMentioned, st.ID, st.AccountID, st.ID); err != nil {
		return fmt.Errorf("home feed: %w", err)
	}
	if st.Visibility != "direct" {
		if _, err := q.execP(ctx, stmtFeedFollowers, st.ID, st.AccountID, st.AccountID); err != nil {
			return fmt.Errorf("home feed: %w", err)
		}
	}
	return nil
}

// backfillFeed puts the recent posts of targetID (not direct ones) into
// accountID's home feed, as a follow begins. Posts still waiting out their
// send delay stay out: only their author may see them, and the release
// puts them into the feeds of the followers of that moment (fanOut).
func (q queries) backfillFeed(ctx context.Context, accountID, targetID int64) error {
	if q.ps.dialect == Postgres {
		// A release of targetID's post at this very moment (ReleaseStatus)
		// fans out to the followers it sees, which are not yet this one,
		// while this statement would see the post still pending: both
		// would leave it out. Waiting for the release's row lock lets the
		// statement below see the post released. (SQLite writes one
		// transaction at a time.) A waiting post's id is the time of its
		// release, so only recent ids need a look.
		if _, err := q.w.ExecContext(ctx, `SELECT id FROM statuses WHERE account_id = ? AND id > ? AND pending_until IS NOT NULL FOR UPDATE`, targetID, recentPostsFrom()); err != nil {
			return fmt.Errorf("backfill feed: %w", err)
		}
	}
	_, err := q.w.ExecContext(ctx, `INSERT INTO home_feed (account_id, status_id, author_id)
SELECT a.id, s.id, s.account_id FROM accounts AS a JOIN statuses AS s ON s.account_id = ?
WHERE a.id = ? AND a.domain = '' AND s.visibility <> 'direct' AND s.pending_until IS NULL
AND s.id IN (SELECT id FROM statuses WHERE account_id = ? ORDER BY id DESC LIMIT 100)
ON CONFLICT DO NOTHING`, targetID, accountID, targetID)
	return err
}

// dropFromFeed removes targetID's posts from accountID's home feed, as a
// follow ends.
func (q queries) dropFromFeed(ctx context.Context, accountID, targetID int64) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM home_feed WHERE account_id = ? AND author_id = ?", accountID, targetID)
	return err
}

// StatusByURI returns the status whose ActivityPub id is uri.
func (q queries) StatusByURI(ctx context.Context, uri string) (*Status, error) {
	st := new(Status)
	if err := q.scanOneP(ctx, stmtStatusByURI, st, uri); err != nil {
		return nil, notFound(err)
	}
	return st, nil
}

var (
	stmtStatusByURI = prepareRead("SELECT " + statusColumns() + " FROM statuses AS s LEFT JOIN accounts AS account ON account.id = s.account_id WHERE s.uri = ?")
	stmtStatusByID  = prepareRead("SELECT " + statusColumns() + " FROM statuses AS s LEFT JOIN accounts AS account ON account.id = s.account_id WHERE s.id = ?")
)

// StatusByID returns the status id with its author.
func (q queries) StatusByID(ctx context.Context, id int64) (*Status, error) {
	st := new(Status)
	if err := q.scanOneP(ctx, stmtStatusByID, st, id); err != nil {
		return nil, notFound(err)
	}
	return st, nil
}

// MentionedAccounts returns the accounts st mentions.
func (q queries) MentionedAccounts(ctx context.Context, statusID int64) ([]*Account, error) {
	var accts []*Account
	err := q.r.NewSelect().Model(&accts).
		Where("id IN (SELECT account_id FROM mentions WHERE status_id = ?)", statusID).
		Scan(ctx)
	return accts, err
}

// Page bounds a list of items by id, newest first, as Mastodon pages:
// MaxID and SinceID exclusive bounds, MinID pages forward from a point.
type Page struct {
	MaxID, SinceID, MinID int64
	Limit                 int
}

func (p Page) apply(sel *bun.SelectQuery, col string) *bun.SelectQuery {
	if p.MaxID > 0 {
		sel = sel.Where(col+" < ?", p.MaxID)
	}
	if p.SinceID > 0 {
		sel = sel.Where(col+" > ?", p.SinceID)
	}
	if p.MinID > 0 {
		sel = sel.Where(col+" > ?", p.MinID).OrderExpr(col + " ASC")
	} else {
		sel = sel.OrderExpr(col + " DESC")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 80)
	return sel.Limit(int64(limit))
}

// HomeTimeline returns accountID's home feed, newest first: its own posts,
// those of the accounts it follows and those that mention it, less muted
// accounts' and suspended accounts'.
func (q queries) HomeTimeline(ctx context.Context, accountID int64, p Page) ([]*Status, error) {
	// One statement: the page of the feed as a subquery, then its rows.
	stmt := stmtHomeNewest
	if p.MinID > 0 {
		stmt = stmtHomeOldest
	}
	upper, lower, limit := p.bounds()
	var sts []*Status
	if err := q.scanAllP(ctx, stmt, &sts, accountID, upper, lower, accountID, accountID, true, limit, accountID); err != nil {
		return nil, fmt.Errorf("home timeline: %w", err)
	}
	return sts, nil
}

// bounds gives the page's ids as a range: every id is below upper and
// above lower; and how many at most.
func (p Page) bounds() (upper, lower int64, limit int) {
	upper = math.MaxInt64
	if p.MaxID > 0 {
		upper = p.MaxID
	}
	lower = max(p.SinceID, p.MinID, 0)
	limit = p.Limit
	if limit <= 0 {
		limit = 20
	}
	return upper, lower, min(limit, 80)
}

// homeSQL reads a page of a home feed (newest first, or the oldest ones
// after min_id), less muted authors and members of the reader's exclusive
// lists (read in those lists instead) and authors of domains the reader
// blocks (rows already in the feed too), with the authors but without their
// keys: a timeline never needs them, and reading them for 40 rows costs
// more than the rest of each row. A post waiting out its send delay shows
// only to its author, whatever the feed holds.
func homeSQL(order string) string {
	return `SELECT ` + statusColumns("PublicKeyPEM", "PrivateKeyPEM") + `
FROM statuses AS s JOIN accounts AS account ON account.id = s.account_id
WHERE s.id IN (
	SELECT hf.status_id FROM home_feed AS hf
	WHERE hf.account_id = ? AND hf.status_id < ? AND hf.status_id > ?
	AND hf.author_id NOT IN (SELECT target_account_id FROM mutes WHERE account_id = ?)
	AND NOT EXISTS (SELECT 1 FROM account_domain_blocks AS adb JOIN accounts AS da ON da.domain = adb.domain WHERE adb.account_id = hf.account_id AND da.id = hf.author_id)
	AND hf.author_id NOT IN (SELECT la.account_id FROM list_accounts AS la JOIN lists AS l ON l.id = la.list_id WHERE l.account_id = ? AND l.exclusive = ?)
	ORDER BY hf.status_id ` + order + ` LIMIT ?)
AND account.suspended_at IS NULL AND (s.pending_until IS NULL OR s.account_id = ?)
ORDER BY s.id DESC`
}

var (
	stmtHomeNewest = prepareRead(homeSQL("DESC"))
	stmtHomeOldest = prepareRead(homeSQL("ASC"))
)

// withoutKeys leaves the authors' key pairs out of a page of statuses: a
// timeline never needs them, and reading them for 40 rows costs more than
// the rest of each row.
func withoutKeys(q *bun.SelectQuery) *bun.SelectQuery {
	return q.ExcludeColumn("private_key_pem", "public_key_pem")
}

// AccountStatuses returns the statuses of accountID with the given
// visibilities, newest first, less local-only ones (it serves other
// servers).
func (q queries) AccountStatuses(ctx context.Context, accountID int64, visibilities []string, p Page) ([]*Status, error) {
	var sts []*Status
	sel := q.r.NewSelect().Model(&sts).Relation("Account").
		Where("s.account_id = ?", accountID).
		Where("s.visibility IN (?)", bun.In(visibilities)).
		Where("s.pending_until IS NULL").Where("s.local_only = ?", false)
	if err := p.apply(sel, "s.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("account statuses: %w", err)
	}
	return sts, nil
}

// CountLocalStatuses counts statuses written on this server, less those
// waiting out their send delay: a count that rose would tell that one waits.
func (q queries) CountLocalStatuses(ctx context.Context) (int, error) {
	n, err := q.r.NewSelect().Model((*Status)(nil)).Where("local = ?", true).Where("pending_until IS NULL").Count(ctx)
	return int(n), err
}

// CountAccountStatuses counts an account's statuses, less those waiting
// out their send delay (see LoadAccountExtras).
func (q queries) CountAccountStatuses(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := q.r.NewRaw(`SELECT (SELECT count(*) FROM statuses WHERE account_id = ?)
- (SELECT count(*) FROM statuses WHERE account_id = ? AND id > ? AND pending_until IS NOT NULL)`,
		accountID, accountID, recentPostsFrom()).Scan(ctx, &n)
	return n, err
}

// recentPostsFrom is an id below those of every post still waiting out its
// send delay: their ids are the times they will be sent (a little after
// now), so a day back leaves room for a release job that runs late.
func recentPostsFrom() int64 {
	return time.Now().Add(-24*time.Hour).UnixMilli() << 16
}

// DeleteStatus removes st and leaves a tombstone for its URI.
func (q queries) DeleteStatus(ctx context.Context, st *Status, t time.Time) error {
	if _, err := q.w.NewDelete().Model(st).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("delete status: %w", err)
	}
	return q.InsertTombstone(ctx, st.URI, t)
}

// InsertTombstone remembers that uri was deleted.
func (q queries) InsertTombstone(ctx context.Context, uri string, t time.Time) error {
	_, err := q.w.ExecContext(ctx, "INSERT INTO tombstones (uri, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING", uri, t)
	return err
}

// LinkReplies points statuses that reply to st's URI, and arrived before
// it, at st.
func (q queries) LinkReplies(ctx context.Context, st *Status) error {
	_, err := q.execP(ctx, stmtLinkReplies, st.ID, st.AccountID, st.URI)
	return err
}

// KnownStatusOrTombstone reports whether uri is a stored or deleted status.
func (q queries) KnownStatusOrTombstone(ctx context.Context, uri string) (bool, error) {
	known, err := q.r.NewSelect().Model((*Status)(nil)).Where("uri = ?", uri).Exists(ctx)
	if err != nil || known {
		return known, err
	}
	return q.r.NewSelect().Table("tombstones").Where("uri = ?", uri).Exists(ctx)
}

// StatusFilter narrows an account's statuses.
type StatusFilter struct {
	Visibilities   []string
	ExcludeReplies bool
	ExcludeReblogs bool
	Tag            string
	// Own is set when the author reads their own statuses, which include
	// posts still waiting out their send delay and local-only ones.
	Own bool
	// LocalOnly keeps local-only posts, for a signed-in reader of this
	// server.
	LocalOnly bool
}

// AccountStatusesFiltered returns accountID's statuses matching f, newest
// first.
func (q queries) AccountStatusesFiltered(ctx context.Context, accountID int64, f StatusFilter, p Page) ([]*Status, error) {
	var sts []*Status
	sel := q.r.NewSelect().Model(&sts).Relation("Account").
		Where("s.account_id = ?", accountID).
		Where("s.visibility IN (?)", bun.In(f.Visibilities))
	if !f.Own {
		sel = sel.Where("s.pending_until IS NULL")
	}
	if !f.Own && !f.LocalOnly {
		sel = sel.Where("s.local_only = ?", false)
	}
	if f.ExcludeReplies {
		// Mastodon keeps replies to oneself (threads) in the list.
		sel = sel.Where("(s.in_reply_to_uri = '' OR s.in_reply_to_account_id = s.account_id)")
	}
	if f.ExcludeReblogs {
		sel = sel.Where("s.reblog_of_id IS NULL")
	}
	if f.Tag != "" {
		sel = sel.Where("s.id IN (SELECT st.status_id FROM status_tags AS st JOIN tags AS t ON t.id = st.tag_id WHERE t.name = ?)", strings.ToLower(f.Tag))
	}
	if err := p.apply(sel, "s.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("account statuses: %w", err)
	}
	reverseIfMin(sts, p)
	return sts, nil
}

// reverseIfMin puts a min_id page (read oldest first) back to newest first.
func reverseIfMin[T any](sts []T, p Page) {
	if p.MinID > 0 {
		for i, j := 0, len(sts)-1; i < j; i, j = i+1, j-1 {
			sts[i], sts[j] = sts[j], sts[i]
		}
	}
}

// PublicTimeline returns public statuses, newest first: local ones only,
// remote ones only, or both; with a hashtag when tag is set. Limited
// (silenced) accounts' posts reach only their followers, never these.
// Local-only posts are in it only withLocalOnly (for a signed-in reader of
// this server).
func (q queries) PublicTimeline(ctx context.Context, local, remote bool, tag string, withLocalOnly bool, p Page) ([]*Status, error) {
	var sts []*Status
	sel := q.r.NewSelect().Model(&sts).Relation("Account").
		Where("s.visibility = 'public'").Where("s.reblog_of_id IS NULL").Where("s.pending_until IS NULL").
		Where("account.suspended_at IS NULL").Where("account.silenced_at IS NULL")
	if !withLocalOnly {
		sel = sel.Where("s.local_only = ?", false)
	}
	if local && !remote {
		sel = sel.Where("s.local = ?", true)
	} else if remote && !local {
		sel = sel.Where("s.local = ?", false)
	}
	if tag != "" {
		sel = sel.Where("s.id IN (SELECT st.status_id FROM status_tags AS st JOIN tags AS t ON t.id = st.tag_id WHERE t.name = ?)", strings.ToLower(tag))
	}
	if err := p.apply(sel, "s.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("public timeline: %w", err)
	}
	reverseIfMin(sts, p)
	return sts, nil
}

// StatusContext returns the ancestors (oldest first, at most 40) and the
// descendants (in thread order, at most 60) of st.
func (q queries) StatusContext(ctx context.Context, st *Status) (ancestors, descendants []*Status, err error) {
	cur := st
	for i := 0; i < 40 && cur.InReplyToID != nil; i++ {
		parent, err := q.StatusByID(ctx, *cur.InReplyToID)
		if err != nil {
			break
		}
		ancestors = append([]*Status{parent}, ancestors...)
		cur = parent
	}
	queue := []int64{st.ID}
	for len(queue) > 0 && len(descendants) < 60 {
		id := queue[0]
		queue = queue[1:]
		var kids []*Status
		if err := q.r.NewSelect().Model(&kids).Relation("Account").Where("s.in_reply_to_id = ?", id).OrderExpr("s.id ASC").Limit(60).Scan(ctx); err != nil {
			return nil, nil, err
		}
		for _, k := range kids {
			descendants = append(descendants, k)
			queue = append(queue, k.ID)
		}
	}
	return ancestors, descendants, nil
}

// IdempotentStatusID returns the status posted by accountID with key since
// since, or 0.
func (q queries) IdempotentStatusID(ctx context.Context, accountID int64, key string, since time.Time) (int64, error) {
	var ids []int64
	err := q.r.NewSelect().Table("idempotency_keys").Column("status_id").
		Where("account_id = ? AND key = ? AND created_at > ?", accountID, key, since).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return ids[0], nil
}

// RememberIdempotencyKey records that key made statusID, replacing an
// expired record; it reports false when a live record exists already.
func (q queries) RememberIdempotencyKey(ctx context.Context, accountID int64, key string, statusID int64, now, expired time.Time) (bool, error) {
	if _, err := q.w.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ? AND created_at <= ?", accountID, key, expired); err != nil {
		return false, err
	}
	res, err := q.w.ExecContext(ctx, "INSERT INTO idempotency_keys (account_id, key, status_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", accountID, key, statusID, now)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
