package ui

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"

	"rounds/social"
)

// The sign-up pages: GET/POST /auth/sign_up applies in approval mode,
// GET/POST /invite/{code} signs up with an invite link, and
// GET /auth/confirmation/{token} confirms an email address. The forms
// carry a form token (NewFormToken), as nobody is signed in yet.

const (
	// formCookie holds the signed CSRF token of the forms shown before
	// sign-in on the sign-up and password pages.
	formCookie       = "rounds_form"
	formCookieMaxAge = 2 * time.Hour
)

// signUpLimiter allows 5 sign-ups (and password-reset emails) per 30
// minutes per address, as Mastodon does for sign-ups.
func signUpLimiter(h *handler) func(http.Handler) http.Handler {
	return httprate.Limit(5, 30*time.Minute,
		sharedCounter(h, "web-sign-up"),
		httprate.WithKeyFuncs(func(r *http.Request) (string, error) {
			return social.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For")), nil
		}),
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			h.render(w, r, http.StatusTooManyRequests, "register", map[string]any{
				"Problem": "Too many attempts from your network. Wait half an hour and try again.",
			})
		}),
	)
}

// formToken returns the form token to put in a form, reusing the one in
// the browser's cookie so that two open tabs both work.
func (h *handler) formToken(w http.ResponseWriter, r *http.Request) (string, error) {
	ctx := r.Context()
	if c, err := r.Cookie(formCookie); err == nil {
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
	h.setCookie(w, formCookie, cookie, "/", int(formCookieMaxAge.Seconds()))
	return t, nil
}

// checkFormToken reports whether a posted form came from one of our pages.
func (h *handler) checkFormToken(r *http.Request) (bool, error) {
	var cookie string
	if c, err := r.Cookie(formCookie); err == nil {
		cookie = c.Value
	}
	return h.social.CheckFormToken(r.Context(), cookie, r.PostForm.Get("csrf_token"))
}

// signUpForm is what the sign-up form shows.
type signUpForm struct {
	Username, Email, Reason string
	Agreement               bool
}

// signUpShow is GET /auth/sign_up: the application form in approval mode,
// or why there is none.
func (h *handler) signUpShow(w http.ResponseWriter, r *http.Request) {
	st, err := h.social.Settings(r.Context())
	if err != nil {
		h.registerFailed(w, r, "sign up: read settings", err)
		return
	}
	switch st.RegistrationsMode {
	case social.RegistrationsApproval:
		h.showSignUp(w, r, http.StatusOK, map[string]any{"Apply": true})
	case social.RegistrationsInvite:
		h.render(w, r, http.StatusOK, "register", map[string]any{"Problem": "This server takes new accounts by invite only. Ask its admins for an invite link."})
	default:
		h.render(w, r, http.StatusOK, "register", map[string]any{"Problem": "Registrations are closed on this server. Ask its admins for an account."})
	}
}

// signUpCheck is POST /auth/sign_up.
func (h *handler) signUpCheck(w http.ResponseWriter, r *http.Request) {
	h.register(w, r, "", map[string]any{"Apply": true})
}

// inviteShow is GET /invite/{code}: the sign-up form, while the invite
// works.
func (h *handler) inviteShow(w http.ResponseWriter, r *http.Request) {
	_, err := h.social.CheckInvite(r.Context(), chi.URLParam(r, "code"))
	if err != nil {
		h.inviteRefused(w, r, err)
		return
	}
	h.showSignUp(w, r, http.StatusOK, map[string]any{"Invite": true})
}

// inviteCheck is POST /invite/{code}.
func (h *handler) inviteCheck(w http.ResponseWriter, r *http.Request) {
	h.register(w, r, chi.URLParam(r, "code"), map[string]any{"Invite": true})
}

func (h *handler) inviteRefused(w http.ResponseWriter, r *http.Request, err error) {
	var re *social.RegistrationError
	switch {
	case errors.Is(err, social.ErrRegistrationsClosed):
		h.render(w, r, http.StatusForbidden, "register", map[string]any{"Problem": "Registrations are closed on this server, so this invite opens no account now. Ask its admins for help."})
	case errors.As(err, &re):
		h.render(w, r, http.StatusNotFound, "register", map[string]any{"Problem": "This invite " + re.Fields[0].Description + ". Ask the admins who sent it for a new one."})
	default:
		h.registerFailed(w, r, "invite: check", err)
	}
}

// showSignUp renders the sign-up form with a form token.
func (h *handler) showSignUp(w http.ResponseWriter, r *http.Request, status int, data map[string]any) {
	token, err := h.formToken(w, r)
	if err != nil {
		h.registerFailed(w, r, "sign up: form token", err)
		return
	}
	data["Form"] = true
	data["CSRF"] = token
	data["MinPassword"] = social.MinPasswordLength
	data["MailOn"] = h.social.MailConfigured()
	if _, ok := data["Values"]; !ok {
		data["Values"] = signUpForm{}
	}
	if _, ok := data["Errors"]; !ok {
		data["Errors"] = map[string]string{}
	}
	h.addGuidance(r.Context(), nil, data) // guidance.go
	h.render(w, r, status, "register", data)
}

// register reads the sign-up form and opens the account.
func (h *handler) register(w http.ResponseWriter, r *http.Request, inviteCode string, data map[string]any) {
	if err := r.ParseForm(); err != nil {
		h.render(w, r, http.StatusBadRequest, "register", map[string]any{"Problem": "The form could not be read; go back and try again."})
		return
	}
	f := r.PostForm
	values := signUpForm{
		Username:  strings.TrimSpace(f.Get("username")),
		Email:     strings.TrimSpace(f.Get("email")),
		Reason:    strings.TrimSpace(f.Get("reason")),
		Agreement: truthy(f.Get("agreement")),
	}
	data["Values"] = values
	ok, err := h.checkFormToken(r)
	if err != nil {
		h.registerFailed(w, r, "sign up: check form token", err)
		return
	}
	if !ok {
		data["Error"] = "This form expired or did not come from this server. Try again."
		h.showSignUp(w, r, http.StatusForbidden, data)
		return
	}
	if f.Get("password") != f.Get("password_confirmation") {
		data["Errors"] = map[string]string{"password_confirmation": "The two passwords are not the same."}
		h.showSignUp(w, r, http.StatusUnprocessableEntity, data)
		return
	}
	u, _, err := h.social.Register(r.Context(), nil, social.Registration{
		Username:   values.Username,
		Email:      values.Email,
		Password:   f.Get("password"),
		Reason:     values.Reason,
		InviteCode: inviteCode,
		Agreement:  values.Agreement,
		Address:    social.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For")),
	})
	var re *social.RegistrationError
	switch {
	case err == nil:
	case errors.As(err, &re):
		if inviteCode != "" && len(re.Fields) == 1 && re.Fields[0].Field == "invite_code" {
			h.inviteRefused(w, r, err)
			return
		}
		errs := map[string]string{}
		for _, fe := range re.Fields {
			if _, seen := errs[fe.Field]; !seen {
				errs[fe.Field] = capitalize(strings.ReplaceAll(fe.Field, "_", " ")) + " " + fe.Description + "."
			}
		}
		data["Errors"] = errs
		data["Error"] = "Some answers need another look."
		h.showSignUp(w, r, http.StatusUnprocessableEntity, data)
		return
	case errors.Is(err, social.ErrForbidden):
		h.render(w, r, http.StatusForbidden, "register", map[string]any{"Problem": capitalize(err.Error()) + "."})
		return
	default:
		h.registerFailed(w, r, "sign up", err)
		return
	}
	h.render(w, r, http.StatusOK, "register", map[string]any{
		"Done":     true,
		"Username": u.Account.Username,
		"Pending":  !u.Approved,
		"Confirm":  u.ConfirmationRequired,
		"Address":  values.Email,
	})
}

// confirmEmail is GET /auth/confirmation/{token}, the link the confirmation
// email carries.
func (h *handler) confirmEmail(w http.ResponseWriter, r *http.Request) {
	u, err := h.social.ConfirmEmail(r.Context(), chi.URLParam(r, "token"))
	switch {
	case errors.Is(err, social.ErrLinkInvalid):
		h.render(w, r, http.StatusNotFound, "register", map[string]any{"Problem": "This confirmation link has expired or was already used."})
	case err != nil:
		h.registerFailed(w, r, "confirm email", err)
	default:
		h.render(w, r, http.StatusOK, "register", map[string]any{"Confirmed": true, "Username": u.Account.Username, "Pending": !u.Approved})
	}
}

func (h *handler) registerFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.Error(what, "error", err)
	h.render(w, r, http.StatusInternalServerError, "register", map[string]any{"Problem": "Something went wrong on our side; try again."})
}
