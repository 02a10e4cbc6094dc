package ui

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// adminTrendRoutes mounts /admin/trends: what may trend, for staff to
// approve or reject, as the admin API's /api/v1/admin/trends does.
func (h *handler) adminTrendRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(noStore)
		r.Get("/admin/trends", h.adminTrends)
		for _, kind := range []string{"tags", "statuses", "links", "publishers"} {
			r.Post("/admin/trends/"+kind+"/{id}/approve", h.staffForm("admin: approve trend", "/admin/trends", "trend_approved", h.reviewTrend(kind, true)))
			r.Post("/admin/trends/"+kind+"/{id}/reject", h.staffForm("admin: reject trend", "/admin/trends", "trend_rejected", h.reviewTrend(kind, false)))
		}
	})
}

// adminTrends is GET /admin/trends: the hashtags, posts, links and link
// publishers used lately, each approved, rejected or waiting for review.
func (h *handler) adminTrends(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermModerate)
	if sess == nil {
		return
	}
	ctx, a := r.Context(), social.StaffActor(sess.User)
	tags, err := h.social.AdminTrendingTags(ctx, a, 0, 40)
	var sts []social.TrendStatus
	if err == nil {
		sts, err = h.social.AdminTrendingStatuses(ctx, a, 0, 40)
	}
	var links []social.TrendLink
	if err == nil {
		links, err = h.social.AdminTrendingLinks(ctx, a, 0, 40)
	}
	var pubs []social.TrendPublisher
	if err == nil {
		pubs, err = h.social.AdminTrendPublishers(ctx, a, 0, 40)
	}
	if err != nil {
		h.adminFailed(w, r, "admin trends", err)
		return
	}
	h.renderAdmin(w, r, sess, "admin_trends", "/admin/trends", map[string]any{
		"Tags": tags, "Statuses": sts, "Links": links, "Publishers": pubs, "TrendDays": social.TrendDays,
	})
}

// reviewTrend is POST /admin/trends/KIND/{id}/approve and reject.
func (h *handler) reviewTrend(kind string, approve bool) func(r *http.Request, actor social.Actor, form url.Values) error {
	return func(r *http.Request, actor social.Actor, _ url.Values) error {
		return h.social.ReviewTrend(r.Context(), actor, kind, chi.URLParam(r, "id"), approve)
	}
}
