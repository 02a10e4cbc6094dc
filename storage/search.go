package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"rounds/storage/posttext"
)

// AccountSearch says which accounts SearchAccounts finds.
type AccountSearch struct {
	// Text matches the start of a username, of an acct (user@domain) or
	// of a word in a display name, case-insensitively.
	Text string
	// Username and Domain, when Domain is set, match an acct: the username
	// exactly and the start of the domain.
	Username, Domain string
	// FollowedBy keeps only accounts this account follows (accepted).
	FollowedBy int64
	// HiddenFrom leaves out the accounts that block this account.
	HiddenFrom int64
	Limit      int
	Offset     int
}

// SearchAccounts finds accounts that are not suspended (nor the instance
// actor): exact username matches first, then local ones, then by username.
func (q queries) SearchAccounts(ctx context.Context, s AccountSearch) ([]*Account, error) {
	var accts []*Account
	sel := q.r.NewSelect().Model(&accts).
		Where("suspended_at IS NULL").Where("username <> 'instance.actor'")
	exact := s.Text
	if s.Domain != "" {
		exact = s.Username
		sel = sel.Where("lower(username) = ?", strings.ToLower(s.Username)).
			Where(`lower(domain) LIKE ? ESCAPE '\'`, escapeLike(s.Domain)+"%")
	} else {
		esc := escapeLike(s.Text)
		sel = sel.Where(`(lower(username) LIKE ? ESCAPE '\' OR lower(display_name) LIKE ? ESCAPE '\' OR lower(display_name) LIKE ? ESCAPE '\')`,
			esc+"%", esc+"%", "% "+esc+"%")
	}
	if s.HiddenFrom != 0 {
		sel = sel.Where("id NOT IN (SELECT account_id FROM blocks WHERE target_account_id = ?)", s.HiddenFrom)
	}
	if s.FollowedBy != 0 {
		sel = sel.Where("id IN (SELECT target_account_id FROM follows WHERE account_id = ? AND accepted_at IS NOT NULL)", s.FollowedBy)
	}
	err := sel.OrderExpr("CASE WHEN lower(username) = ? THEN 0 ELSE 1 END, CASE WHEN domain = '' THEN 0 ELSE 1 END, lower(username), domain, id", strings.ToLower(exact)).
		Limit(int64(s.Limit)).Offset(int64(s.Offset)).Scan(ctx)
	return accts, err
}

// StatusByURL returns a status by its web address (the one shown to
// people, which may differ from its ActivityPub id).
func (q queries) StatusByURL(ctx context.Context, url string) (*Status, error) {
	st := new(Status)
	if err := q.r.NewSelect().Model(st).Relation("Account").Where("s.url = ?", url).
		OrderExpr("s.id").Limit(1).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return st, nil
}

// AccountByURL returns an account by its profile's web address.
func (q queries) AccountByURL(ctx context.Context, url string) (*Account, error) {
	a := new(Account)
	if err := q.r.NewSelect().Model(a).Where("url = ?", url).OrderExpr("id").Limit(1).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// TagUse is a hashtag found by SearchTags, with how much it is used.
type TagUse struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	Uses      int
}

// SearchTags finds hashtags whose name starts with prefix (lower-case):
// the exact name first, then the most used since since (posts in their
// send delay not counted), then by name.
func (q queries) SearchTags(ctx context.Context, prefix string, since time.Time, limit, offset int) ([]TagUse, error) {
	var out []TagUse
	err := q.r.NewSelect().TableExpr("tags AS t").
		ColumnExpr("t.id, t.name, t.created_at").
		ColumnExpr("(SELECT count(*) FROM status_tags AS st JOIN statuses AS s ON s.id = st.status_id WHERE st.tag_id = t.id AND s.created_at >= ? AND s.pending_until IS NULL) AS uses", since).
		Where(`t.name LIKE ? ESCAPE '\'`, escapeLike(prefix)+"%").
		OrderExpr("CASE WHEN t.name = ? THEN 0 ELSE 1 END, uses DESC, t.name", strings.ToLower(prefix)).
		Limit(int64(limit)).Offset(int64(offset)).Scan(ctx, &out)
	return out, err
}

// TagDay is one day's use of a hashtag: the statuses carrying it and their
// distinct authors.
type TagDay struct {
	TagID    int64
	Day      time.Time
	Uses     int
	Accounts int
}

