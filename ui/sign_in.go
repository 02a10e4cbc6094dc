package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/httprate"

	"rounds/social"
)

// Signing in to the server's own pages (settings, export and import):
// GET/POST /auth/sign_in with username and password, then POST
// /auth/two_factor with a code for a person who uses a second factor, and
// POST /auth/sign_out. The session is the one the OAuth pages start; the
// forms before it carry a form token (NewFormToken).

// signInLimiter allows 25 password or code tries per 5 minutes per address,
// Mastodon's limit for signing in.
func signInLimiter(h *handler) func(http.Handler) http.Handler {
	return httprate.Limit(25, 5*time.Minute,
		sharedCounter(h, "web-sign-in"),
		httprate.WithKeyFuncs(func(r *http.Request) (string, error) {
			return social.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For")), nil
		}),
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			h.render(w, r, http.StatusTooManyRequests, "sign_in", map[string]any{
				"Problem": "Too many sign-in attempts from your network. Wait five minutes and try again.",
			})
		}),
	)
}

// sharedCounter makes a limiter count in the database when the social
// service says limits are shared between processes (PostgreSQL), so that
// the limit holds however many processes serve the site.
func sharedCounter(h *handler, name string) httprate.Option {
	if h.social != nil && h.social.SharedLimits() {
		return httprate.WithLimitCounter(h.social.NewLimitCounter(name))
	}
	return httprate.WithNoop()
}

// returnTo is where to go after signing in: a path on this server, never
// another site (an open redirect; social.SameOriginPath says which), by
// default the home page.
func returnTo(v string) string {
	return social.SameOriginPath(v, "/home")
}

// signInURL is the sign-in page that comes back to path.
func signInURL(path string) string {
	return "/auth/sign_in?" + url.Values{"return_to": {path}}.Encode()
}

// requireSession returns the request's session; when there is none it
// sends the browser to sign in (and back) and returns nil.
func (h *handler) requireSession(w http.ResponseWriter, r *http.Request) *social.BrowserSession {
	sess, err := h.browserSession(r)
	if err != nil {
		h.signInFailed(w, r, "read session", err)
		return nil
	}
	if sess == nil {
		// After a post, back to the form's page (GET of the same path).
		http.Redirect(w, r, signInURL(r.URL.EscapedPath()), http.StatusSeeOther)
		return nil
	}
	return sess
}

// signInShow is GET /auth/sign_in.
func (h *handler) signInShow(w http.ResponseWriter, r *http.Request) {
	back := returnTo(r.URL.Query().Get("return_to"))
	sess, err := h.browserSession(r)
	if err != nil {
		h.signInFailed(w, r, "sign in: read session", err)
		return
	}
	if sess != nil {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	h.showSignInPage(w, r, http.StatusOK, map[string]any{"ReturnTo": back})
}

// signInCheck is POST /auth/sign_in: the password, then the session or the
// second step.
func (h *handler) signInCheck(w http.ResponseWriter, r *http.Request) {
	form, ok := h.signInPageForm(w, r)
	if !ok {
		return
	}
	login := strings.TrimSpace(form.Get("username"))
	data := map[string]any{"ReturnTo": returnTo(form.Get("return_to")), "Username": login}
	sess, err := h.social.SignIn(r.Context(), login, form.Get("password"), r.UserAgent())
	var pending *social.PendingSignIn
	switch {
	case err == nil:
	case errors.As(err, &pending) && pending.Setup:
		// Setting up an authenticator takes the QR-code steps the app
		// sign-in pages have; send staff there once.
		h.render(w, r, http.StatusForbidden, "sign_in", map[string]any{
			"Problem": "Your account must set up two-factor sign-in first. Sign in once from a Mastodon app, which walks you through it; then sign in here.",
		})
		return
	case errors.As(err, &pending):
		data["Pending"] = pending.Token
		h.showSignInPage(w, r, http.StatusOK, data)
		return
	default:
		data["Error"] = signInProblem(err, h.social.Domain())
		if data["Error"] == "" {
			h.signInFailed(w, r, "sign in", err)
			return
		}
		h.showSignInPage(w, r, signInStatus(err), data)
		return
	}
	h.startSession(w, r, sess)
	http.Redirect(w, r, returnTo(form.Get("return_to")), http.StatusSeeOther)
}

// signInTwoFactor is POST /auth/two_factor: the code of a pending sign-in.
func (h *handler) signInTwoFactor(w http.ResponseWriter, r *http.Request) {
	form, ok := h.signInPageForm(w, r)
	if !ok {
		return
	}
	back := returnTo(form.Get("return_to"))
	pending := form.Get("pending")
	code := form.Get("code")
	if strings.TrimSpace(code) == "" {
		code = form.Get("recovery_code")
	}
	sess, err := h.social.CompleteSignIn(r.Context(), pending, code, r.UserAgent())
	switch {
	case err == nil:
	case errors.Is(err, social.ErrBadSecondFactor):
		h.showSignInPage(w, r, http.StatusUnauthorized, map[string]any{
			"ReturnTo": back, "Pending": pending, "Username": strings.TrimSpace(form.Get("username")),
			"Error": "That code is not right, or it was already used. Enter the newest code from your authenticator app, or a recovery code.",
		})
		return
	case errors.Is(err, social.ErrTooManySecondFactorAttempts):
		h.showSignInPage(w, r, http.StatusUnauthorized, map[string]any{"ReturnTo": back, "Error": "Too many wrong codes. Sign in again with your password."})
		return
	case errors.Is(err, social.ErrSignInExpired):
		h.showSignInPage(w, r, http.StatusUnauthorized, map[string]any{"ReturnTo": back, "Error": "This sign-in took too long or is already finished. Sign in again."})
		return
	default:
		msg := signInProblem(err, h.social.Domain())
		if msg == "" {
			h.signInFailed(w, r, "sign in: second factor", err)
			return
		}
		h.showSignInPage(w, r, signInStatus(err), map[string]any{"ReturnTo": back, "Error": msg})
		return
	}
	h.startSession(w, r, sess)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// signOut is POST /auth/sign_out.
func (h *handler) signOut(w http.ResponseWriter, r *http.Request) {
	sess, err := h.browserSession(r)
	if err != nil {
		h.signInFailed(w, r, "sign out: read session", err)
		return
	}
	if sess != nil {
		if err := r.ParseForm(); err != nil || !sess.CheckCSRF(r.PostForm.Get("csrf_token")) {
			h.render(w, r, http.StatusForbidden, "sign_in", map[string]any{"Problem": "This form expired or did not come from this server. Go back, reload the page and try again."})
			return
		}
		c, _ := r.Cookie(sessionCookie)
		if err := h.social.EndSession(r.Context(), c.Value); err != nil {
			h.signInFailed(w, r, "sign out", err)
			return
		}
	}
	h.setCookie(w, sessionCookie, "", "/", -1)
	http.Redirect(w, r, "/auth/sign_in", http.StatusSeeOther)
}

// signInPageForm reads a posted sign-in form and checks its form token;
// when the form cannot be used it answers and returns false.
func (h *handler) signInPageForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "sign_in", map[string]any{"Problem": "The form could not be read; go back and try again."})
		return nil, false
	}
	ok, err := h.checkFormToken(r)
	if err != nil {
		h.signInFailed(w, r, "sign in: check form token", err)
		return nil, false
	}
	if !ok {
		h.showSignInPage(w, r, http.StatusForbidden, map[string]any{
			"ReturnTo": returnTo(r.PostForm.Get("return_to")),
			"Username": strings.TrimSpace(r.PostForm.Get("username")),
			"Error":    "This form expired or did not come from this server. Sign in again.",
		})
		return nil, false
	}
	return r.PostForm, true
}

// signInProblem words the errors SignIn and CompleteSignIn return for a
// person who may not sign in; "" for anything else.
func signInProblem(err error, domain string) string {
	switch {
	case errors.Is(err, social.ErrBadCredentials):
		return "Wrong username or password."
	case errors.Is(err, social.ErrLoginDisabled):
		return "This account is suspended. Ask an admin of " + domain + " for help."
	case errors.Is(err, social.ErrEmailUnconfirmed):
		return "Confirm your email address first: follow the link in the email we sent you."
	case errors.Is(err, social.ErrLoginPending):
		return "This account is waiting for an admin's approval."
	}
	return ""
}

func signInStatus(err error) int {
	if errors.Is(err, social.ErrBadCredentials) {
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

// showSignInPage shows the password form, or the code form when data
// carries a pending sign-in, with the form token.
func (h *handler) showSignInPage(w http.ResponseWriter, r *http.Request, status int, data map[string]any) {
	token, err := h.formToken(w, r)
	if err != nil {
		h.signInFailed(w, r, "sign in: form token", err)
		return
	}
	data["Form"] = true
	data["CSRF"] = token
	h.render(w, r, status, "sign_in", data)
}

func (h *handler) signInFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.Error(what, "error", err)
	h.render(w, r, http.StatusInternalServerError, "sign_in", map[string]any{"Problem": "Something went wrong on our side; try again."})
}
