package ui

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// The OAuth authorization pages (RFC 6749 section 4.1): an app sends a
// person to GET /oauth/authorize; they sign in (POST /oauth/sign_in, then
// POST /oauth/two_factor with a code from their authenticator app when they
// use one) unless their browser already has a session, then see what the
// app asks for and authorize or deny it (POST /oauth/authorize). The app
// gets a code on its redirect URI, or the page shows the code for the
// out-of-band URI.

const (
	// sessionCookie holds the signed session token.
	sessionCookie = "rounds_session"
	// signInCookie holds the signed CSRF token of the sign-in form, shown
	// before there is a session to keep one in.
	signInCookie       = "rounds_signin"
	signInCookieMaxAge = 2 * time.Hour
)

// oauthParams are the authorization request's parameters, carried through
// the sign-in and consent forms.
var oauthParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method", "lang"}

func (h *handler) oauthRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(noStore)
		r.Get("/oauth/authorize", h.authorizeShow)
		r.Post("/oauth/authorize", h.authorizeDecide)
		r.Post("/oauth/sign_in", h.oauthSignIn)
		r.Post("/oauth/two_factor", h.oauthTwoFactor)
		r.Post("/oauth/two_factor/setup", h.oauthTwoFactorSetup)
		r.Get("/oauth/two_factor/qr/{token}", h.twoFactorQR)
	})
}

// noStore keeps the pages, which carry form tokens and codes, out of every
// cache.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func authorizationRequest(v url.Values) social.AuthorizationRequest {
	return social.AuthorizationRequest{
		ClientID:            v.Get("client_id"),
		RedirectURI:         v.Get("redirect_uri"),
		ResponseType:        v.Get("response_type"),
		Scope:               v.Get("scope"),
		State:               v.Get("state"),
		CodeChallenge:       v.Get("code_challenge"),
		CodeChallengeMethod: v.Get("code_challenge_method"),
	}
}

type hiddenField struct{ Name, Value string }

// carried returns the request parameters of v to carry through a form.
// lang is kept though every page is in English for now.
func carried(v url.Values) []hiddenField {
	var out []hiddenField
	for _, name := range oauthParams {
		if val := v.Get(name); val != "" {
			out = append(out, hiddenField{name, val})
		}
	}
	return out
}

// authorizeURL is the authorization page for the request in v.
func authorizeURL(v url.Values, forceLogin bool) string {
	q := url.Values{}
	for _, f := range carried(v) {
		q.Set(f.Name, f.Value)
	}
	if forceLogin {
		q.Set("force_login", "true")
	}
	return "/oauth/authorize?" + q.Encode()
}

// authorizeShow is GET /oauth/authorize: the sign-in page, or the consent
// page for a signed-in person.
func (h *handler) authorizeShow(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	auth, err := h.social.CheckAuthorization(r.Context(), authorizationRequest(q))
	if err != nil {
		h.authorizationFailed(w, r, auth, err)
		return
	}
	sess, err := h.browserSession(r)
	if err != nil {
		h.oauthPageFailed(w, r, "authorize: read session", err)
		return
	}
	if sess == nil || truthy(q.Get("force_login")) {
		h.showSignIn(w, r, auth, q, "", "", http.StatusOK)
		return
	}
	h.showConsent(w, r, sess, auth, q)
}

