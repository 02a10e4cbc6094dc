package migrations

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/migrate"

	"rounds/storage/posttext"
)

// registerIndexPosts adds the step that fills the full-text index made by
// the migration before it with the posts stored until then. bun names a Go
// migration after the file its registration is called from: this one.
func registerIndexPosts(m *migrate.Migrations) {
	m.MustRegister(indexPostsForSearch, func(context.Context, *bun.DB) error { return nil })
}

// indexBatch is how many posts indexPostsForSearch indexes in one
// transaction.
var indexBatch int64 = 1000

// indexPostsForSearch indexes every stored post (reblogs have no words of
// their own) with its poll options and image descriptions, indexBatch at a time in id order, each batch in its own
// transaction. Writing a post's row again gives the same row, so a run cut
// short is simply run again.
func indexPostsForSearch(ctx context.Context, db *bun.DB) error {
	insert := "REPLACE INTO status_search (rowid, body) VALUES (?, ?)"
	if db.Dialect().Name() == dialect.PG {
		insert = "INSERT INTO status_search (status_id, body) VALUES (?, to_tsvector('simple', ?)) ON CONFLICT (status_id) DO UPDATE SET body = excluded.body"
	}
	var after int64
	for {
		var posts []struct {
			ID          int64
			SpoilerText string
			Content     string
		}
		if err := db.NewSelect().Table("statuses").Column("id", "spoiler_text", "content").
			Where("id > ?", after).Where("reblog_of_id IS NULL").OrderExpr("id").Limit(indexBatch).
			Scan(ctx, &posts); err != nil {
			return fmt.Errorf("read posts to index: %w", err)
		}
		if len(posts) == 0 {
			return nil
		}
		extra, err := pollsAndDescriptions(ctx, db, posts[0].ID, posts[len(posts)-1].ID)
		if err != nil {
			return err
		}
		err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, p := range posts {
				if _, err := tx.ExecContext(ctx, insert, p.ID, posttext.Of(p.SpoilerText, p.Content, extra[p.ID]...)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("index posts for search: %w", err)
		}
		after = posts[len(posts)-1].ID
	}
}

// pollsAndDescriptions returns, for the posts with ids from first to last,
// their poll options and then their images' descriptions.
func pollsAndDescriptions(ctx context.Context, db *bun.DB, first, last int64) (map[int64][]string, error) {
	extra := map[int64][]string{}
	var polls []struct {
		StatusID int64
		Options  string
	}
	if err := db.NewSelect().Table("polls").Column("status_id", "options").
		Where("status_id BETWEEN ? AND ?", first, last).Scan(ctx, &polls); err != nil {
		return nil, fmt.Errorf("read poll options to index: %w", err)
	}
	for _, p := range polls {
		var options []string
		_ = json.Unmarshal([]byte(p.Options), &options)
		extra[p.StatusID] = append(extra[p.StatusID], options...)
	}
	var media []struct {
		StatusID    int64
		Description string
	}
	if err := db.NewSelect().Table("media_attachments").Column("status_id", "description").
		Where("status_id BETWEEN ? AND ?", first, last).Where("description <> ''").
		OrderExpr("status_id, position, id").Scan(ctx, &media); err != nil {
		return nil, fmt.Errorf("read image descriptions to index: %w", err)
	}
	for _, m := range media {
		extra[m.StatusID] = append(extra[m.StatusID], m.Description)
	}
	return extra, nil
}
