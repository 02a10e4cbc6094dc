package ui

import (
	"net/http"

	"rounds/social"
	"rounds/storage"
)

// staffLimit bounds the users read to find the staff for the start page.
const staffLimit = 5000

// home is GET /: what this server is, its rules and staff, how to follow
// its clinicians from elsewhere, and the way to sign in.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	need, err := h.social.NeedsSetup(ctx)
	if err != nil {
		h.log.Error("home: check setup", "error", err)
	}
	var staff []*storage.Account
	users, err := h.social.ListUsers(ctx, storage.UserFilter{Limit: staffLimit})
	if err != nil {
		h.log.Error("home: staff", "error", err)
	}
	for _, u := range users {
		if social.IsStaff(u.Role) && u.Approved && !u.Disabled && u.Account != nil && !u.Account.Suspended() {
			staff = append(staff, u.Account)
		}
	}
	stats, err := h.social.Stats(ctx)
	if err != nil {
		h.log.Error("home: stats", "error", err)
	}
	settings, err := h.social.Settings(ctx)
	if err != nil {
		h.log.Error("home: settings", "error", err)
	}
	rules := settings.ServerRules()
	h.render(w, r, http.StatusOK, "home", map[string]any{
		"NeedsSetup": need, "Rules": rules, "ServerStaff": staff, "Stats": stats,
		"OG": openGraph{
			Title: "Rounds at " + h.social.Domain(), Type: "website", URL: h.absolute("/"),
			Description: "Clinicians of " + h.social.Domain() + ", posting in the open: follow them from Mastodon or any other Fediverse server.",
		},
	})
}
