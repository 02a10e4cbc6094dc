package api

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/storage"
)

func (h *handler) notificationRoutes(r chi.Router) {
	r.With(requireUser("read:notifications")).Get("/api/v1/notifications", h.notifications)
	r.With(requireUser("read:notifications")).Get("/api/v1/notifications/{id}", h.notification)
	r.With(requireUser("write:notifications")).Post("/api/v1/notifications/clear", h.clearNotifications)
	r.With(requireUser("write:notifications")).Post("/api/v1/notifications/{id}/dismiss", h.dismissNotification)
}

// Notification is Mastodon's Notification entity.
type Notification struct {
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	CreatedAt string   `json:"created_at"`
	GroupKey  string   `json:"group_key"`
	Account   *Account `json:"account"`
	Status    *Status  `json:"status"`
}

func (p *present) Notification(r *http.Request, n *storage.Notification) *Notification {
	return p.notificationEntity(r.Context(), n)
}

func (h *handler) notifications(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	p, pg, ok := h.pageParams(w, r, 40, 80)
	if !ok {
		return
	}
	from, err := p.id("account_id")
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ns, err := h.social.NotificationsFrom(r.Context(), u.Account, from, p.boolean("include_filtered"), p.list("types"), p.list("exclude_types"), pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(u.Account).inContext("notifications")
	out := make([]*Notification, 0, len(ns))
	for _, n := range ns {
		if pr.hidden(r.Context(), n.Status) {
			continue
		}
		out = append(out, pr.Notification(r, n))
	}
	if len(ns) > 0 {
		setLink(w, r, h.social.BaseURL(), ns[0].ID, ns[len(ns)-1].ID, len(ns))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) notificationID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	return id
}

func (h *handler) notification(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	n, err := h.social.Notification(r.Context(), u.Account, h.notificationID(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).inContext("notifications").Notification(r, n))
}

func (h *handler) clearNotifications(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	if err := h.social.DismissNotifications(r.Context(), u.Account, 0); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nil)
}

func (h *handler) dismissNotification(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	id := h.notificationID(r)
	if _, err := h.social.Notification(r.Context(), u.Account, id); err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.social.DismissNotifications(r.Context(), u.Account, id); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nil)
}
