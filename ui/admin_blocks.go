package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// The sign-up blocks page, /admin/blocks: email domains, canonical email
// addresses and IP networks, each listed with a form to add one and a
// button to lift one. The rules are social's, as for the admin API and
// `rounds admin ip-block` and its siblings.

func (h *handler) adminBlockPageRoutes(r chi.Router) {
	r.Get("/admin/blocks", h.adminBlocks)
	r.Post("/admin/email_domain_blocks", h.staffForm("admin: block email domain", "/admin/blocks", "email_domain_blocked", h.adminEmailDomainBlockCreate))
	r.Post("/admin/email_domain_blocks/{id}/remove", h.staffForm("admin: unblock email domain", "/admin/blocks", "email_domain_unblocked", h.adminEmailDomainBlockRemove))
	r.Post("/admin/canonical_email_blocks", h.staffForm("admin: block email", "/admin/blocks", "email_blocked", h.adminCanonicalEmailBlockCreate))
	r.Post("/admin/canonical_email_blocks/{id}/remove", h.staffForm("admin: unblock email", "/admin/blocks", "email_unblocked", h.adminCanonicalEmailBlockRemove))
	r.Post("/admin/ip_blocks", h.staffForm("admin: block ip", "/admin/blocks", "ip_blocked", h.adminIPBlockCreate))
	r.Post("/admin/ip_blocks/{id}/remove", h.staffForm("admin: unblock ip", "/admin/blocks", "ip_unblocked", h.adminIPBlockRemove))
}

func init() {
	adminNotices["email_domain_blocked"] = "The email domain was blocked."
	adminNotices["email_domain_unblocked"] = "The email domain block was lifted."
	adminNotices["email_blocked"] = "The email address was blocked."
	adminNotices["email_unblocked"] = "The email address block was lifted."
	adminNotices["ip_blocked"] = "The IP block was added."
	adminNotices["ip_unblocked"] = "The IP block was lifted."
}

// ipBlockRow is an IP block as the page lists it.
type ipBlockRow struct {
	*storage.IPBlock
	Expired bool
}

// adminBlocks is GET /admin/blocks.
func (h *handler) adminBlocks(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermManageBlocks)
	if sess == nil {
		return
	}
	ctx, a := r.Context(), social.StaffActor(sess.User)
	domains, err := h.social.EmailDomainBlocks(ctx, a, storage.Page{Limit: 200})
	if err != nil {
		h.adminFailed(w, r, "admin blocks: email domains", err)
		return
	}
	emails, err := h.social.CanonicalEmailBlocks(ctx, a, storage.Page{Limit: 200})
	if err != nil {
		h.adminFailed(w, r, "admin blocks: emails", err)
		return
	}
	ips, err := h.social.IPBlocks(ctx, a, storage.Page{Limit: 200})
	if err != nil {
		h.adminFailed(w, r, "admin blocks: ips", err)
		return
	}
	rows := make([]ipBlockRow, len(ips))
	now := time.Now()
	for i, b := range ips {
		rows[i] = ipBlockRow{IPBlock: b, Expired: b.ExpiresAt != nil && !b.ExpiresAt.After(now)}
	}
	h.renderAdmin(w, r, sess, "admin_blocks", "/admin/blocks", map[string]any{
		"EmailDomains": domains, "Emails": emails, "IPs": rows,
	})
}

func (h *handler) adminEmailDomainBlockCreate(r *http.Request, actor social.Actor, form url.Values) error {
	_, err := h.social.BlockEmailDomain(r.Context(), actor, form.Get("domain"))
	return err
}

func (h *handler) adminEmailDomainBlockRemove(r *http.Request, actor social.Actor, _ url.Values) error {
	_, err := h.social.UnblockEmailDomain(r.Context(), actor, adminPathID(r))
	return err
}

func (h *handler) adminCanonicalEmailBlockCreate(r *http.Request, actor social.Actor, form url.Values) error {
	_, err := h.social.BlockCanonicalEmail(r.Context(), actor, form.Get("email"), "")
	return err
}

func (h *handler) adminCanonicalEmailBlockRemove(r *http.Request, actor social.Actor, _ url.Values) error {
	_, err := h.social.UnblockCanonicalEmail(r.Context(), actor, adminPathID(r))
	return err
}

// adminIPBlockCreate is POST /admin/ip_blocks; expires_in is a choice of
// durations ("" for never).
func (h *handler) adminIPBlockCreate(r *http.Request, actor social.Actor, form url.Values) error {
	var exp time.Duration
	if v := strings.TrimSpace(form.Get("expires_in")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return &social.ValidationError{Field: "expires_in", Reason: "is not a duration"}
		}
		exp = d
	}
	_, err := h.social.BlockIP(r.Context(), actor, social.IPBlockInput{
		IP: form.Get("ip"), Severity: form.Get("severity"), Comment: form.Get("comment"), ExpiresIn: exp,
	})
	return err
}

func (h *handler) adminIPBlockRemove(r *http.Request, actor social.Actor, _ url.Values) error {
	_, err := h.social.UnblockIP(r.Context(), actor, adminPathID(r))
	return err
}
