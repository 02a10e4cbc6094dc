package api

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// adminAccountRoutes mounts /api/v1/admin/accounts (and v2 listing), plus
// two Rounds extensions: clinician verification and role changes.
func (h *handler) adminAccountRoutes(r chi.Router) {
	read := requireStaff("admin:read:accounts", social.PermModerate)
	r.With(read).Get("/api/v1/admin/accounts", h.adminAccounts(false))
	r.With(read).Get("/api/v2/admin/accounts", h.adminAccounts(true))
	r.With(read).Get("/api/v1/admin/accounts/{id}", h.idAction(h.adminAccount))

	moderate := requireStaff("admin:write:accounts", social.PermModerate)
	manage := requireStaff("admin:write:accounts", social.PermManageAccounts)
	r.With(moderate).Post("/api/v1/admin/accounts/{id}/action", h.idAction(h.adminAction))
	r.With(moderate).Post("/api/v1/admin/accounts/{id}/unsilence", h.adminChange(h.social.Unsilence))
	r.With(moderate).Post("/api/v1/admin/accounts/{id}/unsuspend", h.adminChange(h.social.Unsuspend))
	r.With(moderate).Post("/api/v1/admin/accounts/{id}/unsensitive", h.adminChange(func(context.Context, social.Actor, int64, string) error {
		return errorf(http.StatusUnprocessableEntity, "Rounds does not mark accounts' media sensitive, so there is nothing to undo")
	}))
	r.With(manage).Post("/api/v1/admin/accounts/{id}/approve", h.adminChange(h.social.Approve))
	r.With(manage).Post("/api/v1/admin/accounts/{id}/reject", h.idAction(h.adminReject))
	r.With(manage).Post("/api/v1/admin/accounts/{id}/enable", h.adminChange(h.social.Enable))
	r.With(manage).Delete("/api/v1/admin/accounts/{id}", h.adminChange(h.social.DeleteAccount))
	r.With(manage).Post("/api/v1/admin/accounts/{id}/role", h.adminChangeWith(h.adminSetRole))
	r.With(manage).Post("/api/v1/admin/accounts/{id}/verification", h.adminChangeWith(h.adminVerify))
	r.With(manage).Delete("/api/v1/admin/accounts/{id}/verification", h.adminChange(h.social.RevokeVerification))
}

// AdminAccount is Mastodon's Admin::Account entity.
type AdminAccount struct {
	ID                     string   `json:"id"`
	Username               string   `json:"username"`
	Domain                 *string  `json:"domain"`
	CreatedAt              string   `json:"created_at"`
	Email                  *string  `json:"email"`
	IP                     *string  `json:"ip"`
	IPs                    []any    `json:"ips"`
	Locale                 *string  `json:"locale"`
	InviteRequest          *string  `json:"invite_request"`
	Role                   *Role    `json:"role"`
	Confirmed              bool     `json:"confirmed"`
	Approved               bool     `json:"approved"`
	Disabled               bool     `json:"disabled"`
	Silenced               bool     `json:"silenced"`
	Suspended              bool     `json:"suspended"`
	Sensitized             bool     `json:"sensitized"`
	Account                *Account `json:"account"`
	CreatedByApplicationID *string  `json:"created_by_application_id"`
	InvitedByAccountID     *string  `json:"invited_by_account_id"`
	// Verification is a Rounds extension: the clinician's registration as
	// an admin confirmed it, or null.
	Verification *Verification `json:"rounds_verification"`
}

// Verification is a clinician's registration as staff see it.
type Verification struct {
	Profession         string  `json:"profession"`
	Regulator          string  `json:"regulator"`
	RegistrationNumber string  `json:"registration_number"`
	Organisation       string  `json:"organisation"`
	Specialty          string  `json:"specialty"`
	VerifiedBy         string  `json:"verified_by"`
	VerifiedAt         string  `json:"verified_at"`
	RecheckAt          string  `json:"recheck_at"`
	RevokedAt          *string `json:"revoked_at"`
	Current            bool    `json:"current"`
}

func (p *present) AdminAccount(ctx context.Context, aa storage.AdminAccount) *AdminAccount {
	a := aa.Account
	out := &AdminAccount{
		ID: idString(a.ID), Username: a.Username, Domain: optString(a.Domain),
		CreatedAt: mastoTime(a.CreatedAt), IPs: []any{},
		Silenced: a.SilencedAt != nil, Suspended: a.Suspended(),
		Account: p.Account(ctx, a), Confirmed: true, Approved: true,
	}
	if u := aa.User; u != nil {
		out.Email = u.Email
		out.Role = roleEntity(u.Role)
		out.Approved, out.Disabled = u.Approved, u.Disabled
		out.InviteRequest = optString(u.Reason)
		out.Confirmed = u.Email == nil || u.ConfirmedAt != nil
		if u.InviteID != nil {
			out.InvitedByAccountID = nil // invites name their creator by user; not shown yet
		}
		if v, err := p.h.social.Verification(ctx, a.ID); err == nil && v != nil {
			vv := &Verification{
				Profession: v.Profession, Regulator: v.Regulator, RegistrationNumber: v.RegistrationNumber,
				Organisation: v.Organisation, Specialty: v.Specialty, VerifiedBy: v.VerifiedBy, VerifiedAt: mastoTime(v.VerifiedAt),
				RecheckAt: mastoTime(v.RecheckAt), Current: v.Current(time.Now()),
			}
			if v.RevokedAt != nil {
				t := mastoTime(*v.RevokedAt)
				vv.RevokedAt = &t
			}
			out.Verification = vv
		}
	} else {
		out.Role = roleEntity(social.RoleUser)
	}
	return out
}

