package main

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"rounds/api"
	"rounds/social"
	"rounds/storage"
)

// maxRequestBody caps request bodies unless a route sets its own cap (media
// uploads will).
const maxRequestBody = 1 << 20

type httpOptions struct {
	Log *slog.Logger
	DB  *storage.DB
	// Social counts the sign-in limit in the database on PostgreSQL.
	Social *social.Service
	UI     http.Handler
	// Federation adds the ActivityPub routes.
	Federation func(r chi.Router)
	// API adds the Mastodon client API routes.
	API func(r chi.Router)
	// Extra adds routes (tests use it).
	Extra func(r chi.Router)
	// AddressAccess refuses a client address an IP block shuts out
	// (social's CheckAddressAccess); nil checks nothing.
	AddressAccess func(ctx context.Context, addr string) error
	// Metrics, when set, counts every request (metrics.go).
	Metrics *httpMetrics
}

// newHTTPHandler assembles the server's routes and the middleware every
// request passes through.
func newHTTPHandler(o httpOptions) http.Handler {
	r := chi.NewRouter()
	if o.Metrics != nil {
		r.Use(o.Metrics.middleware)
	}
	r.Use(middleware.RequestID)
	r.Use(requestLog(o.Log))
	r.Use(recoverPanics(o.Log))
	// Before anything that looks at the path or method: /oauth/token/
	// must meet the same limits as /oauth/token.
	r.Use(railsRouting(r))
	r.Use(refuseBlockedAddresses(o.Log, o.AddressAccess))
	r.Use(limitBody(maxRequestBody))
	r.Use(limitSignIn(o.Social))

	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusOK, `{"status":"ok"}`)
	})
	r.Get("/readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := o.DB.Ping(ctx); err != nil {
			o.Log.Error("readiness check failed", "error", err)
			writeStatus(w, http.StatusServiceUnavailable, `{"status":"unavailable","error":"the database does not answer"}`)
			return
		}
		if o.DB.OutOfSpace(ctx) {
			writeStatus(w, http.StatusServiceUnavailable, `{"status":"unavailable","error":"the server is out of storage space: writes fail, reads work"}`)
			return
		}
		writeStatus(w, http.StatusOK, `{"status":"ok"}`)
	})
	if o.Federation != nil {
		o.Federation(r)
	}
	if o.API != nil {
		o.API(r)
	}
	if o.Extra != nil {
		o.Extra(r)
	}
	r.Mount("/", o.UI)
	return r
}

// railsPrefixes are the paths whose routes accept a trailing slash.
var railsPrefixes = []string{"/api/", "/oauth/", "/.well-known/", "/nodeinfo/"}

// railsRouting routes API requests the way Mastodon's Rails router does,
// which clients rely on: a trailing slash is ignored (Mastodon.py asks for
// /api/v1/instance/ and opens streams as /api/v1/streaming/), and PATCH
// reaches a route that only PUT is registered for (Rails' resources answer
// both for an update). Web pages keep their own paths; / is untouched.
func railsRouting(mux *chi.Mux) func(http.Handler) http.Handler {
	routed := func(method, path string) bool {
		p := mux.Find(chi.NewRouteContext(), method, path)
		return p != "" && !strings.HasSuffix(p, "/*") // not the JSON 404 for unknown API paths
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if path := r.URL.Path; len(path) > 1 && strings.HasSuffix(path, "/") && hasAnyPrefix(path, railsPrefixes) {
				u := *r.URL
				u.Path = strings.TrimRight(path, "/")
				u.RawPath = strings.TrimRight(u.RawPath, "/")
				r = r.WithContext(r.Context())
				r.URL = &u
			}
			if r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/api/") &&
				!routed(http.MethodPatch, r.URL.Path) && routed(http.MethodPut, r.URL.Path) {
				r = r.WithContext(r.Context())
				r.Method = http.MethodPut
			}
			next.ServeHTTP(w, r)
		})
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func writeStatus(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

// requestLog writes one structured line per request.
func requestLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			} else if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
				level = slog.LevelDebug
			}
			log.LogAttrs(r.Context(), level, "request",
				slog.String("id", middleware.GetReqID(r.Context())),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int("bytes", ww.BytesWritten()),
				slog.Duration("duration", time.Since(start)),
				slog.String("remote", r.RemoteAddr),
			)
		})
	}
}

// recoverPanics turns a panic in a handler into a 500 and a log line with
// the stack, instead of a dropped connection.
func recoverPanics(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request",
					"id", middleware.GetReqID(r.Context()), "path", r.URL.Path,
					"panic", v, "stack", string(debug.Stack()))
				writeStatus(w, http.StatusInternalServerError, `{"error":"internal server error"}`)
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// limitBody caps how much of a request body a handler can read; reading past
// it fails, and handlers answer 413.
func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isUpload(r) {
				// The upload handler sets its own, larger cap.
				next.ServeHTTP(w, r)
				return
			}
			if r.ContentLength > n {
				writeStatus(w, http.StatusRequestEntityTooLarge, `{"error":"the request body is too large"}`)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

// isUpload reports whether r is a media upload, which may be larger than
// other requests.
func isUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/api/v1/media" || r.URL.Path == "/api/v2/media")
}

// signInPaths are where passwords and second factors are tried.
var signInPaths = map[string]bool{
	"/oauth/token": true, "/oauth/sign_in": true,
	"/oauth/two_factor": true, "/oauth/two_factor/setup": true,
	"/auth/sign_in": true, "/auth/two_factor": true,
}

// limitSignIn applies Mastodon's tighter limit to sign-in attempts, where
// passwords and codes are tried: the token endpoint and the web form.
// On PostgreSQL the attempts are counted in the database (svc), so the
// limit holds across every process serving the site.
func limitSignIn(svc *social.Service) func(http.Handler) http.Handler {
	limiter := api.RateLimit(svc, "sign-in", api.SignInLimit, func(r *http.Request) (string, error) {
		return social.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For")), nil
	})
	return func(next http.Handler) http.Handler {
		limited := limiter(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && signInPaths[r.URL.Path] {
				limited.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
