package api

import "github.com/go-chi/chi/v5"

// adminDomainRoutes mounts /api/v1/admin/domain_blocks and domain_allows.
func (h *handler) adminDomainRoutes(r chi.Router) {}
