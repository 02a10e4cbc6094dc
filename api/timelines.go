package api

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/storage"
)

func (h *handler) timelineRoutes(r chi.Router) {
	r.With(requireUser("read:statuses")).Get("/api/v1/timelines/home", h.homeTimeline)
	r.With(publicRoute("read:statuses")).Get("/api/v1/timelines/public", h.publicTimeline)
	r.With(publicRoute("read:statuses")).Get("/api/v1/timelines/tag/{hashtag}", h.tagTimeline)
}

func (h *handler) homeTimeline(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	h.timeline(w, r, func(pg storage.Page) ([]*storage.Status, error) {
		return h.social.HomeTimeline(r.Context(), u.Account, pg)
	})
}

func (h *handler) publicTimeline(w http.ResponseWriter, r *http.Request) {
	p, _ := parseParams(r)
	h.timeline(w, r, func(pg storage.Page) ([]*storage.Status, error) {
		return h.social.PublicTimelineFor(r.Context(), me(r), p.boolean("local") || !p.boolean("remote"), p.boolean("remote") || !p.boolean("local"), "", pg)
	})
}

func (h *handler) tagTimeline(w http.ResponseWriter, r *http.Request) {
	p, _ := parseParams(r)
	tag := chi.URLParam(r, "hashtag")
	h.timeline(w, r, func(pg storage.Page) ([]*storage.Status, error) {
		return h.social.PublicTimelineFor(r.Context(), me(r), p.boolean("local") || !p.boolean("remote"), p.boolean("remote") || !p.boolean("local"), tag, pg)
	})
}

func (h *handler) timeline(w http.ResponseWriter, r *http.Request, load func(storage.Page) ([]*storage.Status, error)) {
	_, pg, ok := h.pageParams(w, r, 20, 40)
	if !ok {
		return
	}
	sts, err := load(pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.linkStatuses(w, r, sts)
	writeJSON(w, http.StatusOK, h.presenter(me(r)).inContext(timelineFilterContext(r)).Statuses(r.Context(), sts))
}

// timelineFilterContext is the filter context of a timeline: Mastodon
// files the home timeline and lists under home, the rest under public.
func timelineFilterContext(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/api/v1/timelines/home") || strings.HasPrefix(r.URL.Path, "/api/v1/timelines/list/") {
		return "home"
	}
	return "public"
}
