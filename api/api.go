// Package api is the Mastodon client API: OAuth 2 for apps, and the
// /api/v1 and /api/v2 JSON endpoints that Mastodon apps and client libraries
// call. docs.joinmastodon.org is the reference: entities carry every
// documented field (null where there is no value), ids are strings, lists
// page with max_id / since_id / min_id / limit and a Link header, and errors
// are {"error": "..."}.
package api

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"rounds/social"
)

// Options configures the API.
type Options struct {
	Social *social.Service
	Logger *slog.Logger
	// Version is Rounds' version; the instance reports Mastodon
	// compatibility around it.
	Version string
	// Metrics, when set, receives the API's gauges (metrics.go).
	Metrics prometheus.Registerer
	// RateLimit replaces Mastodon's 300 requests per 5 minutes per token
	// or address when above zero (for tests).
	RateLimit int
}

type handler struct {
	social  *social.Service
	log     *slog.Logger
	version string
	metrics metrics
	limit   int
}

// New returns the API; Routes mounts it.
func New(o Options) *API {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RateLimit <= 0 {
		o.RateLimit = apiLimit
	}
	return &API{h: &handler{social: o.Social, log: o.Logger, version: o.Version, metrics: newMetrics(o.Metrics), limit: o.RateLimit}}
}

// API serves the Mastodon client API.
type API struct{ h *handler }

// Routes adds every API route to r.
func (a *API) Routes(r chi.Router) {
	h := a.h
	r.Group(func(r chi.Router) {
		r.Use(noStore)
		r.Use(corsForBrowsers())
		r.Use(RateLimit(h.social, "api", h.limit, limitKey))
		r.Use(h.authenticate)
		h.oauthRoutes(r)
		h.oauthInfoRoutes(r)
		h.instanceRoutes(r)
		h.instanceDocumentRoutes(r)
		h.oembedRoutes(r)
		h.accountRoutes(r)
		h.peopleRoutes(r)
		h.registrationRoutes(r)
		h.statusRoutes(r)
		h.scheduledStatusRoutes(r)
		h.pollRoutes(r)
		h.timelineRoutes(r)
		h.filterRoutes(r)
		h.notificationRoutes(r)
		h.notificationV2Routes(r)
		h.notificationRequestRoutes(r)
		h.mediaRoutes(r)
		h.markRoutes(r)
		h.hidingRoutes(r)
		h.listRoutes(r)
		h.markerRoutes(r)
		h.conversationRoutes(r)
		h.streamingRoutes(r)
		h.searchRoutes(r)
		h.tagRoutes(r)
		h.adminRoutes(r)
		h.trendRoutes(r)
		h.dashboardRoutes(r)
		h.clientExtraRoutes(r)
		h.deliveryRoutes(r)
		h.roundsQuestionRoutes(r) // rounds_questions.go
		h.pushRoutes(r)
	})
}

// noStore keeps API answers, which depend on the token, out of caches.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
