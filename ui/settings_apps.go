package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"rounds/social"
)

// The authorized apps page: GET /settings/apps lists the apps that may act
// for one (Mastodon apps one signed in to), with what they may do and when
// they were last used; POST /settings/apps/{id}/revoke signs an app out.

// appView is an authorized app as the page shows it.
type appView struct {
	ID                     int64
	Name, Website, Scopes  string
	AuthorizedAt, LastUsed string
}

// appsSettingsShow is GET /settings/apps.
func (h *handler) appsSettingsShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	data := map[string]any{}
	if name := r.URL.Query().Get("revoked"); name != "" {
		data["Notice"] = "Signed out " + name + ". It must ask you again to act for you."
	}
	h.showApps(w, r, sess, http.StatusOK, data)
}

func (h *handler) showApps(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, status int, data map[string]any) {
	apps, err := h.social.AuthorizedApps(r.Context(), sess.User)
	if err != nil {
		h.log.Error("authorized apps", "user_id", sess.User.ID, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
		return
	}
	var views []appView
	for _, a := range apps {
		v := appView{ID: a.App.ID, Name: a.App.Name, Website: a.App.Website, Scopes: strings.Join(a.Scopes, ", "),
			AuthorizedAt: a.AuthorizedAt.UTC().Format("2 Jan 2006"), LastUsed: "never"}
		if a.LastUsedAt != nil {
			v.LastUsed = a.LastUsedAt.UTC().Format("2 Jan 2006 15:04 UTC")
		}
		if !strings.HasPrefix(v.Website, "https://") && !strings.HasPrefix(v.Website, "http://") {
			v.Website = ""
		}
		views = append(views, v)
	}
	data["Apps"] = views
	h.renderMe(w, r, sess, status, "settings_apps", data)
}

// appsSettingsRevoke is POST /settings/apps/{id}/revoke.
func (h *handler) appsSettingsRevoke(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	err := h.social.RevokeApp(r.Context(), sess.User, id)
	switch {
	case err == nil:
		http.Redirect(w, r, "/settings/apps?revoked="+url.QueryEscape(f.Get("name")), http.StatusSeeOther)
	case errors.Is(err, social.ErrNotFound):
		h.showApps(w, r, sess, http.StatusNotFound, map[string]any{"Error": "That app cannot act for you (any more)."})
	default:
		h.log.Error("revoke app", "user_id", sess.User.ID, "app_id", id, "error", err)
		h.showApps(w, r, sess, http.StatusInternalServerError, map[string]any{"Error": "Something went wrong on our side; the app was not signed out. Try again."})
	}
}
