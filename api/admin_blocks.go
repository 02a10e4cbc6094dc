package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// adminBlockRoutes mounts /api/v1/admin/email_domain_blocks,
// canonical_email_blocks and ip_blocks: who may sign up, and reach the
// server at all.
func (h *handler) adminBlockRoutes(r chi.Router) {
	readEmail := requireStaff("admin:read:email_domain_blocks", social.PermManageBlocks)
	writeEmail := requireStaff("admin:write:email_domain_blocks", social.PermManageBlocks)
	r.With(readEmail).Get("/api/v1/admin/email_domain_blocks", h.adminEmailDomainBlocks)
	r.With(readEmail).Get("/api/v1/admin/email_domain_blocks/{id}", h.idAction(h.adminEmailDomainBlock))
	r.With(writeEmail).Post("/api/v1/admin/email_domain_blocks", h.adminBlockEmailDomain)
	r.With(writeEmail).Delete("/api/v1/admin/email_domain_blocks/{id}", h.idAction(h.adminUnblockEmailDomain))

	readCanon := requireStaff("admin:read:canonical_email_blocks", social.PermManageBlocks)
	writeCanon := requireStaff("admin:write:canonical_email_blocks", social.PermManageBlocks)
	r.With(readCanon).Get("/api/v1/admin/canonical_email_blocks", h.adminCanonicalEmailBlocks)
	r.With(readCanon).Get("/api/v1/admin/canonical_email_blocks/{id}", h.idAction(h.adminCanonicalEmailBlock))
	r.With(readCanon).Post("/api/v1/admin/canonical_email_blocks/test", h.adminTestCanonicalEmail)
	r.With(writeCanon).Post("/api/v1/admin/canonical_email_blocks", h.adminBlockCanonicalEmail)
	r.With(writeCanon).Delete("/api/v1/admin/canonical_email_blocks/{id}", h.idAction(h.adminUnblockCanonicalEmail))

	readIP := requireStaff("admin:read:ip_blocks", social.PermManageBlocks)
	writeIP := requireStaff("admin:write:ip_blocks", social.PermManageBlocks)
	r.With(readIP).Get("/api/v1/admin/ip_blocks", h.adminIPBlocks)
	r.With(readIP).Get("/api/v1/admin/ip_blocks/{id}", h.idAction(h.adminIPBlock))
	r.With(writeIP).Post("/api/v1/admin/ip_blocks", h.adminBlockIP)
	r.With(writeIP).Put("/api/v1/admin/ip_blocks/{id}", h.idAction(h.adminUpdateIPBlock))
	r.With(writeIP).Delete("/api/v1/admin/ip_blocks/{id}", h.idAction(h.adminUnblockIP))
}

// AdminEmailDomainBlock is Mastodon's Admin::EmailDomainBlock entity.
type AdminEmailDomainBlock struct {
	ID        string                         `json:"id"`
	Domain    string                         `json:"domain"`
	CreatedAt string                         `json:"created_at"`
	History   []AdminEmailDomainBlockHistory `json:"history"`
}

// AdminEmailDomainBlockHistory is one day of an email domain block's
// refused sign-ups; Mastodon gives the numbers as strings.
type AdminEmailDomainBlockHistory struct {
	Day      string `json:"day"`
	Accounts string `json:"accounts"`
	Uses     string `json:"uses"`
}

// AdminCanonicalEmailBlock is Mastodon's Admin::CanonicalEmailBlock entity.
type AdminCanonicalEmailBlock struct {
	ID                 string `json:"id"`
	CanonicalEmailHash string `json:"canonical_email_hash"`
}

