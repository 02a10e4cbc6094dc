package social

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"rounds/storage"
)

// Actor is who takes a staff action: a signed-in user acting through the
// admin API or the admin pages, or the operator at the command line.
type Actor struct {
	// User is nil for the command line, which may do anything.
	User *storage.User
	// name labels an automatic action (a lapsed verification).
	name string
}

// CommandLine is the actor for `rounds admin` commands: whoever can run
// them can already read the database, so they may do anything.
var CommandLine = Actor{}

// StaffActor is the actor for u.
func StaffActor(u *storage.User) Actor { return Actor{User: u} }

// Label names the actor in the audit log.
func (a Actor) Label() string {
	if a.name != "" {
		return a.name
	}
	if a.User == nil {
		return "command line"
	}
	if a.User.Account != nil {
		return "@" + a.User.Account.Username
	}
	return "user " + strconv.FormatInt(a.User.ID, 10)
}

func (a Actor) accountID() *int64 {
	if a.User == nil {
		return nil
	}
	id := a.User.AccountID
	return &id
}

// Permission is a kind of staff work.
type Permission int

// The kinds of staff work. Moderators handle reports: they read reports and
// accounts and act on accounts (warn, limit, suspend, unsuspend). Admins
// also manage accounts (approve, reject, enable, delete, verify, roles,
// invites, passwords), federation (domain blocks) and settings, and read the
// audit log.
const (
	PermModerate Permission = iota + 1
	PermManageAccounts
	PermManageFederation
	PermManageSettings
	PermReadAudit
	// PermManageBlocks: email domain, canonical email and IP blocks.
	PermManageBlocks
)

// IsStaff reports whether role is a staff role (moderator and above).
func IsStaff(role string) bool { return role != RoleUser && ValidRole(role) }

// RoleAllows reports whether a user holding role may do p.
func RoleAllows(role string, p Permission) bool {
	switch role {
	case RoleOwner, RoleAdmin:
		return true
	case RoleModerator:
		return p == PermModerate
	}
	return false
}

// Can reports whether a may do p. A suspended, disabled or unapproved
// user can do nothing.
func (a Actor) Can(p Permission) bool {
	if a.User == nil {
		return true
	}
	if signInAllowed(a.User) != nil {
		return false
	}
	return RoleAllows(a.User.Role, p)
}

func (a Actor) require(p Permission) error {
	if !a.Can(p) {
		return ErrForbidden
	}
	return nil
}

// audit is what one staff action leaves in the audit log.
type audit struct {
	action     string
	targetType string
	targetID   string
	target     string
	reason     string
	detail     any // marshalled to JSON when not nil
}

func (s *Service) appendAudit(ctx context.Context, tx storage.Tx, a Actor, e audit) error {
	entry := &storage.AuditEntry{
		ActorAccountID: a.accountID(),
		Actor:          a.Label(),
		Action:         e.action,
		TargetType:     e.targetType,
		TargetID:       e.targetID,
		Target:         e.target,
		Reason:         e.reason,
		CreatedAt:      s.now(),
	}
	if e.detail != nil {
		b, err := json.Marshal(e.detail)
		if err != nil {
			return err
		}
		entry.Detail = string(b)
	}
	return tx.AppendAudit(ctx, entry)
}

func accountAudit(action string, a *storage.Account, reason string) audit {
	return audit{action: action, targetType: "account", targetID: strconv.FormatInt(a.ID, 10), target: "@" + a.Username, reason: reason}
}

// AuditLog returns the audit log newest first, for admins.
func (s *Service) AuditLog(ctx context.Context, a Actor, f storage.AuditFilter, p storage.Page) ([]*storage.AuditEntry, error) {
	if err := a.require(PermReadAudit); err != nil {
		return nil, err
	}
	return s.db.AuditLog(ctx, f, p)
}

// WriteAuditCSV writes the whole audit log, oldest first, as CSV with a
// header: when, who, action, target type, target id, target, reason,
// detail. Only admins may.
func (s *Service) WriteAuditCSV(ctx context.Context, a Actor, w io.Writer) error {
	if err := a.require(PermReadAudit); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"time", "actor", "action", "target_type", "target_id", "target", "reason", "detail"}); err != nil {
		return err
	}
	var after int64
	for {
		page, err := s.db.AuditLog(ctx, storage.AuditFilter{}, storage.Page{MinID: after, Limit: 80})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		// A min_id page comes newest first; write it oldest first.
		for i := len(page) - 1; i >= 0; i-- {
			e := page[i]
			row := []string{e.CreatedAt.UTC().Format(time.RFC3339), e.Actor, e.Action, e.TargetType, e.TargetID, e.Target, csvSafe(e.Reason), csvSafe(e.Detail)}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		after = page[0].ID
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
