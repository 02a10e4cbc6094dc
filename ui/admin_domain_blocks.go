package ui

import (
	"net/http"
	"net/url"
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
func (h *handler) adminDomainBlockCreate(r *http.Request, actor social.Actor, form url.Values) error {
	_, err := h.social.BlockDomain(r.Context(), actor, social.DomainBlockInput{
		Domain:         strings.TrimSpace(form.Get("domain")),
		Severity:       form.Get("severity"),
		RejectMedia:    form.Get("reject_media") == "1",
		RejectReports:  form.Get("reject_reports") == "1",
		PrivateComment: strings.TrimSpace(form.Get("private_comment")),
		PublicComment:  strings.TrimSpace(form.Get("public_comment")),
		Obfuscate:      form.Get("obfuscate") == "1",
	})
	return err
}

// adminDomainBlockRemove is POST /admin/domain_blocks/{id}/remove.
func (h *handler) adminDomainBlockRemove(r *http.Request, actor social.Actor, _ url.Values) error {
	_, err := h.social.UnblockDomain(r.Context(), actor, adminPathID(r))
	return err
}

// adminDomainAllowCreate is POST /admin/domain_allows: a domain that may
// federate in allowlist mode.
func (h *handler) adminDomainAllowCreate(r *http.Request, actor social.Actor, form url.Values) error {
	_, _, err := h.social.AllowDomain(r.Context(), actor, strings.TrimSpace(form.Get("domain")))
	return err
}

// adminDomainAllowRemove is POST /admin/domain_allows/{id}/remove.
func (h *handler) adminDomainAllowRemove(r *http.Request, actor social.Actor, _ url.Values) error {
	_, err := h.social.RemoveDomainAllow(r.Context(), actor, adminPathID(r))
	return err
}

// adminFederationMode is POST /admin/federation_mode: open, or allowlist.
func (h *handler) adminFederationMode(r *http.Request, actor social.Actor, form url.Values) error {
	_, err := h.social.SetFederationMode(r.Context(), actor, form.Get("mode"))
	return err
}
