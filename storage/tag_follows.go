package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// EnsureTag returns the hashtag name (lower-case), creating it when new.
func (q queries) EnsureTag(ctx context.Context, name string, t time.Time) (*Tag, error) {
	name = strings.ToLower(name)
	if _, err := q.w.ExecContext(ctx, "INSERT INTO tags (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", NewID(), name, t); err != nil {
		return nil, fmt.Errorf("insert tag: %w", err)
	}
	tag := new(Tag)
	if err := q.w.NewSelect().Model(tag).Where("name = ?", name).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return tag, nil
}

// TagByName returns the hashtag name (lower-case), if anyone used it.
func (q queries) TagByName(ctx context.Context, name string) (*Tag, error) {
	tag := new(Tag)
	if err := q.r.NewSelect().Model(tag).Where("name = ?", strings.ToLower(name)).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return tag, nil
}

// FollowTag makes accountID follow tagID; following it again changes
// nothing.
func (q queries) FollowTag(ctx context.Context, accountID, tagID int64, t time.Time) error {
	_, err := q.w.ExecContext(ctx, "INSERT INTO tag_follows (id, account_id, tag_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", NewID(), accountID, tagID, t)
	return err
}

// UnfollowTag ends accountID's follow of tagID, if any.
func (q queries) UnfollowTag(ctx context.Context, accountID, tagID int64) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM tag_follows WHERE account_id = ? AND tag_id = ?", accountID, tagID)
	return err
}

// TagFlags tells which of tagIDs accountID follows and features.
func (q queries) TagFlags(ctx context.Context, accountID int64, tagIDs []int64) (following, featuring map[int64]bool, err error) {
	following, featuring = map[int64]bool{}, map[int64]bool{}
	if len(tagIDs) == 0 {
		return following, featuring, nil
	}
	var ids []int64
	if err := q.r.NewSelect().Table("tag_follows").Column("tag_id").
		Where("account_id = ?", accountID).Where("tag_id IN (?)", bun.In(tagIDs)).Scan(ctx, &ids); err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		following[id] = true
	}
	ids = nil
	if err := q.r.NewSelect().Table("featured_tags").Column("tag_id").
		Where("account_id = ?", accountID).Where("tag_id IN (?)", bun.In(tagIDs)).Scan(ctx, &ids); err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		featuring[id] = true
	}
	return following, featuring, nil
}

// FollowedTag is a hashtag an account follows; ID is the follow's, by
// which the list pages.
type FollowedTag struct {
	ID    int64
	TagID int64
	Name  string
}

// FollowedTags returns a page of the hashtags accountID follows, the
// latest followed first.
func (q queries) FollowedTags(ctx context.Context, accountID int64, p Page) ([]FollowedTag, error) {
	var out []FollowedTag
	sel := q.r.NewSelect().TableExpr("tag_follows AS tf").
		ColumnExpr("tf.id, tf.tag_id, t.name").
		Join("JOIN tags AS t ON t.id = tf.tag_id").
		Where("tf.account_id = ?", accountID)
	if p.MaxID > 0 {
		sel = sel.Where("tf.id < ?", p.MaxID)
	}
	if p.SinceID > 0 {
		sel = sel.Where("tf.id > ?", p.SinceID)
	}
	if p.MinID > 0 {
		sel = sel.Where("tf.id > ?", p.MinID).OrderExpr("tf.id ASC")
	} else {
		sel = sel.OrderExpr("tf.id DESC")
	}
	if err := sel.Limit(int64(max(p.Limit, 1))).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("followed tags: %w", err)
	}
	reverseIfMin(out, p)
	return out, nil
}

