package api

import "github.com/go-chi/chi/v5"

// adminReportRoutes mounts /api/v1/admin/reports.
func (h *handler) adminReportRoutes(r chi.Router) {}
