package ui

import (
	"net/http"

	"rounds/social"
	"rounds/storage"
)

// dashboardRows is how many pending accounts and open reports the
// dashboard lists; the rest are a link away.
const dashboardRows = 20

// adminDashboard is GET /admin: what needs staff attention now. Accounts
// waiting for approval, open reports, and the remote domains whose
// deliveries are queued or failing.
func (h *handler) adminDashboard(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermModerate)
	if sess == nil {
		return
	}
	ctx := r.Context()
	actor := social.StaffActor(sess.User)
	pending, err := h.social.AdminAccounts(ctx, actor, storage.AdminAccountFilter{Origin: "local", Status: "pending"}, storage.Page{Limit: dashboardRows + 1})
	if err != nil {
		h.adminFailed(w, r, "admin dashboard: pending accounts", err)
		return
	}
	reports, err := h.social.Reports(ctx, actor, storage.ReportFilter{}, storage.Page{Limit: dashboardRows + 1})
	if err != nil {
		h.adminFailed(w, r, "admin dashboard: reports", err)
		return
	}
	health, err := h.social.FederationHealth(ctx, actor)
	if err != nil {
		h.adminFailed(w, r, "admin dashboard: federation health", err)
		return
	}
	morePending, moreReports := len(pending) > dashboardRows, len(reports) > dashboardRows
	pending, reports = pending[:min(len(pending), dashboardRows)], reports[:min(len(reports), dashboardRows)]
	rows := make([]accountRow, len(pending))
	for i, a := range pending {
		rows[i] = viewAccountRow(a)
	}
	h.renderAdmin(w, r, sess, "admin_dashboard", "/admin", map[string]any{
		"Pending": rows, "MorePending": morePending, "Reports": reports, "MoreReports": moreReports, "Health": health,
	})
}
