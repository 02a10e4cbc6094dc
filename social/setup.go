package social

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"rounds/storage"
)

// SetupLinkLifetime is how long a first-admin setup link works.
const SetupLinkLifetime = time.Hour

// ErrSetupDone means an admin exists, so no setup link is given or honoured.
var ErrSetupDone = errors.New("this server already has an admin")

// NeedsSetup reports whether the server has no owner or admin yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := s.db.CountUsersWithRole(ctx, RoleOwner, RoleAdmin)
	return n == 0, err
}

// NewSetupLink returns a one-time link, valid for SetupLinkLifetime, where
// the first admin picks a username and password. Only the token's hash is
// stored.
func (s *Service) NewSetupLink(ctx context.Context) (string, error) {
	need, err := s.NeedsSetup(ctx)
	if err != nil {
		return "", err
	}
	if !need {
		return "", ErrSetupDone
	}
	token := randomToken(32)
	now := s.now()
	err = s.db.InsertSetupToken(ctx, &storage.SetupToken{
		TokenHash: hashToken(token),
		ExpiresAt: now.Add(SetupLinkLifetime),
		CreatedAt: now,
	})
	if err != nil {
		return "", err
	}
	return s.base + "/setup/" + token, nil
}

// SetupTokenValid reports whether token may still be used.
func (s *Service) SetupTokenValid(ctx context.Context, token string) (bool, error) {
	return s.db.SetupTokenValid(ctx, hashToken(token), s.now())
}

// CompleteSetup uses token to create the first admin, with the owner role.
// The token works once; it is refused once any admin exists.
func (s *Service) CompleteSetup(ctx context.Context, token string, in NewUser) (*storage.User, error) {
	in.Role = RoleOwner
	in.Approved = true
	a, u, err := s.prepareUser(in)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		n, err := tx.CountUsersWithRole(ctx, RoleOwner, RoleAdmin)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrSetupDone
		}
		if err := tx.UseSetupToken(ctx, hashToken(token), s.now()); err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				return invalid("", "this setup link has expired or was already used; restart the server for a new one")
			}
			return err
		}
		return tx.InsertLocalAccount(ctx, a, u)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return u, nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
