package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Media is an image attached (or about to be attached) to a status.
type Media struct {
	bun.BaseModel `bun:"table:media_attachments,alias:m"`

	ID          int64 `bun:",pk"`
	AccountID   int64 `bun:",notnull"`
	StatusID    *int64
	Type        string    `bun:",notnull"`
	FileName    string    `bun:",notnull"` // in the data directory's media folder; "" for remote media
	RemoteURL   string    `bun:"remote_url,notnull"`
	ContentType string    `bun:",notnull"`
	FileSize    int64     `bun:",notnull"`
	Width       int       `bun:",notnull"`
	Height      int       `bun:",notnull"`
	Description string    `bun:",notnull"`
	Blurhash    string    `bun:",notnull"`
	Position    int       `bun:",notnull"`
	CreatedAt   time.Time `bun:",notnull"`
	// PreviewFileName is a smaller copy of a local image, beside it; ""
	// when the image is its own preview (small enough, or remote).
	PreviewFileName string `bun:",notnull"`
	PreviewWidth    int    `bun:",notnull"`
	PreviewHeight   int    `bun:",notnull"`
	// RemovedFromStatusID is the post an edit removed the image from: it
	// stays for that post's history, and is not attached elsewhere.
	RemovedFromStatusID *int64
	// ScheduledStatusID is the scheduled post holding the image until it is
	// published: it is not attached to any other post meanwhile.
	ScheduledStatusID *int64
}

// InsertMedia stores m.
func (q queries) InsertMedia(ctx context.Context, m *Media) error {
	if _, err := q.w.NewInsert().Model(m).Exec(ctx); err != nil {
		return fmt.Errorf("insert media: %w", err)
	}
	return nil
}

// MediaByID returns the media id.
func (q queries) MediaByID(ctx context.Context, id int64) (*Media, error) {
	m := new(Media)
	if err := q.r.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return m, nil
}

// UpdateMediaDescription saves m's description; the post it is attached
// to, if any, is indexed for search again.
func (q queries) UpdateMediaDescription(ctx context.Context, m *Media) error {
	if _, err := q.w.NewUpdate().Model(m).Column("description").WherePK().Exec(ctx); err != nil {
		return err
	}
	if m.StatusID == nil {
		return nil
	}
	// The description is part of its post's searchable words.
	st, err := q.StatusByID(ctx, *m.StatusID)
	if err != nil {
		return notFound(err)
	}
	return q.indexStatus(ctx, st, true)
}

// AttachMedia links m to statusID at position.
func (q queries) AttachMedia(ctx context.Context, m *Media, statusID int64, position int) error {
	m.StatusID, m.Position, m.RemovedFromStatusID = &statusID, position, nil
	_, err := q.w.NewUpdate().Model(m).Column("status_id", "position", "removed_from_status_id").WherePK().Exec(ctx)
	return err
}

// DetachMediaExcept takes off statusID every image not in keep; each
// stays, marked as removed from the post, for its history.
func (q queries) DetachMediaExcept(ctx context.Context, statusID int64, keep []int64) error {
	up := q.w.NewUpdate().Model((*Media)(nil)).
		Set("removed_from_status_id = status_id").Set("status_id = NULL").
		Where("status_id = ?", statusID)
	if len(keep) > 0 {
		up = up.Where("id NOT IN (?)", bun.In(keep))
	}
	_, err := up.Exec(ctx)
	return err
}

// UpdateRemoteMedia saves what a remote post's edit says of one of its
// images: description, type, size and blurhash.
func (q queries) UpdateRemoteMedia(ctx context.Context, m *Media) error {
	_, err := q.w.NewUpdate().Model(m).Column("description", "type", "content_type", "width", "height", "blurhash").WherePK().Exec(ctx)
	return err
}

// MediaByIDs returns the media of ids that exist, in no order.
func (q queries) MediaByIDs(ctx context.Context, ids []int64) ([]*Media, error) {
	var ms []*Media
	if len(ids) == 0 {
		return ms, nil
	}
	err := q.r.NewSelect().Model(&ms).Where("id IN (?)", bun.In(ids)).Scan(ctx)
	return ms, err
}

// StatusMedia returns the media of a status in order.
func (q queries) StatusMedia(ctx context.Context, statusID int64) ([]*Media, error) {
	var ms []*Media
	err := q.r.NewSelect().Model(&ms).Where("status_id = ?", statusID).OrderExpr("position, id").Scan(ctx)
	return ms, err
}

// MediaByFileName returns the local media whose file, or whose preview, is
// called name.
func (q queries) MediaByFileName(ctx context.Context, name string) (*Media, error) {
	m := new(Media)
	if err := q.r.NewSelect().Model(m).
		WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("file_name = ?", name).WhereOr("preview_file_name = ?", name)
		}).
		Where("file_name <> ''").Limit(1).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return m, nil
}

// MediaWithShortFileNames returns up to limit local media with an id after
// afterID, in id order, whose file or preview name is shorter than n
// characters.
func (q queries) MediaWithShortFileNames(ctx context.Context, n int, afterID int64, limit int) ([]*Media, error) {
	var ms []*Media
	err := q.r.NewSelect().Model(&ms).
		Where("id > ?", afterID).
		Where("file_name <> ''").
		WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("length(file_name) < ?", n).
				WhereOr("preview_file_name <> '' AND length(preview_file_name) < ?", n)
		}).
		OrderExpr("id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("media with short file names: %w", err)
	}
	return ms, nil
}

// RenameMediaFiles sets media id's file and preview names to file and
// preview, if they are still oldFile and oldPreview, and reports whether
// they were (another process may have renamed them first).
func (q queries) RenameMediaFiles(ctx context.Context, id int64, oldFile, oldPreview, file, preview string) (bool, error) {
	res, err := q.w.NewUpdate().Model((*Media)(nil)).
		Set("file_name = ?", file).Set("preview_file_name = ?", preview).
		Where("id = ?", id).Where("file_name = ?", oldFile).Where("preview_file_name = ?", oldPreview).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("rename media files: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ProfileImageInUse reports whether a local account's avatar or header is
// the image at url.
func (q queries) ProfileImageInUse(ctx context.Context, url string) (bool, error) {
	n, err := q.r.NewSelect().Model((*Account)(nil)).
		Where("domain = ''").
		WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("avatar_url = ?", url).WhereOr("header_url = ?", url)
		}).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("profile image in use: %w", err)
	}
	return n > 0, nil
}

// DeleteUnattachedMedia deletes the media id of accountID while it is in
// no post (nor kept for a post's history); it reports whether it did.
func (q queries) DeleteUnattachedMedia(ctx context.Context, accountID, id int64) (bool, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM media_attachments WHERE id = ? AND account_id = ?
AND status_id IS NULL AND removed_from_status_id IS NULL`, id, accountID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
