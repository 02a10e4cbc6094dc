package api

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
)

// deliveryRoutes mounts GET /api/v1/statuses/:id/deliveries, a Rounds
// extension: where the author's post went.
func (h *handler) deliveryRoutes(r chi.Router) {
	r.With(requireUser("read:statuses")).Get("/api/v1/statuses/{id}/deliveries", h.statusDeliveries)
}

// Delivery is one remote inbox a post was sent to.
type Delivery struct {
	Domain        string  `json:"domain"`
	Inbox         string  `json:"inbox"`
	State         string  `json:"state"` // delivered, pending or failed
	Attempts      int     `json:"attempts"`
	LastError     *string `json:"last_error"`
	UpdatedAt     string  `json:"updated_at"`
	NextAttemptAt *string `json:"next_attempt_at"`
}

// StatusDeliveries is the answer: the post's state and its deliveries.
type StatusDeliveries struct {
	StatusID string `json:"status_id"`
	// PendingUntil is set while the post waits out its send delay; it has
	// gone nowhere yet.
	PendingUntil *string    `json:"pending_until"`
	Deliveries   []Delivery `json:"deliveries"`
}

func (h *handler) statusDeliveries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	st, ds, err := h.social.StatusDeliveries(r.Context(), me(r), id)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := StatusDeliveries{StatusID: idString(st.ID), Deliveries: make([]Delivery, 0, len(ds))}
	if st.PendingUntil != nil {
		t := mastoTime(*st.PendingUntil)
		out.PendingUntil = &t
	}
	for _, d := range ds {
		host := d.InboxURL
		if u, err := url.Parse(d.InboxURL); err == nil {
			host = u.Host
		}
		e := Delivery{Domain: host, Inbox: d.InboxURL, State: d.State, Attempts: d.Attempts,
			LastError: optString(d.LastError), UpdatedAt: mastoTime(d.UpdatedAt)}
		if d.NextAttemptAt != nil && d.State == "pending" {
			t := mastoTime(*d.NextAttemptAt)
			e.NextAttemptAt = &t
		}
		out.Deliveries = append(out.Deliveries, e)
	}
	writeJSON(w, http.StatusOK, out)
}
