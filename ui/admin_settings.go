package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"rounds/social"
	"rounds/storage"
)

// adminSettings is GET /admin/settings: registration mode, the
// patient-identifier guard, staff two-factor sign-in and the send delay.
func (h *handler) adminSettings(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermManageSettings)
	if sess == nil {
		return
	}
	st, err := h.social.Settings(r.Context())
	if err != nil {
		h.adminFailed(w, r, "admin settings", err)
		return
	}
	delay := social.DefaultSendDelay
	if st.SendDelay != nil {
		delay = time.Duration(*st.SendDelay)
	}
	docs := map[string]string{}
	var terms []*storage.InstanceDocument
	for _, kind := range social.InstanceDocumentKinds {
		versions, err := h.social.InstanceDocumentSources(r.Context(), social.StaffActor(sess.User), kind)
		if err != nil {
			h.adminFailed(w, r, "admin settings", err)
			return
		}
		if kind == social.DocTermsOfService {
			terms = versions
		}
		if len(versions) > 0 {
			docs[kind] = versions[len(versions)-1].Body
		}
	}
	h.renderAdmin(w, r, sess, "admin_settings", "/admin/settings", map[string]any{
		"Settings": st, "SendDelay": delay.String(), "Rules": strings.Join(st.ServerRules(), "\n"),
		"ToneHoldDelay": st.HoldDelay().String(), "ToneFlagWords": strings.Join(st.ToneFlagWords, "\n"),
		"ToneAllowWords": strings.Join(st.ToneAllowWords, "\n"), "Documents": docs, "Terms": terms, "Today": time.Now().UTC().Format(time.DateOnly),
	})
}

// adminSettingsSave is POST /admin/settings.
func (h *handler) adminSettingsSave(w http.ResponseWriter, r *http.Request) {
	sess, form := h.postedForm(w, r)
	if sess == nil {
		return
	}
	delay, err := time.ParseDuration(form.Get("send_delay"))
	if err != nil {
		h.adminFailed(w, r, "admin: settings", &social.ValidationError{Field: "send delay", Reason: `must be a duration such as "30s" or "2m"`})
		return
	}
	tone, err := toneSettingsForm(form)
	if err != nil {
		h.adminFailed(w, r, "admin: settings", err)
		return
	}
	_, err = h.social.UpdateSettings(r.Context(), social.StaffActor(sess.User), func(st *social.Settings) {
		tone(&st.ToneSettings)
		st.RegistrationsMode = form.Get("registrations_mode")
		st.GuardPolicy = form.Get("guard_policy")
		st.RequireStaffTwoFactor = form.Get("require_staff_two_factor") == "1"
		if form.Has("question_tag") {
			st.QuestionTag = form.Get("question_tag")
		}
		d := social.Duration(delay)
		st.SendDelay = &d
		var rules []string
		for _, line := range strings.Split(form.Get("rules"), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				rules = append(rules, line)
			}
		}
		st.Rules = rules
		if len(rules) == 0 {
			st.Rules = nil // back to the defaults
		}
	})
	if err != nil {
		h.adminFailed(w, r, "admin: settings", err)
		return
	}
	redirectDone(w, r, "/admin/settings", "settings")
}

// adminDocumentSave is POST /admin/settings/documents: the extended
// description, privacy policy or a version of the terms of service, in
// Markdown.
func (h *handler) adminDocumentSave(r *http.Request, actor social.Actor, form url.Values) error {
	kind := form.Get("kind")
	var date string
	if kind == social.DocTermsOfService {
		date = form.Get("effective_date")
	}
	return h.social.SetInstanceDocument(r.Context(), actor, kind, strings.ReplaceAll(form.Get("text"), "\r\n", "\n"), date)
}
