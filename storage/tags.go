package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Tag is a hashtag, by its lower-case name.
type Tag struct {
	bun.BaseModel `bun:"table:tags"`

	ID        int64     `bun:",pk"`
	Name      string    `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
}

// TagStatus links st to the hashtags named, creating tags that are new.
func (q queries) TagStatus(ctx context.Context, statusID int64, names []string, t time.Time) error {
	for _, name := range names {
		name = strings.ToLower(name)
		if _, err := q.w.ExecContext(ctx, "INSERT INTO tags (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", NewID(), name, t); err != nil {
			return fmt.Errorf("insert tag: %w", err)
		}
		if _, err := q.w.ExecContext(ctx, "INSERT INTO status_tags (status_id, tag_id) SELECT ?, id FROM tags WHERE name = ? ON CONFLICT DO NOTHING", statusID, name); err != nil {
			return fmt.Errorf("tag status: %w", err)
		}
	}
	return nil
}

// StatusTagNames returns the hashtags of a status.
func (q queries) StatusTagNames(ctx context.Context, statusID int64) ([]string, error) {
	var names []string
	err := q.r.NewSelect().ColumnExpr("t.name").TableExpr("tags AS t").
		Join("JOIN status_tags AS st ON st.tag_id = t.id").
		Where("st.status_id = ?", statusID).OrderExpr("t.name").Scan(ctx, &names)
	return names, err
}

// ReplaceStatusLinks makes the mentions and hashtags of an edited status
// the given ones.
func (q queries) ReplaceStatusLinks(ctx context.Context, statusID int64, mentions []int64, tags []string, t time.Time) error {
	if _, err := q.w.ExecContext(ctx, "DELETE FROM mentions WHERE status_id = ?", statusID); err != nil {
		return fmt.Errorf("replace mentions: %w", err)
	}
	for _, id := range mentions {
		if _, err := q.w.NewInsert().Model(&Mention{StatusID: statusID, AccountID: id}).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("replace mentions: %w", err)
		}
	}
	if _, err := q.w.ExecContext(ctx, "DELETE FROM status_tags WHERE status_id = ?", statusID); err != nil {
		return fmt.Errorf("replace tags: %w", err)
	}
	return q.TagStatus(ctx, statusID, tags, t)
}
