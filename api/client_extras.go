package api

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// confirmationRoutes mounts the email confirmation calls of an app that
// signed a person up, and the translation of a post, which this server
// does not offer.
func (h *handler) confirmationRoutes(r chi.Router) {
	r.With(requireUser("write:accounts")).Post("/api/v1/emails/confirmations", h.resendConfirmation)
	r.With(requireUser("read:accounts")).Get("/api/v1/emails/check_confirmation", h.checkConfirmation)
	r.With(requireUser("read:statuses")).Post("/api/v1/statuses/{id}/translate", h.translateStatus)
}

// resendConfirmation is POST /api/v1/emails/confirmations. As Mastodon,
// a person whose address is confirmed (or who never had to confirm one)
// gets 403; Rounds does not change the address here (email), which
// Mastodon allows only to the app that signed the person up.
func (h *handler) resendConfirmation(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	if !social.EmailAwaitingConfirmation(u) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "This method is only available while the e-mail is awaiting confirmation"})
		return
	}
	p, err := parseParams(r)
	if err == nil && p.str("email") != "" && (u.Email == nil || p.str("email") != *u.Email) {
		err = errorf(http.StatusUnprocessableEntity, "Validation failed: Email can only be changed from the web settings on this server")
	}
	if err == nil {
		err = h.social.ResendConfirmationFor(r.Context(), u)
	}
	if errors.Is(err, social.ErrMailNotConfigured) {
		err = errorf(http.StatusServiceUnavailable, "This server does not send email")
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nil)
}

// checkConfirmation is GET /api/v1/emails/check_confirmation: true once
// the person's address is confirmed.
func (h *handler) checkConfirmation(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, !social.EmailAwaitingConfirmation(currentUser(r)))
}

// translateStatus is POST /api/v1/statuses/:id/translate. No translation
// service is configured here (the instance says translation.enabled
// false), and Mastodon answers that case with 404 Record not found.
func (h *handler) translateStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
}
