package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"rounds/social"
)

// The sending settings: GET/POST /settings/sending set how long one's
// posts wait (seen only by oneself, to undo) before they leave, and quiet
// hours with a longer wait, through social.SetSendPreferences.

// sendingForm is what the form shows and was sent; delays in seconds, ""
// for the server's default.
type sendingForm struct {
	Delay                string
	QuietStart, QuietEnd string
	QuietDelay, TimeZone string
}

// delayChoices are the waits offered, in seconds.
var delayChoices = []struct {
	Seconds int
	Label   string
}{{0, "No wait"}, {15, "15 seconds"}, {30, "30 seconds"}, {60, "1 minute"}, {120, "2 minutes"}, {300, "5 minutes"}, {600, "10 minutes"}, {900, "15 minutes"}}

func seconds(d social.Duration) string { return strconv.Itoa(int(time.Duration(d) / time.Second)) }

// sendingSettingsShow is GET /settings/sending.
func (h *handler) sendingSettingsShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	p := h.social.SendPreferences(sess.User)
	form := sendingForm{QuietStart: p.QuietStart, QuietEnd: p.QuietEnd, QuietDelay: seconds(p.QuietDelay), TimeZone: p.TimeZone}
	if p.Delay != nil {
		form.Delay = seconds(*p.Delay)
	}
	data := map[string]any{"Form": form}
	if r.URL.Query().Get("saved") != "" {
		data["Notice"] = "Saved. Your next post waits as you chose."
	}
	h.showSending(w, r, sess, http.StatusOK, data)
}

// sendingSettingsSave is POST /settings/sending.
func (h *handler) sendingSettingsSave(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	form := sendingForm{
		Delay: f.Get("delay"), QuietStart: strings.TrimSpace(f.Get("quiet_start")), QuietEnd: strings.TrimSpace(f.Get("quiet_end")),
		QuietDelay: f.Get("quiet_delay"), TimeZone: strings.TrimSpace(f.Get("time_zone")),
	}
	var p social.SendPreferences
	if form.Delay != "" {
		n, err := strconv.Atoi(form.Delay)
		if err != nil {
			h.showSending(w, r, sess, http.StatusUnprocessableEntity, map[string]any{"Form": form, "Error": "Choose how long your posts wait."})
			return
		}
		d := social.Duration(time.Duration(n) * time.Second)
		p.Delay = &d
	}
	if form.QuietStart != "" || form.QuietEnd != "" {
		n, _ := strconv.Atoi(form.QuietDelay)
		p.QuietStart, p.QuietEnd, p.TimeZone = form.QuietStart, form.QuietEnd, form.TimeZone
		p.QuietDelay = social.Duration(time.Duration(n) * time.Second)
	}
	err := h.social.SetSendPreferences(r.Context(), sess.User, p)
	var ve *social.ValidationError
	switch {
	case err == nil:
		http.Redirect(w, r, "/settings/sending?saved=1", http.StatusSeeOther)
	case errors.As(err, &ve):
		msg := map[string]string{
			"delay": "The wait must be between none and 15 minutes.", "quiet_delay": "The quiet-hours wait must be between none and 15 minutes.",
			"quiet_start": "Give the start of your quiet hours as a time such as 22:00.", "quiet_end": "Give the end of your quiet hours as a time such as 07:00.",
			"time_zone": "Give a time zone such as Europe/Dublin.",
		}[ve.Field]
		if msg == "" {
			msg = validationSentence(ve)
		}
		h.showSending(w, r, sess, http.StatusUnprocessableEntity, map[string]any{"Form": form, "Error": msg})
	default:
		h.log.Error("sending settings", "user_id", sess.User.ID, "error", err)
		h.showSending(w, r, sess, http.StatusInternalServerError, map[string]any{"Form": form, "Error": "Something went wrong on our side; nothing was changed. Try again."})
	}
}

func (h *handler) showSending(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, status int, data map[string]any) {
	def := social.DefaultSendDelay
	if st, err := h.social.Settings(r.Context()); err == nil && st.SendDelay != nil {
		def = time.Duration(*st.SendDelay)
	}
	data["ServerDefault"] = timeLeft(def)
	data["Choices"] = delayChoices
	h.renderMe(w, r, sess, status, "settings_sending", data)
}
