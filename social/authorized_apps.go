package social

import (
	"context"

	"rounds/storage"
)

// AuthorizedApps lists the apps that may act for u: those holding live
// access tokens of theirs.
func (s *Service) AuthorizedApps(ctx context.Context, u *storage.User) ([]storage.AuthorizedApp, error) {
	return s.db.AuthorizedApps(ctx, u.ID)
}

// RevokeApp revokes every access token appID holds for u, and every
// authorization code u gave it that it has not exchanged yet (else the app,
// or whoever holds such a code, would get a new token after the revocation);
// the app must ask u again. It returns ErrNotFound when the app holds none.
func (s *Service) RevokeApp(ctx context.Context, u *storage.User, appID int64) error {
	var n int
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		tokens, err := tx.RevokeAppTokens(ctx, u.ID, appID, s.now())
		if err != nil {
			return err
		}
		codes, err := tx.DeleteUnusedAuthorizationCodes(ctx, u.ID, appID)
		n = tokens + codes
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	s.accessChanged(ctx, u.ID)
	return nil
}
