package main

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"strings"

	"rounds/social"
)

// refuseBlockedAddresses answers 403 to every request from a network that
// an IP block closes entirely (no_access), as Mastodon does: sign-in, the
// token endpoint, the API and the pages alike. The health checks stay
// open for the load balancer. check is social's CheckAddressAccess.
func refuseBlockedAddresses(log *slog.Logger, check func(ctx context.Context, addr string) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if check == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
				next.ServeHTTP(w, r)
				return
			}
			addr := social.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For"))
			err := check(r.Context(), addr)
			switch {
			case err == nil:
				next.ServeHTTP(w, r)
			case errors.Is(err, social.ErrAddressBlocked):
				msg := "Access from your network address (" + addr + ") is blocked on this server by its admins."
				if strings.Contains(r.Header.Get("Accept"), "text/html") && !strings.HasPrefix(r.URL.Path, "/api/") {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.Header().Set("Cache-Control", "no-store")
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte("<!doctype html><meta charset=utf-8><title>Blocked</title><p>" + html.EscapeString(msg) + "</p>\n"))
					return
				}
				body, _ := json.Marshal(map[string]string{"error": msg})
				writeStatus(w, http.StatusForbidden, string(body))
			default:
				// The blocks could not be read: let the request on rather
				// than shut everyone out while the database is away.
				log.Error("ip blocks: check failed", "error", err)
				next.ServeHTTP(w, r)
			}
		})
	}
}
