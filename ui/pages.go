package ui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

// The web pages come in three groups, each registering its own routes:
// public pages anyone may read (public.go), a signed-in clinician's pages
// (me.go: home, notifications, compose, settings) and the staff pages
// (admin.go). They share the plumbing below: the session of the person
// looking, a CSRF check on every form, and a staff check.

// pageRoutes mounts the three groups.
func (h *handler) pageRoutes(r chi.Router) {
	h.publicRoutes(r)
	h.blogRoutes(r)
	h.meRoutes(r)
	h.adminPageRoutes(r)
	h.adminTrendRoutes(r)
	h.voiceRoutes(r) // questions.go, guidance.go
}

// maxFormBytes bounds a posted form with its files (an image and a few
// fields; the HTTP layer caps other bodies at 1 MiB).
const maxFormBytes = 20 << 20

// postedForm reads a form posted by a signed-in person and checks its CSRF
// token (the field csrf_token, which every session page's form carries as
// .CSRF). It answers itself and returns nil when there is no session (to
// sign in), the form cannot be read (400) or the token is missing or wrong
// (403). Multipart forms (with files) are read too.
func (h *handler) postedForm(w http.ResponseWriter, r *http.Request) (*social.BrowserSession, url.Values) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return nil, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	var err error
	if ct := r.Header.Get("Content-Type"); len(ct) >= 19 && ct[:19] == "multipart/form-data" {
		err = r.ParseMultipartForm(8 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.problem(w, r, http.StatusRequestEntityTooLarge, "That was too large to send (at most 20 MB with files).")
			return nil, nil
		}
		h.problem(w, r, http.StatusBadRequest, "The form could not be read; go back and try again.")
		return nil, nil
	}
	if !sess.CheckCSRF(r.PostForm.Get("csrf_token")) {
		h.problem(w, r, http.StatusForbidden, "This form expired or did not come from this server. Go back, reload the page and try again.")
		return nil, nil
	}
	return sess, r.PostForm
}

// staffSession returns the session of a signed-in person whose role allows
// p; otherwise it answers (sign in, or 403) and returns nil.
func (h *handler) staffSession(w http.ResponseWriter, r *http.Request, p social.Permission) *social.BrowserSession {
	sess := h.requireSession(w, r)
	if sess == nil {
		return nil
	}
	if !social.StaffActor(sess.User).Can(p) {
		h.problem(w, r, http.StatusForbidden, "Your role on this server does not allow this page.")
		return nil
	}
	return sess
}

// problem shows a page that says what went wrong, with status.
func (h *handler) problem(w http.ResponseWriter, r *http.Request, status int, message string) {
	h.render(w, r, status, "problem", map[string]any{"Problem": message})
}
