package social

import (
	"context"
	"errors"
	"strconv"

	"rounds/storage"
)

// Account actions, named as Mastodon's admin API names them.
const (
	ActionWarn    = "none"    // a warning only
	ActionDisable = "disable" // sign-in refused; the account stays visible
	ActionSilence = "silence" // limited: out of public timelines
	ActionSuspend = "suspend" // sign-in and API refused, content hidden, Delete federated
)

// PublishDeleteActor tells other servers a local account is gone.
const PublishDeleteActor = "Delete:Person"

// AccountAction is one moderation action on an account.
type AccountAction struct {
	Type string
	// Text is the reason, shown to the account's owner and kept in the
	// audit log.
	Text string
	// ReportID, when set, is resolved by the action.
	ReportID int64
}

// roleRank orders roles; an actor acts only on accounts ranked below it.
func roleRank(role string) int {
	switch role {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleModerator:
		return 1
	}
	return 0
}

// mayActOn reports whether a may act on target (nil for a remote account).
func (a Actor) mayActOn(target *storage.User) error {
	if a.User == nil || target == nil {
		return nil
	}
	if a.User.ID == target.ID {
		return invalid("", "staff cannot take moderation actions on their own account")
	}
	if roleRank(target.Role) >= roleRank(a.User.Role) {
		return ErrForbidden
	}
	return nil
}

// moderationTarget loads an account and, when local, its user.
func moderationTarget(ctx context.Context, tx storage.Tx, accountID int64) (*storage.Account, *storage.User, error) {
	acct, err := tx.AccountByID(ctx, accountID)
	if err != nil {
		return nil, nil, err
	}
	if !acct.Local() {
		return acct, nil, nil
	}
	u, err := tx.UserByAccountID(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, ErrNotFound // the instance actor
	}
	if err != nil {
		return nil, nil, err
	}
	return u.Account, u, nil
}

// moderate runs change on accountID's account and user inside a
// transaction, once a may do p to it, and leaves an audit entry.
func (s *Service) moderate(ctx context.Context, a Actor, p Permission, accountID int64, action, reason string,
	change func(tx storage.Tx, acct *storage.Account, u *storage.User) error) error {
	if err := a.require(p); err != nil {
		return err
	}
	var userID int64
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		acct, u, err := moderationTarget(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if err := a.mayActOn(u); err != nil {
			return err
		}
		if err := change(tx, acct, u); err != nil {
			return err
		}
		if u != nil {
			userID = u.ID
		}
		return s.appendAudit(ctx, tx, a, accountAudit(action, acct, reason))
	})
	if err != nil {
		return domainErr(err)
	}
	if userID != 0 {
		// Suspended, disabled, deleted or rejected: the person's live
		// streams must end with their access.
		s.accessChanged(ctx, userID)
	}
	return nil
}

// TakeAction warns, disables, limits or suspends an account, as
// POST /api/v1/admin/accounts/:id/action does. Moderators may warn, limit
// and suspend; disabling sign-in is an admin's work.
func (s *Service) TakeAction(ctx context.Context, a Actor, accountID int64, act AccountAction) error {
	perm := PermModerate
	switch act.Type {
	case ActionWarn, ActionSilence, ActionSuspend:
	case ActionDisable:
		perm = PermManageAccounts
	default:
		return invalid("type", "must be none, disable, silence or suspend")
	}
	name := map[string]string{ActionWarn: "warn", ActionDisable: "disable", ActionSilence: "limit", ActionSuspend: "suspend"}[act.Type]
	return s.moderate(ctx, a, perm, accountID, name, act.Text, func(tx storage.Tx, acct *storage.Account, u *storage.User) error {
		now := s.now()
		switch act.Type {
		case ActionDisable:
			if u == nil {
				return invalid("", "only accounts on this server can be disabled")
			}
			u.Disabled = true
			if err := tx.UpdateUser(ctx, u, "disabled"); err != nil {
				return err
			}
			if err := revokeCodes(ctx, tx, u); err != nil {
				return err
			}
		case ActionSilence:
			acct.SilencedAt = &now
			if err := tx.UpdateAccount(ctx, acct, "silenced_at"); err != nil {
				return err
			}
		case ActionSuspend:
			if acct.Suspended() {
				// An account suspended only because its own server
				// deleted it may be suspended here too: that server could
				// otherwise bring it back with an Update of it.
				byOrigin, err := tx.DeletedByOrigin(ctx, acct.ID)
				if err != nil {
					return err
				}
				if !byOrigin {
					return invalid("", "@"+acct.Username+" is already suspended")
				}
				if err := tx.ForgetDeletionByOrigin(ctx, acct.ID); err != nil {
					return err
				}
			}
			acct.SuspendedAt = &now
			if err := tx.UpdateAccount(ctx, acct, "suspended_at"); err != nil {
				return err
			}
			if acct.Local() {
				if err := s.publishDeleteActor(ctx, tx, acct); err != nil {
					return err
				}
			}
			if err := revokeCodes(ctx, tx, u); err != nil {
				return err
			}
		}
		w := &storage.AccountWarning{ID: storage.NewID(), TargetAccountID: acct.ID, Action: act.Type, Text: act.Text, CreatedAt: now}
		if a.User != nil {
			w.AccountID = a.User.AccountID
		} else {
			w.AccountID = acct.ID // the command line has no account of its own
		}
		if act.ReportID != 0 {
			w.ReportID = &act.ReportID
			if err := s.resolveReportTx(ctx, tx, a, act.ReportID, acct.ID); err != nil {
				return err
			}
		}
		return tx.InsertWarning(ctx, w)
	})
}

