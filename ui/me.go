package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// meRoutes mounts a signed-in clinician's pages: the home timeline,
// notifications, the compose form, their posts (undo while waiting, where a
// post went) and settings. Every page asks for a session; every form
// carries the session's CSRF token (postedForm checks it).
func (h *handler) meRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(noStore)
		r.Get("/home", h.homeTimeline)
		r.Get("/search", h.searchPage)
		r.Get("/notifications", h.notificationsShow)
		r.Get("/compose", h.composeShow)
		r.Post("/compose", h.composePost)
		r.Get("/statuses/{id}", h.statusShow)
		r.Post("/statuses/{id}/undo", h.statusUndo)
		r.Post("/statuses/{id}/vote", h.statusVote)
		r.Get("/statuses/{id}/deliveries", h.deliveriesShow)
		r.Get("/settings", h.settingsIndex)
		r.Get("/settings/profile", h.profileSettingsShow)
		r.Post("/settings/profile", h.profileSettingsSave)
		r.Get("/settings/sending", h.sendingSettingsShow)
		r.Post("/settings/sending", h.sendingSettingsSave)
		r.Get("/settings/password", h.passwordSettingsShow)
		r.Post("/settings/password", h.passwordSettingsSave)
		r.Get("/settings/two_factor", h.twoFactorSettingsShow)
		r.Post("/settings/two_factor/begin", h.twoFactorSettingsBegin)
		r.Post("/settings/two_factor/confirm", h.twoFactorSettingsConfirm)
		r.Post("/settings/two_factor/disable", h.twoFactorSettingsDisable)
		r.Get("/settings/apps", h.appsSettingsShow)
		h.moveRoutes(r)
		r.Post("/settings/apps/{id}/revoke", h.appsSettingsRevoke)
	})
}

// renderMe renders a page of the signed-in person's, who is sess.
func (h *handler) renderMe(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, status int, page string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["Me"] = sess.User.Account
	data["CSRF"] = sess.CSRFToken
	data["SessionCSRF"] = sess.CSRFToken
	data["Staff"] = social.IsStaff(sess.User.Role)
	data["Handle"] = h.handle(sess.User.Account)
	h.render(w, r, status, page, data)
}

// pageOf reads ?max_id= for a page of 20, newest first.
func pageOf(r *http.Request) storage.Page {
	p := storage.Page{Limit: 20}
	p.MaxID, _ = strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	return p
}

// homeTimeline is GET /home: the posts of the people one follows and
// one's own, newest first, 20 a page.
func (h *handler) homeTimeline(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	me := sess.User.Account
	p := pageOf(r)
	sts, err := h.social.HomeTimeline(r.Context(), me, p)
	if err != nil {
		h.log.Error("home timeline", "account_id", me.ID, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
		return
	}
	data := map[string]any{"Statuses": h.statusCards(r.Context(), me, sess.CSRFToken, sts)}
	if len(sts) == p.Limit {
		data["Older"] = "/home?max_id=" + strconv.FormatInt(sts[len(sts)-1].ID, 10)
	}
	// While a post of one's own waits to be sent, come back when the first
	// one leaves, so that "sending in" does not stay on the page.
	var first time.Time
	for _, st := range sts {
		if st.Pending() && st.AccountID == me.ID && (first.IsZero() || st.PendingUntil.Before(first)) {
			first = *st.PendingUntil
		}
	}
	if !first.IsZero() {
		refreshAt(w, first)
	}
	h.renderMe(w, r, sess, http.StatusOK, "home_timeline", data)
}

// notificationView is a notification as the page shows it.
type notificationView struct {
	Who, WhoHandle, WhoURL string
	Says                   string
	At                     string
	Status                 *statusCard
}

// notificationsShow is GET /notifications.
func (h *handler) notificationsShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	me := sess.User.Account
	p := pageOf(r)
	ns, err := h.social.Notifications(r.Context(), me, nil, nil, p)
	if err != nil {
		h.log.Error("notifications", "account_id", me.ID, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
		return
	}
	var views []notificationView
	for _, n := range ns {
		v := notificationView{At: n.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC"), Says: notificationSays(n.Type)}
		if a := n.FromAccount; a != nil {
			v.Who, v.WhoHandle, v.WhoURL = displayName(a), h.handle(a), a.URL
		}
		if n.Status != nil {
			st := n.Status
			if st.Account == nil {
				st.Account, _ = h.social.AccountByID(r.Context(), st.AccountID)
			}
			if h.social.MayView(r.Context(), me, st) {
				c := h.statusCard(r.Context(), me, sess.CSRFToken, st)
				v.Status = &c
			}
		}
		views = append(views, v)
	}
	data := map[string]any{"Notifications": views}
	if len(ns) == p.Limit {
		data["Older"] = "/notifications?max_id=" + strconv.FormatInt(ns[len(ns)-1].ID, 10)
	}
	h.renderMe(w, r, sess, http.StatusOK, "notifications", data)
}

// notificationSays words what happened.
func notificationSays(typ string) string {
	switch typ {
	case social.NotifyMention:
		return "mentioned you"
	case social.NotifyFollow:
		return "followed you"
	case social.NotifyFollowRequest:
		return "asked to follow you"
	case social.NotifyFavourite:
		return "liked your post"
	case social.NotifyReblog:
		return "boosted your post"
	case social.NotifyUpdate:
		return "edited a post you interacted with"
	case social.NotifyPoll:
		return "ran a poll that has ended"
	}
	return typ
}

// settingsIndex is GET /settings: the profile settings come first.
func (h *handler) settingsIndex(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/settings/profile", http.StatusSeeOther)
}

// refreshAt asks the browser to reload the page just after at, and at
// least every 30 seconds until then: a Refresh header, which works as
// <meta http-equiv="refresh"> does, without script.
func refreshAt(w http.ResponseWriter, at time.Time) {
	secs := int(time.Until(at)/time.Second) + 1
	w.Header().Set("Refresh", strconv.Itoa(max(1, min(secs, 30))))
}
