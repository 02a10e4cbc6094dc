package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"rounds/storage"
)

// newMetricsRegistry returns a registry of the server's own, with the Go
// runtime, the process and the database pools in it; the packages add
// what they count. It is not Prometheus' global registry, so that several
// servers can run in one process (tests do).
func newMetricsRegistry(db *storage.DB) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for name, pool := range db.Pools() {
		reg.MustRegister(collectors.NewDBStatsCollector(pool, name))
	}
	return reg
}

// serveMetrics serves reg at /metrics on its own address, apart from the
// public handler.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (--metrics-listen): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError, // a failed query leaves out its gauges, not the rest
		Timeout:       10 * time.Second,
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return srv, nil
}

// httpMetrics counts the requests the public handler serves.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rounds_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rounds_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern and method (streams count until they close).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// knownMethods are the methods counted by name; any other is "other", so a
// client cannot grow the set of series.
var knownMethods = map[string]string{
	http.MethodGet: http.MethodGet, http.MethodHead: http.MethodHead, http.MethodPost: http.MethodPost,
	http.MethodPut: http.MethodPut, http.MethodPatch: http.MethodPatch, http.MethodDelete: http.MethodDelete,
	http.MethodOptions: http.MethodOptions,
}

// statusCodes are the status codes as label values, made once.
var statusCodes = func() (codes [600]string) {
	for i := range codes {
		codes[i] = strconv.Itoa(i)
	}
	return codes
}()

// middleware counts each request under its chi route pattern (such as
// /api/v1/statuses/{id}), never its raw path, which would make a series
// per status.
func (m *httpMetrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		// The pattern is complete only once routing (and any sub-router)
		// has run.
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil {
			if p := rc.RoutePattern(); p != "" {
				route = p
			}
		}
		method, ok := knownMethods[r.Method]
		if !ok {
			method = "other"
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		code := strconv.Itoa(status)
		if status > 0 && status < len(statusCodes) {
			code = statusCodes[status]
		}
		m.requests.WithLabelValues(route, method, code).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	})
}
