package ui

import (
	"net/url"
	"strings"
	"time"

	"rounds/social"
)

// toneSettingsForm reads the tone check's fields of the admin settings
// form into a change of the settings; a field the form lacks is left as it
// is.
func toneSettingsForm(form url.Values) (func(*social.ToneSettings), error) {
	var hold *social.Duration
	if v := strings.TrimSpace(form.Get("tone_hold_delay")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, &social.ValidationError{Field: "tone hold delay", Reason: `must be a duration such as "15m"`}
		}
		sd := social.Duration(d)
		hold = &sd
	}
	words := func(key string) []string {
		var out []string
		for _, w := range strings.Split(form.Get(key), "\n") {
			if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
				out = append(out, w)
			}
		}
		return out
	}
	return func(t *social.ToneSettings) {
		if form.Has("tone_policy") {
			t.TonePolicy = form.Get("tone_policy")
		}
		if hold != nil {
			t.ToneHoldDelay = hold
		}
		if form.Has("tone_flag_words") {
			t.ToneFlagWords = words("tone_flag_words")
		}
		if form.Has("tone_allow_words") {
			t.ToneAllowWords = words("tone_allow_words")
		}
	}, nil
}
