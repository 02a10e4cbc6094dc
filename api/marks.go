package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"rounds/storage"
)

func (h *handler) markRoutes(r chi.Router) {
	r.With(requireUser("write:bookmarks")).Post("/api/v1/statuses/{id}/bookmark", h.markStatus(func(ctx context.Context, me *storage.Account, st *storage.Status) error {
		return h.social.Bookmark(ctx, me, st)
	}))
	r.With(requireUser("write:bookmarks")).Post("/api/v1/statuses/{id}/unbookmark", h.markStatus(func(ctx context.Context, me *storage.Account, st *storage.Status) error {
		return h.social.Unbookmark(ctx, me, st)
	}))
	r.With(requireUser("write:accounts")).Post("/api/v1/statuses/{id}/pin", h.markStatus(func(ctx context.Context, me *storage.Account, st *storage.Status) error {
		return h.social.Pin(ctx, me, st)
	}))
	r.With(requireUser("write:accounts")).Post("/api/v1/statuses/{id}/unpin", h.markStatus(func(ctx context.Context, me *storage.Account, st *storage.Status) error {
		return h.social.Unpin(ctx, me, st)
	}))
	r.With(publicRoute("read:accounts")).Get("/api/v1/statuses/{id}/favourited_by", h.statusActors(false))
	r.With(publicRoute("read:accounts")).Get("/api/v1/statuses/{id}/reblogged_by", h.statusActors(true))
	r.With(requireUser("read:bookmarks")).Get("/api/v1/bookmarks", h.markedStatuses(h.social.Bookmarks))
	r.With(requireUser("read:favourites")).Get("/api/v1/favourites", h.markedStatuses(h.social.Favourites))
	r.With(requireUser("read:blocks")).Get("/api/v1/blocks", h.markedAccounts(h.social.Blocks))
	r.With(requireUser("read:mutes")).Get("/api/v1/mutes", h.markedAccounts(h.social.Mutes))
	r.With(requireUser("write:mutes")).Post("/api/v1/accounts/{id}/mute", h.mute)
	r.With(requireUser("write:mutes")).Post("/api/v1/accounts/{id}/unmute", h.unmute)
}

// markStatus runs a private action on a visible status and answers the
// status in its new state.
func (h *handler) markStatus(act func(ctx context.Context, me *storage.Account, st *storage.Status) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.statusAction(w, r, func(me *storage.Account, st *storage.Status) (*storage.Status, error) {
			return nil, act(r.Context(), me, st)
		})
	}
}

func (h *handler) statusActors(boosts bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := h.visibleStatus(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		var accts []*storage.Account
		if boosts {
			accts, err = h.social.RebloggedBy(r.Context(), st)
		} else {
			accts, err = h.social.FavouritedBy(r.Context(), st)
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		h.writeAccounts(w, r, accts, nil)
	}
}

func (h *handler) writeAccounts(w http.ResponseWriter, r *http.Request, accts []*storage.Account, cursors []int64) {
	pr := h.presenter(me(r))
	out := make([]*Account, 0, len(accts))
	for _, a := range accts {
		out = append(out, pr.Account(r.Context(), a))
	}
	if len(cursors) > 0 {
		setLink(w, r, h.social.BaseURL(), cursors[0], cursors[len(cursors)-1], len(cursors))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) markedStatuses(load func(context.Context, *storage.Account, storage.Page) ([]*storage.Status, []int64, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, pg, ok := h.pageParams(w, r, 20, 40)
		if !ok {
			return
		}
		sts, cursors, err := load(r.Context(), me(r), pg)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if len(cursors) > 0 {
			setLink(w, r, h.social.BaseURL(), cursors[0], cursors[len(cursors)-1], len(cursors))
		}
		writeJSON(w, http.StatusOK, h.presenter(me(r)).Statuses(r.Context(), sts))
	}
}

func (h *handler) markedAccounts(load func(context.Context, *storage.Account, storage.Page) ([]*storage.Account, []int64, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, pg, ok := h.pageParams(w, r, 40, 80)
		if !ok {
			return
		}
		accts, cursors, err := load(r.Context(), me(r), pg)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		h.writeAccounts(w, r, accts, cursors)
	}
}

func (h *handler) mute(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	notifications := !p.has("notifications") || p.boolean("notifications")
	h.relationAction(w, r, func(ctx context.Context, mine, other *storage.Account) error {
		return h.social.Mute(ctx, mine, other, notifications)
	})
}

func (h *handler) unmute(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, h.social.Unmute)
}