// TagHistory returns, per tag and day (UTC) since since, how many statuses
// carried the tag and how many accounts posted them. Days without use are
// left out.
func (q queries) TagHistory(ctx context.Context, tagIDs []int64, since time.Time) ([]TagDay, error) {
	if len(tagIDs) == 0 {
		return nil, nil
	}
	var rows []struct {
		TagID     int64
		AccountID int64
		CreatedAt time.Time
	}
	err := q.r.NewSelect().TableExpr("status_tags AS st").
		ColumnExpr("st.tag_id, s.account_id, s.created_at").
		Join("JOIN statuses AS s ON s.id = st.status_id").
		Where("st.tag_id IN (?)", bun.In(tagIDs)).Where("s.created_at >= ?", since).
		Where("s.pending_until IS NULL"). // a post in its send delay is not used yet
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	type key struct {
		tag int64
		day time.Time
	}
	days := map[key]*TagDay{}
	authors := map[key]map[int64]bool{}
	var order []key
	for _, r := range rows {
		d := r.CreatedAt.UTC()
		k := key{r.TagID, time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)}
		if days[k] == nil {
			days[k] = &TagDay{TagID: k.tag, Day: k.day}
			authors[k] = map[int64]bool{}
			order = append(order, k)
		}
		days[k].Uses++
		authors[k][r.AccountID] = true
	}
	out := make([]TagDay, 0, len(order))
	for _, k := range order {
		days[k].Accounts = len(authors[k])
		out = append(out, *days[k])
	}
	return out, nil
}

// The full-text index's statements. A post's words are its content
// warning and text (posttext.Of, given), then its poll options and its
// images' descriptions (added by the database). They are written when the
// transaction that stored or edited the post ends, so that its poll and
// images are there too; an edit first drops the words the post had.
const (
	sqliteMoreWords = `|| ' ' || coalesce((SELECT group_concat(o.value, ' ') FROM polls AS p, json_each(p.options) AS o WHERE p.status_id = s.id), '')
		|| ' ' || coalesce((SELECT group_concat(m.description, ' ') FROM media_attachments AS m WHERE m.status_id = s.id), '')`
	pgMoreWords = `|| ' ' || coalesce((SELECT string_agg(o, ' ') FROM polls AS p, json_array_elements_text(p.options::json) AS o WHERE p.status_id = s.id), '')
		|| ' ' || coalesce((SELECT string_agg(m.description, ' ') FROM media_attachments AS m WHERE m.status_id = s.id), '')`
)

var (
	// stmtIndexStatus writes one post's words: its text, then its id.
	stmtIndexStatus = prepareWriteEach(
		`INSERT INTO status_search (rowid, body) SELECT s.id, ? `+sqliteMoreWords+` FROM statuses AS s WHERE s.id = ?`,
		`INSERT INTO status_search (status_id, body) SELECT s.id, to_tsvector('simple', ?::text `+pgMoreWords+`) FROM statuses AS s WHERE s.id = ?
			ON CONFLICT (status_id) DO UPDATE SET body = excluded.body`)
	// stmtIndexStatuses writes many posts' words, given as a JSON array of
	// {"id": "123", "body": "..."}, in one statement. (LATERAL makes
	// PostgreSQL look each post up by its key: planned while the table was
	// small, a join would scan it for good.)
	stmtIndexStatuses = prepareWriteEach(
		`INSERT INTO status_search (rowid, body) SELECT s.id, (e.value ->> 'body') `+sqliteMoreWords+`
			FROM json_each(?) AS e JOIN statuses AS s ON s.id = CAST(e.value ->> 'id' AS INTEGER)`,
		`INSERT INTO status_search (status_id, body) SELECT s.id, to_tsvector('simple', (e ->> 'body') `+pgMoreWords+`)
			FROM json_array_elements(?::json) AS e, LATERAL (SELECT id FROM statuses WHERE id = (e ->> 'id')::bigint) AS s
			ON CONFLICT (status_id) DO UPDATE SET body = excluded.body`)
	stmtUnindexStatus = prepareWriteEach(
		"DELETE FROM status_search WHERE rowid = ?",
		"DELETE FROM status_search WHERE status_id = ?")
)

// searchEntry is one post's text, as stmtIndexStatuses takes it (in JSON).
type searchEntry struct {
	ID   int64  `json:"id,string"`
	Body string `json:"body"`
}

// searchBatch holds the posts whose words a transaction must write to the
// index before it commits. On SQLite, all the transactions of a group
// (group_commit.go) write theirs together: FTS5 writes what it holds in
// memory to disk at every statement and SAVEPOINT, one small segment that
// it must then merge each time; one statement for the group makes one.
type searchBatch struct{ entries []searchEntry }

