package api

import (
	"html"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
)

func (h *handler) oembedRoutes(r chi.Router) {
	r.With(publicRoute(anyScope)).Get("/api/oembed", h.oembed)
}

// oembed answers oEmbed 1.0 (https://oembed.com) for a public post of this
// server: GET /api/oembed?url=. Other URLs, and posts not everyone may
// see, are 404, as on Mastodon.
func (h *handler) oembed(w http.ResponseWriter, r *http.Request) {
	st, author, err := h.social.PublicLocalStatus(r.Context(), r.URL.Query().Get("url"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	width := 400 // Mastodon's default
	if mw, err := strconv.Atoi(r.URL.Query().Get("maxwidth")); err == nil && mw > 0 && mw < width {
		width = mw
	}
	name := author.DisplayName
	if name == "" {
		name = author.Username
	}
	// The post's content is sanitised HTML already; a post behind a
	// content warning shows only the warning, as it does on its page.
	body := st.Content
	if st.SpoilerText != "" {
		body = "<p>" + html.EscapeString(st.SpoilerText) + "</p>"
	}
	embed := `<blockquote class="rounds-embed" cite="` + html.EscapeString(st.URL) + `" style="max-width: ` + strconv.Itoa(width) + `px">` +
		body + `<p>— <a href="` + html.EscapeString(author.URL) + `">` + html.EscapeString(name) + ` (@` + html.EscapeString(author.Username) + `@` + html.EscapeString(h.social.Domain()) + `)</a>, ` +
		`<a href="` + html.EscapeString(st.URL) + `">` + st.CreatedAt.UTC().Format("2 January 2006") + `</a></p></blockquote>`
	writeJSON(w, http.StatusOK, map[string]any{
		"type":          "rich",
		"version":       "1.0",
		"title":         "New post by " + author.Username,
		"author_name":   name,
		"author_url":    author.URL,
		"provider_name": h.social.Domain(),
		"provider_url":  h.social.BaseURL() + "/",
		"cache_age":     86400,
		"html":          embed,
		"width":         width,
		"height":        nil,
	})
}
