package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ClinicianVerification is a clinician's professional registration as an
// admin confirmed it.
type ClinicianVerification struct {
	bun.BaseModel `bun:"table:clinician_verifications,alias:cv"`

	AccountID           int64  `bun:",pk"`
	Profession          string `bun:",notnull"`
	Regulator           string `bun:",notnull"`
	RegistrationNumber  string `bun:",notnull"`
	Organisation        string `bun:",notnull"`
	Specialty           string `bun:",notnull"`
	VerifiedByAccountID *int64
	VerifiedBy          string    `bun:",notnull"`
	VerifiedAt          time.Time `bun:",notnull"`
	RecheckAt           time.Time `bun:",notnull"`
	RevokedAt           *time.Time
	RevokedBy           string    `bun:",notnull"`
	UpdatedAt           time.Time `bun:",notnull"`
}

// Current reports whether the verification stands at now: not revoked and
// not past its re-check date.
func (v *ClinicianVerification) Current(now time.Time) bool {
	return v != nil && v.RevokedAt == nil && now.Before(v.RecheckAt)
}

// PutVerification stores v, replacing an earlier verification of the
// same account.
func (q queries) PutVerification(ctx context.Context, v *ClinicianVerification) error {
	_, err := q.w.NewInsert().Model(v).On("CONFLICT (account_id) DO UPDATE").
		Set("profession = EXCLUDED.profession").
		Set("regulator = EXCLUDED.regulator").
		Set("registration_number = EXCLUDED.registration_number").
		Set("organisation = EXCLUDED.organisation").
		Set("specialty = EXCLUDED.specialty").
		Set("verified_by_account_id = EXCLUDED.verified_by_account_id").
		Set("verified_by = EXCLUDED.verified_by").
		Set("verified_at = EXCLUDED.verified_at").
		Set("recheck_at = EXCLUDED.recheck_at").
		Set("revoked_at = NULL").
		Set("revoked_by = ''").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store verification: %w", err)
	}
	return nil
}

// UpdateVerification writes the given columns of v.
func (q queries) UpdateVerification(ctx context.Context, v *ClinicianVerification, columns ...string) error {
	_, err := q.w.NewUpdate().Model(v).Column(columns...).WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update verification: %w", err)
	}
	return nil
}

// Verification returns accountID's verification, current or not.
func (q queries) Verification(ctx context.Context, accountID int64) (*ClinicianVerification, error) {
	v := new(ClinicianVerification)
	if err := q.r.NewSelect().Model(v).Where("account_id = ?", accountID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return v, nil
}

// Verifications returns the verifications of ids, keyed by account.
func (q queries) Verifications(ctx context.Context, ids []int64) (map[int64]*ClinicianVerification, error) {
	out := make(map[int64]*ClinicianVerification)
	if len(ids) == 0 {
		return out, nil
	}
	var vs []*ClinicianVerification
	if err := q.r.NewSelect().Model(&vs).Where("account_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load verifications: %w", err)
	}
	for _, v := range vs {
		out[v.AccountID] = v
	}
	return out, nil
}

// Report is a report of an account (and some of its posts), by a local user
// or arriving from another server as a Flag.
type Report struct {
	bun.BaseModel `bun:"table:reports,alias:rp"`

	ID                     int64   `bun:",pk"`
	AccountID              int64   `bun:",notnull"` // who reported (the instance actor of a remote server for a Flag)
	TargetAccountID        int64   `bun:",notnull"`
	StatusIDs              string  `bun:"status_ids,notnull"` // JSON array of id strings
	RuleIDs                string  `bun:"rule_ids,notnull"`   // JSON array of id strings
	Comment                string  `bun:",notnull"`
	Category               string  `bun:",notnull"`
	Forwarded              bool    `bun:",notnull"`
	URI                    *string `bun:"uri"`
	AssignedAccountID      *int64  // the moderator handling it
	ActionTakenAt          *time.Time
	ActionTakenByAccountID *int64
	CreatedAt              time.Time `bun:",notnull"`
	UpdatedAt              time.Time `bun:",notnull"`

	Account       *Account `bun:"rel:belongs-to,join:account_id=id"`
	TargetAccount *Account `bun:"rel:belongs-to,join:target_account_id=id"`
}

// InsertReport stores r; a report with a known URI is ErrConflict.
func (q queries) InsertReport(ctx context.Context, r *Report) error {
	if _, err := q.w.NewInsert().Model(r).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return ErrConflict
		}
		return fmt.Errorf("insert report: %w", err)
	}
	return nil
}

// UpdateReport writes the given columns of r.
func (q queries) UpdateReport(ctx context.Context, r *Report, columns ...string) error {
	if _, err := q.w.NewUpdate().Model(r).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update report: %w", err)
	}
	return nil
}

