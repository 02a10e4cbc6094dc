package ui

import "github.com/go-chi/chi/v5"

// publicRoutes mounts the pages anyone may read.
func (h *handler) publicRoutes(r chi.Router) {}
