package ui

import (
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"rounds/social"
	"rounds/storage"
)

// The profile settings: GET/POST /settings/profile changes the display
// name, bio, the four profile fields, "Views: my own", whether follows need
// approval (locked), whether the profile is suggested to others
// (discoverable) and whether search finds its public posts (indexable),
// through social.UpdateProfile as the app API does.

// profileForm is what the profile form shows and was sent.
type profileForm struct {
	DisplayName, Note    string
	Fields               []social.ProfileField // the person's own, MaxFields of them
	Verified             []social.ProfileField // added by the admins, shown only
	Locked, Discoverable bool
	Indexable            bool
	ViewsMyOwn           bool
}

// fieldRow is one label/content pair of the form, numbered from 1.
type fieldRow struct {
	N           int
	Name, Value string
}

// FieldRows are the person's own fields, numbered for the form.
func (f profileForm) FieldRows() []fieldRow {
	rows := make([]fieldRow, len(f.Fields))
	for i, fl := range f.Fields {
		rows[i] = fieldRow{N: i + 1, Name: fl.Name, Value: fl.Value}
	}
	return rows
}

func profileFormOf(a *storage.Account) profileForm {
	f := profileForm{DisplayName: a.DisplayName, Note: htmlToText(a.Note), Locked: a.Locked, Discoverable: a.Discoverable, Indexable: a.Indexable}
	var fields []social.ProfileField
	_ = json.Unmarshal([]byte(a.Fields), &fields)
	for _, fl := range fields {
		switch {
		case fl.VerifiedAt != nil:
			fl.Value = htmlToText(fl.Value)
			f.Verified = append(f.Verified, fl)
		case fl.Name == social.ViewsFieldName && fl.Value == social.ViewsFieldValue:
			f.ViewsMyOwn = true
		default:
			fl.Value = htmlToText(fl.Value)
			f.Fields = append(f.Fields, fl)
		}
	}
	for len(f.Fields) < social.MaxFields {
		f.Fields = append(f.Fields, social.ProfileField{})
	}
	return f
}

var (
	noteBreakRE = regexp.MustCompile(`(?i)<br\s*/?>`)
	noteParaRE  = regexp.MustCompile(`(?i)</p>\s*<p>`)
	noteTagRE   = regexp.MustCompile(`<[^>]*>`)
)

// htmlToText turns stored local HTML (escaped text in paragraphs, with
// line breaks) back into the text its author typed.
func htmlToText(s string) string {
	s = noteParaRE.ReplaceAllString(s, "\n\n")
	s = noteBreakRE.ReplaceAllString(s, "\n")
	return strings.TrimSpace(html.UnescapeString(noteTagRE.ReplaceAllString(s, "")))
}

// profileSettingsShow is GET /settings/profile.
func (h *handler) profileSettingsShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	data := map[string]any{"Form": profileFormOf(sess.User.Account)}
	data["Avatar"], data["Header"] = sess.User.Account.AvatarURL, sess.User.Account.HeaderURL
	if r.URL.Query().Get("saved") != "" {
		data["Notice"] = "Your profile is saved. Servers that follow you are told of the change."
	}
	h.renderMe(w, r, sess, http.StatusOK, "settings_profile", data)
}

// profileSettingsSave is POST /settings/profile.
func (h *handler) profileSettingsSave(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	me := sess.User.Account
	name, note := f.Get("display_name"), f.Get("note")
	locked, discoverable, views := f.Get("locked") != "", f.Get("discoverable") != "", f.Get("views_my_own") != ""
	indexable := f.Get("indexable") != ""
	names, values := f["field_name"], f["field_value"]
	var fields []social.ProfileField
	for i := range names {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		fields = append(fields, social.ProfileField{Name: names[i], Value: v})
	}
	_, err := h.social.UpdateProfile(r.Context(), me, social.ProfileUpdate{
		DisplayName: &name, Note: &note, Locked: &locked, Discoverable: &discoverable,
		Indexable: &indexable, Fields: &fields, ViewsMyOwn: &views,
	})
	if err == nil {
		err = h.saveProfileImages(r, me, f)
	}
	if err == nil {
		http.Redirect(w, r, "/settings/profile?saved=1", http.StatusSeeOther)
		return
	}
	form := profileFormOf(me)
	form.DisplayName, form.Note, form.Locked, form.Discoverable, form.ViewsMyOwn = name, note, locked, discoverable, views
	form.Indexable = indexable
	form.Fields = fields
	for len(form.Fields) < social.MaxFields {
		form.Fields = append(form.Fields, social.ProfileField{})
	}
	var ve *social.ValidationError
	if !errors.As(err, &ve) {
		h.log.Error("profile settings", "account_id", me.ID, "error", err)
		h.renderMe(w, r, sess, http.StatusInternalServerError, "settings_profile", map[string]any{"Form": form, "Avatar": me.AvatarURL, "Header": me.HeaderURL, "Error": "Something went wrong on our side; the profile was not saved (or only in part). Try again."})
		return
	}
	h.renderMe(w, r, sess, http.StatusUnprocessableEntity, "settings_profile", map[string]any{"Form": form, "Avatar": me.AvatarURL, "Header": me.HeaderURL, "Error": validationSentence(ve)})
}

// saveProfileImages sets or removes the avatar and header the form sent.
func (h *handler) saveProfileImages(r *http.Request, me *storage.Account, f url.Values) error {
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	for _, which := range []string{social.ProfileAvatar, social.ProfileHeader} {
		if file, _, err := r.FormFile(which); err == nil {
			_, err = h.social.SetProfileImage(r.Context(), me, which, file)
			file.Close()
			if err != nil {
				var ve *social.ValidationError
				if errors.As(err, &ve) {
					return &social.ValidationError{Field: which, Reason: ve.Reason}
				}
				return err
			}
		} else if f.Get("remove_"+which) != "" {
			if _, err := h.social.SetProfileImage(r.Context(), me, which, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// validationSentence words a refused field as a sentence.
func validationSentence(ve *social.ValidationError) string {
	field := strings.ReplaceAll(strings.TrimSuffix(ve.Field, "_attributes"), "_", " ")
	switch ve.Field {
	case "display_name":
		field = "The display name"
	case "note":
		field = "The bio"
	case "fields_attributes":
		field = "The profile fields"
	case "password":
		field = "The new password"
	case "avatar":
		field = "The avatar image"
	case "header":
		field = "The header image"
	case "":
		return capitalize(strings.TrimSuffix(ve.Reason, ".")) + "."
	}
	return capitalize(field) + " " + strings.TrimSuffix(ve.Reason, ".") + "."
}
