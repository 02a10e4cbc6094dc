package api

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"

	"rounds/social"
	"rounds/storage"
)

// Who is calling. Every API route passes through authenticate, which reads
// the bearer token; a route then states what it needs:
//
//   - requireUser(scope) for everything done as a person (posting,
//     following, reading the home timeline): a token with a user and scope.
//   - requireScope(scope) where an app's own token (client_credentials) may
//     do it too.
//   - publicRoute(scope) for routes that answer without a token too and
//     tailor the answer to the person of a token when there is one (a
//     status, an account's posts): a token present must allow scope.
//
// Checks run in Mastodon's order: no token 401, scope 403, no user 422.
// A token's person is used only where the route declared one of these:
// currentUser is nil on any other route, token or not, so a route added
// without a declaration answers as to anyone rather than reading what the
// token was never allowed to read.

type authKey struct{}

// auth is what authenticate learned from the token.
type auth struct {
	token  string
	user   *storage.User // nil for an app's own token
	scopes []string
	// checked is set once the route's declared scope was checked; until
	// then the token's person is not used.
	checked bool
}

// The answers Mastodon gives, word for word: apps match on some of them.
const (
	msgInvalidToken = "The access token is invalid"
	msgOutsideScope = "This action is outside the authorized scopes"
	msgNeedsUser    = "This method requires an authenticated user"
	msgDisabled     = "Your login is currently disabled"
	msgPending      = "Your login is currently pending approval"
	msgUnconfirmed  = "Your login is missing a confirmed e-mail address"
)

// clientAuthenticatedPaths authenticate the app by its client credentials,
// not a bearer token: a stale token that a client library sends along must
// not stop it from revoking that very token (RFC 7009 section 2.1).
var clientAuthenticatedPaths = map[string]bool{"/oauth/token": true, "/oauth/revoke": true, "/oauth/introspect": true}

// authenticate reads the access token from the Authorization header (or
// the access_token query or form parameter, or for a WebSocket the
// Sec-WebSocket-Protocol header, as browsers must send it) and puts its
// user and scopes in the request's context. A request without a token goes
// on anonymously; one with a bad or revoked token is refused with 401, and
// one whose person is suspended or unapproved with 403.
func (h *handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if clientAuthenticatedPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		token, err := requestToken(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		user, scopes, err := h.social.AuthenticateToken(r.Context(), token)
		switch {
		case errors.Is(err, social.ErrInvalidToken):
			invalidToken(w)
			return
		case errors.Is(err, social.ErrLoginDisabled):
			writeJSON(w, http.StatusForbidden, map[string]string{"error": msgDisabled})
			return
		case errors.Is(err, social.ErrEmailUnconfirmed):
			writeJSON(w, http.StatusForbidden, map[string]string{"error": msgUnconfirmed})
			return
		case errors.Is(err, social.ErrLoginPending):
			writeJSON(w, http.StatusForbidden, map[string]string{"error": msgPending})
			return
		case err != nil:
			h.writeError(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), authKey{}, &auth{token: token, user: user, scopes: scopes})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requestToken finds the bearer token of r, if any (RFC 6750 section 2).
func requestToken(r *http.Request) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(strings.TrimSpace(h), " ")
		if strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token), nil
		}
		// Another scheme (Basic) is not an access token.
	}
	if t := r.URL.Query().Get("access_token"); t != "" {
		return t, nil
	}
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if p := r.Header.Get("Sec-WebSocket-Protocol"); p != "" {
			first, _, _ := strings.Cut(p, ",")
			return strings.TrimSpace(first), nil
		}
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" && r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
		// The form stays parsed for the handler (ParseForm keeps it). A
		// form that cannot be read is refused here: the handler could not
		// tell it from an empty one.
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return "", errorf(http.StatusRequestEntityTooLarge, "The request body is too large")
			}
			return "", errorf(http.StatusBadRequest, "The form could not be read: %v", err)
		}
		return r.PostForm.Get("access_token"), nil
	}
	return "", nil
}

// invalidToken answers 401 as Mastodon does, with the RFC 6750 challenge.
func invalidToken(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token is invalid"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": msgInvalidToken})
}

func authOf(r *http.Request) *auth {
	a, _ := r.Context().Value(authKey{}).(*auth)
	return a
}

// currentUser returns the person the request acts for: nil when it has no
// token, an app's own token, or its route declared no scope for it.
func currentUser(r *http.Request) *storage.User {
	if a := authOf(r); a != nil && a.checked {
		return a.user
	}
	return nil
}

// requireScope lets a request through when it has a token, of a person or
// an app, that allows scope (social.ScopeAllows: read allows read:statuses).
// Without a token it answers 401, without the scope 403. Use requireUser
// where the action is a person's.
func requireScope(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := authOf(r)
			switch {
			case a == nil:
				invalidToken(w)
			case !social.ScopeAllows(a.scopes, scope):
				writeJSON(w, http.StatusForbidden, map[string]string{"error": msgOutsideScope})
			default:
				a.checked = true
				next.ServeHTTP(w, r)
			}
		})
	}
}

// publicRoute declares a route that answers without a token, as Mastodon's
// public GETs do, and needs scope of a token that is present: otherwise
// 403, as Mastodon refuses it, before the token's person is used. A token
// with only `profile` or `write:media` must not read direct and
// followers-only posts because such routes also answer anonymously.
// anyScope is for routes that read nothing of the person (instance
// information) or check scopes themselves (streaming, per stream).
func publicRoute(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if a := authOf(r); a != nil {
				if scope != anyScope && !social.ScopeAllows(a.scopes, scope) {
					writeJSON(w, http.StatusForbidden, map[string]string{"error": msgOutsideScope})
					return
				}
				a.checked = true
			}
			next.ServeHTTP(w, r)
		})
	}
}

// anyScope, given to publicRoute, lets any valid token through.
const anyScope = ""

// requireUser is requireScope(scope) that also needs a person's token: an
// app's own token gets 422, as Mastodon answers. Handlers behind it may
// rely on currentUser(r) being non-nil.
func requireUser(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return requireScope(scope)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if currentUser(r) == nil {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": msgNeedsUser})
				return
			}
			next.ServeHTTP(w, r)
		}))
	}
}

// requireToken lets through any valid token, whatever its scopes, as
// GET /api/v1/apps/verify_credentials does since Mastodon 4.3.
func requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := authOf(r)
		if a == nil {
			invalidToken(w)
			return
		}
		a.checked = true
		next.ServeHTTP(w, r)
	})
}

// hasScope reports whether the request's token allows scope, on a route
// that declared what it needs.
func hasScope(r *http.Request, scope string) bool {
	a := authOf(r)
	return a != nil && a.checked && social.ScopeAllows(a.scopes, scope)
}
