package api

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// adminDomainRoutes mounts /api/v1/admin/domain_blocks and domain_allows,
// and the public list of blocked domains, /api/v1/instance/domain_blocks.
func (h *handler) adminDomainRoutes(r chi.Router) {
	readBlocks := requireStaff("admin:read:domain_blocks", social.PermManageFederation)
	writeBlocks := requireStaff("admin:write:domain_blocks", social.PermManageFederation)
	r.With(readBlocks).Get("/api/v1/admin/domain_blocks", h.adminDomainBlocks)
	r.With(readBlocks).Get("/api/v1/admin/domain_blocks/{id}", h.idAction(h.adminDomainBlock))
	r.With(writeBlocks).Post("/api/v1/admin/domain_blocks", h.adminBlockDomain)
	r.With(writeBlocks).Put("/api/v1/admin/domain_blocks/{id}", h.idAction(h.adminUpdateDomainBlock))
	r.With(writeBlocks).Delete("/api/v1/admin/domain_blocks/{id}", h.idAction(h.adminUnblockDomain))

	readAllows := requireStaff("admin:read:domain_allows", social.PermManageFederation)
	writeAllows := requireStaff("admin:write:domain_allows", social.PermManageFederation)
	r.With(readAllows).Get("/api/v1/admin/domain_allows", h.adminDomainAllows)
	r.With(readAllows).Get("/api/v1/admin/domain_allows/{id}", h.idAction(h.adminDomainAllow))
	r.With(writeAllows).Post("/api/v1/admin/domain_allows", h.adminAllowDomain)
	r.With(writeAllows).Delete("/api/v1/admin/domain_allows/{id}", h.idAction(h.adminDisallowDomain))

	r.Get("/api/v1/instance/domain_blocks", h.instanceDomainBlocks)
}

// AdminDomainBlock is Mastodon's Admin::DomainBlock entity.
type AdminDomainBlock struct {
	ID             string  `json:"id"`
	Domain         string  `json:"domain"`
	Digest         string  `json:"digest"`
	CreatedAt      string  `json:"created_at"`
	Severity       string  `json:"severity"`
	RejectMedia    bool    `json:"reject_media"`
	RejectReports  bool    `json:"reject_reports"`
	PrivateComment *string `json:"private_comment"`
	PublicComment  *string `json:"public_comment"`
	Obfuscate      bool    `json:"obfuscate"`
}

// AdminDomainAllow is Mastodon's Admin::DomainAllow entity.
type AdminDomainAllow struct {
	ID        string `json:"id"`
	Domain    string `json:"domain"`
	CreatedAt string `json:"created_at"`
}

// DomainBlock is Mastodon's public DomainBlock entity.
type DomainBlock struct {
	Domain   string  `json:"domain"`
	Digest   string  `json:"digest"`
	Severity string  `json:"severity"`
	Comment  *string `json:"comment"`
}

func adminDomainBlockEntity(b *storage.DomainBlock) *AdminDomainBlock {
	return &AdminDomainBlock{
		ID: idString(b.ID), Domain: b.Domain, Digest: social.DomainDigest(b.Domain), CreatedAt: mastoTime(b.CreatedAt),
		Severity: b.Severity, RejectMedia: b.RejectMedia, RejectReports: b.RejectReports,
		PrivateComment: optString(b.PrivateComment), PublicComment: optString(b.PublicComment), Obfuscate: b.Obfuscate,
	}
}

func adminDomainAllowEntity(a *storage.DomainAllow) *AdminDomainAllow {
	return &AdminDomainAllow{ID: idString(a.ID), Domain: a.Domain, CreatedAt: mastoTime(a.CreatedAt)}
}

func (h *handler) adminDomainBlocks(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 100, 200)
	if !ok {
		return
	}
	list, err := h.social.DomainBlocks(r.Context(), staffActor(r), pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]*AdminDomainBlock, len(list))
	for i, b := range list {
		out[i] = adminDomainBlockEntity(b)
	}
	if len(list) > 0 {
		setLink(w, r, h.social.BaseURL(), list[0].ID, list[len(list)-1].ID, len(list))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) adminDomainBlock(r *http.Request, id int64, _ params) (any, error) {
	b, err := h.social.DomainBlock(r.Context(), staffActor(r), id)
	if err != nil {
		return nil, err
	}
	return adminDomainBlockEntity(b), nil
}