// indexStatus has st's words written to the full-text index (edited: in
// place of the words it had): when this transaction ends, or at once
// outside one. A reblog has no words of its own; deleting a post drops
// its words (a trigger on SQLite, a foreign key on PostgreSQL).
func (q queries) indexStatus(ctx context.Context, st *Status, edited bool) error {
	if st.ReblogOfID != nil {
		return nil
	}
	if edited {
		if _, err := q.execP(ctx, stmtUnindexStatus, st.ID); err != nil {
			return fmt.Errorf("index status for search: %w", err)
		}
	}
	e := searchEntry{st.ID, posttext.Of(st.SpoilerText, st.Content)}
	if q.search != nil {
		q.search.entries = append(q.search.entries, e)
		return nil
	}
	return q.writeSearchIndex(ctx, []searchEntry{e})
}

// writeSearchIndex writes the words of posts still there to the index, the
// last text of each (a post stored and edited in one group has two).
func (q queries) writeSearchIndex(ctx context.Context, es []searchEntry) error {
	if len(es) == 0 {
		return nil
	}
	last := make(map[int64]int, len(es))
	for i, e := range es {
		last[e.ID] = i
	}
	if len(last) < len(es) {
		kept := make([]searchEntry, 0, len(last))
		for i, e := range es {
			if last[e.ID] == i {
				kept = append(kept, e)
			}
		}
		es = kept
	}
	var err error
	if len(es) == 1 {
		_, err = q.execP(ctx, stmtIndexStatus, es[0].Body, es[0].ID)
	} else {
		var batch []byte
		if batch, err = json.Marshal(es); err == nil {
			_, err = q.execP(ctx, stmtIndexStatuses, string(batch))
		}
	}
	if err != nil {
		return fmt.Errorf("index statuses for search: %w", err)
	}
	return nil
}

// StatusSearch says which posts SearchStatuses finds.
type StatusSearch struct {
	// Phrases must all be in a post, each one's words side by side in
	// its order; a post with any of Excluded is left out. Matching
	// ignores case (and, on SQLite, accents).
	Phrases, Excluded []string
	// Viewer searches. The posts found are the viewer's own and the
	// replies to them, the ones they favourited, bookmarked, boosted or
	// were mentioned in, and public posts of accounts that let themselves
	// be indexed (and are not limited);
	// never a post of an account the viewer blocks, mutes or is blocked
	// by. Whether the viewer may still see each one is for the caller to
	// decide.
	Viewer int64
	// AccountID keeps only the posts of this account.
	AccountID int64
	// Filters a query asks for with operators (from:, has:, is: and the
	// rest, parsed by social). Without Phrases, From must be set.
	From, NotFrom           []int64
	HasMedia, HasPoll       *bool
	IsReply, IsSensitive    *bool
	Languages, NotLanguages []string
	// Since and Until bound the time of posting: from Since, before Until.
	Since, Until time.Time
	// Library leaves out the public posts of others that the viewer never
	// touched (in:library).
	Library bool
	Page    Page
	Offset  int
}

