package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Favourite is an account liking a status.
type Favourite struct {
	bun.BaseModel `bun:"table:favourites"`

	ID        int64     `bun:",pk"`
	AccountID int64     `bun:",notnull"`
	StatusID  int64     `bun:",notnull"`
	URI       string    `bun:"uri,notnull"`
	CreatedAt time.Time `bun:",notnull"`
}

// InsertFavourite stores fav; a second like of the same status by the same
// account gives ErrConflict.
func (q queries) InsertFavourite(ctx context.Context, fav *Favourite) error {
	if _, err := q.w.NewInsert().Model(fav).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("favourite: %w", ErrConflict)
		}
		return fmt.Errorf("insert favourite: %w", err)
	}
	return nil
}

// FavouriteBetween returns accountID's like of statusID.
func (q queries) FavouriteBetween(ctx context.Context, accountID, statusID int64) (*Favourite, error) {
	fav := new(Favourite)
	if err := q.r.NewSelect().Model(fav).Where("account_id = ? AND status_id = ?", accountID, statusID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return fav, nil
}

// FavouriteByURI returns the like made by the Like activity uri.
func (q queries) FavouriteByURI(ctx context.Context, uri string) (*Favourite, error) {
	fav := new(Favourite)
	if err := q.r.NewSelect().Model(fav).Where("uri = ?", uri).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return fav, nil
}

// DeleteFavourite removes fav.
func (q queries) DeleteFavourite(ctx context.Context, fav *Favourite) error {
	_, err := q.w.NewDelete().Model(fav).WherePK().Exec(ctx)
	return err
}

// CountFavourites counts a status's likes.
func (q queries) CountFavourites(ctx context.Context, statusID int64) (int, error) {
	n, err := q.r.NewSelect().Model((*Favourite)(nil)).Where("status_id = ?", statusID).Count(ctx)
	return int(n), err
}

// ReblogBetween returns accountID's boost of statusID.
func (q queries) ReblogBetween(ctx context.Context, accountID, statusID int64) (*Status, error) {
	st := new(Status)
	if err := q.r.NewSelect().Model(st).Where("s.account_id = ? AND s.reblog_of_id = ?", accountID, statusID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return st, nil
}

// CountReblogs counts a status's boosts.
func (q queries) CountReblogs(ctx context.Context, statusID int64) (int, error) {
	n, err := q.r.NewSelect().Model((*Status)(nil)).Where("reblog_of_id = ?", statusID).Count(ctx)
	return int(n), err
}

// CountReplies counts a status's direct replies, less those still waiting
// out their send delay (their existence is not to show yet).
func (q queries) CountReplies(ctx context.Context, statusID int64) (int, error) {
	n, err := q.r.NewSelect().Model((*Status)(nil)).Where("in_reply_to_id = ?", statusID).Where("pending_until IS NULL").Count(ctx)
	return int(n), err
}

// StatusEdit is an earlier version of an edited status.
type StatusEdit struct {
	bun.BaseModel `bun:"table:status_edits"`

	ID          int64     `bun:",pk"`
	StatusID    int64     `bun:",notnull"`
	Content     string    `bun:",notnull"`
	SpoilerText string    `bun:",notnull"`
	Sensitive   bool      `bun:",notnull"`
	CreatedAt   time.Time `bun:",notnull"`
	// PollOptions are the version's poll options as a JSON array; ""
	// when it had no poll.
	PollOptions string `bun:",notnull"`
	// Media are the version's images as a JSON array of EditMedia; ""
	// for versions kept before edits could change images.
	Media string `bun:",notnull"`
}

// EditMedia is an image of an earlier version of a status, with the
// description it had then.
type EditMedia struct {
	ID          int64  `json:"id,string"`
	Description string `json:"description"`
}

// MediaOf reads the images e's version had; known is false for a
// version kept before edits could change images.
func (e *StatusEdit) MediaOf() (media []EditMedia, known bool) {
	if e.Media == "" {
		return nil, false
	}
	if err := json.Unmarshal([]byte(e.Media), &media); err != nil {
		return nil, false
	}
	return media, true
}

// UpdateStatusContent keeps st's current version in its history and saves
// the new content, content warning and sensitivity.
func (q queries) UpdateStatusContent(ctx context.Context, st *Status, content, text, spoiler string, sensitive bool, at time.Time) error {
	// The version kept has the images (and their descriptions) the post
	// has now: the edit may change them next.
	media, err := q.StatusMedia(ctx, st.ID)
	if err != nil {
		return err
	}
	kept := make([]EditMedia, 0, len(media))
	for _, m := range media {
		kept = append(kept, EditMedia{ID: m.ID, Description: m.Description})
	}
	keptJSON, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	edit := &StatusEdit{ID: NewID(), StatusID: st.ID, Content: st.Content, SpoilerText: st.SpoilerText, Sensitive: st.Sensitive, CreatedAt: at, Media: string(keptJSON)}
	if st.EditedAt == nil {
		edit.CreatedAt = st.CreatedAt
	} else {
		edit.CreatedAt = *st.EditedAt
	}
	if _, err := q.w.NewInsert().Model(edit).Exec(ctx); err != nil {
		return fmt.Errorf("keep status history: %w", err)
	}
	st.Content, st.Text, st.SpoilerText, st.Sensitive, st.EditedAt = content, text, spoiler, sensitive, &at
	if _, err := q.w.NewUpdate().Model(st).Column("content", "text", "spoiler_text", "sensitive", "edited_at").WherePK().Exec(ctx); err != nil {
		return err
	}
	return q.indexStatus(ctx, st, true)
}

// StatusEdits returns st's earlier versions, oldest first.
func (q queries) StatusEdits(ctx context.Context, statusID int64) ([]StatusEdit, error) {
	var es []StatusEdit
	err := q.r.NewSelect().Model(&es).Where("status_id = ?", statusID).OrderExpr("id ASC").Scan(ctx)
	return es, err
}

// Block is an account blocking another.
type Block struct {
	bun.BaseModel `bun:"table:blocks"`

	ID              int64     `bun:",pk"`
	AccountID       int64     `bun:",notnull"`
	TargetAccountID int64     `bun:",notnull"`
	URI             string    `bun:"uri,notnull"`
	CreatedAt       time.Time `bun:",notnull"`
}

// InsertBlock stores b, ignoring a repeat.
func (q queries) InsertBlock(ctx context.Context, b *Block) error {
	_, err := q.w.NewInsert().Model(b).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

// BlockBetween returns accountID's block of targetID.
func (q queries) BlockBetween(ctx context.Context, accountID, targetID int64) (*Block, error) {
	b := new(Block)
	if err := q.scanOneP(ctx, stmtBlockBetween, b, accountID, targetID); err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

var stmtBlockBetween = prepareRead(selectSQL((*Block)(nil), "WHERE account_id = ? AND target_account_id = ?"))

// DeleteBlock removes b.
func (q queries) DeleteBlock(ctx context.Context, b *Block) error {
	_, err := q.w.NewDelete().Model(b).WherePK().Exec(ctx)
	return err
}

// DeleteFollowsBetween removes follows either way between two accounts.
func (q queries) DeleteFollowsBetween(ctx context.Context, a, b int64) error {
	_, err := q.w.NewDelete().Model((*Follow)(nil)).
		Where("(account_id = ? AND target_account_id = ?) OR (account_id = ? AND target_account_id = ?)", a, b, b, a).
		Exec(ctx)
	if err != nil {
		return err
	}
	if err := q.dropFromLists(ctx, a, b); err != nil {
		return err
	}
	if err := q.dropFromLists(ctx, b, a); err != nil {
		return err
	}
	if err := q.dropFromFeed(ctx, a, b); err != nil {
		return err
	}
	return q.dropFromFeed(ctx, b, a)
}

// DeleteAccountContent removes a remote account's statuses, follows and
// likes, leaving tombstones for its statuses, and marks it suspended so it
// is not fetched back.
func (q queries) DeleteAccountContent(ctx context.Context, a *Account, t time.Time) error {
	if _, err := q.w.ExecContext(ctx, "INSERT INTO tombstones (uri, created_at) SELECT uri, ? FROM statuses WHERE account_id = ? ON CONFLICT DO NOTHING", t, a.ID); err != nil {
		return err
	}
	if _, err := q.w.ExecContext(ctx, "DELETE FROM statuses WHERE account_id = ?", a.ID); err != nil {
		return err
	}
	if _, err := q.w.ExecContext(ctx, "DELETE FROM follows WHERE account_id = ? OR target_account_id = ?", a.ID, a.ID); err != nil {
		return err
	}
	if _, err := q.w.ExecContext(ctx, "DELETE FROM favourites WHERE account_id = ?", a.ID); err != nil {
		return err
	}
	a.SuspendedAt = &t
	_, err := q.w.NewUpdate().Model(a).Column("suspended_at").WherePK().Exec(ctx)
	return err
}

// BlockByURI returns the block made by the Block activity uri.
func (q queries) BlockByURI(ctx context.Context, uri string) (*Block, error) {
	b := new(Block)
	if err := q.r.NewSelect().Model(b).Where("uri = ?", uri).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

// DeleteStatusRow removes a status row without a tombstone (a boost, whose
// URI is an activity and may not come back anyway).
func (q queries) DeleteStatusRow(ctx context.Context, st *Status) error {
	_, err := q.w.NewDelete().Model(st).WherePK().Exec(ctx)
	return err
}

// LastStatusAt returns when accountID last posted (zero when never); a
// post waiting out its send delay is not posted yet.
func (q queries) LastStatusAt(ctx context.Context, accountID int64) (time.Time, error) {
	var ids []int64
	err := q.r.NewSelect().Model((*Status)(nil)).Column("id").Where("account_id = ?", accountID).
		Where("(id <= ? OR pending_until IS NULL)", recentPostsFrom()).
		OrderExpr("id DESC").Limit(1).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return time.Time{}, err
	}
	return IDTime(ids[0]), nil
}

// HiddenAccountIDs returns the accounts whose posts accountID is not shown
// in the public timelines: those it blocks or mutes, and those that block
// it.
func (q queries) HiddenAccountIDs(ctx context.Context, accountID int64) ([]int64, error) {
	var ids []int64
	err := q.r.NewRaw(`SELECT target_account_id FROM blocks WHERE account_id = ?
UNION SELECT account_id FROM blocks WHERE target_account_id = ?
UNION SELECT target_account_id FROM mutes WHERE account_id = ?`, accountID, accountID, accountID).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("hidden accounts: %w", err)
	}
	return ids, nil
}
