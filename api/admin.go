package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// adminRoutes mounts Mastodon's admin API (/api/v1/admin/...). Every route
// needs a person's token with the admin scope it names and a role allowed
// the work (social.RoleAllows); the rules themselves live in social.
func (h *handler) adminRoutes(r chi.Router) {
	h.adminAccountRoutes(r)
	h.adminReportRoutes(r)
	h.adminDomainRoutes(r)
	h.adminBlockRoutes(r)
	h.adminAuditRoutes(r)
}

// requireStaff is requireUser(scope) for staff work p: a user whose role
// does not allow p gets 403, as Mastodon answers.
func requireStaff(scope string, p social.Permission) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return requireUser(scope)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !staffActor(r).Can(p) {
				writeJSON(w, http.StatusForbidden, map[string]string{"error": "This action is not allowed"})
				return
			}
			next.ServeHTTP(w, r)
		}))
	}
}

// staffActor is the signed-in person as a social.Actor.
func staffActor(r *http.Request) social.Actor { return social.StaffActor(currentUser(r)) }