// SearchStatuses finds posts by their words, newest first (oldest first
// with Page.MinID, then put back newest first).
func (q queries) SearchStatuses(ctx context.Context, s StatusSearch) ([]*Status, error) {
	if len(s.Phrases) == 0 && len(s.From) == 0 || s.Viewer == 0 {
		return nil, nil
	}
	var sts []*Status
	sel := q.r.NewSelect().Model(&sts).Relation("Account", withoutKeys)
	order := "s.id"
	if len(s.Phrases) == 0 {
		// Only filters: the posts of the accounts in From.
	} else if q.ps.dialect == Postgres {
		parts := make([]string, 0, len(s.Phrases)+len(s.Excluded))
		args := make([]any, 0, cap(parts))
		for _, p := range s.Phrases {
			parts, args = append(parts, "phraseto_tsquery('simple', ?)"), append(args, p)
		}
		for _, p := range s.Excluded {
			parts, args = append(parts, "!! phraseto_tsquery('simple', ?)"), append(args, p)
		}
		match := "body @@ (" + strings.Join(parts, " && ") + ")"
		// A GIN index finds matches but not in order, and the planner
		// takes any word to be in about 0.5 % of posts; for a rare word
		// it then walks all posts newest first. So first ask for a few
		// matches: when that is all there are, the page is read from
		// them; otherwise the word is common, and walking the posts
		// newest first soon fills the page.
		var few []int64
		if err := q.r.NewSelect().Table("status_search").Column("status_id").Where(match, args...).
			Limit(int64(pgFewMatches)+1).Scan(ctx, &few); err != nil {
			return nil, fmt.Errorf("search statuses: %w", err)
		}
		switch {
		case len(few) == 0:
			return nil, nil
		case len(few) <= pgFewMatches:
			sel = sel.Where("s.id IN (?)", bun.In(few))
		default:
			sel = sel.Where("s.id IN (SELECT status_id FROM status_search WHERE "+match+")", args...)
		}
	} else {
		// The index drives: it gives its matches newest first (and from
		// max_id down) and the first that pass the rest end the search,
		// where "s.id IN (its matches)" would read every match first.
		sel = sel.Join("JOIN status_search ON status_search.rowid = s.id").
			Where("status_search MATCH ?", fts5Query(s.Phrases, s.Excluded))
		order = "status_search.rowid"
	}
	v := s.Viewer
	sel = sel.Where("s.reblog_of_id IS NULL").
		Where("(s.pending_until IS NULL OR s.account_id = ?)", v).
		Where("account.suspended_at IS NULL").
		Where(`(s.account_id = ? OR s.in_reply_to_account_id = ?
			OR s.visibility = 'public' AND account.indexable AND account.silenced_at IS NULL AND NOT ?
			OR EXISTS (SELECT 1 FROM favourites AS f WHERE f.status_id = s.id AND f.account_id = ?)
			OR EXISTS (SELECT 1 FROM bookmarks AS b WHERE b.status_id = s.id AND b.account_id = ?)
			OR EXISTS (SELECT 1 FROM statuses AS rb WHERE rb.reblog_of_id = s.id AND rb.account_id = ?)
			OR EXISTS (SELECT 1 FROM mentions AS m WHERE m.status_id = s.id AND m.account_id = ?))`, v, v, s.Library, v, v, v, v).
		Where(`NOT EXISTS (SELECT 1 FROM blocks AS bl WHERE bl.account_id = ? AND bl.target_account_id = s.account_id
			OR bl.account_id = s.account_id AND bl.target_account_id = ?)`, v, v).
		Where("NOT EXISTS (SELECT 1 FROM mutes AS mu WHERE mu.account_id = ? AND mu.target_account_id = s.account_id)", v)
	if s.AccountID != 0 {
		sel = sel.Where("s.account_id = ?", s.AccountID)
	}
	sel = s.filter(sel)
	sel = s.Page.apply(sel, order)
	if s.Offset > 0 {
		sel = sel.Offset(int64(s.Offset))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("search statuses: %w", err)
	}
	reverseIfMin(sts, s.Page)
	return sts, nil
}

// filter adds the operators' filters to sel.
func (s StatusSearch) filter(sel *bun.SelectQuery) *bun.SelectQuery {
	if len(s.From) > 0 {
		sel = sel.Where("s.account_id IN (?)", bun.In(s.From))
	}
	if len(s.NotFrom) > 0 {
		sel = sel.Where("s.account_id NOT IN (?)", bun.In(s.NotFrom))
	}
	exists := func(yes *bool, sub string) {
		if yes == nil {
			return
		}
		if *yes {
			sel = sel.Where("EXISTS (" + sub + ")")
		} else {
			sel = sel.Where("NOT EXISTS (" + sub + ")")
		}
	}
	exists(s.HasMedia, "SELECT 1 FROM media_attachments AS ma WHERE ma.status_id = s.id")
	exists(s.HasPoll, "SELECT 1 FROM polls AS pl WHERE pl.status_id = s.id")
	if s.IsReply != nil {
		if *s.IsReply {
			sel = sel.Where("s.in_reply_to_uri <> ''")
		} else {
			sel = sel.Where("s.in_reply_to_uri = ''")
		}
	}
	if s.IsSensitive != nil {
		sel = sel.Where("s.sensitive = ?", *s.IsSensitive)
	}
	if len(s.Languages) > 0 {
		sel = sel.Where("s.language IN (?)", bun.In(s.Languages))
	}
	if len(s.NotLanguages) > 0 {
		sel = sel.Where("s.language NOT IN (?)", bun.In(s.NotLanguages))
	}
	if !s.Since.IsZero() {
		sel = sel.Where("s.created_at >= ?", s.Since)
	}
	if !s.Until.IsZero() {
		sel = sel.Where("s.created_at < ?", s.Until)
	}
	return sel
}

// pgFewMatches is how many matches of a search PostgreSQL reads before
// it takes the words to be common (SearchStatuses).
var pgFewMatches = 2000

// fts5Query writes phrases and exclusions as an SQLite FTS5 query. Each
// is one quoted string, which FTS5 splits into words as it split the
// posts; inside it nothing is syntax but a doubled quote.
func fts5Query(phrases, excluded []string) string {
	quote := func(p string) string { return `"` + strings.ReplaceAll(p, `"`, `""`) + `"` }
	parts := make([]string, len(phrases))
	for i, p := range phrases {
		parts[i] = quote(p)
	}
	q := strings.Join(parts, " AND ")
	for _, p := range excluded {
		q += " NOT " + quote(p)
	}
	return q
}
