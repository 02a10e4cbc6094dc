package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// The staff pages under /admin. Each calls the same rules in social as the
// admin API and the CLI: the page only checks that a staff member is signed
// in (staffSession) and that a form came from this server (postedForm);
// whether this staff member may do this to that account is social's answer.
// After a change the browser is sent back to a page (post, redirect, get)
// with a short notice named in ?done=.

// adminPageRoutes mounts the staff pages under /admin.
func (h *handler) adminPageRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(noStore)
		r.Get("/admin", h.adminDashboard)

		r.Get("/admin/accounts", h.adminAccounts)
		r.Get("/admin/accounts/new", h.adminAccountNew)
		r.Post("/admin/accounts", h.adminAccountCreate)
		r.Get("/admin/accounts/{id}", h.adminAccount)
		r.Post("/admin/accounts/{id}/approve", h.accountAction(approveAccount))
		r.Post("/admin/accounts/{id}/reject", h.accountAction(rejectAccount))
		r.Post("/admin/accounts/{id}/action", h.accountAction(actOnAccount))
		r.Post("/admin/accounts/{id}/unsuspend", h.accountAction(unsuspendAccount))
		r.Post("/admin/accounts/{id}/unsilence", h.accountAction(unsilenceAccount))
		r.Post("/admin/accounts/{id}/enable", h.accountAction(enableAccount))
		r.Post("/admin/accounts/{id}/delete", h.accountAction(deleteAccount))
		r.Post("/admin/accounts/{id}/role", h.accountAction(setAccountRole))
		r.Post("/admin/accounts/{id}/verification", h.accountAction(verifyAccount))
		r.Post("/admin/accounts/{id}/verification/revoke", h.accountAction(revokeVerification))
		r.Post("/admin/accounts/{id}/reset_two_factor", h.accountAction(resetTwoFactor))
		r.Post("/admin/accounts/{id}/password_reset", h.adminPasswordReset)

		r.Get("/admin/invites", h.adminInvites)
		r.Post("/admin/invites", h.adminInviteCreate)
		r.Post("/admin/invites/{id}/revoke", h.staffForm("admin: revoke invite", "/admin/invites", "invite_revoked", h.adminInviteRevoke))

		r.Get("/admin/reports", h.adminReports)
		r.Get("/admin/reports/{id}", h.adminReport)
		r.Post("/admin/reports/{id}/assign", h.reportAction(assignReport))
		r.Post("/admin/reports/{id}/unassign", h.reportAction(unassignReport))
		r.Post("/admin/reports/{id}/resolve", h.reportAction(resolveReport))
		r.Post("/admin/reports/{id}/reopen", h.reportAction(reopenReport))

		r.Get("/admin/domain_blocks", h.adminDomainBlocks)
		r.Post("/admin/domain_blocks", h.staffForm("admin: block domain", "/admin/domain_blocks", "blocked", h.adminDomainBlockCreate))
		r.Post("/admin/domain_blocks/{id}/remove", h.staffForm("admin: unblock domain", "/admin/domain_blocks", "unblocked", h.adminDomainBlockRemove))
		r.Post("/admin/domain_allows", h.staffForm("admin: allow domain", "/admin/domain_blocks", "allowed", h.adminDomainAllowCreate))
		r.Post("/admin/domain_allows/{id}/remove", h.staffForm("admin: remove domain allow", "/admin/domain_blocks", "disallowed", h.adminDomainAllowRemove))
		r.Post("/admin/federation_mode", h.staffForm("admin: federation mode", "/admin/domain_blocks", "federation_mode", h.adminFederationMode))
		h.adminBlockPageRoutes(r)

		r.Get("/admin/relays", h.adminRelays)
		r.Post("/admin/relays", h.staffForm("admin: add relay", "/admin/relays", "relay_added", h.adminRelayAdd))
		r.Post("/admin/relays/{id}/remove", h.staffForm("admin: remove relay", "/admin/relays", "relay_removed", h.adminRelayRemove))
		r.Post("/admin/relays/{id}/enable", h.staffForm("admin: enable relay", "/admin/relays", "relay_enabled", h.adminRelayEnable))
		r.Post("/admin/relays/{id}/disable", h.staffForm("admin: disable relay", "/admin/relays", "relay_disabled", h.adminRelayDisable))

		r.Get("/admin/audit", h.adminAudit)
		r.Get("/admin/audit.csv", h.adminAuditCSV)

		r.Get("/admin/settings", h.adminSettings)
		r.Post("/admin/settings", h.adminSettingsSave)
		r.Post("/admin/settings/documents", h.staffForm("admin: instance document", "/admin/settings", "document", h.adminDocumentSave))
	})
}

// navLink is one entry of the staff pages' navigation.
type navLink struct {
	Href, Label string
	Current     bool
}

// renderAdmin renders an admin page for sess, with the navigation its
// role allows and the notice a redirect named.
func (h *handler) renderAdmin(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, page, current string, data map[string]any) {
	h.renderAdminStatus(w, r, sess, http.StatusOK, page, current, data)
}

