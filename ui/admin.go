package ui

import "github.com/go-chi/chi/v5"

// adminPageRoutes mounts the staff pages under /admin.
func (h *handler) adminPageRoutes(r chi.Router) {}