// adminAccounts lists accounts: v1 takes flags (local, pending ...), v2
// takes origin and status.
func (h *handler) adminAccounts(v2 bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := parseParams(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		page, err := pageFrom(p, 100, 200)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		f := storage.AdminAccountFilter{
			Username: p.str("username"), Domain: p.str("by_domain"), Email: p.str("email"),
		}
		if v2 {
			f.Origin, f.Status = p.str("origin"), p.str("status")
			f.StaffOnly = p.str("permissions") == "staff"
		} else {
			switch {
			case p.boolean("local"):
				f.Origin = "local"
			case p.boolean("remote"):
				f.Origin = "remote"
			}
			for _, s := range []string{"active", "pending", "disabled", "silenced", "suspended"} {
				if p.boolean(s) {
					f.Status = s
				}
			}
			f.StaffOnly = p.boolean("staff")
		}
		switch f.Origin {
		case "", "local", "remote":
		default:
			h.writeError(w, r, errorf(http.StatusUnprocessableEntity, "origin must be local or remote"))
			return
		}
		switch f.Status {
		case "", "active", "pending", "disabled", "silenced", "suspended":
		default:
			h.writeError(w, r, errorf(http.StatusUnprocessableEntity, "status must be active, pending, disabled, silenced or suspended"))
			return
		}
		list, err := h.social.AdminAccounts(r.Context(), staffActor(r), f, page)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		pr := h.presenter(me(r))
		out := make([]*AdminAccount, len(list))
		for i, aa := range list {
			out[i] = pr.AdminAccount(r.Context(), aa)
		}
		if len(list) > 0 {
			setLink(w, r, h.social.BaseURL(), list[0].Account.ID, list[len(list)-1].Account.ID, len(list))
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (h *handler) adminAccount(r *http.Request, id int64, _ params) (any, error) {
	aa, err := h.social.AdminAccount(r.Context(), staffActor(r), id)
	if err != nil {
		return nil, err
	}
	return h.presenter(me(r)).AdminAccount(r.Context(), aa), nil
}

// adminChange runs one account action that takes a reason (the text
// parameter) and answers the account in its new state.
func (h *handler) adminChange(act func(ctx context.Context, a social.Actor, accountID int64, reason string) error) http.HandlerFunc {
	return h.adminChangeWith(func(r *http.Request, id int64, p params) error {
		return act(r.Context(), staffActor(r), id, p.str("text"))
	})
}

// adminChangeWith is adminChange for actions that read more parameters.
func (h *handler) adminChangeWith(act func(r *http.Request, id int64, p params) error) http.HandlerFunc {
	return h.idAction(func(r *http.Request, id int64, p params) (any, error) {
		if err := act(r, id, p); err != nil {
			return nil, err
		}
		return h.adminAccount(r, id, p)
	})
}

// adminReject answers the rejected application as it was: it is gone now.
func (h *handler) adminReject(r *http.Request, id int64, p params) (any, error) {
	before, err := h.adminAccount(r, id, p)
	if err != nil {
		return nil, err
	}
	if err := h.social.Reject(r.Context(), staffActor(r), id, p.str("text")); err != nil {
		return nil, err
	}
	return before, nil
}

// adminAction is POST /api/v1/admin/accounts/:id/action: warn, disable,
// limit or suspend, optionally resolving a report. It answers {}.
func (h *handler) adminAction(r *http.Request, id int64, p params) (any, error) {
	reportID, err := p.id("report_id")
	if err != nil {
		return nil, err
	}
	typ := p.str("type")
	if typ == "" {
		typ = social.ActionWarn
	}
	act := social.AccountAction{Type: typ, Text: p.str("text"), ReportID: reportID}
	return struct{}{}, h.social.TakeAction(r.Context(), staffActor(r), id, act)
}

// adminSetRole is POST /api/v1/admin/accounts/:id/role (a Rounds
// extension): role = user, moderator, admin or owner.
func (h *handler) adminSetRole(r *http.Request, id int64, p params) error {
	return h.social.SetRole(r.Context(), staffActor(r), id, p.str("role"), p.str("text"))
}

// adminVerify is POST /api/v1/admin/accounts/:id/verification (a Rounds
// extension): record a clinician's registration.
func (h *handler) adminVerify(r *http.Request, id int64, p params) error {
	d := social.ClinicianDetails{
		Profession: p.str("profession"), Regulator: p.str("regulator"),
		RegistrationNumber: p.str("registration_number"), Organisation: p.str("organisation"),
		Specialty: p.str("specialty"),
	}
	if s := p.str("recheck_at"); s != "" {
		t, err := parseDate(s)
		if err != nil {
			return errorf(http.StatusUnprocessableEntity, "recheck_at must be a date such as 2027-06-30")
		}
		d.RecheckAt = t
	}
	_, err := h.social.VerifyClinician(r.Context(), staffActor(r), id, d, p.str("text"))
	return err
}

// parseDate reads an RFC 3339 time or a plain date.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}
