package social

import (
	"context"

	"rounds/storage"
)

// SetLockedForTest saves a's locked flag. Tests use it until the profile
// settings rule (update_credentials) exists.
func (s *Service) SetLockedForTest(ctx context.Context, a *storage.Account) error {
	return s.db.UpdateAccount(ctx, a, "locked")
}

// FollowRequestForTest returns follower's pending request to follow target.
func (s *Service) FollowRequestForTest(ctx context.Context, follower, target *storage.Account) (*storage.Follow, error) {
	f, err := s.db.FollowBetween(ctx, follower.ID, target.ID)
	if err != nil {
		return nil, domainErr(err)
	}
	if f.AcceptedAt != nil {
		return nil, ErrConflict
	}
	return f, nil
}
