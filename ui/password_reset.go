package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// The password pages: GET/POST /auth/password/reset/{token} sets a new
// password through a one-time link (from an admin, or by email), and
// GET/POST /auth/password/forgot asks for such a link by email.

// passwordResetShow shows the form for a new password while the link works.
func (h *handler) passwordResetShow(w http.ResponseWriter, r *http.Request) {
	u, err := h.social.PasswordResetUser(r.Context(), chi.URLParam(r, "token"))
	switch {
	case errors.Is(err, social.ErrLinkInvalid):
		h.resetExpired(w, r)
		return
	case err != nil:
		h.resetFailed(w, r, "password reset: check link", err)
		return
	}
	h.showReset(w, r, http.StatusOK, map[string]any{"Username": u.Account.Username})
}

// passwordResetCheck sets the new password.
func (h *handler) passwordResetCheck(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "password_reset", map[string]any{"Problem": "The form could not be read; go back and try again."})
		return
	}
	ctx := r.Context()
	u, err := h.social.PasswordResetUser(ctx, token)
	switch {
	case errors.Is(err, social.ErrLinkInvalid):
		h.resetExpired(w, r)
		return
	case err != nil:
		h.resetFailed(w, r, "password reset: check link", err)
		return
	}
	data := map[string]any{"Username": u.Account.Username}
	ok, err := h.checkFormToken(r)
	if err != nil {
		h.resetFailed(w, r, "password reset: check form token", err)
		return
	}
	if !ok {
		data["Error"] = "This form expired or did not come from this server. Try again."
		h.showReset(w, r, http.StatusForbidden, data)
		return
	}
	password := r.PostForm.Get("password")
	if password != r.PostForm.Get("password_confirmation") {
		data["Error"] = "The two passwords are not the same."
		h.showReset(w, r, http.StatusUnprocessableEntity, data)
		return
	}
	err = h.social.ResetPasswordWithToken(ctx, token, password)
	var ve *social.ValidationError
	switch {
	case err == nil:
		h.render(w, r, http.StatusOK, "password_reset", map[string]any{"Done": true, "Username": u.Account.Username})
	case errors.As(err, &ve):
		data["Error"] = capitalize(ve.Error()) + "."
		h.showReset(w, r, http.StatusUnprocessableEntity, data)
	case errors.Is(err, social.ErrLinkInvalid):
		h.resetExpired(w, r)
	default:
		h.resetFailed(w, r, "password reset", err)
	}
}

func (h *handler) showReset(w http.ResponseWriter, r *http.Request, status int, data map[string]any) {
	token, err := h.formToken(w, r)
	if err != nil {
		h.resetFailed(w, r, "password reset: form token", err)
		return
	}
	data["Form"] = true
	data["CSRF"] = token
	data["MinPassword"] = social.MinPasswordLength
	h.render(w, r, status, "password_reset", data)
}

func (h *handler) resetExpired(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "password_reset", map[string]any{
		"Problem": "This password reset link has expired or was already used.",
		"MailOn":  h.social.MailConfigured(),
	})
}

func (h *handler) resetFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.Error(what, "error", err)
	h.render(w, r, http.StatusInternalServerError, "password_reset", map[string]any{"Problem": "Something went wrong on our side; try again."})
}

// passwordForgotShow asks for the email address to send a reset link to,
// or, when the server sends no email, says to ask an admin.
func (h *handler) passwordForgotShow(w http.ResponseWriter, r *http.Request) {
	if !h.social.MailConfigured() {
		h.render(w, r, http.StatusOK, "password_reset", map[string]any{"NoMail": true})
		return
	}
	token, err := h.formToken(w, r)
	if err != nil {
		h.resetFailed(w, r, "forgot password: form token", err)
		return
	}
	h.render(w, r, http.StatusOK, "password_reset", map[string]any{"Forgot": true, "CSRF": token})
}

// passwordForgotCheck sends the link. The answer is the same whether or not
// an account has the address.
func (h *handler) passwordForgotCheck(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "password_reset", map[string]any{"Problem": "The form could not be read; go back and try again."})
		return
	}
	ok, err := h.checkFormToken(r)
	if err != nil {
		h.resetFailed(w, r, "forgot password: check form token", err)
		return
	}
	if !ok {
		h.render(w, r, http.StatusForbidden, "password_reset", map[string]any{"Problem": "This form expired or did not come from this server. Go back and try again."})
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	err = h.social.RequestPasswordReset(r.Context(), email)
	var ve *social.ValidationError
	switch {
	case err == nil:
		h.render(w, r, http.StatusOK, "password_reset", map[string]any{"Sent": true, "Address": email})
	case errors.Is(err, social.ErrMailNotConfigured):
		h.render(w, r, http.StatusOK, "password_reset", map[string]any{"NoMail": true})
	case errors.As(err, &ve):
		token, terr := h.formToken(w, r)
		if terr != nil {
			h.resetFailed(w, r, "forgot password: form token", terr)
			return
		}
		h.render(w, r, http.StatusUnprocessableEntity, "password_reset", map[string]any{"Forgot": true, "CSRF": token, "Error": capitalize(ve.Error()) + "."})
	default:
		h.resetFailed(w, r, "forgot password", err)
	}
}
