package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"rounds/social"
	"rounds/storage"
)

// inviteRow is an invite link as the invites page lists it.
type inviteRow struct {
	*storage.Invite
	Link  string
	State string
}

// adminInvites is GET /admin/invites: the invite links and a form to make
// one.
func (h *handler) adminInvites(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermManageAccounts)
	if sess == nil {
		return
	}
	invites, err := h.social.Invites(r.Context(), social.StaffActor(sess.User))
	if err != nil {
		h.adminFailed(w, r, "admin invites", err)
		return
	}
	now := time.Now()
	rows := make([]inviteRow, len(invites))
	for i, inv := range invites {
		rows[i] = inviteRow{Invite: inv, Link: h.social.InviteLink(inv), State: social.InviteState(inv, now)}
	}
	st, err := h.social.Settings(r.Context())
	if err != nil {
		h.adminFailed(w, r, "admin invites: settings", err)
		return
	}
	h.renderAdmin(w, r, sess, "admin_invites", "/admin/invites", map[string]any{
		"Invites": rows, "RegistrationsMode": st.RegistrationsMode,
	})
}

// inviteLifetimes are the choices the form offers for how long a link
// works.
var inviteLifetimes = map[string]time.Duration{
	"":      0,
	"1d":    24 * time.Hour,
	"7d":    7 * 24 * time.Hour,
	"30d":   30 * 24 * time.Hour,
	"never": 0,
}

// adminInviteCreate is POST /admin/invites.
func (h *handler) adminInviteCreate(w http.ResponseWriter, r *http.Request) {
	sess, form := h.postedForm(w, r)
	if sess == nil {
		return
	}
	o := social.InviteOptions{Comment: form.Get("comment")}
	life, ok := inviteLifetimes[form.Get("expires_in")]
	if !ok {
		h.adminFailed(w, r, "admin: invite", &social.ValidationError{Field: "expires in", Reason: "is not one of the choices"})
		return
	}
	o.ExpiresIn = life
	if raw := strings.TrimSpace(form.Get("max_uses")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			h.adminFailed(w, r, "admin: invite", &social.ValidationError{Field: "max uses", Reason: "must be a number, or empty for no limit"})
			return
		}
		o.MaxUses = &n
	}
	if _, _, err := h.social.CreateInvite(r.Context(), social.StaffActor(sess.User), o); err != nil {
		h.adminFailed(w, r, "admin: invite", err)
		return
	}
	redirectDone(w, r, "/admin/invites", "invite")
}

// adminInviteRevoke is POST /admin/invites/{id}/revoke.
func (h *handler) adminInviteRevoke(r *http.Request, actor social.Actor, _ url.Values) error {
	_, err := h.social.RevokeInvite(r.Context(), actor, adminPathID(r))
	return err
}
