// Package ui serves Rounds' own web pages, rendered on the server with
// html/template from embedded templates and one stylesheet. The pages work
// without JavaScript.
package ui

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures the web pages.
type Options struct {
	Social *social.Service
	Logger *slog.Logger
}

type handler struct {
	social *social.Service
	log    *slog.Logger
	pages  map[string]*template.Template
}

// New returns the handler for every web page route.
func New(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &handler{social: opts.Social, log: opts.Logger, pages: parsePages()}
	return h.routes()
}

func (h *handler) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders)
	static, _ := fs.Sub(staticFS, "static")
	r.Handle("/static/*", http.StripPrefix("/static/", http.FileServerFS(static)))
	r.Get("/", h.home)
	r.Get("/setup/{token}", h.setupShow)
	r.Post("/setup/{token}", h.setupCheck)
	h.oauthRoutes(r)
	signUpLimit := signUpLimiter(h)
	signInLimit := signInLimiter(h)
	r.Group(func(r chi.Router) {
		r.Use(noStore)
		r.Get("/auth/sign_up", h.signUpShow)
		r.With(signUpLimit).Post("/auth/sign_up", h.signUpCheck)
		r.Get("/invite/{code}", h.inviteShow)
		r.With(signUpLimit).Post("/invite/{code}", h.inviteCheck)
		r.Get("/auth/confirmation/{token}", h.confirmEmail)
		r.Get("/auth/password/forgot", h.passwordForgotShow)
		r.With(signUpLimit).Post("/auth/password/forgot", h.passwordForgotCheck)
		r.Get("/auth/password/reset/{token}", h.passwordResetShow)
		r.Post("/auth/password/reset/{token}", h.passwordResetCheck)
		r.Get("/auth/sign_in", h.signInShow)
		r.With(signInLimit).Post("/auth/sign_in", h.signInCheck)
		r.With(signInLimit).Post("/auth/two_factor", h.signInTwoFactor)
		r.Post("/auth/sign_out", h.signOut)
		r.Get("/settings/export", h.exportShow)
		r.Get("/settings/export/following_accounts.csv", h.exportFollowing)
		r.Get("/settings/export/blocked_accounts.csv", h.exportBlocks)
		r.Get("/settings/export/muted_accounts.csv", h.exportMutes)
		r.Get("/settings/export/outbox.json", h.exportOutbox)
		r.Get("/settings/import", h.importShow)
		r.Post("/settings/import", h.importCheck)
	})
	h.pageRoutes(r)
	r.Get("/media/{name}", h.media)
	r.NotFound(h.notFound)
	return r
}

func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	// Partials (templates/_*.html: a status card, say) are parsed into
	// every page, first, so that a page may define its own version.
	partials, _ := fs.Glob(templateFS, "templates/_*.html")
	for _, n := range names {
		if n == "templates/layout.html" || strings.HasPrefix(n, "templates/_") {
			continue
		}
		files := append(append([]string{}, partials...), "templates/layout.html", n)
		t := template.Must(template.ParseFS(templateFS, files...))
		pages[n[len("templates/"):len(n)-len(".html")]] = t
	}
	return pages
}

// render writes page with data inside the layout.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data map[string]any) {
	t, ok := h.pages[page]
	if !ok {
		h.log.Error("no such page template", "page", page)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Domain"] = h.social.Domain()
	// Who is looking, for the navigation: Me (their account), SessionCSRF
	// (for the sign-out form), CSRF (for the page's forms, unless the page
	// brings its own, as the OAuth sign-in form does) and Staff.
	if _, ok := data["SessionCSRF"]; !ok {
		if sess, err := h.browserSession(r); err == nil && sess != nil {
			data["SessionCSRF"] = sess.CSRFToken
			if _, ok := data["Me"]; !ok {
				data["Me"] = sess.User.Account
				data["Staff"] = social.IsStaff(sess.User.Role)
			}
			if _, ok := data["CSRF"]; !ok {
				data["CSRF"] = sess.CSRFToken
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout", data); err != nil {
		h.log.Error("render page", "page", page, "error", err)
	}
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "not_found", nil)
}

// securityHeaders sets the headers every page carries: no inline script, no
// framing, no sniffing.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
