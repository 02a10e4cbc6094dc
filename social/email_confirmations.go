package social

import (
	"context"

	"rounds/storage"
)

// EmailAwaitingConfirmation reports whether u signed up with an address
// they have not confirmed yet.
func EmailAwaitingConfirmation(u *storage.User) bool { return emailUnconfirmed(u) }

// ResendConfirmationFor sends u's confirmation link again, at most once
// in ten minutes, while u has not confirmed their address; for a person
// with nothing to confirm it is ErrForbidden.
func (s *Service) ResendConfirmationFor(ctx context.Context, u *storage.User) error {
	if !emailUnconfirmed(u) || u.Email == nil {
		return ErrForbidden
	}
	return s.ResendConfirmation(ctx, *u.Email)
}
