package ui

import (
	"errors"
	"net/http"

	"rounds/social"
)

// The password settings: GET/POST /settings/password change one's
// password, given the current one; one's other browser sessions end.

// passwordSettingsShow is GET /settings/password.
func (h *handler) passwordSettingsShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	data := map[string]any{"MinLength": social.MinPasswordLength}
	if r.URL.Query().Get("saved") != "" {
		data["Notice"] = "Your password is changed. You were signed out everywhere else."
	}
	h.renderMe(w, r, sess, http.StatusOK, "settings_password", data)
}

// passwordSettingsSave is POST /settings/password.
func (h *handler) passwordSettingsSave(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	fail := func(status int, msg string) {
		h.renderMe(w, r, sess, status, "settings_password", map[string]any{"MinLength": social.MinPasswordLength, "Error": msg})
	}
	if f.Get("new_password") != f.Get("confirm_password") {
		fail(http.StatusUnprocessableEntity, "The new password and its confirmation differ.")
		return
	}
	keep := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		keep = c.Value
	}
	err := h.social.ChangePassword(r.Context(), sess.User, f.Get("current_password"), f.Get("new_password"), keep)
	var ve *social.ValidationError
	switch {
	case err == nil:
		http.Redirect(w, r, "/settings/password?saved=1", http.StatusSeeOther)
	case errors.Is(err, social.ErrBadCredentials):
		fail(http.StatusUnprocessableEntity, "Your current password is not right.")
	case errors.As(err, &ve):
		fail(http.StatusUnprocessableEntity, validationSentence(ve))
	default:
		h.log.Error("change password", "user_id", sess.User.ID, "error", err)
		fail(http.StatusInternalServerError, "Something went wrong on our side; your password was not changed. Try again.")
	}
}
