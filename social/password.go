package social

import (
	"context"

	"rounds/storage"
)

// ChangePassword sets u's new password after checking the current one. The
// person's other browser sessions end (keepCookie, the session cookie of
// the page that asked, stays signed in), so that whoever knew the old
// password is signed out, and authorization codes not yet exchanged for a
// token are revoked; their apps keep their tokens, which the authorized
// apps page revokes one by one. It returns ErrBadCredentials for
// a wrong current password and a *ValidationError for a new one that will
// not do.
func (s *Service) ChangePassword(ctx context.Context, u *storage.User, current, newPassword, keepCookie string) error {
	fresh, err := s.db.UserWithAccountByID(ctx, u.ID)
	if err != nil {
		return domainErr(err)
	}
	if !CheckPassword(fresh, current) {
		return ErrBadCredentials
	}
	hash, err := hashPassword(newPassword)
	if err != nil {
		return err
	}
	keep := ""
	if token, ok, err := s.verify(ctx, "session", keepCookie); err == nil && ok {
		keep = hashToken(token)
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		fresh.PasswordHash = hash
		if err := tx.UpdateUser(ctx, fresh, "password_hash"); err != nil {
			return err
		}
		if _, err := tx.DeleteUnusedAuthorizationCodes(ctx, fresh.ID, 0); err != nil {
			return err
		}
		return tx.EndOtherSessions(ctx, fresh.ID, keep, s.now())
	})
	if err != nil {
		return domainErr(err)
	}
	u.PasswordHash = hash
	return nil
}
