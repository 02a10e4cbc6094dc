package social

import (
	"context"
	"errors"
	"strings"
	"time"

	"rounds/storage"
)

// TokenInfo describes an access token, for introspection (RFC 7662) and
// Doorkeeper's /oauth/token/info, which Mastodon serves.
type TokenInfo struct {
	Active    bool
	Scopes    []string
	ClientID  string
	CreatedAt time.Time
	// Account is the token's person; nil for an app's own token.
	Account *storage.Account
	UserID  *int64
}

// IntrospectToken tells app about token (RFC 7662). A token is active when
// it is valid, was issued to app, and its person may act through it now.
// Anything else, another app's token included, is only {active: false}:
// an app must not learn about tokens it was never given (RFC 7662 section
// 4 leaves whom to answer to the server).
func (s *Service) IntrospectToken(ctx context.Context, app *storage.OAuthApp, token string) (*TokenInfo, error) {
	t, err := s.accessToken(ctx, token)
	if errors.Is(err, ErrInvalidToken) {
		return &TokenInfo{}, nil
	}
	if err != nil {
		return nil, err
	}
	if t.AppID != app.ID {
		return &TokenInfo{}, nil
	}
	return s.tokenInfo(ctx, t, app)
}

// TokenDetails describes a valid token for its own bearer.
func (s *Service) TokenDetails(ctx context.Context, token string) (*TokenInfo, error) {
	t, err := s.accessToken(ctx, token)
	if err != nil {
		return nil, err
	}
	app, err := s.db.OAuthAppByID(ctx, t.AppID)
	if err != nil {
		return nil, domainErr(err)
	}
	info, err := s.tokenInfo(ctx, t, app)
	if err == nil && !info.Active {
		return nil, ErrInvalidToken
	}
	return info, err
}

func (s *Service) tokenInfo(ctx context.Context, t *storage.AccessToken, app *storage.OAuthApp) (*TokenInfo, error) {
	info := &TokenInfo{Active: true, Scopes: strings.Fields(t.Scopes), ClientID: app.ClientID, CreatedAt: t.CreatedAt, UserID: t.UserID}
	if t.User != nil {
		// A suspended or unapproved person's token is not usable now.
		if signInAllowed(t.User) != nil {
			return &TokenInfo{}, nil
		}
		acct := t.User.Account
		if acct == nil {
			a, err := s.db.AccountByID(ctx, t.User.AccountID)
			if err != nil {
				return nil, domainErr(err)
			}
			acct = a
		}
		info.Account = acct
	}
	return info, nil
}