// oauthSignIn is POST /oauth/sign_in: it starts a session and goes back to
// the authorization page, which now asks for consent; or, for a person who
// signs in with a second factor, asks for the code first.
func (h *handler) oauthSignIn(w http.ResponseWriter, r *http.Request) {
	form, auth, ok := h.signInForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	login := strings.TrimSpace(form.Get("username"))
	sess, err := h.social.SignIn(ctx, login, form.Get("password"), r.UserAgent())
	var pending *social.PendingSignIn
	switch {
	case err == nil:
	case errors.As(err, &pending) && pending.Setup:
		h.showTwoFactorSetup(w, r, auth, form, pending.Token, pending.TwoFactor, "", http.StatusOK)
		return
	case errors.As(err, &pending):
		h.showTwoFactor(w, r, auth, form, pending.Token, "", http.StatusOK)
		return
	case errors.Is(err, social.ErrBadCredentials):
		h.showSignIn(w, r, auth, form, login, "Wrong username or password.", http.StatusUnauthorized)
		return
	case errors.Is(err, social.ErrLoginDisabled):
		h.showSignIn(w, r, auth, form, login, "This account is suspended. Ask an admin of "+h.social.Domain()+" for help.", http.StatusForbidden)
		return
	case errors.Is(err, social.ErrEmailUnconfirmed):
		h.showSignIn(w, r, auth, form, login, "Confirm your email address first: follow the link in the email we sent you.", http.StatusForbidden)
		return
	case errors.Is(err, social.ErrLoginPending):
		h.showSignIn(w, r, auth, form, login, "This account is waiting for an admin's approval.", http.StatusForbidden)
		return
	default:
		h.oauthPageFailed(w, r, "sign in", err)
		return
	}
	h.startSession(w, r, sess)
	http.Redirect(w, r, authorizeURL(form, false), http.StatusSeeOther)
}

// signInForm reads a form of the sign-in pages, which carry the
// authorization request and the form token. When the form cannot be used it
// answers the request and returns false.
func (h *handler) signInForm(w http.ResponseWriter, r *http.Request) (url.Values, *social.Authorization, bool) {
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "oauth_consent", map[string]any{"Error": "The form could not be read; go back to the app and start again."})
		return nil, nil, false
	}
	ctx := r.Context()
	form := r.PostForm
	auth, err := h.social.CheckAuthorization(ctx, authorizationRequest(form))
	if err != nil {
		h.authorizationFailed(w, r, auth, err)
		return nil, nil, false
	}
	var cookie string
	if c, err := r.Cookie(signInCookie); err == nil {
		cookie = c.Value
	}
	ok, err := h.social.CheckFormToken(ctx, cookie, form.Get("csrf_token"))
	if err != nil {
		h.oauthPageFailed(w, r, "sign in: check form token", err)
		return nil, nil, false
	}
	if !ok {
		h.showSignIn(w, r, auth, form, strings.TrimSpace(form.Get("username")), "This form expired or did not come from this server. Sign in again.", http.StatusForbidden)
		return nil, nil, false
	}
	return form, auth, true
}

// startSession gives the browser the cookie of a session that just began.
func (h *handler) startSession(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession) {
	// A new session each sign-in, so that a session token planted in the
	// browser before sign-in never becomes a signed-in one.
	if old, err := r.Cookie(sessionCookie); err == nil {
		if err := h.social.EndSession(r.Context(), old.Value); err != nil {
			h.log.Warn("sign in: end the previous session", "error", err)
		}
	}
	h.setCookie(w, sessionCookie, sess.Cookie, "/", int(time.Until(sess.ExpiresAt).Seconds()))
	h.setCookie(w, signInCookie, "", "/oauth", -1)
}

