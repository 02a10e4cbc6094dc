package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// setupShow shows the form where the first admin picks a username and
// password, when the link is still good.
func (h *handler) setupShow(w http.ResponseWriter, r *http.Request) {
	ok, err := h.social.SetupTokenValid(r.Context(), chi.URLParam(r, "token"))
	if err != nil {
		h.log.Error("setup: check token", "error", err)
		h.render(w, r, http.StatusInternalServerError, "setup", map[string]any{"Error": "Something went wrong; try again."})
		return
	}
	if !ok {
		h.render(w, r, http.StatusNotFound, "setup", map[string]any{"Expired": true})
		return
	}
	h.render(w, r, http.StatusOK, "setup", map[string]any{"Form": true, "MinPassword": social.MinPasswordLength})
}

// setupCheck creates the first admin from the form.
func (h *handler) setupCheck(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "setup", map[string]any{"Form": true, "Error": "The form could not be read; try again."})
		return
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	email := strings.TrimSpace(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	data := map[string]any{"Form": true, "Username": username, "Email": email, "MinPassword": social.MinPasswordLength}
	if password != r.PostForm.Get("password_confirmation") {
		data["Error"] = "The two passwords are not the same."
		h.render(w, r, http.StatusUnprocessableEntity, "setup", data)
		return
	}
	u, err := h.social.CompleteSetup(r.Context(), token, social.NewUser{Username: username, Email: email, Password: password})
	var ve *social.ValidationError
	switch {
	case err == nil:
		h.render(w, r, http.StatusOK, "setup", map[string]any{"Done": true, "Username": u.Account.Username})
	case errors.As(err, &ve):
		data["Error"] = capitalize(ve.Error()) + "."
		h.render(w, r, http.StatusUnprocessableEntity, "setup", data)
	case errors.Is(err, social.ErrConflict):
		data["Error"] = "That username or email is already taken."
		h.render(w, r, http.StatusUnprocessableEntity, "setup", data)
	case errors.Is(err, social.ErrSetupDone):
		h.render(w, r, http.StatusGone, "setup", map[string]any{"Expired": true})
	default:
		h.log.Error("setup: create admin", "error", err)
		data["Error"] = "Something went wrong; try again."
		h.render(w, r, http.StatusInternalServerError, "setup", data)
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
