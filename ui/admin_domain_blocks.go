package ui

import (
	"net/http"
	"strings"

	"rounds/social"
	"rounds/storage"
)

// adminDomainBlocks is GET /admin/domain_blocks: the blocks in force and a
// form to add one; the federation mode and, for allowlist mode, the
// allowed domains.
func (h *handler) adminDomainBlocks(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermManageFederation)
	if sess == nil {
		return
	}
	blocks, err := h.social.DomainBlocks(r.Context(), social.StaffActor(sess.User), storage.Page{Limit: 80})
	if err != nil {
		h.adminFailed(w, r, "admin domain blocks", err)
		return
	}
	allows, err := h.social.DomainAllows(r.Context(), social.StaffActor(sess.User), storage.Page{Limit: 80})
	if err != nil {
		h.adminFailed(w, r, "admin domain allows", err)
		return
	}
	st, err := h.social.Settings(r.Context())
	if err != nil {
		h.adminFailed(w, r, "admin domain blocks: settings", err)
		return
	}
	h.renderAdmin(w, r, sess, "admin_domain_blocks", "/admin/domain_blocks", map[string]any{
		"Blocks": blocks, "Allows": allows, "FederationMode": st.FederationMode, "Domain": r.URL.Query().Get("domain"),
	})
}

// adminDomainBlockCreate is POST /admin/domain_blocks.
func (h *handler) adminDomainBlockCreate(w http.ResponseWriter, r *http.Request) {
	sess, form := h.postedForm(w, r)
	if sess == nil {
		return
	}
	_, err := h.social.BlockDomain(r.Context(), social.StaffActor(sess.User), social.DomainBlockInput{
		Domain:         strings.TrimSpace(form.Get("domain")),
		Severity:       form.Get("severity"),
		RejectMedia:    form.Get("reject_media") == "1",
		RejectReports:  form.Get("reject_reports") == "1",
		PrivateComment: strings.TrimSpace(form.Get("private_comment")),
		PublicComment:  strings.TrimSpace(form.Get("public_comment")),
		Obfuscate:      form.Get("obfuscate") == "1",
	})
	if err != nil {
		h.adminFailed(w, r, "admin: block domain", err)
		return
	}
	redirectDone(w, r, "/admin/domain_blocks", "blocked")
}

// adminDomainBlockRemove is POST /admin/domain_blocks/{id}/remove.
func (h *handler) adminDomainBlockRemove(w http.ResponseWriter, r *http.Request) {
	sess, _ := h.postedForm(w, r)
	if sess == nil {
		return
	}
	if _, err := h.social.UnblockDomain(r.Context(), social.StaffActor(sess.User), adminPathID(r)); err != nil {
		h.adminFailed(w, r, "admin: unblock domain", err)
		return
	}
	redirectDone(w, r, "/admin/domain_blocks", "unblocked")
}

// adminDomainAllowCreate is POST /admin/domain_allows: a domain that may
// federate in allowlist mode.
func (h *handler) adminDomainAllowCreate(w http.ResponseWriter, r *http.Request) {
	sess, form := h.postedForm(w, r)
	if sess == nil {
		return
	}
	if _, _, err := h.social.AllowDomain(r.Context(), social.StaffActor(sess.User), strings.TrimSpace(form.Get("domain"))); err != nil {
		h.adminFailed(w, r, "admin: allow domain", err)
		return
	}
	redirectDone(w, r, "/admin/domain_blocks", "allowed")
}

// adminDomainAllowRemove is POST /admin/domain_allows/{id}/remove.
func (h *handler) adminDomainAllowRemove(w http.ResponseWriter, r *http.Request) {
	sess, _ := h.postedForm(w, r)
	if sess == nil {
		return
	}
	if _, err := h.social.RemoveDomainAllow(r.Context(), social.StaffActor(sess.User), adminPathID(r)); err != nil {
		h.adminFailed(w, r, "admin: remove domain allow", err)
		return
	}
	redirectDone(w, r, "/admin/domain_blocks", "disallowed")
}

// adminFederationMode is POST /admin/federation_mode: open, or allowlist.
func (h *handler) adminFederationMode(w http.ResponseWriter, r *http.Request) {
	sess, form := h.postedForm(w, r)
	if sess == nil {
		return
	}
	if _, err := h.social.SetFederationMode(r.Context(), social.StaffActor(sess.User), form.Get("mode")); err != nil {
		h.adminFailed(w, r, "admin: federation mode", err)
		return
	}
	redirectDone(w, r, "/admin/domain_blocks", "federation_mode")
}