// AdminIPBlock is Mastodon's Admin::IpBlock entity.
type AdminIPBlock struct {
	ID        string  `json:"id"`
	IP        string  `json:"ip"`
	Severity  string  `json:"severity"`
	Comment   string  `json:"comment"`
	CreatedAt string  `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
}

// emailDomainBlockEntities renders blocks with their history.
func (h *handler) emailDomainBlockEntities(r *http.Request, blocks []*storage.EmailDomainBlock) ([]*AdminEmailDomainBlock, error) {
	ids := make([]int64, len(blocks))
	for i, b := range blocks {
		ids[i] = b.ID
	}
	hist, err := h.social.EmailDomainBlockHistory(r.Context(), staffActor(r), ids)
	if err != nil {
		return nil, err
	}
	out := make([]*AdminEmailDomainBlock, len(blocks))
	for i, b := range blocks {
		days := hist[b.ID]
		e := &AdminEmailDomainBlock{ID: idString(b.ID), Domain: b.Domain, CreatedAt: mastoTime(b.CreatedAt),
			History: make([]AdminEmailDomainBlockHistory, len(days))}
		for j, d := range days {
			e.History[j] = AdminEmailDomainBlockHistory{Day: strconv.FormatInt(d.Day.Unix(), 10),
				Accounts: strconv.Itoa(d.Accounts), Uses: strconv.Itoa(d.Uses)}
		}
		out[i] = e
	}
	return out, nil
}

func (h *handler) adminEmailDomainBlocks(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 100, 200)
	if !ok {
		return
	}
	list, err := h.social.EmailDomainBlocks(r.Context(), staffActor(r), pg)
	var out []*AdminEmailDomainBlock
	if err == nil {
		out, err = h.emailDomainBlockEntities(r, list)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if len(list) > 0 {
		setLink(w, r, h.social.BaseURL(), list[0].ID, list[len(list)-1].ID, len(list))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) adminEmailDomainBlock(r *http.Request, id int64, _ params) (any, error) {
	b, err := h.social.EmailDomainBlock(r.Context(), staffActor(r), id)
	if err != nil {
		return nil, err
	}
	out, err := h.emailDomainBlockEntities(r, []*storage.EmailDomainBlock{b})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (h *handler) adminBlockEmailDomain(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	var out []*AdminEmailDomainBlock
	if err == nil {
		var b *storage.EmailDomainBlock
		if b, err = h.social.BlockEmailDomain(r.Context(), staffActor(r), p.str("domain")); err == nil {
			out, err = h.emailDomainBlockEntities(r, []*storage.EmailDomainBlock{b})
		}
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out[0])
}

func (h *handler) adminUnblockEmailDomain(r *http.Request, id int64, _ params) (any, error) {
	_, err := h.social.UnblockEmailDomain(r.Context(), staffActor(r), id)
	return nil, err // Mastodon answers {}
}

func canonicalEmailBlockEntity(b *storage.CanonicalEmailBlock) *AdminCanonicalEmailBlock {
	return &AdminCanonicalEmailBlock{ID: idString(b.ID), CanonicalEmailHash: b.CanonicalEmailHash}
}

func canonicalEmailBlockEntities(list []*storage.CanonicalEmailBlock) []*AdminCanonicalEmailBlock {
	out := make([]*AdminCanonicalEmailBlock, len(list))
	for i, b := range list {
		out[i] = canonicalEmailBlockEntity(b)
	}
	return out
}

func (h *handler) adminCanonicalEmailBlocks(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 100, 200)
	if !ok {
		return
	}
	list, err := h.social.CanonicalEmailBlocks(r.Context(), staffActor(r), pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if len(list) > 0 {
		setLink(w, r, h.social.BaseURL(), list[0].ID, list[len(list)-1].ID, len(list))
	}
	writeJSON(w, http.StatusOK, canonicalEmailBlockEntities(list))
}

func (h *handler) adminCanonicalEmailBlock(r *http.Request, id int64, _ params) (any, error) {
	b, err := h.social.CanonicalEmailBlock(r.Context(), staffActor(r), id)
	if err != nil {
		return nil, err
	}
	return canonicalEmailBlockEntity(b), nil
}

// adminTestCanonicalEmail answers the blocks an email address meets. A
// missing email is a 422 here (Mastodon answers 500, a known bug).
func (h *handler) adminTestCanonicalEmail(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err == nil {
		var list []*storage.CanonicalEmailBlock
		if list, err = h.social.TestCanonicalEmail(r.Context(), staffActor(r), p.str("email")); err == nil {
			writeJSON(w, http.StatusOK, canonicalEmailBlockEntities(list))
			return
		}
	}
	h.writeError(w, r, err)
}

// adminBlockCanonicalEmail blocks email, or canonical_email_hash when no
// email is given, as Mastodon documents.
func (h *handler) adminBlockCanonicalEmail(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err == nil {
		var b *storage.CanonicalEmailBlock
		if b, err = h.social.BlockCanonicalEmail(r.Context(), staffActor(r), p.str("email"), p.str("canonical_email_hash")); err == nil {
			writeJSON(w, http.StatusOK, canonicalEmailBlockEntity(b))
			return
		}
	}
	h.writeError(w, r, err)
}

func (h *handler) adminUnblockCanonicalEmail(r *http.Request, id int64, _ params) (any, error) {
	_, err := h.social.UnblockCanonicalEmail(r.Context(), staffActor(r), id)
	return nil, err // Mastodon answers {}
}

func ipBlockEntity(b *storage.IPBlock) *AdminIPBlock {
	e := &AdminIPBlock{ID: idString(b.ID), IP: b.IP, Severity: b.Severity, Comment: b.Comment, CreatedAt: mastoTime(b.CreatedAt)}
	if b.ExpiresAt != nil {
		t := mastoTime(*b.ExpiresAt)
		e.ExpiresAt = &t
	}
	return e
}

// expiresIn reads expires_in, a number of seconds; blank means never.
func expiresIn(p params) (time.Duration, error) {
	v := p.str("expires_in")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errorf(http.StatusUnprocessableEntity, "Validation failed: Expires in must be a number of seconds")
	}
	if n <= 0 {
		return 0, errorf(http.StatusUnprocessableEntity, "Validation failed: Expires in must be greater than 0")
	}
	if n > 10*366*24*3600 {
		return 0, errorf(http.StatusUnprocessableEntity, "Validation failed: Expires in is too long (at most ten years)")
	}
	return time.Duration(n) * time.Second, nil
}

func (h *handler) adminIPBlocks(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 100, 200)
	if !ok {
		return
	}
	list, err := h.social.IPBlocks(r.Context(), staffActor(r), pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]*AdminIPBlock, len(list))
	for i, b := range list {
		out[i] = ipBlockEntity(b)
	}
	if len(list) > 0 {
		setLink(w, r, h.social.BaseURL(), list[0].ID, list[len(list)-1].ID, len(list))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) adminIPBlock(r *http.Request, id int64, _ params) (any, error) {
	b, err := h.social.IPBlock(r.Context(), staffActor(r), id)
	if err != nil {
		return nil, err
	}
	return ipBlockEntity(b), nil
}

func (h *handler) adminBlockIP(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err == nil {
		var exp time.Duration
		if exp, err = expiresIn(p); err == nil {
			var b *storage.IPBlock
			b, err = h.social.BlockIP(r.Context(), staffActor(r), social.IPBlockInput{
				IP: p.str("ip"), Severity: p.str("severity"), Comment: p.str("comment"), ExpiresIn: exp,
			})
			if err == nil {
				writeJSON(w, http.StatusOK, ipBlockEntity(b))
				return
			}
		}
	}
	h.writeError(w, r, err)
}

// adminUpdateIPBlock changes the parameters given; expires_in restarts the
// block's lifetime from now, and a blank one makes it last for ever, as
// Mastodon's does.
func (h *handler) adminUpdateIPBlock(r *http.Request, id int64, p params) (any, error) {
	var ch social.IPBlockChange
	for key, dst := range map[string]**string{"ip": &ch.IP, "severity": &ch.Severity, "comment": &ch.Comment} {
		if p.has(key) {
			v := p.str(key)
			*dst = &v
		}
	}
	if p.has("expires_in") {
		exp, err := expiresIn(p)
		if err != nil {
			return nil, err
		}
		ch.ExpiresIn = &exp
	}
	b, err := h.social.UpdateIPBlock(r.Context(), staffActor(r), id, ch)
	if err != nil {
		return nil, err
	}
	return ipBlockEntity(b), nil
}

func (h *handler) adminUnblockIP(r *http.Request, id int64, _ params) (any, error) {
	_, err := h.social.UnblockIP(r.Context(), staffActor(r), id)
	return nil, err // Mastodon answers {}
}
