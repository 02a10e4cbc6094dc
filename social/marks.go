package social

import (
	"context"
	"fmt"

	"rounds/storage"
)

// MaxPins is how many posts one account may pin, as Mastodon's.
const MaxPins = 5

// Bookmark saves st for me privately; Unbookmark removes it.
func (s *Service) Bookmark(ctx context.Context, me *storage.Account, st *storage.Status) error {
	if err := s.requireVisible(ctx, me, st.ID); err != nil {
		return err
	}
	return s.db.AddBookmark(ctx, me.ID, st.ID, s.now())
}

// Unbookmark removes a bookmark.
func (s *Service) Unbookmark(ctx context.Context, me *storage.Account, st *storage.Status) error {
	return s.db.RemoveBookmark(ctx, me.ID, st.ID)
}

// Pin shows one of me's own public or unlisted posts at the top of the
// profile.
func (s *Service) Pin(ctx context.Context, me *storage.Account, st *storage.Status) error {
	if st.AccountID != me.ID || st.ReblogOfID != nil {
		return invalid("", "you can only pin your own posts")
	}
	if !OpenVisibility(st) {
		return invalid("", "only public and unlisted posts can be pinned")
	}
	if s.db.Pinned(ctx, me.ID, st.ID) {
		return nil
	}
	if n, err := s.db.CountPins(ctx, me.ID); err != nil {
		return err
	} else if n >= MaxPins {
		return invalid("", fmt.Sprintf("you can pin at most %d posts", MaxPins))
	}
	return s.db.AddPin(ctx, me.ID, st.ID, s.now())
}

// Unpin removes a pin.
func (s *Service) Unpin(ctx context.Context, me *storage.Account, st *storage.Status) error {
	return s.db.RemovePin(ctx, me.ID, st.ID)
}

// PinnedStatuses returns a's pinned posts.
func (s *Service) PinnedStatuses(ctx context.Context, a *storage.Account) ([]*storage.Status, error) {
	return s.db.PinnedStatuses(ctx, a.ID)
}

// Mute hides target's posts from me's home timeline, and their
// notifications when notifications is true.
func (s *Service) Mute(ctx context.Context, me, target *storage.Account, notifications bool) error {
	if me.ID == target.ID {
		return invalid("", "you cannot mute yourself")
	}
	return s.db.AddMute(ctx, me.ID, target.ID, notifications, s.now())
}

// Unmute lifts a mute.
func (s *Service) Unmute(ctx context.Context, me, target *storage.Account) error {
	return s.db.RemoveMute(ctx, me.ID, target.ID)
}

// Bookmarks and Favourites page the statuses me saved or liked.
func (s *Service) Bookmarks(ctx context.Context, me *storage.Account, p storage.Page) ([]*storage.Status, []int64, error) {
	return s.markedStatuses(ctx, "bookmarks", me, p)
}

// Favourites pages the statuses me liked.
func (s *Service) Favourites(ctx context.Context, me *storage.Account, p storage.Page) ([]*storage.Status, []int64, error) {
	return s.markedStatuses(ctx, "favourites", me, p)
}

// markedStatuses pages the statuses me marked, less those me may no longer
// see (their author suspended or blocking me since, a boost's original
// hidden), with the marks' ids as cursors; a thinned page is filled from
// further on (fullPage).
func (s *Service) markedStatuses(ctx context.Context, table string, me *storage.Account, p storage.Page) ([]*storage.Status, []int64, error) {
	type mark struct {
		st *storage.Status
		id int64
	}
	load := func(p storage.Page) ([]mark, error) {
		sts, ids, err := s.db.MarkedStatuses(ctx, table, me.ID, p)
		if err != nil {
			return nil, err
		}
		ms := make([]mark, len(sts))
		for i := range sts {
			ms[i] = mark{sts[i], ids[i]}
		}
		return ms, nil
	}
	keep := func(ms []mark) []mark {
		out := ms[:0:0]
		for _, m := range ms {
			if s.MayView(ctx, me, m.st) {
				out = append(out, m)
			}
		}
		return out
	}
	ms, err := fullPage(p, load, keep, func(m mark) int64 { return m.id })
	if err != nil {
		return nil, nil, err
	}
	sts, ids := make([]*storage.Status, len(ms)), make([]int64, len(ms))
	for i, m := range ms {
		sts[i], ids[i] = m.st, m.id
	}
	return sts, ids, nil
}

// Blocks pages the accounts me blocks.
func (s *Service) Blocks(ctx context.Context, me *storage.Account, p storage.Page) ([]*storage.Account, []int64, error) {
	return s.db.MarkedAccounts(ctx, "blocks", me.ID, p)
}

// Mutes pages the accounts me mutes.
func (s *Service) Mutes(ctx context.Context, me *storage.Account, p storage.Page) ([]*storage.Account, []int64, error) {
	return s.db.MarkedAccounts(ctx, "mutes", me.ID, p)
}

// FavouritedBy and RebloggedBy list who liked or boosted st.
func (s *Service) FavouritedBy(ctx context.Context, st *storage.Status) ([]*storage.Account, error) {
	return s.db.StatusActors(ctx, st.ID, false, 80)
}

// RebloggedBy lists who boosted st.
func (s *Service) RebloggedBy(ctx context.Context, st *storage.Status) ([]*storage.Account, error) {
	return s.db.StatusActors(ctx, st.ID, true, 80)
}
