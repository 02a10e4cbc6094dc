package api

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

func (h *handler) pushRoutes(r chi.Router) {
	r.With(requireUser("push")).Post("/api/v1/push/subscription", h.subscribePush)
	r.With(requireUser("push")).Get("/api/v1/push/subscription", h.showPush)
	r.With(requireUser("push")).Put("/api/v1/push/subscription", h.changePush)
	r.With(requireUser("push")).Delete("/api/v1/push/subscription", h.unsubscribePush)
}

// webPushSubscription is Mastodon's WebPushSubscription entity.
type webPushSubscription struct {
	ID        string          `json:"id"`
	Endpoint  string          `json:"endpoint"`
	Standard  bool            `json:"standard"`
	Alerts    map[string]bool `json:"alerts"`
	ServerKey string          `json:"server_key"`
	Policy    string          `json:"policy"`
}

func (h *handler) renderPush(w http.ResponseWriter, r *http.Request, sub *social.PushSubscription, err error) {
	var key string
	if err == nil {
		key, err = h.social.VAPIDPublicKey(r.Context())
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, webPushSubscription{
		ID: strconv.FormatInt(sub.ID, 10), Endpoint: sub.Endpoint, Standard: sub.Standard,
		Alerts: sub.Alerts, ServerKey: key, Policy: sub.Policy,
	})
}

// pushAlerts reads data[alerts][type] for the types given.
func pushAlerts(p params) map[string]bool {
	alerts := map[string]bool{}
	for _, typ := range social.PushAlertTypes {
		if key := "data[alerts][" + typ + "]"; p.has(key) {
			alerts[typ] = p.boolean(key)
		}
	}
	return alerts
}

// pushPolicy reads data[policy], or policy as some libraries send it.
func pushPolicy(p params) string {
	if v := p.str("data[policy]"); v != "" {
		return v
	}
	return p.str("policy")
}

// subscribePush: POST /api/v1/push/subscription. A token's new
// subscription replaces its old one.
func (h *handler) subscribePush(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	sub, err := h.social.SubscribePush(r.Context(), authOf(r).token, social.NewPushSubscription{
		Endpoint: p.str("subscription[endpoint]"),
		P256dh:   p.str("subscription[keys][p256dh]"),
		Auth:     p.str("subscription[keys][auth]"),
		Standard: p.boolean("subscription[standard]"),
		Alerts:   pushAlerts(p),
		Policy:   pushPolicy(p),
	})
	h.renderPush(w, r, sub, err)
}

// showPush: GET /api/v1/push/subscription.
func (h *handler) showPush(w http.ResponseWriter, r *http.Request) {
	sub, err := h.social.PushSubscription(r.Context(), authOf(r).token)
	h.renderPush(w, r, sub, err)
}

// changePush: PUT /api/v1/push/subscription changes alerts and policy.
func (h *handler) changePush(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	sub, err := h.social.ChangePushSubscription(r.Context(), authOf(r).token, social.PushChange{Alerts: pushAlerts(p), Policy: pushPolicy(p)})
	h.renderPush(w, r, sub, err)
}

// unsubscribePush: DELETE /api/v1/push/subscription answers {}.
func (h *handler) unsubscribePush(w http.ResponseWriter, r *http.Request) {
	if err := h.social.UnsubscribePush(r.Context(), authOf(r).token); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nil)
}
