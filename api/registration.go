package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// Mastodon's limit on sign-ups: 5 per 30 minutes per address.
const (
	signUpLimit  = 5
	signUpWindow = 30 * time.Minute
)

func (h *handler) registrationRoutes(r chi.Router) {
	limit := rateLimitEvery(h.social, "api-sign-up", signUpLimit, signUpWindow, func(r *http.Request) (string, error) {
		return social.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For")), nil
	})
	r.With(limit, requireScope("write:accounts")).Post("/api/v1/accounts", h.register)
}

// register opens an account: POST /api/v1/accounts, with an app token
// (client_credentials) holding write:accounts, as Mastodon apps call it.
// It answers a Token entity for the new account, which works at once only
// when the account needs neither an admin's approval nor a confirmed email.
func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	a := authOf(r) // requireScope on the route
	app, err := h.social.TokenApp(r.Context(), a.token)
	if errors.Is(err, social.ErrInvalidToken) {
		invalidToken(w)
		return
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	_, tok, err := h.social.Register(r.Context(), app, social.Registration{
		Username:   p.str("username"),
		Email:      p.str("email"),
		Password:   p.str("password"),
		Reason:     p.str("reason"),
		InviteCode: p.str("invite_code"),
		Agreement:  p.boolean("agreement"),
		Locale:     p.str("locale"),
		Scopes:     strings.Join(a.scopes, " "),
		Address:    social.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For")),
	})
	var re *social.RegistrationError
	var oe *social.OAuthError
	switch {
	case err == nil:
	case errors.As(err, &re):
		writeRegistrationError(w, re)
		return
	case errors.Is(err, social.ErrForbidden):
		writeJSON(w, http.StatusForbidden, map[string]string{"error": capitalize(err.Error())})
		return
	case errors.As(err, &oe):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": oe.Description})
		return
	default:
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, oauthToken{
		AccessToken: tok.Token,
		TokenType:   "Bearer",
		Scope:       strings.Join(tok.Scopes, " "),
		CreatedAt:   tok.CreatedAt.Unix(),
	})
}

type fieldErrorEntity struct {
	Error       string `json:"error"`
	Description string `json:"description"`
}

// writeRegistrationError answers 422 as Mastodon does: every problem in
// "error", and by field with its code in "details".
func writeRegistrationError(w http.ResponseWriter, e *social.RegistrationError) {
	details := map[string][]fieldErrorEntity{}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		details[f.Field] = append(details[f.Field], fieldErrorEntity{Error: f.Code, Description: f.Description})
		parts = append(parts, capitalize(strings.ReplaceAll(f.Field, "_", " "))+" "+f.Description)
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"error":   "Validation failed: " + strings.Join(parts, ", "),
		"details": details,
	})
}
