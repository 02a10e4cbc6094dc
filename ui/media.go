package ui

import (
	"errors"
	"net/http"
	"path/filepath"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

var mediaTypes = map[string]string{".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp"}

// media serves an uploaded image. Only names the server made are served
// (social.MediaFilePath says which), with the type it checked at upload,
// never sniffed.
func (h *handler) media(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	path, err := h.social.MediaFilePath(r.Context(), name)
	if errors.Is(err, social.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.log.Error("media file", "name", name, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
		return
	}
	w.Header().Set("Content-Type", mediaTypes[filepath.Ext(name)])
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeFile(w, r, path)
}
