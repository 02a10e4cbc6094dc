package ui

import (
	"net/http"
	"path/filepath"
	"regexp"

	"github.com/go-chi/chi/v5"
)

var mediaNameRE = regexp.MustCompile(`^[0-9]{1,20}\.(jpg|png|gif|webp)$`)

var mediaTypes = map[string]string{".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp"}

// media serves an uploaded image. Only names the server made are served,
// with the type it checked at upload, never sniffed.
func (h *handler) media(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if !mediaNameRE.MatchString(name) {
		h.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mediaTypes[filepath.Ext(name)])
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeFile(w, r, filepath.Join(h.social.MediaDir(), name))
}