// authorizeDecide is POST /oauth/authorize: the person authorized or
// denied the app.
func (h *handler) authorizeDecide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "oauth_consent", map[string]any{"Error": "The form could not be read; go back to the app and start again."})
		return
	}
	ctx := r.Context()
	form := r.PostForm
	auth, err := h.social.CheckAuthorization(ctx, authorizationRequest(form))
	if err != nil {
		h.authorizationFailed(w, r, auth, err)
		return
	}
	sess, err := h.browserSession(r)
	if err != nil {
		h.oauthPageFailed(w, r, "authorize: read session", err)
		return
	}
	if sess == nil {
		h.showSignIn(w, r, auth, form, "", "You were signed out. Sign in again to continue.", http.StatusUnauthorized)
		return
	}
	if !sess.CheckCSRF(form.Get("csrf_token")) {
		h.render(w, r, http.StatusForbidden, "oauth_consent", map[string]any{
			"App":   auth.App.Name,
			"Error": "This form expired or did not come from this server. Go back to the app and start again.",
		})
		return
	}
	oob := auth.RedirectURI == social.OOBRedirectURI
	switch form.Get("decision") {
	case "deny":
		if oob {
			h.render(w, r, http.StatusOK, "oauth_consent", map[string]any{"App": auth.App.Name, "Denied": true})
			return
		}
		http.Redirect(w, r, auth.ErrorRedirect(&social.OAuthError{Code: social.OAuthAccessDenied, Description: "The person denied the app access to their account."}), http.StatusFound)
	case "approve":
		code, err := h.social.IssueAuthorizationCode(ctx, sess.User, auth)
		switch {
		case errors.Is(err, social.ErrLoginDisabled), errors.Is(err, social.ErrLoginPending):
			h.render(w, r, http.StatusForbidden, "oauth_consent", map[string]any{"App": auth.App.Name, "Error": "This account may not sign in to apps now."})
			return
		case err != nil:
			h.oauthPageFailed(w, r, "authorize: issue code", err)
			return
		}
		if oob {
			h.render(w, r, http.StatusOK, "oauth_consent", map[string]any{"App": auth.App.Name, "Code": code})
			return
		}
		http.Redirect(w, r, auth.CodeRedirect(code), http.StatusFound)
	default:
		h.render(w, r, http.StatusBadRequest, "oauth_consent", map[string]any{"App": auth.App.Name, "Error": "Choose Authorize or Deny."})
	}
}

// authorizationFailed answers a request CheckAuthorization refused: on a
// page when the app or its redirect URI cannot be trusted (never a redirect
// to an unchecked URI, RFC 6749 section 4.1.2.1) or the app reads codes
// from the page; otherwise by sending the error back to the app.
func (h *handler) authorizationFailed(w http.ResponseWriter, r *http.Request, auth *social.Authorization, err error) {
	var oe *social.OAuthError
	if !errors.As(err, &oe) {
		h.oauthPageFailed(w, r, "authorize: check request", err)
		return
	}
	if auth == nil || auth.RedirectURI == social.OOBRedirectURI {
		data := map[string]any{"Error": oe.Description}
		if auth != nil {
			data["App"] = auth.App.Name
		}
		h.render(w, r, http.StatusBadRequest, "oauth_consent", data)
		return
	}
	http.Redirect(w, r, auth.ErrorRedirect(oe), http.StatusFound)
}

func (h *handler) oauthPageFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.Error(what, "error", err)
	h.render(w, r, http.StatusInternalServerError, "oauth_consent", map[string]any{"Error": "Something went wrong on our side; try again."})
}

// showSignIn shows the sign-in form, keeping the form token of an earlier
// visit so that two open tabs both work.
func (h *handler) showSignIn(w http.ResponseWriter, r *http.Request, auth *social.Authorization, v url.Values, login, problem string, status int) {
	token, err := h.signInFormToken(w, r)
	if err != nil {
		h.oauthPageFailed(w, r, "sign in: form token", err)
		return
	}
	h.render(w, r, status, "oauth_signin", map[string]any{
		"App":      auth.App.Name,
		"Hidden":   carried(v),
		"CSRF":     token,
		"Username": login,
		"Error":    problem,
	})
}

// signInFormToken returns the form token of the sign-in pages: the one in the
// request's cookie, or a new one whose cookie it sets.
func (h *handler) signInFormToken(w http.ResponseWriter, r *http.Request) (string, error) {
	ctx := r.Context()
	if c, err := r.Cookie(signInCookie); err == nil {
		t, ok, err := h.social.FormTokenFromCookie(ctx, c.Value)
		if err != nil {
			return "", err
		}
		if ok {
			return t, nil
		}
	}
	cookie, t, err := h.social.NewFormToken(ctx)
	if err != nil {
		return "", err
	}
	h.setCookie(w, signInCookie, cookie, "/oauth", int(signInCookieMaxAge.Seconds()))
	return t, nil
}

type scopeLine struct {
	Scope, Text string
	Admin       bool
}

