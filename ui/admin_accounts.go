package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"rounds/social"
	"rounds/storage"
)

// accountRow is an account as the staff pages list it.
type accountRow struct {
	storage.AdminAccount
	Status string // "pending", "disabled", "suspended", "limited" or "active"
	Role   string
	Email  string
}

func viewAccountRow(a storage.AdminAccount) accountRow {
	row := accountRow{AdminAccount: a, Status: "active"}
	if u := a.User; u != nil {
		row.Role = u.Role
		if u.Email != nil {
			row.Email = *u.Email
		}
	}
	switch {
	case a.Account.Suspended():
		row.Status = "suspended"
	case a.User != nil && !a.User.Approved:
		row.Status = "pending"
	case a.User != nil && a.User.Disabled:
		row.Status = "disabled"
	case a.Account.SilencedAt != nil:
		row.Status = "limited"
	}
	return row
}

// adminAccounts is GET /admin/accounts: search and filter every account.
func (h *handler) adminAccounts(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermModerate)
	if sess == nil {
		return
	}
	q := r.URL.Query()
	f := storage.AdminAccountFilter{
		Origin:    q.Get("origin"),
		Status:    q.Get("status"),
		Username:  strings.TrimPrefix(strings.TrimSpace(q.Get("username")), "@"),
		Domain:    strings.TrimSpace(q.Get("domain")),
		Email:     strings.TrimSpace(q.Get("email")),
		StaffOnly: q.Get("staff") == "1",
	}
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	const perPage = 40
	list, err := h.social.AdminAccounts(r.Context(), social.StaffActor(sess.User), f, storage.Page{MaxID: maxID, Limit: perPage})
	if err != nil {
		h.adminFailed(w, r, "admin accounts", err)
		return
	}
	rows := make([]accountRow, len(list))
	for i, a := range list {
		rows[i] = viewAccountRow(a)
	}
	data := map[string]any{"Accounts": rows, "Filter": f}
	if len(list) == perPage {
		next := r.URL.Query()
		next.Set("max_id", strconv.FormatInt(list[len(list)-1].Account.ID, 10))
		data["Next"] = "/admin/accounts?" + next.Encode()
	}
	h.renderAdmin(w, r, sess, "admin_accounts", "/admin/accounts", data)
}

// adminAccountNew is GET /admin/accounts/new: the form to create an account.
func (h *handler) adminAccountNew(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermManageAccounts)
	if sess == nil {
		return
	}
	h.renderAdmin(w, r, sess, "admin_account_new", "/admin/accounts", map[string]any{
		"Roles": assignableRoles(sess.User), "MinPassword": social.MinPasswordLength, "Role": social.RoleUser,
	})
}

// adminAccountCreate is POST /admin/accounts: an admin creates an account,
// approved at once.
func (h *handler) adminAccountCreate(w http.ResponseWriter, r *http.Request) {
	sess, form := h.postedForm(w, r)
	if sess == nil {
		return
	}
	in := social.NewUser{
		Username: strings.TrimPrefix(strings.TrimSpace(form.Get("username")), "@"),
		Email:    strings.TrimSpace(form.Get("email")),
		Password: form.Get("password"),
		Role:     form.Get("role"),
		Reason:   form.Get("reason"),
	}
	u, err := h.social.CreateUserAs(r.Context(), social.StaffActor(sess.User), in)
	var ve *social.ValidationError
	switch {
	case errors.As(err, &ve) || errors.Is(err, social.ErrConflict):
		// Back to the form with what was typed (but the password) and
		// what to fix.
		msg := "That username or email address is taken already."
		if ve != nil {
			msg = adminCapitalise(ve.Error()) + "."
		}
		data := map[string]any{
			"Roles": assignableRoles(sess.User), "MinPassword": social.MinPasswordLength,
			"Error": msg, "Username": in.Username, "Email": in.Email, "Role": in.Role, "Reason": in.Reason,
		}
		h.renderAdminStatus(w, r, sess, http.StatusUnprocessableEntity, "admin_account_new", "/admin/accounts", data)
		return
	case err != nil:
		h.adminFailed(w, r, "admin: create account", err)
		return
	}
	redirectDone(w, r, "/admin/accounts/"+strconv.FormatInt(u.AccountID, 10), "created")
}

// assignableRoles are the roles u may give: those ranked below u's own.
func assignableRoles(u *storage.User) []string {
	var out []string
	for _, role := range []string{social.RoleUser, social.RoleModerator, social.RoleAdmin, social.RoleOwner} {
		if role == u.Role {
			break
		}
		out = append(out, role)
	}
	return out
}

// adminAccount is GET /admin/accounts/{id}: one account, what was done to
// it and the forms to act on it.
func (h *handler) adminAccount(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermModerate)
	if sess == nil {
		return
	}
	ctx := r.Context()
	actor := social.StaffActor(sess.User)
	a, err := h.social.AdminAccount(ctx, actor, adminPathID(r))
	if err != nil {
		h.adminFailed(w, r, "admin account", err)
		return
	}
	warnings, err := h.social.Warnings(ctx, a.Account.ID)
	if err != nil {
		h.adminFailed(w, r, "admin account: warnings", err)
		return
	}
	reports, err := h.social.Reports(ctx, actor, storage.ReportFilter{TargetAccountID: a.Account.ID}, storage.Page{Limit: 20})
	if err != nil {
		h.adminFailed(w, r, "admin account: reports", err)
		return
	}
	data := map[string]any{
		"A": viewAccountRow(a), "Warnings": warnings, "Reports": reports,
		"Professions": social.Professions, "Roles": assignableRoles(sess.User),
		"Self": a.Account.ID == sess.User.AccountID,
	}
	if a.Account.Local() {
		v, err := h.social.Verification(ctx, a.Account.ID)
		if err != nil {
			h.adminFailed(w, r, "admin account: verification", err)
			return
		}
		if v != nil {
			data["Verification"] = v
			data["VerificationCurrent"] = v.Current(time.Now())
		}
	}
	h.renderAdmin(w, r, sess, "admin_account", "/admin/accounts", data)
}
