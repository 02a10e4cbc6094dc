package ui

import (
	"net/http"

	"rounds/social"
	"rounds/storage"
)

// serverRules are the rules every Rounds server keeps, shown on its start
// page. Servers cannot yet add their own (a setting for the admin pages).
var serverRules = []string{
	"One account per clinician, in their own name. No shared or team accounts.",
	"Never post anything that could identify a patient: names, numbers, dates of birth, images or rare details. Posts carrying patient identifiers are stopped before they leave.",
	"Say when you speak for yourself and when for your employer; declare your interests.",
	"Be courteous to colleagues, patients and the public. No harassment, no hate.",
	"Health advice here is general: it is not a consultation.",
}

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
	h.render(w, r, http.StatusOK, "home", map[string]any{
		"NeedsSetup": need, "Rules": serverRules, "Staff": staff, "Stats": stats,
		"OG": openGraph{
			Title: "Rounds at " + h.social.Domain(), Type: "website", URL: h.absolute("/"),
			Description: "Clinicians of " + h.social.Domain() + ", posting in the open: follow them from Mastodon or any other Fediverse server.",
		},
	})
}