// showConsent asks the signed-in person whether the app may have what it
// asks for.
func (h *handler) showConsent(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, auth *social.Authorization, v url.Values) {
	var lines []scopeLine
	for _, s := range auth.Scopes {
		lines = append(lines, scopeLine{Scope: s, Text: describeScope(s), Admin: strings.HasPrefix(s, "admin:")})
	}
	destination := "the app"
	if u, err := url.Parse(auth.RedirectURI); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
		destination = u.Host
	}
	allowFormRedirect(w, auth.RedirectURI)
	h.render(w, r, http.StatusOK, "oauth_consent", map[string]any{
		"Form":        true,
		"App":         auth.App.Name,
		"Website":     auth.App.Website,
		"Username":    sess.User.Account.Username,
		"Scopes":      lines,
		"Destination": destination,
		"Hidden":      carried(v),
		"CSRF":        sess.CSRFToken,
		"SwitchURL":   authorizeURL(v, true),
	})
}

var cspHost = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// allowFormRedirect lets the consent form's answer redirect to the app:
// browsers apply the page's CSP form-action to where a form submission is
// redirected, and the pages otherwise allow only 'self'.
func allowFormRedirect(w http.ResponseWriter, redirectURI string) {
	u, err := url.Parse(redirectURI)
	if err != nil || redirectURI == social.OOBRedirectURI {
		return
	}
	var source string
	switch u.Scheme {
	case "http", "https":
		if !cspHost.MatchString(u.Host) {
			return
		}
		source = u.Scheme + "://" + u.Host
	default:
		source = u.Scheme + ":" // a native app's own scheme
	}
	csp := w.Header().Get("Content-Security-Policy")
	w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+source, 1))
}

// browserSession returns the request's session, or nil when it has none
// that is still good.
func (h *handler) browserSession(r *http.Request) (*social.BrowserSession, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, err := h.social.SessionFromCookie(r.Context(), c.Value)
	if errors.Is(err, social.ErrNotFound) {
		return nil, nil
	}
	return sess, err
}

// setCookie sets an HttpOnly, SameSite=Lax cookie, Secure when the server
// is served over https; a negative maxAge deletes it.
func (h *handler) setCookie(w http.ResponseWriter, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   strings.HasPrefix(h.social.BaseURL(), "https:"),
		SameSite: http.SameSiteLaxMode,
	})
}

// truthy reads a boolean parameter as Mastodon does.
func truthy(s string) bool {
	switch strings.ToLower(s) {
	case "true", "1", "on", "t", "yes":
		return true
	}
	return false
}

// scopeText says what each high-level scope and a few granular ones let an
// app do; describeScope words the rest from their parts.
var scopeText = map[string]string{
	"profile":             "See your own profile (name, picture, bio)",
	"read":                "Read everything your account can see: posts, timelines, notifications, follows, lists and bookmarks",
	"write":               "Post, edit and delete posts, and change everything in your account: follows, blocks, mutes, favourites, media, lists and profile",
	"follow":              "See and change whom you follow, block and mute",
	"push":                "Send you push notifications",
	"admin:read":          "Read all the server's moderation data (admin)",
	"admin:write":         "Take moderation actions on the server (admin)",
	"read:accounts":       "Read account details",
	"read:statuses":       "Read posts and timelines",
	"write:statuses":      "Post, edit and delete posts, and boost",
	"write:media":         "Upload pictures and other media",
	"write:accounts":      "Change your profile",
	"write:follows":       "Follow and unfollow accounts",
	"write:favourites":    "Favourite posts",
	"write:conversations": "Hide and mark direct conversations",
	"write:reports":       "Report accounts and posts",
}

func describeScope(s string) string {
	if t, ok := scopeText[s]; ok {
		return t
	}
	for _, p := range []struct{ prefix, verb string }{
		{"admin:read:", "Read the server's "},
		{"admin:write:", "Moderate the server's "},
		{"read:", "Read your "},
		{"write:", "Change your "},
	} {
		if topic, ok := strings.CutPrefix(s, p.prefix); ok {
			return p.verb + strings.ReplaceAll(topic, "_", " ")
		}
	}
	return s
}