// publishDeleteActor tells the servers of acct's followers that it is gone.
// The inboxes are decided now: the follow rows may be gone when it runs.
func (s *Service) publishDeleteActor(ctx context.Context, tx storage.Tx, acct *storage.Account) error {
	inboxes, err := tx.FollowerInboxes(ctx, acct.ID)
	if err != nil {
		return err
	}
	return s.publish(ctx, tx, PublishArgs{Type: PublishDeleteActor, AccountID: acct.ID, Inboxes: inboxes})
}

// Unsuspend lifts a suspension; a local account's profile is sent again so
// other servers know it is back.
func (s *Service) Unsuspend(ctx context.Context, a Actor, accountID int64, reason string) error {
	return s.moderate(ctx, a, PermModerate, accountID, "unsuspend", reason, func(tx storage.Tx, acct *storage.Account, u *storage.User) error {
		if !acct.Suspended() {
			return invalid("", "@"+acct.Username+" is not suspended")
		}
		acct.SuspendedAt = nil
		acct.UpdatedAt = s.now()
		if err := tx.UpdateAccount(ctx, acct, "suspended_at"); err != nil {
			return err
		}
		if acct.Local() {
			return s.publish(ctx, tx, PublishArgs{Type: PublishUpdateProfile, AccountID: acct.ID})
		}
		return nil
	})
}

// Unsilence lifts a limit.
func (s *Service) Unsilence(ctx context.Context, a Actor, accountID int64, reason string) error {
	return s.moderate(ctx, a, PermModerate, accountID, "unlimit", reason, func(tx storage.Tx, acct *storage.Account, u *storage.User) error {
		if acct.SilencedAt == nil {
			return invalid("", "@"+acct.Username+" is not limited")
		}
		acct.SilencedAt = nil
		return tx.UpdateAccount(ctx, acct, "silenced_at")
	})
}

// Enable lets a disabled user sign in again.
func (s *Service) Enable(ctx context.Context, a Actor, accountID int64, reason string) error {
	return s.moderate(ctx, a, PermManageAccounts, accountID, "enable", reason, func(tx storage.Tx, acct *storage.Account, u *storage.User) error {
		if u == nil || !u.Disabled {
			return invalid("", "@"+acct.Username+" is not disabled")
		}
		u.Disabled = false
		return tx.UpdateUser(ctx, u, "disabled")
	})
}

// Approve lets a user who applied sign in.
func (s *Service) Approve(ctx context.Context, a Actor, accountID int64, reason string) error {
	return s.moderate(ctx, a, PermManageAccounts, accountID, "approve", reason, func(tx storage.Tx, acct *storage.Account, u *storage.User) error {
		if u == nil || u.Approved {
			return invalid("", "@"+acct.Username+" is not waiting for approval")
		}
		u.Approved = true
		return tx.UpdateUser(ctx, u, "approved")
	})
}

