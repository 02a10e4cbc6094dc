package ui

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// Moving accounts: GET /settings/migration shows one's aliases (accounts
// that may move here) and the form that moves this account to another;
// POST /settings/aliases adds or removes an alias; POST /settings/migration
// moves, the password confirming it.

func (h *handler) moveRoutes(r chi.Router) {
	r.Get("/settings/migration", h.migrationShow)
	r.Post("/settings/aliases", h.aliasesSave)
	r.Post("/settings/migration", h.migrationSave)
}

func (h *handler) migrationData(ctx context.Context, sess *social.BrowserSession, data map[string]any) map[string]any {
	if data == nil {
		data = map[string]any{}
	}
	me, err := h.social.AccountByID(ctx, sess.User.AccountID)
	if err != nil {
		me = sess.User.Account
	}
	data["Aliases"] = social.Aliases(me)
	data["MyHandle"] = h.handle(me)
	h.addMovedTo(ctx, data, me)
	return data
}

// migrationShow is GET /settings/migration.
func (h *handler) migrationShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	data := map[string]any{}
	switch r.URL.Query().Get("done") {
	case "alias":
		data["Notice"] = "Your aliases are saved."
	case "moved":
		data["Notice"] = "Your account has moved. Your followers are being moved to the new account."
	}
	h.renderMe(w, r, sess, http.StatusOK, "settings_migration", h.migrationData(r.Context(), sess, data))
}

// aliasesSave is POST /settings/aliases.
func (h *handler) aliasesSave(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	ctx := r.Context()
	var err error
	if remove := f.Get("remove"); remove != "" {
		err = h.social.RemoveAlias(ctx, sess.User.Account, remove)
	} else {
		_, err = h.social.AddAlias(ctx, sess.User.Account, f.Get("acct"))
	}
	if err != nil {
		h.migrationFailed(w, r, sess, err)
		return
	}
	http.Redirect(w, r, "/settings/migration?done=alias", http.StatusSeeOther)
}

// migrationSave is POST /settings/migration.
func (h *handler) migrationSave(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	if _, err := h.social.MoveAccount(r.Context(), sess.User, f.Get("current_password"), f.Get("acct")); err != nil {
		h.migrationFailed(w, r, sess, err)
		return
	}
	http.Redirect(w, r, "/settings/migration?done=moved", http.StatusSeeOther)
}

func (h *handler) migrationFailed(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, err error) {
	var ve *social.ValidationError
	msg, status := "", http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, social.ErrBadCredentials):
		msg = "Your password is not right; the account did not move."
	case errors.As(err, &ve):
		msg = ve.Error()
		if ve.Field != "" {
			msg = validationSentence(ve)
		}
	case errors.Is(err, social.ErrForbidden):
		msg, status = "This account may not do that.", http.StatusForbidden
	default:
		h.log.Error("account migration settings", "user_id", sess.User.ID, "error", err)
		msg, status = "Something went wrong on our side; nothing was changed. Try again.", http.StatusInternalServerError
	}
	h.renderMe(w, r, sess, status, "settings_migration", h.migrationData(r.Context(), sess, map[string]any{"Error": msg}))
}

// movedTo is the account a profile's "moved" notice links to.
type movedTo struct {
	Handle, URL string
}

// addMovedTo adds MovedTo to a page's data when a has moved.
func (h *handler) addMovedTo(ctx context.Context, data map[string]any, a *storage.Account) {
	if !a.Moved() {
		return
	}
	m := movedTo{Handle: a.MovedToURI, URL: a.MovedToURI}
	if t := h.social.MovedTo(ctx, a); t != nil {
		m.Handle = h.handle(t)
		if t.Local() {
			m.URL = h.profilePath(t)
		} else if t.URL != "" && (strings.HasPrefix(t.URL, "https://") || strings.HasPrefix(t.URL, "http://")) {
			m.URL = t.URL
		}
	}
	data["MovedTo"] = m
}
