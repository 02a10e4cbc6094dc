package api

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// Marker is Mastodon's Marker entity: where the user stopped reading a
// timeline.
type Marker struct {
	LastReadID string `json:"last_read_id"`
	Version    int64  `json:"version"`
	UpdatedAt  string `json:"updated_at"`
}

// markerEntities keys markers by their timeline, as Mastodon answers.
func markerEntities(ms []*storage.Marker) map[string]*Marker {
	out := make(map[string]*Marker, len(ms))
	for _, m := range ms {
		out[m.Timeline] = &Marker{LastReadID: idString(m.LastReadID), Version: m.Version, UpdatedAt: mastoTime(m.UpdatedAt)}
	}
	return out
}

func (h *handler) markerRoutes(r chi.Router) {
	r.With(requireUser("read:statuses")).Get("/api/v1/markers", h.markers)
	r.With(requireUser("write:statuses")).Post("/api/v1/markers", h.saveMarkers)
}

func (h *handler) markers(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ms, err := h.social.Markers(r.Context(), me(r), p.list("timeline"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, markerEntities(ms))
}

// saveMarkers reads home[last_read_id] and notifications[last_read_id]
// (form or JSON) and answers the saved markers.
func (h *handler) saveMarkers(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	positions := map[string]int64{}
	for _, t := range []string{social.MarkerHome, social.MarkerNotifications} {
		key := t + "[last_read_id]"
		if !p.has(key) {
			continue
		}
		id, err := strconv.ParseInt(p.str(key), 10, 64)
		if err != nil || id < 0 {
			h.writeError(w, r, errorf(http.StatusUnprocessableEntity, "Validation failed: Last read id must be an id"))
			return
		}
		positions[t] = id
	}
	ms, err := h.social.SaveMarkers(r.Context(), me(r), positions)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, markerEntities(ms))
}
