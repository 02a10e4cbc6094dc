package social

import (
	"context"
	"strings"

	"rounds/storage"
)

// CreateToken gives an automation an access token acting as username with
// the given scopes, through an app of its own named name. Only the command
// line and admins may, and the token is recorded in the audit log (never
// the token itself).
func (s *Service) CreateToken(ctx context.Context, a Actor, username, scopes, name string) (*IssuedToken, error) {
	if err := a.require(PermManageAccounts); err != nil {
		return nil, err
	}
	parsed, err := ParseScopes(scopes)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		name = "rounds admin token"
	}
	u, err := s.UserByUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	// A token acting as someone ranked as high as the actor would give
	// the actor that person's powers.
	if a.User == nil || a.User.ID != u.ID {
		if err := a.mayActOn(u); err != nil {
			return nil, err
		}
	}
	if err := signInAllowed(u); err != nil {
		return nil, invalid("username", "@"+u.Account.Username+" may not sign in ("+err.Error()+")")
	}
	app, _, err := s.RegisterApp(ctx, NewApp{Name: name, RedirectURIs: []string{OOBRedirectURI}, Scopes: strings.Join(parsed, " ")})
	if err != nil {
		return nil, err
	}
	t, it := s.newAccessToken(app.ID, &u.ID, strings.Join(parsed, " "))
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertAccessToken(ctx, t); err != nil {
			return err
		}
		e := accountAudit("create_token", u.Account, "")
		e.detail = map[string]any{"app": name, "scopes": strings.Join(parsed, " ")}
		return s.appendAudit(ctx, tx, a, e)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return it, nil
}