func (h *handler) adminBlockDomain(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	b, err := h.social.BlockDomain(r.Context(), staffActor(r), social.DomainBlockInput{
		Domain: p.str("domain"), Severity: p.str("severity"),
		RejectMedia: p.boolean("reject_media"), RejectReports: p.boolean("reject_reports"),
		PrivateComment: p.str("private_comment"), PublicComment: p.str("public_comment"), Obfuscate: p.boolean("obfuscate"),
	})
	var exists *social.DomainBlockExistsError
	if errors.As(err, &exists) {
		// Mastodon names the block in the way, so an app can offer to
		// change it instead.
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error": exists.Error(), "existing_domain_block": adminDomainBlockEntity(exists.Existing),
		})
		return
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, adminDomainBlockEntity(b))
}

func (h *handler) adminUpdateDomainBlock(r *http.Request, id int64, p params) (any, error) {
	var ch social.DomainBlockChange
	if p.has("severity") {
		v := p.str("severity")
		ch.Severity = &v
	}
	for key, dst := range map[string]**bool{"reject_media": &ch.RejectMedia, "reject_reports": &ch.RejectReports, "obfuscate": &ch.Obfuscate} {
		if p.has(key) {
			v := p.boolean(key)
			*dst = &v
		}
	}
	for key, dst := range map[string]**string{"private_comment": &ch.PrivateComment, "public_comment": &ch.PublicComment} {
		if p.has(key) {
			v := p.str(key)
			*dst = &v
		}
	}
	b, err := h.social.UpdateDomainBlock(r.Context(), staffActor(r), id, ch)
	if err != nil {
		return nil, err
	}
	return adminDomainBlockEntity(b), nil
}

func (h *handler) adminUnblockDomain(r *http.Request, id int64, _ params) (any, error) {
	_, err := h.social.UnblockDomain(r.Context(), staffActor(r), id)
	return nil, err // Mastodon answers {}
}

func (h *handler) adminDomainAllows(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 100, 200)
	if !ok {
		return
	}
	list, err := h.social.DomainAllows(r.Context(), staffActor(r), pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]*AdminDomainAllow, len(list))
	for i, a := range list {
		out[i] = adminDomainAllowEntity(a)
	}
	if len(list) > 0 {
		setLink(w, r, h.social.BaseURL(), list[0].ID, list[len(list)-1].ID, len(list))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) adminDomainAllow(r *http.Request, id int64, _ params) (any, error) {
	a, err := h.social.DomainAllow(r.Context(), staffActor(r), id)
	if err != nil {
		return nil, err
	}
	return adminDomainAllowEntity(a), nil
}

// adminAllowDomain answers 200 with the allow, new or already there, as
// Mastodon does.
func (h *handler) adminAllowDomain(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err == nil {
		var a *storage.DomainAllow
		if a, _, err = h.social.AllowDomain(r.Context(), staffActor(r), p.str("domain")); err == nil {
			writeJSON(w, http.StatusOK, adminDomainAllowEntity(a))
			return
		}
	}
	h.writeError(w, r, err)
}

func (h *handler) adminDisallowDomain(r *http.Request, id int64, _ params) (any, error) {
	a, err := h.social.RemoveDomainAllow(r.Context(), staffActor(r), id)
	if err != nil {
		return nil, err
	}
	return adminDomainAllowEntity(a), nil
}

// instanceDomainBlocks lists the silenced and suspended domains for anyone,
// obfuscated where the block says so.
func (h *handler) instanceDomainBlocks(w http.ResponseWriter, r *http.Request) {
	list, err := h.social.PublicDomainBlocks(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]DomainBlock, len(list))
	for i, b := range list {
		out[i] = DomainBlock{Domain: b.Domain, Digest: b.Digest, Severity: b.Severity, Comment: optString(b.Comment)}
	}
	writeJSON(w, http.StatusOK, out)
}