// renderAdminStatus is renderAdmin with another status than 200.
func (h *handler) renderAdminStatus(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, status int, page, current string, data map[string]any) {
	a := social.StaffActor(sess.User)
	links := []struct {
		href, label string
		p           social.Permission
	}{
		{"/admin", "Dashboard", social.PermModerate},
		{"/admin/accounts", "Accounts", social.PermModerate},
		{"/admin/reports", "Reports", social.PermModerate},
		{"/admin/trends", "Trends", social.PermModerate},
		{"/admin/invites", "Invites", social.PermManageAccounts},
		{"/admin/domain_blocks", "Domain blocks", social.PermManageFederation},
		{"/admin/blocks", "Sign-up and IP blocks", social.PermManageBlocks},
		{"/admin/relays", "Relays", social.PermManageFederation},
		{"/admin/audit", "Audit log", social.PermReadAudit},
		{"/admin/settings", "Server settings", social.PermManageSettings},
		{"/admin/guidance", "Guidance", social.PermModerate},   // guidance.go
		{"/admin/questions", "Questions", social.PermModerate}, // questions.go
	}
	var nav []navLink
	for _, l := range links {
		if a.Can(l.p) {
			nav = append(nav, navLink{Href: l.href, Label: l.label, Current: l.href == current})
		}
	}
	data["AdminNav"] = nav
	data["CanManageAccounts"] = a.Can(social.PermManageAccounts)
	data["CanManageFederation"] = a.Can(social.PermManageFederation)
	data["CanReadAudit"] = a.Can(social.PermReadAudit)
	if n, ok := adminNotices[r.URL.Query().Get("done")]; ok {
		data["Notice"] = n
	}
	h.render(w, r, status, page, data)
}

// adminNotices are the notices a page shows after a change (?done=...).
var adminNotices = map[string]string{
	"created":          "The account was created.",
	"approved":         "The account was approved; its owner can sign in.",
	"rejected":         "The application was rejected.",
	"action":           "The action was taken.",
	"unsuspended":      "The suspension was lifted.",
	"unsilenced":       "The limit was lifted.",
	"enabled":          "The account can sign in again.",
	"deleted":          "The account's content was deleted.",
	"role":             "The role was changed.",
	"verified":         "The clinician's registration was recorded.",
	"unverified":       "The verification was revoked.",
	"two_factor":       "Two-factor sign-in was reset.",
	"invite":           "The invite link was made.",
	"invite_revoked":   "The invite link was withdrawn.",
	"assigned":         "The report is yours.",
	"unassigned":       "The report is nobody's now.",
	"resolved":         "The report was resolved.",
	"reopened":         "The report was reopened.",
	"blocked":          "The domain was blocked.",
	"unblocked":        "The domain block was lifted.",
	"allowed":          "The domain was added to the allowed list.",
	"disallowed":       "The domain was taken off the allowed list.",
	"federation_mode":  "The federation mode was changed.",
	"settings":         "The settings were saved.",
	"document":         "The document was saved.",
	"already_resolved": "The report was already resolved.",
	"trend_approved":   "Approved: it may show in the trends.",
	"trend_rejected":   "Rejected: it stays out of the trends.",
	"relay_added":      "The relay was added; it is pending until it accepts.",
	"relay_removed":    "The relay was removed.",
	"relay_enabled":    "The relay was enabled.",
	"relay_disabled":   "The relay was disabled.",
}

// redirectDone sends the browser to path with the notice done.
func redirectDone(w http.ResponseWriter, r *http.Request, path, done string) {
	http.Redirect(w, r, path+"?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
}

// staffForm is the shape of most staff forms: check the session and the
// CSRF token, run act as the signed-in staff member, then go back to page
// saying done, or show what went wrong (what names it in the log).
func (h *handler) staffForm(what, page, done string, act func(r *http.Request, actor social.Actor, form url.Values) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, form := h.postedForm(w, r)
		if sess == nil {
			return
		}
		if err := act(r, social.StaffActor(sess.User), form); err != nil {
			h.adminFailed(w, r, what, err)
			return
		}
		redirectDone(w, r, page, done)
	}
}

// adminFailed answers an error from social: refused (403), missing (404),
// invalid input (422, with social's words) or our fault (500).
func (h *handler) adminFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	var ve *social.ValidationError
	var re *social.RegistrationError
	var exists *social.DomainBlockExistsError
	switch {
	case errors.Is(err, social.ErrForbidden):
		h.problem(w, r, http.StatusForbidden, "Your role on this server does not allow this.")
	case errors.Is(err, social.ErrNotFound):
		h.problem(w, r, http.StatusNotFound, "That is not here any more; it may have been deleted.")
	case errors.As(err, &ve):
		h.problem(w, r, http.StatusUnprocessableEntity, adminCapitalise(ve.Error())+". Go back and try again.")
	case errors.As(err, &re):
		h.problem(w, r, http.StatusUnprocessableEntity, adminCapitalise(re.Error())+". Go back and try again.")
	case errors.As(err, &exists):
		h.problem(w, r, http.StatusConflict, exists.Error())
	case errors.Is(err, social.ErrConflict):
		h.problem(w, r, http.StatusConflict, "That already exists. Go back and try again.")
	default:
		h.log.Error(what, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
	}
}

func adminCapitalise(s string) string {
	if s == "" {
		return s
	}
	if c := s[0]; c >= 'a' && c <= 'z' {
		return string(c-'a'+'A') + s[1:]
	}
	return s
}

// adminPathID reads the {id} of an admin path; 0 when it is not a number.
// pathID reads the {id} of the path; a path whose id is not a number names
// nothing, and is answered 404 here.
func (h *handler) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		h.notFound(w, r)
		return 0, false
	}
	return id, true
}

func adminPathID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	return id
}

// adminTimeLayout is how every admin page shows a time.
const adminTimeLayout = "2 Jan 2006 15:04 UTC"
