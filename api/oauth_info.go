package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// oauthInfoRoutes are OpenID Connect's userinfo (Mastodon 4.4, with the
// profile scope), Doorkeeper's token info, and token introspection (RFC
// 7662), which Mastodon serves through Doorkeeper.
func (h *handler) oauthInfoRoutes(r chi.Router) {
	r.With(requireUser("profile")).Get("/oauth/userinfo", h.userinfo)
	r.With(requireUser("profile")).Post("/oauth/userinfo", h.userinfo) // OpenID Connect Core 5.3.1: GET and POST
	r.With(requireToken).Get("/oauth/token/info", h.tokenInfo)
	r.Post("/oauth/introspect", h.introspect)
}

// userinfo answers the OpenID Connect claims Mastodon gives for the
// token's person: sub is the account's ActivityPub id, which stays the
// same for as long as the account exists.
func (h *handler) userinfo(w http.ResponseWriter, r *http.Request) {
	a := me(r)
	name := a.DisplayName
	if name == "" {
		name = a.Username
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"iss":                h.social.BaseURL() + "/", // the issuer, as in the server metadata
		"sub":                a.URI,
		"name":               name,
		"preferred_username": a.Username,
		"profile":            a.URL,
		"picture":            h.presenter(a).avatar(a),
	})
}

// tokenInfo is Doorkeeper's GET /oauth/token/info for the bearer's token.
func (h *handler) tokenInfo(w http.ResponseWriter, r *http.Request) {
	info, err := h.social.TokenDetails(r.Context(), authOf(r).token)
	if errors.Is(err, social.ErrInvalidToken) {
		invalidToken(w)
		return
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"resource_owner_id": info.UserID,
		"scope":             info.Scopes,
		"expires_in":        nil, // Rounds' tokens do not expire
		"application":       map[string]string{"uid": info.ClientID},
		"created_at":        info.CreatedAt.Unix(),
	})
}

// introspect is RFC 7662 token introspection: the app authenticates with
// its client credentials and learns about a token it was issued.
func (h *handler) introspect(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeOAuthError(w, r, err, false)
		return
	}
	app, basic, ok := h.authenticateClient(w, r, p)
	if !ok {
		return
	}
	token := p.str("token")
	if token == "" {
		h.writeOAuthError(w, r, &social.OAuthError{Code: social.OAuthInvalidRequest, Description: "The token parameter is missing."}, basic)
		return
	}
	info, err := h.social.IntrospectToken(r.Context(), app, token)
	if err != nil {
		h.writeOAuthError(w, r, err, basic)
		return
	}
	if !info.Active {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	out := map[string]any{
		"active":     true,
		"scope":      strings.Join(info.Scopes, " "),
		"client_id":  info.ClientID,
		"token_type": "Bearer",
		"iat":        info.CreatedAt.Unix(),
		// Rounds' tokens do not expire: exp is left out (RFC 7662 makes it
		// optional).
	}
	if info.Account != nil {
		out["username"] = info.Account.Username
		out["sub"] = info.Account.URI
	}
	writeJSON(w, http.StatusOK, out)
}
