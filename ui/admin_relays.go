package ui

import (
	"net/http"
	"net/url"

	"rounds/social"
)

// adminRelays is GET /admin/relays: the relays the server subscribes to,
// and a form to add one.
func (h *handler) adminRelays(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermManageFederation)
	if sess == nil {
		return
	}
	relays, err := h.social.Relays(r.Context(), social.StaffActor(sess.User))
	if err != nil {
		h.adminFailed(w, r, "admin relays", err)
		return
	}
	h.renderAdmin(w, r, sess, "admin_relays", "/admin/relays", map[string]any{"Relays": relays})
}

// adminRelayAdd is POST /admin/relays.
func (h *handler) adminRelayAdd(r *http.Request, actor social.Actor, form url.Values) error {
	_, err := h.social.AddRelay(r.Context(), actor, form.Get("url"))
	return err
}

// adminRelayRemove is POST /admin/relays/{id}/remove.
func (h *handler) adminRelayRemove(r *http.Request, actor social.Actor, _ url.Values) error {
	return h.social.RemoveRelay(r.Context(), actor, adminPathID(r))
}

// adminRelayEnable is POST /admin/relays/{id}/enable.
func (h *handler) adminRelayEnable(r *http.Request, actor social.Actor, _ url.Values) error {
	_, err := h.social.SetRelayEnabled(r.Context(), actor, adminPathID(r), true)
	return err
}

// adminRelayDisable is POST /admin/relays/{id}/disable.
func (h *handler) adminRelayDisable(r *http.Request, actor social.Actor, _ url.Values) error {
	_, err := h.social.SetRelayEnabled(r.Context(), actor, adminPathID(r), false)
	return err
}
