package storage

import (
	"context"

	"github.com/uptrace/bun"
)

// MediaFileNamesKnown returns which of names are the file or preview of a
// media row.
func (q queries) MediaFileNamesKnown(ctx context.Context, names []string) (map[string]bool, error) {
	known := map[string]bool{}
	for len(names) > 0 {
		batch := names[:min(len(names), 500)]
		names = names[len(batch):]
		var rows []struct {
			FileName        string `bun:"file_name"`
			PreviewFileName string `bun:"preview_file_name"`
		}
		if err := q.r.NewSelect().Table("media_attachments").Column("file_name", "preview_file_name").
			WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
				return s.Where("file_name IN (?)", bun.In(batch)).WhereOr("preview_file_name IN (?)", bun.In(batch))
			}).Scan(ctx, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			known[r.FileName] = true
			known[r.PreviewFileName] = true
		}
	}
	return known, nil
}
