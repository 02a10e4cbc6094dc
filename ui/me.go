package ui

import "github.com/go-chi/chi/v5"

// meRoutes mounts a signed-in clinician's pages.
func (h *handler) meRoutes(r chi.Router) {}
