package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/go-chi/cors"
	"github.com/go-chi/httprate"

	"rounds/social"
)

// Mastodon's default limits: 300 requests per 5 minutes per token, or per
// address without one.
const (
	apiLimit     = 300
	limitsWindow = 5 * time.Minute
)

// SignInLimit is how many sign-in attempts one address may make in 5
// minutes.
const SignInLimit = 25

// corsForBrowsers lets browser clients (Elk, Phanpy) call the API and the
// token endpoint from their own origins. Tokens, not cookies, authorise
// these calls, so any origin is fine.
func corsForBrowsers() func(http.Handler) http.Handler {
	return cors.Handler(cors.Options{
		AllowedOrigins: []string{"*"},
		AllowedMethods: []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Idempotency-Key", "Accept"},
		ExposedHeaders: []string{"Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"},
		MaxAge:         300,
	})
}

// limitKey is the token (hashed: keys are kept in memory, or in the
// database on PostgreSQL) or, without one, the client's address.
func limitKey(r *http.Request) (string, error) {
	if tok, err := requestToken(r); err == nil && tok != "" {
		sum := sha256.Sum256([]byte(tok))
		return "t:" + hex.EncodeToString(sum[:8]), nil
	}
	return "a:" + social.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For")), nil
}

// RateLimit applies limit per key over limitsWindow, answering 429 with a
// JSON error and the X-RateLimit headers clients read; Reset is an ISO
// 8601 time, as Mastodon sends it. On PostgreSQL the requests are counted
// in the database under name, so the limit holds across every process
// serving the site; otherwise (SQLite, or svc nil) in this process's
// memory.
func RateLimit(svc *social.Service, name string, limit int, key httprate.KeyFunc) func(http.Handler) http.Handler {
	return rateLimitEvery(svc, name, limit, limitsWindow, key)
}

// limitCounter makes a limiter named name count in the database when svc
// says limits are shared, or else in memory. Either way its windows begin
// on the clock's multiples of window, as X-RateLimit-Reset says (httprate's
// own default would shift them by the instant the server started).
func limitCounter(svc *social.Service, name string, window time.Duration) httprate.Option {
	if svc != nil && svc.SharedLimits() {
		return httprate.WithLimitCounter(svc.NewLimitCounter(name))
	}
	return httprate.WithLimitCounter(httprate.NewLocalLimitCounter(window))
}

// rateLimitEvery is RateLimit over its own window (sign-ups use 30
// minutes).
func rateLimitEvery(svc *social.Service, name string, limit int, window time.Duration, key httprate.KeyFunc) func(http.Handler) http.Handler {
	limiter := httprate.Limit(limit, window,
		limitCounter(svc, name, window),
		httprate.WithKeyFuncs(key),
		httprate.WithResponseHeaders(httprate.ResponseHeaders{
			Limit: "X-RateLimit-Limit", Remaining: "X-RateLimit-Remaining", RetryAfter: "Retry-After",
		}),
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "Too many requests"})
		}),
	)
	return func(next http.Handler) http.Handler {
		limited := limiter(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			reset := time.Now().UTC().Truncate(window).Add(window)
			w.Header().Set("X-RateLimit-Reset", mastoTime(reset))
			limited.ServeHTTP(w, r)
		})
	}
}