// stmtFeedTagFollowers puts a published post into the home feeds of the
// local accounts that follow one of its hashtags. As on Mastodon only
// public, original posts of accounts that are neither suspended nor
// limited go there, and not to someone who blocks or mutes its author or
// an account it mentions, or whom its author blocks.
var stmtFeedTagFollowers = prepareWrite(`INSERT INTO home_feed (account_id, status_id, author_id)
SELECT DISTINCT tf.account_id, s.id, s.account_id
FROM statuses AS s
JOIN accounts AS author ON author.id = s.account_id
JOIN status_tags AS st ON st.status_id = s.id
JOIN tag_follows AS tf ON tf.tag_id = st.tag_id
JOIN accounts AS a ON a.id = tf.account_id
WHERE s.id = ? AND s.visibility = 'public' AND s.reblog_of_id IS NULL AND s.pending_until IS NULL
AND author.suspended_at IS NULL AND author.silenced_at IS NULL
AND a.domain = '' AND a.suspended_at IS NULL AND tf.account_id <> s.account_id
AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE (b.account_id = tf.account_id AND b.target_account_id = s.account_id)
	OR (b.account_id = s.account_id AND b.target_account_id = tf.account_id))
AND NOT EXISTS (SELECT 1 FROM mutes AS m WHERE m.account_id = tf.account_id AND m.target_account_id = s.account_id)
AND NOT EXISTS (SELECT 1 FROM mentions AS mn WHERE mn.status_id = s.id AND (
	EXISTS (SELECT 1 FROM blocks AS b WHERE b.account_id = tf.account_id AND b.target_account_id = mn.account_id)
	OR EXISTS (SELECT 1 FROM mutes AS m WHERE m.account_id = tf.account_id AND m.target_account_id = mn.account_id)))
ON CONFLICT DO NOTHING`)

// FeedTagFollowers adds the published status statusID, once its hashtags
// are stored, to the home feeds of those who follow one of them (see
// stmtFeedTagFollowers for who does not get it).
func (q queries) FeedTagFollowers(ctx context.Context, statusID int64) error {
	if _, err := q.execP(ctx, stmtFeedTagFollowers, statusID); err != nil {
		return fmt.Errorf("home feed of tag followers: %w", err)
	}
	return nil
}

// InHomeFeed reports whether statusID is in accountID's home feed.
func (q queries) InHomeFeed(ctx context.Context, accountID, statusID int64) (bool, error) {
	return q.r.NewSelect().Table("home_feed").Where("account_id = ? AND status_id = ?", accountID, statusID).Exists(ctx)
}

// FeaturedTag is a hashtag an account features on its profile, with how
// many of the account's public and unlisted posts carry it and when the
// last was written.
type FeaturedTag struct {
	ID            int64
	AccountID     int64
	TagID         int64
	Name          string
	StatusesCount int
	LastStatusAt  *time.Time
}

// FeaturedTags returns the hashtags accountID features, oldest first.
func (q queries) FeaturedTags(ctx context.Context, accountID int64) ([]FeaturedTag, error) {
	return q.featuredTags(ctx, "ft.account_id = ?", accountID)
}

