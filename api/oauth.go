package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// oauthRoutes are the OAuth 2 endpoints apps call directly. The
// authorization page itself, GET /oauth/authorize, is a web page and lives
// in ui.
func (h *handler) oauthRoutes(r chi.Router) {
	r.Post("/api/v1/apps", h.createApp)
	r.With(requireToken).Get("/api/v1/apps/verify_credentials", h.verifyAppCredentials)
	r.Post("/oauth/token", h.issueToken)
	r.Post("/oauth/revoke", h.revokeToken)
	r.Get("/.well-known/oauth-authorization-server", h.oauthMetadata)
}

// oauthApplication is Mastodon's Application entity.
type oauthApplication struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Website      *string  `json:"website"`
	Scopes       []string `json:"scopes"`
	RedirectURI  string   `json:"redirect_uri"` // deprecated in 4.3: the URIs, one per line
	RedirectURIs []string `json:"redirect_uris"`
	VapidKey     string   `json:"vapid_key"` // deprecated in 4.3, still sent: the instance's is configuration.vapid
}

// oauthCredentialApplication is Mastodon's CredentialApplication: the
// Application with its credentials, answered once, at registration.
type oauthCredentialApplication struct {
	oauthApplication
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret"`
	ClientSecretExpiresAt int64  `json:"client_secret_expires_at"` // 0: never
}

func applicationEntity(app *storage.OAuthApp, vapidKey string) oauthApplication {
	uris := app.RedirectURIList()
	var website *string // null when none, as Mastodon
	if app.Website != "" {
		website = &app.Website
	}
	return oauthApplication{
		ID:           strconv.FormatInt(app.ID, 10),
		Name:         app.Name,
		Website:      website,
		Scopes:       app.ScopeList(),
		RedirectURI:  strings.Join(uris, "\n"),
		RedirectURIs: uris,
		VapidKey:     vapidKey,
	}
}

// createApp registers an app: POST /api/v1/apps.
func (h *handler) createApp(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	uris := p.list("redirect_uris")
	if len(uris) == 0 {
		uris = p.list("redirect_uri") // the singular some older clients send
	}
	app, secret, err := h.social.RegisterApp(r.Context(), social.NewApp{
		Name:         p.str("client_name"),
		Website:      p.str("website"),
		RedirectURIs: uris,
		Scopes:       strings.Join(p.list("scopes"), " "),
	})
	var vapidKey string
	if err == nil {
		vapidKey, err = h.social.VAPIDPublicKey(r.Context())
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, oauthCredentialApplication{
		oauthApplication: applicationEntity(app, vapidKey),
		ClientID:         app.ClientID,
		ClientSecret:     secret,
	})
}

// verifyAppCredentials answers the token's app: GET
// /api/v1/apps/verify_credentials, for any valid token.
func (h *handler) verifyAppCredentials(w http.ResponseWriter, r *http.Request) {
	app, err := h.social.TokenApp(r.Context(), authOf(r).token)
	if errors.Is(err, social.ErrInvalidToken) {
		invalidToken(w) // revoked since authenticate looked
		return
	}
	var vapidKey string
	if err == nil {
		vapidKey, err = h.social.VAPIDPublicKey(r.Context())
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, applicationEntity(app, vapidKey))
}

// oauthToken is the token response of RFC 6749 section 5.1, as Mastodon
// shapes it: created_at in seconds, no expiry, no refresh token.
type oauthToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
}

// issueToken is the token endpoint: POST /oauth/token with grant_type
// authorization_code, password or client_credentials, as a form or JSON.
func (h *handler) issueToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Pragma", "no-cache") // RFC 6749 section 5.1
	p, err := parseParams(r)
	if err != nil {
		h.writeOAuthError(w, r, err, false)
		return
	}
	grant := p.str("grant_type")
	switch grant {
	case "authorization_code", "password", "client_credentials":
	case "":
		h.writeOAuthError(w, r, &social.OAuthError{Code: social.OAuthInvalidRequest, Description: "The grant_type parameter is missing."}, false)
		return
	default:
		h.writeOAuthError(w, r, &social.OAuthError{Code: social.OAuthUnsupportedGrantType, Description: "The grant_type must be authorization_code, password or client_credentials."}, false)
		return
	}
	app, basic, ok := h.authenticateClient(w, r, p)
	if !ok {
		return
	}
	scope := p.str("scope")
	if scope == "" {
		scope = strings.Join(p.list("scopes"), " ") // Mastodon's own spelling, which some apps use here too
	}
	var tok *social.IssuedToken
	switch grant {
	case "authorization_code":
		tok, err = h.social.ExchangeCode(r.Context(), app, p.str("code"), p.str("redirect_uri"), p.str("code_verifier"))
	case "password":
		if p.str("username") == "" || p.str("password") == "" {
			err = &social.OAuthError{Code: social.OAuthInvalidRequest, Description: "The username and password parameters are required."}
			break
		}
		tok, err = h.social.PasswordGrant(r.Context(), app, p.str("username"), p.str("password"), scope)
	case "client_credentials":
		tok, err = h.social.ClientCredentials(r.Context(), app, scope)
	}
	if err != nil {
		h.writeOAuthError(w, r, err, basic)
		return
	}
	writeJSON(w, http.StatusOK, oauthToken{
		AccessToken: tok.Token,
		TokenType:   "Bearer",
		Scope:       strings.Join(tok.Scopes, " "),
		CreatedAt:   tok.CreatedAt.Unix(),
	})
}

