package ui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"rounds/social"
)

// An account action is one POST /admin/accounts/{id}/... form: it calls
// social with the staff member as actor and names the notice to show.
type accountActionFunc func(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (done string, err error)

// accountAction wraps do as a handler: the form's CSRF check, the call, and
// back to the account's page (or the list, when the account is gone).
func (h *handler) accountAction(do accountActionFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, form := h.postedForm(w, r)
		if sess == nil {
			return
		}
		if !social.StaffActor(sess.User).Can(social.PermModerate) {
			h.problem(w, r, http.StatusForbidden, "Your role on this server does not allow this.")
			return
		}
		id := adminPathID(r)
		done, err := do(r.Context(), h.social, social.StaffActor(sess.User), id, form)
		if err != nil {
			h.adminFailed(w, r, "admin: account action", err)
			return
		}
		if done == "rejected" {
			redirectDone(w, r, "/admin/accounts", done)
			return
		}
		redirectDone(w, r, "/admin/accounts/"+strconv.FormatInt(id, 10), done)
	}
}

func reasonOf(form url.Values) string { return strings.TrimSpace(form.Get("reason")) }

func approveAccount(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	return "approved", s.Approve(ctx, a, id, reasonOf(form))
}

func rejectAccount(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	return "rejected", s.Reject(ctx, a, id, reasonOf(form))
}

// actOnAccount warns, limits, suspends or disables, optionally resolving a
// report (report_id).
func actOnAccount(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	reportID, _ := strconv.ParseInt(form.Get("report_id"), 10, 64)
	return "action", s.TakeAction(ctx, a, id, social.AccountAction{
		Type: form.Get("type"), Text: strings.TrimSpace(form.Get("text")), ReportID: reportID,
	})
}

func unsuspendAccount(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	return "unsuspended", s.Unsuspend(ctx, a, id, reasonOf(form))
}

func unsilenceAccount(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	return "unsilenced", s.Unsilence(ctx, a, id, reasonOf(form))
}

func enableAccount(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	return "enabled", s.Enable(ctx, a, id, reasonOf(form))
}

func deleteAccount(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	if form.Get("confirm") != "yes" {
		return "", &social.ValidationError{Field: "confirm", Reason: "tick the box to confirm that the account's content goes for good"}
	}
	return "deleted", s.DeleteAccount(ctx, a, id, reasonOf(form))
}

func setAccountRole(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	return "role", s.SetRole(ctx, a, id, form.Get("role"), reasonOf(form))
}

// verifyAccount records a clinician's registration; recheck_at is a date
// (YYYY-MM-DD), empty for a year from now.
func verifyAccount(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	d := social.ClinicianDetails{
		Profession:         form.Get("profession"),
		Regulator:          form.Get("regulator"),
		RegistrationNumber: form.Get("registration_number"),
		Organisation:       form.Get("organisation"),
		Specialty:          form.Get("specialty"),
	}
	if raw := strings.TrimSpace(form.Get("recheck_at")); raw != "" {
		t, err := time.Parse("2006-01-02", raw)
		if err != nil {
			return "", &social.ValidationError{Field: "re-check date", Reason: "must be a date"}
		}
		d.RecheckAt = t
	}
	_, err := s.VerifyClinician(ctx, a, id, d, reasonOf(form))
	return "verified", err
}

func revokeVerification(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	return "unverified", s.RevokeVerification(ctx, a, id, reasonOf(form))
}

func resetTwoFactor(ctx context.Context, s *social.Service, a social.Actor, id int64, form url.Values) (string, error) {
	acct, err := s.AdminAccount(ctx, a, id)
	if err != nil {
		return "", err
	}
	return "two_factor", s.ResetTwoFactor(ctx, a, acct.Account.Username, reasonOf(form))
}

// adminPasswordReset is POST /admin/accounts/{id}/password_reset: a
// one-time link to set a new password, shown once to the admin to hand
// over.
func (h *handler) adminPasswordReset(w http.ResponseWriter, r *http.Request) {
	sess, _ := h.postedForm(w, r)
	if sess == nil {
		return
	}
	actor := social.StaffActor(sess.User)
	a, err := h.social.AdminAccount(r.Context(), actor, adminPathID(r))
	if err != nil {
		h.adminFailed(w, r, "admin: password reset", err)
		return
	}
	link, err := h.social.CreatePasswordReset(r.Context(), actor, a.Account.Username)
	if err != nil {
		h.adminFailed(w, r, "admin: password reset", err)
		return
	}
	h.renderAdmin(w, r, sess, "admin_link", "/admin/accounts", map[string]any{
		"Title": "Password reset link for @" + a.Account.Username,
		"Link":  link,
		"Hint":  "Give this link to @" + a.Account.Username + " yourself, for example in person or by a message you trust. It works once and expires; it is not shown again.",
		"Back":  "/admin/accounts/" + strconv.FormatInt(a.Account.ID, 10),
	})
}
