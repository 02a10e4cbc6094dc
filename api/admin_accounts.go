package api

import "github.com/go-chi/chi/v5"

// adminAccountRoutes mounts /api/v1/admin/accounts.
func (h *handler) adminAccountRoutes(r chi.Router) {}
