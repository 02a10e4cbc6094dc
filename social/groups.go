package social

import (
	"context"

	"rounds/storage"
)

// HasLocalFollower reports whether anyone here follows a (a remote group
// whose relayed posts are then worth keeping).
func (s *Service) HasLocalFollower(ctx context.Context, a *storage.Account) (bool, error) {
	return s.db.HasLocalFollowerOf(ctx, a.ID)
}
