package ui

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"rounds/social"
)

// The two-factor settings: GET /settings/two_factor says whether sign-in
// asks for a code; POST .../begin makes a new key and shows its QR code
// (served by /oauth/two_factor/qr/{token}), POST .../confirm turns it on
// with a code from the app and shows the recovery codes once, and POST
// .../disable turns it off given the password.

// twoFactorSettingsShow is GET /settings/two_factor.
func (h *handler) twoFactorSettingsShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	h.showTwoFactorSettings(w, r, sess, http.StatusOK, map[string]any{})
}

func (h *handler) showTwoFactorSettings(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, status int, data map[string]any) {
	on, err := h.social.TwoFactorEnabled(r.Context(), sess.User)
	if err != nil {
		h.log.Error("two-factor settings", "user_id", sess.User.ID, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
		return
	}
	data["On"] = on
	h.renderMe(w, r, sess, status, "settings_two_factor", data)
}

// twoFactorSettingsBegin is POST /settings/two_factor/begin.
func (h *handler) twoFactorSettingsBegin(w http.ResponseWriter, r *http.Request) {
	sess, _ := h.postedForm(w, r)
	if sess == nil {
		return
	}
	setup, err := h.social.BeginTwoFactor(r.Context(), sess.User)
	switch {
	case err == nil:
		h.showTwoFactorSettings(w, r, sess, http.StatusOK, map[string]any{"Setup": setup, "SetupURI": otpURI(setup.URI)})
	case errors.Is(err, social.ErrConflict):
		h.showTwoFactorSettings(w, r, sess, http.StatusConflict, map[string]any{"Error": "Two-factor sign-in is already on. Turn it off first to use a new phone or app."})
	default:
		h.log.Error("begin two-factor", "user_id", sess.User.ID, "error", err)
		h.showTwoFactorSettings(w, r, sess, http.StatusInternalServerError, map[string]any{"Error": "Something went wrong on our side; try again."})
	}
}

// twoFactorSettingsConfirm is POST /settings/two_factor/confirm.
func (h *handler) twoFactorSettingsConfirm(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	codes, err := h.social.ConfirmTwoFactor(r.Context(), sess.User, f.Get("code"))
	var ve *social.ValidationError
	switch {
	case err == nil:
		h.showTwoFactorSettings(w, r, sess, http.StatusOK, map[string]any{"RecoveryCodes": codes})
	case errors.Is(err, social.ErrBadSecondFactor):
		// The key stays the same: show the same QR code and key again.
		setup := &social.TwoFactorSetup{Secret: f.Get("secret"), URI: f.Get("uri"), QRToken: f.Get("qr_token")}
		h.showTwoFactorSettings(w, r, sess, http.StatusUnprocessableEntity, map[string]any{
			"Setup": setup, "SetupURI": otpURI(setup.URI),
			"Error": "That code is not right. Enter the newest 6-digit code your authenticator app shows.",
		})
	case errors.Is(err, social.ErrConflict):
		h.showTwoFactorSettings(w, r, sess, http.StatusConflict, map[string]any{"Error": "Two-factor sign-in is already on."})
	case errors.As(err, &ve):
		h.showTwoFactorSettings(w, r, sess, http.StatusUnprocessableEntity, map[string]any{"Error": "Set up two-factor sign-in first: choose Set up, then scan the QR code."})
	default:
		h.log.Error("confirm two-factor", "user_id", sess.User.ID, "error", err)
		h.showTwoFactorSettings(w, r, sess, http.StatusInternalServerError, map[string]any{"Error": "Something went wrong on our side; try again."})
	}
}

// twoFactorSettingsDisable is POST /settings/two_factor/disable.
func (h *handler) twoFactorSettingsDisable(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	err := h.social.DisableTwoFactor(r.Context(), sess.User, f.Get("password"))
	var ve *social.ValidationError
	switch {
	case err == nil:
		h.showTwoFactorSettings(w, r, sess, http.StatusOK, map[string]any{"Notice": "Two-factor sign-in is off. You sign in with your password alone."})
	case errors.Is(err, social.ErrBadCredentials):
		h.showTwoFactorSettings(w, r, sess, http.StatusUnprocessableEntity, map[string]any{"Error": "Your password is not right; two-factor sign-in is still on."})
	case errors.As(err, &ve):
		h.showTwoFactorSettings(w, r, sess, http.StatusUnprocessableEntity, map[string]any{"Error": capitalize(ve.Error()) + "."})
	default:
		h.log.Error("disable two-factor", "user_id", sess.User.ID, "error", err)
		h.showTwoFactorSettings(w, r, sess, http.StatusInternalServerError, map[string]any{"Error": "Something went wrong on our side; try again."})
	}
}

// otpURI lets an otpauth: link through html/template, which allows only
// web schemes by itself; anything else becomes no link.
func otpURI(uri string) template.URL {
	if !strings.HasPrefix(uri, "otpauth://totp/") || strings.ContainsAny(uri, "\"<> ") {
		return ""
	}
	return template.URL(uri) // #nosec G203 -- an otpauth URI, checked above
}
