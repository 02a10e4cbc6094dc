package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// clientExtraRoutes mounts small client calls: the email confirmation
// calls of an app that signed a person up; the translation of a post,
// which this server does not offer; deleting several notifications; and
// the calls about things Rounds never has (announcements, identity
// proofs, async refreshes), answered as Mastodon answers when there are
// none.
func (h *handler) clientExtraRoutes(r chi.Router) {
	r.With(requireUser("write:accounts")).Post("/api/v1/emails/confirmations", h.resendConfirmation)
	r.With(requireUser("read:accounts")).Get("/api/v1/emails/check_confirmation", h.checkConfirmation)
	r.With(requireUser("read:statuses")).Post("/api/v1/statuses/{id}/translate", h.notFound)
	r.With(requireUser("write:notifications")).Delete("/api/v1/notifications/destroy_multiple", h.dismissNotifications)
	r.With(requireUser("write:accounts")).Post("/api/v1/announcements/{id}/dismiss", h.notFound)
	r.With(requireUser("write:favourites")).Put("/api/v1/announcements/{id}/reactions/{name}", h.notFound)
	r.With(requireUser("write:favourites")).Delete("/api/v1/announcements/{id}/reactions/{name}", h.notFound)
	r.With(requireUser("read:accounts")).Get("/api/v1/accounts/{id}/identity_proofs", h.emptyList)
	r.With(requireUser("read")).Get("/api/v1/async_refreshes/{id}", h.notFound)
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

// notFound answers 404 Record not found, as Mastodon does for an
// announcement or async refresh that does not exist (Rounds makes none),
// and for POST /api/v1/statuses/:id/translate when no translation service
// is configured (the instance says translation.enabled false).
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
}

// dismissNotifications is DELETE /api/v1/notifications/destroy_multiple:
// the person's notifications among ids[] go; other ids are ignored.
func (h *handler) dismissNotifications(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	me := currentUser(r).Account
	for _, s := range p.list("ids") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		if err := h.social.DismissNotifications(r.Context(), me, id); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, nil)
}