// ReportByID returns a report with both accounts.
func (q queries) ReportByID(ctx context.Context, id int64) (*Report, error) {
	r := new(Report)
	err := q.r.NewSelect().Model(r).Relation("Account").Relation("TargetAccount").Where("rp.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// ReportFilter narrows Reports.
type ReportFilter struct {
	Resolved        bool
	AccountID       int64
	TargetAccountID int64
}

// Reports returns reports newest first, unresolved or resolved.
func (q queries) Reports(ctx context.Context, f ReportFilter, p Page) ([]*Report, error) {
	var out []*Report
	sel := q.r.NewSelect().Model(&out).Relation("Account").Relation("TargetAccount")
	if f.Resolved {
		sel = sel.Where("rp.action_taken_at IS NOT NULL")
	} else {
		sel = sel.Where("rp.action_taken_at IS NULL")
	}
	if f.AccountID != 0 {
		sel = sel.Where("rp.account_id = ?", f.AccountID)
	}
	if f.TargetAccountID != 0 {
		sel = sel.Where("rp.target_account_id = ?", f.TargetAccountID)
	}
	if err := p.apply(sel, "rp.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	reverseIfMin(out, p)
	return out, nil
}

// CountOpenReports counts unresolved reports.
func (q queries) CountOpenReports(ctx context.Context) (int, error) {
	n, err := q.r.NewSelect().Model((*Report)(nil)).Where("action_taken_at IS NULL").Count(ctx)
	return int(n), err
}

// AccountWarning is an action a moderator took on an account, as its owner
// is told of it.
type AccountWarning struct {
	bun.BaseModel `bun:"table:account_warnings"`

	ID              int64  `bun:",pk"`
	AccountID       int64  `bun:",notnull"` // the moderator's account
	TargetAccountID int64  `bun:",notnull"`
	Action          string `bun:",notnull"`
	Text            string `bun:",notnull"`
	ReportID        *int64
	CreatedAt       time.Time `bun:",notnull"`
}

// InsertWarning stores w.
func (q queries) InsertWarning(ctx context.Context, w *AccountWarning) error {
	if _, err := q.w.NewInsert().Model(w).Exec(ctx); err != nil {
		return fmt.Errorf("insert warning: %w", err)
	}
	return nil
}

// Warnings returns the warnings given to accountID, newest first.
func (q queries) Warnings(ctx context.Context, accountID int64) ([]*AccountWarning, error) {
	var out []*AccountWarning
	err := q.r.NewSelect().Model(&out).Where("target_account_id = ?", accountID).OrderExpr("id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("warnings: %w", err)
	}
	return out, nil
}

// AdminAccount is an account as staff see it: with its user when local.
type AdminAccount struct {
	Account *Account
	User    *User // nil for a remote account
}

// AdminAccountFilter narrows AdminAccounts; the zero value lists all.
type AdminAccountFilter struct {
	Origin    string // "local", "remote" or ""
	Status    string // "active", "pending", "disabled", "silenced", "suspended" or ""
	Username  string // prefix, case-insensitive
	Domain    string
	Email     string // substring
	StaffOnly bool
}

// AdminAccounts returns accounts for staff, newest first.
func (q queries) AdminAccounts(ctx context.Context, f AdminAccountFilter, p Page) ([]AdminAccount, error) {
	var accts []*Account
	sel := q.r.NewSelect().Model(&accts).Where("account.username <> 'instance.actor'")
	needUser := f.Status == "pending" || f.Status == "disabled" || f.Email != "" || f.StaffOnly
	if needUser {
		sel = sel.Join("JOIN users AS u ON u.account_id = account.id")
	}
	switch f.Origin {
	case "local":
		sel = sel.Where("account.domain = ''")
	case "remote":
		sel = sel.Where("account.domain <> ''")
	}
	switch f.Status {
	case "active":
		sel = sel.Where("account.suspended_at IS NULL").Where("account.silenced_at IS NULL")
	case "pending":
		sel = sel.Where("u.approved = ?", false)
	case "disabled":
		sel = sel.Where("u.disabled = ?", true)
	case "silenced":
		sel = sel.Where("account.silenced_at IS NOT NULL")
	case "suspended":
		sel = sel.Where("account.suspended_at IS NOT NULL")
	}
	if f.Username != "" {
		sel = sel.Where(`lower(account.username) LIKE ? ESCAPE '\'`, escapeLike(f.Username)+"%")
	}
	if f.Domain != "" {
		sel = sel.Where("account.domain = ?", strings.ToLower(f.Domain))
	}
	if f.Email != "" {
		sel = sel.Where(`lower(u.email) LIKE ? ESCAPE '\'`, "%"+escapeLike(f.Email)+"%")
	}
	if f.StaffOnly {
		sel = sel.Where("u.role <> 'user'")
	}
	if err := p.apply(sel, "account.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("admin accounts: %w", err)
	}
	reverseIfMin(accts, p)
	ids := make([]int64, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	users := map[int64]*User{}
	if len(ids) > 0 {
		var us []*User
		if err := q.r.NewSelect().Model(&us).Where("account_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("admin accounts: %w", err)
		}
		for _, u := range us {
			users[u.AccountID] = u
		}
	}
	out := make([]AdminAccount, len(accts))
	for i, a := range accts {
		u := users[a.ID]
		if u != nil {
			u.Account = a
		}
		out[i] = AdminAccount{Account: a, User: u}
	}
	return out, nil
}

// UserByAccountID returns the local user of accountID, with the account.
func (q queries) UserByAccountID(ctx context.Context, accountID int64) (*User, error) {
	u := new(User)
	if err := q.r.NewSelect().Model(u).Relation("Account").Where("u.account_id = ?", accountID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return u, nil
}

// DeleteLocalUser removes a user and its account row entirely (a rejected
// applicant, who never posted).
func (q queries) DeleteLocalUser(ctx context.Context, u *User) error {
	if _, err := q.w.NewDelete().Model(u).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if _, err := q.w.NewDelete().Model((*Account)(nil)).Where("id = ?", u.AccountID).Exec(ctx); err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	return nil
}

// escapeLike lower-cases s and escapes LIKE's wildcards, for ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(s))
}