// FeaturedTagByID returns one featured tag of accountID.
func (q queries) FeaturedTagByID(ctx context.Context, accountID, id int64) (*FeaturedTag, error) {
	out, err := q.featuredTags(ctx, "ft.account_id = ? AND ft.id = ?", accountID, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return &out[0], nil
}

// featuredTags reads featured tags with their counts. The counts are of
// the posts anyone may see (public and unlisted, published), as Mastodon
// counts them; computed when read, they are never out of step with edits
// and deletions.
func (q queries) featuredTags(ctx context.Context, where string, args ...any) ([]FeaturedTag, error) {
	var rows []struct {
		ID            int64
		AccountID     int64
		TagID         int64
		Name          string
		StatusesCount int
	}
	const tagged = `FROM status_tags AS st JOIN statuses AS s ON s.id = st.status_id
		WHERE st.tag_id = ft.tag_id AND s.account_id = ft.account_id
		AND s.visibility IN ('public', 'unlisted') AND s.pending_until IS NULL AND s.reblog_of_id IS NULL`
	err := q.r.NewSelect().TableExpr("featured_tags AS ft").
		ColumnExpr("ft.id, ft.account_id, ft.tag_id, t.name").
		ColumnExpr("(SELECT count(*) "+tagged+") AS statuses_count").
		Join("JOIN tags AS t ON t.id = ft.tag_id").
		Where(where, args...).OrderExpr("ft.id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("featured tags: %w", err)
	}
	out := make([]FeaturedTag, 0, len(rows))
	for _, r := range rows {
		ft := FeaturedTag{ID: r.ID, AccountID: r.AccountID, TagID: r.TagID, Name: r.Name, StatusesCount: r.StatusesCount}
		out = append(out, ft)
	}
	// The last post's time, read as a time (SQLite gives max() of a
	// timestamp back as text).
	for i := range out {
		if out[i].StatusesCount == 0 {
			continue
		}
		var at time.Time
		err := q.r.NewSelect().TableExpr("statuses AS s").ColumnExpr("s.created_at").
			Join("JOIN status_tags AS st ON st.status_id = s.id").
			Where("st.tag_id = ? AND s.account_id = ?", out[i].TagID, out[i].AccountID).
			Where("s.visibility IN ('public', 'unlisted') AND s.pending_until IS NULL AND s.reblog_of_id IS NULL").
			OrderExpr("s.id DESC").Limit(1).Scan(ctx, &at)
		if err == nil {
			out[i].LastStatusAt = &at
		}
	}
	return out, nil
}

// CountFeaturedTags counts the hashtags accountID features.
func (q queries) CountFeaturedTags(ctx context.Context, accountID int64) (int, error) {
	n, err := q.r.NewSelect().Table("featured_tags").Where("account_id = ?", accountID).Count(ctx)
	return int(n), err
}

// FeatureTag features tagID on accountID's profile and returns the
// feature's id; featuring it again returns the existing one.
func (q queries) FeatureTag(ctx context.Context, accountID, tagID int64, t time.Time) (int64, error) {
	if _, err := q.w.ExecContext(ctx, "INSERT INTO featured_tags (id, account_id, tag_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", NewID(), accountID, tagID, t); err != nil {
		return 0, fmt.Errorf("feature tag: %w", err)
	}
	var id int64
	err := q.w.NewSelect().Table("featured_tags").Column("id").Where("account_id = ? AND tag_id = ?", accountID, tagID).Scan(ctx, &id)
	return id, err
}

// UnfeatureTag stops featuring tagID on accountID's profile; it reports
// whether the tag was featured.
func (q queries) UnfeatureTag(ctx context.Context, accountID, tagID int64) (bool, error) {
	res, err := q.w.ExecContext(ctx, "DELETE FROM featured_tags WHERE account_id = ? AND tag_id = ?", accountID, tagID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ReplaceFeaturedTags makes names (lower-case, existing or new) the
// hashtags accountID features, keeping the ids of those it featured
// already.
func (q queries) ReplaceFeaturedTags(ctx context.Context, accountID int64, names []string, t time.Time) error {
	keep := []int64{0}
	for _, name := range names {
		tag, err := q.EnsureTag(ctx, name, t)
		if err != nil {
			return err
		}
		if _, err := q.FeatureTag(ctx, accountID, tag.ID, t); err != nil {
			return err
		}
		keep = append(keep, tag.ID)
	}
	_, err := q.w.NewDelete().Table("featured_tags").Where("account_id = ?", accountID).
		Where("tag_id NOT IN (?)", bun.In(keep)).Exec(ctx)
	return err
}

// MostUsedTags returns the hashtags accountID used most in its posts, at
// most limit, leaving out those it features already.
func (q queries) MostUsedTags(ctx context.Context, accountID int64, limit int) ([]Tag, error) {
	var out []Tag
	err := q.r.NewSelect().TableExpr("tags AS t").
		ColumnExpr("t.id, t.name, t.created_at").
		Join("JOIN status_tags AS st ON st.tag_id = t.id").
		Join("JOIN statuses AS s ON s.id = st.status_id").
		Where("s.account_id = ?", accountID).Where("s.reblog_of_id IS NULL").
		Where("t.id NOT IN (SELECT tag_id FROM featured_tags WHERE account_id = ?)", accountID).
		GroupExpr("t.id, t.name, t.created_at").
		OrderExpr("count(*) DESC, max(s.id) DESC").Limit(int64(limit)).Scan(ctx, &out)
	return out, err
}
