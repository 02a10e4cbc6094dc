package ui

import "net/http"

func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	need, err := h.social.NeedsSetup(r.Context())
	if err != nil {
		h.log.Error("home: check setup", "error", err)
	}
	h.render(w, r, http.StatusOK, "home", map[string]any{"NeedsSetup": need})
}
