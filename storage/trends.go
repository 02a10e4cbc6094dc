package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// The kinds of item staff review for trends.
const (
	TrendTag       = "tag"
	TrendStatus    = "status"
	TrendLink      = "link"
	TrendPublisher = "publisher"
)

// TrendReview is staff's decision on one item that may trend.
type TrendReview struct {
	bun.BaseModel `bun:"table:trend_reviews"`

	Kind       string    `bun:",pk"`
	Target     string    `bun:",pk"`
	Trendable  bool      `bun:",notnull"`
	ReviewedAt time.Time `bun:",notnull"`
}

// PutTrendReview records staff's decision, replacing an earlier one.
func (q queries) PutTrendReview(ctx context.Context, r *TrendReview) error {
	_, err := q.w.NewInsert().Model(r).On("CONFLICT (kind, target) DO UPDATE").
		Set("trendable = EXCLUDED.trendable").Set("reviewed_at = EXCLUDED.reviewed_at").Exec(ctx)
	return err
}

// TrendReviews returns staff's decisions on items of kind, by target.
func (q queries) TrendReviews(ctx context.Context, kind string) (map[string]TrendReview, error) {
	var rows []TrendReview
	if err := q.r.NewSelect().Model(&rows).Where("kind = ?", kind).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]TrendReview, len(rows))
	for _, r := range rows {
		out[r.Target] = r
	}
	return out, nil
}

// TagSettings are staff's settings of a hashtag; a tag without a row has
// the defaults (usable, listable, no display name).
type TagSettings struct {
	bun.BaseModel `bun:"table:tag_settings"`

	TagID       int64     `bun:",pk"`
	DisplayName string    `bun:",notnull"`
	Usable      bool      `bun:",notnull"`
	Listable    bool      `bun:",notnull"`
	UpdatedAt   time.Time `bun:",notnull"`
}

// PutTagSettings stores s, replacing the tag's earlier settings.
func (q queries) PutTagSettings(ctx context.Context, s *TagSettings) error {
	_, err := q.w.NewInsert().Model(s).On("CONFLICT (tag_id) DO UPDATE").
		Set("display_name = EXCLUDED.display_name").Set("usable = EXCLUDED.usable").
		Set("listable = EXCLUDED.listable").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	return err
}

// TagSettingsOf returns the settings of tagIDs that have any, by tag id.
func (q queries) TagSettingsOf(ctx context.Context, tagIDs []int64) (map[int64]TagSettings, error) {
	out := map[int64]TagSettings{}
	if len(tagIDs) == 0 {
		return out, nil
	}
	var rows []TagSettings
	if err := q.r.NewSelect().Model(&rows).Where("tag_id IN (?)", bun.In(tagIDs)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.TagID] = r
	}
	return out, nil
}

// TagByID returns the hashtag id.
func (q queries) TagByID(ctx context.Context, id int64) (*Tag, error) {
	tag := new(Tag)
	if err := q.r.NewSelect().Model(tag).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return tag, nil
}

// Tags returns a page of every hashtag, newest first.
func (q queries) Tags(ctx context.Context, p Page) ([]*Tag, error) {
	var tags []*Tag
	if err := p.apply(q.r.NewSelect().Model(&tags), "id").Scan(ctx); err != nil {
		return nil, err
	}
	reverseIfMin(tags, p)
	return tags, nil
}

// TagScore is a hashtag's use in public posts over a few days.
type TagScore struct {
	ID       int64
	Name     string
	Accounts int
	Uses     int
}

// publicSince is the condition for a published public post since a time
// by an account neither suspended nor limited: what may trend.
const publicSince = "s.created_at >= ? AND s.visibility = 'public' AND s.pending_until IS NULL AND a.suspended_at IS NULL AND a.silenced_at IS NULL"

// TagScores returns the hashtags of public posts since since, the ones
// most accounts used first, at most limit.
func (q queries) TagScores(ctx context.Context, since time.Time, limit int) ([]TagScore, error) {
	var out []TagScore
	err := q.r.NewRaw(`SELECT t.id, t.name, count(DISTINCT s.account_id) AS accounts, count(*) AS uses
		FROM status_tags AS st JOIN statuses AS s ON s.id = st.status_id JOIN tags AS t ON t.id = st.tag_id
		JOIN accounts AS a ON a.id = s.account_id
		WHERE `+publicSince+`
		GROUP BY t.id, t.name ORDER BY accounts DESC, uses DESC, t.name LIMIT ?`, since, limit).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("tag scores: %w", err)
	}
	return out, nil
}

// StatusScore is a post's favourites and boosts.
type StatusScore struct {
	ID    int64
	Score int
}

// StatusScores returns the public posts (not replies) since since that were
// favourited or boosted, the most first, at most limit.
func (q queries) StatusScores(ctx context.Context, since time.Time, limit int) ([]StatusScore, error) {
	var out []StatusScore
	err := q.r.NewRaw(`SELECT id, score FROM (SELECT s.id,
			(SELECT count(*) FROM favourites AS f WHERE f.status_id = s.id) +
			(SELECT count(*) FROM statuses AS r WHERE r.reblog_of_id = s.id) AS score
		FROM statuses AS s JOIN accounts AS a ON a.id = s.account_id
		WHERE `+publicSince+` AND s.reblog_of_id IS NULL AND s.in_reply_to_id IS NULL) AS x
		WHERE score > 0 ORDER BY score DESC, id DESC LIMIT ?`, since, limit).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("status scores: %w", err)
	}
	return out, nil
}

// PostedContent is the HTML of one public post, for the links in it.
type PostedContent struct {
	ID        int64
	AccountID int64
	Content   string
	CreatedAt time.Time
}

// RecentPublicContent returns the content of public posts since since,
// newest first, at most limit.
func (q queries) RecentPublicContent(ctx context.Context, since time.Time, limit int) ([]PostedContent, error) {
	var out []PostedContent
	err := q.r.NewRaw(`SELECT s.id, s.account_id, s.content, s.created_at FROM statuses AS s JOIN accounts AS a ON a.id = s.account_id
		WHERE `+publicSince+` AND s.reblog_of_id IS NULL AND s.content LIKE '%href=%' ORDER BY s.id DESC LIMIT ?`, since, limit).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("recent public content: %w", err)
	}
	return out, nil
}

// PublicStatusesMentioning returns a page of public posts whose HTML holds
// text (a link, HTML-escaped as it appears there), newest first.
func (q queries) PublicStatusesMentioning(ctx context.Context, text string, p Page) ([]*Status, error) {
	var sts []*Status
	sel := q.r.NewSelect().Model(&sts).Relation("Account").
		Where("s.visibility = 'public'").Where("s.reblog_of_id IS NULL").Where("s.pending_until IS NULL").
		Where("account.suspended_at IS NULL").Where("account.silenced_at IS NULL").
		Where(`lower(s.content) LIKE ? ESCAPE '\'`, "%"+escapeLike(text)+"%")
	if err := p.apply(sel, "s.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("statuses mentioning: %w", err)
	}
	reverseIfMin(sts, p)
	return sts, nil
}

// UnusableTagNames returns those of names (lower-case) that staff made
// unusable.
func (q queries) UnusableTagNames(ctx context.Context, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var out []string
	err := q.r.NewSelect().ColumnExpr("t.name").TableExpr("tags AS t").
		Join("JOIN tag_settings AS ts ON ts.tag_id = t.id").
		Where("t.name IN (?)", bun.In(names)).Where("NOT ts.usable").OrderExpr("t.name").Scan(ctx, &out)
	return out, err
}