// Reject turns down a user who applied: the application is deleted, so the
// username is free again.
func (s *Service) Reject(ctx context.Context, a Actor, accountID int64, reason string) error {
	return s.moderate(ctx, a, PermManageAccounts, accountID, "reject", reason, func(tx storage.Tx, acct *storage.Account, u *storage.User) error {
		if u == nil || u.Approved {
			return invalid("", "@"+acct.Username+" is not waiting for approval")
		}
		return tx.DeleteLocalUser(ctx, u)
	})
}

// DeleteAccount removes an account's content for good: its posts become
// tombstones, its follows and favourites go, and other servers are told
// with a Delete. The account row stays, suspended, so that its name and
// address are never reused by someone else.
func (s *Service) DeleteAccount(ctx context.Context, a Actor, accountID int64, reason string) error {
	return s.moderate(ctx, a, PermManageAccounts, accountID, "delete", reason, func(tx storage.Tx, acct *storage.Account, u *storage.User) error {
		if acct.Local() {
			if err := s.publishDeleteActor(ctx, tx, acct); err != nil {
				return err
			}
		}
		if err := tx.DeleteAccountContent(ctx, acct, s.now()); err != nil {
			return err
		}
		if err := revokeCodes(ctx, tx, u); err != nil {
			return err
		}
		if u != nil && !u.Disabled {
			u.Disabled = true
			return tx.UpdateUser(ctx, u, "disabled")
		}
		return nil
	})
}

// revokeCodes deletes the authorization codes u (nil for a remote account)
// has not exchanged yet. An exchange refuses a suspended or disabled user
// anyway, but a code must not outlive the action and work once it is
// lifted.
func revokeCodes(ctx context.Context, tx storage.Tx, u *storage.User) error {
	if u == nil {
		return nil
	}
	_, err := tx.DeleteUnusedAuthorizationCodes(ctx, u.ID, 0)
	return err
}

// SetRole gives a local user another role. Only someone who outranks both
// the user's role and the new one may: admins make moderators, owners make
// admins.
func (s *Service) SetRole(ctx context.Context, a Actor, accountID int64, role, reason string) error {
	if !ValidRole(role) {
		return invalid("role", "must be user, moderator, admin or owner")
	}
	if a.User != nil && roleRank(role) >= roleRank(a.User.Role) {
		return ErrForbidden
	}
	return s.moderate(ctx, a, PermManageAccounts, accountID, "change_role", reason, func(tx storage.Tx, acct *storage.Account, u *storage.User) error {
		if u == nil {
			return invalid("", "only accounts on this server have roles")
		}
		if u.Role == role {
			return invalid("role", "@"+acct.Username+" already has the role "+role)
		}
		if u.Role == RoleOwner {
			n, err := tx.CountUsersWithRole(ctx, RoleOwner)
			if err != nil {
				return err
			}
			if n <= 1 {
				return invalid("role", "@"+acct.Username+" is the only owner; make someone else owner first")
			}
		}
		u.Role = role
		return tx.UpdateUser(ctx, u, "role")
	})
}

// AdminAccounts lists accounts for staff.
func (s *Service) AdminAccounts(ctx context.Context, a Actor, f storage.AdminAccountFilter, p storage.Page) ([]storage.AdminAccount, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	return s.db.AdminAccounts(ctx, f, p)
}

// AdminAccount returns one account for staff.
func (s *Service) AdminAccount(ctx context.Context, a Actor, accountID int64) (storage.AdminAccount, error) {
	if err := a.require(PermModerate); err != nil {
		return storage.AdminAccount{}, err
	}
	acct, err := s.db.AccountByID(ctx, accountID)
	if err != nil {
		return storage.AdminAccount{}, domainErr(err)
	}
	out := storage.AdminAccount{Account: acct}
	if acct.Local() {
		u, err := s.db.UserByAccountID(ctx, accountID)
		if err != nil {
			return storage.AdminAccount{}, domainErr(err)
		}
		out.User = u
	}
	return out, nil
}

// Warnings returns the moderation actions taken on accountID, newest first.
func (s *Service) Warnings(ctx context.Context, accountID int64) ([]*storage.AccountWarning, error) {
	return s.db.Warnings(ctx, accountID)
}

// LocalAccountID finds the account of a local username, for the CLI.
func (s *Service) LocalAccountID(ctx context.Context, username string) (int64, error) {
	u, err := s.UserByUsername(ctx, username)
	if err != nil {
		return 0, err
	}
	return u.AccountID, nil
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }
