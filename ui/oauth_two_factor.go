package ui

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// The second step of signing in on the OAuth pages: a person whose
// password was right enters a code from their authenticator app or a
// recovery code (POST /oauth/two_factor); staff whom the server requires to
// use one and who have none set it up first (POST /oauth/two_factor/setup)
// and see their recovery codes once. The forms carry the authorization
// request, the sign-in form token and the pending sign-in's token, never the
// password.

// oauthTwoFactor is POST /oauth/two_factor: the code of a pending sign-in.
func (h *handler) oauthTwoFactor(w http.ResponseWriter, r *http.Request) {
	form, auth, ok := h.signInForm(w, r)
	if !ok {
		return
	}
	pending := form.Get("pending")
	code := form.Get("code")
	if strings.TrimSpace(code) == "" {
		code = form.Get("recovery_code")
	}
	sess, err := h.social.CompleteSignIn(r.Context(), pending, code, r.UserAgent())
	switch {
	case err == nil:
	case errors.Is(err, social.ErrBadSecondFactor):
		h.showTwoFactor(w, r, auth, form, pending, "That code is not right, or it was already used. Enter the newest code from your authenticator app, or a recovery code.", http.StatusUnauthorized)
		return
	default:
		h.secondStepFailed(w, r, auth, form, err)
		return
	}
	h.startSession(w, r, sess)
	http.Redirect(w, r, authorizeURL(form, false), http.StatusSeeOther)
}

// oauthTwoFactorSetup is POST /oauth/two_factor/setup: the first code from
// the authenticator app of a staff member setting up two-factor sign-in.
// It starts the session and shows the recovery codes, once.
func (h *handler) oauthTwoFactorSetup(w http.ResponseWriter, r *http.Request) {
	form, auth, ok := h.signInForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	pending := form.Get("pending")
	sess, codes, err := h.social.CompleteSignInSetup(ctx, pending, form.Get("code"), r.UserAgent())
	switch {
	case err == nil:
	case errors.Is(err, social.ErrBadSecondFactor):
		setup, err := h.social.PendingTwoFactorSetup(ctx, pending)
		if err != nil {
			h.secondStepFailed(w, r, auth, form, err)
			return
		}
		h.showTwoFactorSetup(w, r, auth, form, pending, setup, "That code is not right. Check that the app shows an account for "+h.social.Domain()+" and enter the code it shows now.", http.StatusUnauthorized)
		return
	default:
		h.secondStepFailed(w, r, auth, form, err)
		return
	}
	h.startSession(w, r, sess)
	h.render(w, r, http.StatusOK, "two_factor_recovery", map[string]any{
		"App":         auth.App.Name,
		"Codes":       codes,
		"ContinueURL": authorizeURL(form, false),
	})
}

// secondStepFailed answers a second step that cannot go on: mostly by
// asking for the password again.
func (h *handler) secondStepFailed(w http.ResponseWriter, r *http.Request, auth *social.Authorization, form url.Values, err error) {
	login := strings.TrimSpace(form.Get("username"))
	var ve *social.ValidationError
	switch {
	case errors.Is(err, social.ErrTooManySecondFactorAttempts):
		h.showSignIn(w, r, auth, form, login, "Too many wrong codes. Sign in again with your password.", http.StatusUnauthorized)
	case errors.Is(err, social.ErrSignInExpired):
		h.showSignIn(w, r, auth, form, login, "This sign-in took too long or is already finished. Sign in again.", http.StatusUnauthorized)
	case errors.Is(err, social.ErrLoginDisabled):
		h.showSignIn(w, r, auth, form, login, "This account is suspended. Ask an admin of "+h.social.Domain()+" for help.", http.StatusForbidden)
	case errors.Is(err, social.ErrEmailUnconfirmed):
		h.showSignIn(w, r, auth, form, login, "Confirm your email address first: follow the link in the email we sent you.", http.StatusForbidden)
	case errors.Is(err, social.ErrLoginPending):
		h.showSignIn(w, r, auth, form, login, "This account is waiting for an admin's approval.", http.StatusForbidden)
	case errors.Is(err, social.ErrConflict), errors.As(err, &ve):
		// Set up in another tab, or reset by an admin, meanwhile.
		h.showSignIn(w, r, auth, form, login, "Your two-factor sign-in changed while this page was open. Sign in again.", http.StatusConflict)
	default:
		h.oauthPageFailed(w, r, "sign in: second factor", err)
	}
}

// showTwoFactor asks for the code of a pending sign-in.
func (h *handler) showTwoFactor(w http.ResponseWriter, r *http.Request, auth *social.Authorization, v url.Values, pending, problem string, status int) {
	token, err := h.signInFormToken(w, r)
	if err != nil {
		h.oauthPageFailed(w, r, "sign in: form token", err)
		return
	}
	h.render(w, r, status, "oauth_two_factor", map[string]any{
		"App":      auth.App.Name,
		"Hidden":   carried(v),
		"CSRF":     token,
		"Pending":  pending,
		"Username": strings.TrimSpace(v.Get("username")),
		"Error":    problem,
	})
}

// showTwoFactorSetup shows a new two-factor secret and asks for its first
// code.
func (h *handler) showTwoFactorSetup(w http.ResponseWriter, r *http.Request, auth *social.Authorization, v url.Values, pending string, setup *social.TwoFactorSetup, problem string, status int) {
	token, err := h.signInFormToken(w, r)
	if err != nil {
		h.oauthPageFailed(w, r, "sign in: form token", err)
		return
	}
	h.render(w, r, status, "two_factor_setup", map[string]any{
		"App":           auth.App.Name,
		"Hidden":        carried(v),
		"CSRF":          token,
		"Pending":       pending,
		"Username":      strings.TrimSpace(v.Get("username")),
		"GroupedSecret": setup.GroupedSecret(),
		// The URI is made by social from a base32 secret and the domain;
		// html/template would otherwise refuse its otpauth: scheme.
		"URI":     template.URL(setup.URI),
		"QRToken": setup.QRToken,
		"Error":   problem,
	})
}

// twoFactorQR is GET /oauth/two_factor/qr/{token}: the QR code of a
// two-factor setup, as a PNG, while the setup lasts.
func (h *handler) twoFactorQR(w http.ResponseWriter, r *http.Request) {
	img, err := h.social.TwoFactorQRCode(r.Context(), chi.URLParam(r, "token"))
	if errors.Is(err, social.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.log.Error("two-factor QR code", "error", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(img)
}
