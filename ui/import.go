package ui

import (
	"errors"
	"net/http"
	"strings"

	"rounds/social"
)

// The import page: GET /settings/import shows the form (which list, merge
// or overwrite, the file) and POST /settings/import takes a CSV file in
// Mastodon's format and says how many accounts were queued and which lines
// were not used.

// importForm is what the form shows and was sent.
type importForm struct {
	Type, Mode string
}

// importShow is GET /settings/import.
func (h *handler) importShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	h.showImport(w, r, sess, http.StatusOK, map[string]any{"Values": importForm{Type: social.ImportFollowing, Mode: social.ImportMerge}})
}

// importCheck is POST /settings/import.
func (h *handler) importCheck(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	// The form's fields and a file of at most MaxImportBytes, with room for
	// the multipart framing.
	r.Body = http.MaxBytesReader(w, r.Body, social.MaxImportBytes+64<<10)
	err := r.ParseMultipartForm(2 << 20)
	if errors.Is(err, http.ErrNotMultipart) {
		// A plain form has no file, but its token is checked first: a
		// forged post is refused as one.
		err = r.ParseForm()
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		msg := "The form could not be read; go back and try again."
		if errors.As(err, &tooLarge) {
			msg = "The file is larger than 1 MB. Split it into files of at most 2,000 lines."
		}
		h.showImport(w, r, sess, http.StatusBadRequest, map[string]any{"Error": msg, "Values": importForm{Type: social.ImportFollowing, Mode: social.ImportMerge}})
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	values := importForm{Type: r.PostForm.Get("type"), Mode: r.PostForm.Get("mode")}
	data := map[string]any{"Values": values}
	if !sess.CheckCSRF(r.PostForm.Get("csrf_token")) {
		data["Error"] = "This form expired or did not come from this server. Try again."
		h.showImport(w, r, sess, http.StatusForbidden, data)
		return
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		data["Error"] = "Choose the CSV file to import."
		h.showImport(w, r, sess, http.StatusUnprocessableEntity, data)
		return
	}
	defer file.Close()
	var ve *social.ValidationError
	if err := social.CheckImportFileName(values.Type, header.Filename); errors.As(err, &ve) {
		data["Error"] = importProblem(ve)
		h.showImport(w, r, sess, http.StatusUnprocessableEntity, data)
		return
	}
	res, err := h.social.Import(r.Context(), sess.User.Account, values.Type, values.Mode, file)
	data["Refused"] = res.Refused
	switch {
	case err == nil:
	case errors.As(err, &ve):
		data["Error"] = importProblem(ve)
		h.showImport(w, r, sess, http.StatusUnprocessableEntity, data)
		return
	default:
		h.log.Error("import", "account_id", sess.User.AccountID, "error", err)
		data["Error"] = "Something went wrong on our side; nothing was imported. Try again."
		h.showImport(w, r, sess, http.StatusInternalServerError, data)
		return
	}
	data["Result"] = res
	h.showImport(w, r, sess, http.StatusOK, data)
}

// importProblem words a refused upload as a sentence.
func importProblem(ve *social.ValidationError) string {
	switch ve.Field {
	case "file":
		return "The file " + strings.TrimSuffix(ve.Reason, ".") + "."
	case "type":
		return "Choose what the file holds: accounts to follow, block or mute."
	case "mode":
		return "Choose merge or overwrite."
	}
	return capitalize(strings.TrimSuffix(ve.Reason, ".")) + "."
}

// showImport renders the import page with the session's CSRF token.
func (h *handler) showImport(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, status int, data map[string]any) {
	data["CSRF"] = sess.CSRFToken
	data["Username"] = sess.User.Account.Username
	data["MaxRows"] = social.MaxImportRows
	h.render(w, r, status, "settings_import", data)
}
