package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"rounds/storage"
)

// hidingRoutes mounts what a person hides for themselves: whole domains
// (/api/v1/domain_blocks) and threads (/api/v1/statuses/:id/mute).
func (h *handler) hidingRoutes(r chi.Router) {
	r.With(requireUser("read:blocks")).Get("/api/v1/domain_blocks", h.domainBlocks)
	r.With(requireUser("write:blocks")).Post("/api/v1/domain_blocks", h.blockDomain)
	r.With(requireUser("write:blocks")).Delete("/api/v1/domain_blocks", h.unblockDomain)
	r.With(requireUser("write:mutes")).Post("/api/v1/statuses/{id}/mute", h.muteThread(true))
	r.With(requireUser("write:mutes")).Post("/api/v1/statuses/{id}/unmute", h.muteThread(false))
}

// domainBlocks lists the domains the person blocks: an array of strings,
// paged by the blocks' ids in the Link header as Mastodon does.
func (h *handler) domainBlocks(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 100, 200)
	if !ok {
		return
	}
	bs, err := h.social.BlockedDomains(r.Context(), me(r), pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Domain)
	}
	if len(bs) > 0 {
		setLink(w, r, h.social.BaseURL(), bs[0].ID, bs[len(bs)-1].ID, len(bs))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) blockDomain(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err == nil {
		err = h.social.BlockDomainFor(r.Context(), me(r), p.str("domain"))
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nil)
}

func (h *handler) unblockDomain(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err == nil {
		err = h.social.UnblockDomainFor(r.Context(), me(r), p.str("domain"))
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nil)
}

// muteThread mutes (or unmutes) the thread of a status the person may see
// and answers the status, whose `muted` then tells.
func (h *handler) muteThread(mute bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.statusAction(w, r, func(me *storage.Account, st *storage.Status) (*storage.Status, error) {
			if mute {
				return h.social.MuteThread(r.Context(), me, st.ID)
			}
			return h.social.UnmuteThread(r.Context(), me, st.ID)
		})
	}
}