// revokeToken revokes a token: POST /oauth/revoke (RFC 7009). An unknown
// token answers 200 {} like a known one.
func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeOAuthError(w, r, err, false)
		return
	}
	app, basic, ok := h.authenticateClient(w, r, p)
	if !ok {
		return
	}
	if err := h.social.RevokeToken(r.Context(), app, p.str("token")); err != nil {
		h.writeOAuthError(w, r, err, basic)
		return
	}
	writeJSON(w, http.StatusOK, nil)
}

// clientCredentials reads the app's credentials from HTTP Basic
// authentication or, failing that, the client_id and client_secret
// parameters (RFC 6749 section 2.3.1). basic tells which.
func clientCredentials(r *http.Request, p params) (id, secret string, basic bool) {
	if u, pw, ok := r.BasicAuth(); ok {
		// Both are form-urlencoded before base64 (section 2.3.1).
		if v, err := url.QueryUnescape(u); err == nil {
			u = v
		}
		if v, err := url.QueryUnescape(pw); err == nil {
			pw = v
		}
		return u, pw, true
	}
	return p.str("client_id"), p.str("client_secret"), false
}

// writeOAuthError answers as RFC 6749 section 5.2 says: {"error": code,
// "error_description": ...}, 401 for a client that failed to authenticate
// (with a Basic challenge when it tried Basic), 403 for revoking another
// app's token (as Mastodon), 400 for the rest.
func (h *handler) writeOAuthError(w http.ResponseWriter, r *http.Request, err error, basic bool) {
	var oe *social.OAuthError
	var ae *apiError
	switch {
	case errors.As(err, &oe):
		status := http.StatusBadRequest
		switch oe.Code {
		case social.OAuthInvalidClient:
			status = http.StatusUnauthorized
			if basic {
				w.Header().Set("WWW-Authenticate", `Basic realm="Rounds"`)
			}
		case social.OAuthUnauthorizedClient:
			status = http.StatusForbidden
		}
		writeJSON(w, status, map[string]string{"error": oe.Code, "error_description": oe.Description})
	case errors.As(err, &ae):
		writeJSON(w, ae.status, map[string]string{"error": social.OAuthInvalidRequest, "error_description": ae.msg})
	default:
		h.log.Error("oauth request failed", "path", r.URL.Path, "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error", "error_description": "Something went wrong on our side"})
	}
}

// oauthMetadata is the authorization server's metadata (RFC 8414), which
// Mastodon 4.3 and later serve and apps read to learn the scopes and
// endpoints.
func (h *handler) oauthMetadata(w http.ResponseWriter, r *http.Request) {
	base := h.social.BaseURL()
	authMethods := []string{"client_secret_basic", "client_secret_post"}
	writeJSON(w, http.StatusOK, map[string]any{
		// With the trailing slash, as Mastodon: it is what a browser's
		// URL("https://host").href gives, which clients compare against.
		"issuer":                                        base + "/",
		"service_documentation":                         "https://docs.joinmastodon.org/",
		"authorization_endpoint":                        base + "/oauth/authorize",
		"token_endpoint":                                base + "/oauth/token",
		"revocation_endpoint":                           base + "/oauth/revoke",
		"userinfo_endpoint":                             base + "/oauth/userinfo",
		"introspection_endpoint":                        base + "/oauth/introspect",
		"app_registration_endpoint":                     base + "/api/v1/apps",
		"scopes_supported":                              social.ScopesSupported(),
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query"},
		"grant_types_supported":                         []string{"authorization_code", "password", "client_credentials"},
		"code_challenge_methods_supported":              []string{"S256"},
		"token_endpoint_auth_methods_supported":         authMethods,
		"revocation_endpoint_auth_methods_supported":    authMethods,
		"introspection_endpoint_auth_methods_supported": authMethods,
	})
}

// authenticateClient checks the app's client credentials (form or HTTP
// Basic) for the OAuth endpoints an app calls as itself, answering the
// OAuth error itself when they do not hold; basic says whether they came
// as HTTP Basic, which the error's answer follows.
func (h *handler) authenticateClient(w http.ResponseWriter, r *http.Request, p params) (app *storage.OAuthApp, basic, ok bool) {
	id, secret, basic := clientCredentials(r, p)
	app, err := h.social.AuthenticateClient(r.Context(), id, secret)
	if err != nil {
		h.writeOAuthError(w, r, err, basic)
		return nil, basic, false
	}
	return app, basic, true
}
