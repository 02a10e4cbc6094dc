package social

import (
	"context"

	"rounds/storage"
)

// CreateUserAs creates a local user for a staff actor: an admin's creation,
// approved at once and kept in the audit log. Nobody may give a role as high
// as their own (admins make moderators, owners make admins).
func (s *Service) CreateUserAs(ctx context.Context, a Actor, in NewUser) (*storage.User, error) {
	if err := a.require(PermManageAccounts); err != nil {
		return nil, err
	}
	if in.Role == "" {
		in.Role = RoleUser
	}
	if !ValidRole(in.Role) {
		return nil, invalid("role", "must be user, moderator, admin or owner")
	}
	if a.User != nil && in.Role != RoleUser && roleRank(in.Role) >= roleRank(a.User.Role) {
		return nil, ErrForbidden
	}
	in.Approved = true
	acct, u, err := s.prepareUser(in)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertLocalAccount(ctx, acct, u); err != nil {
			return err
		}
		e := accountAudit("create_account", acct, in.Reason)
		e.detail = map[string]any{"role": u.Role}
		return s.appendAudit(ctx, tx, a, e)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	u.Account = acct
	return u, nil
}
