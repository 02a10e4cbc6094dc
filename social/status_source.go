package social

import (
	"context"

	"rounds/storage"
)

// StatusSource returns status id as its author edits it: only to its
// author, as Mastodon finds the source among the caller's own statuses;
// anyone else's is not found, even a post they may read.
func (s *Service) StatusSource(ctx context.Context, me *storage.Account, id int64) (*storage.Status, error) {
	st, err := s.StatusByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if me == nil || st.AccountID != me.ID {
		return nil, ErrNotFound
	}
	return st, nil
}
