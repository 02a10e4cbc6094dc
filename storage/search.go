package storage

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"
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
// the exact name first, then the most used since since, then by name.
func (q queries) SearchTags(ctx context.Context, prefix string, since time.Time, limit, offset int) ([]TagUse, error) {
	var out []TagUse
	err := q.r.NewSelect().TableExpr("tags AS t").
		ColumnExpr("t.id, t.name, t.created_at").
		ColumnExpr("(SELECT count(*) FROM status_tags AS st JOIN statuses AS s ON s.id = st.status_id WHERE st.tag_id = t.id AND s.created_at >= ?) AS uses", since).
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
