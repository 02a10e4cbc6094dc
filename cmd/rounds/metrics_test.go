package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/mattn/go-mastodon"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"rounds/federation"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// freeAddr is a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// metricsScrape is one reading of /metrics, parsed as Prometheus does.
type metricsScrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, addr string) metricsScrape {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value sums the samples of name whose labels include labels (a counter's
// or gauge's value, a histogram's count), and says whether there was any.
func (s metricsScrape) value(name string, labels map[string]string) (float64, bool) {
	fam := s[name]
	if fam == nil {
		return 0, false
	}
	var sum float64
	found := false
next:
	for _, m := range fam.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum, found
}

func (s metricsScrape) at(name string, labels map[string]string) float64 {
	v, _ := s.value(name, labels)
	return v
}

func TestMetricsCountRequestsFederationStreamsPushesAndTheQueue(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		metricsAddr := freeAddr(t)
		a := startNodeWith(t, dialect, func(rc *rawConfig) { rc.metricsListen = metricsAddr })
		b := startNode(t, dialect)
		scrape := func() metricsScrape { return scrapeMetrics(t, metricsAddr) }

		// The metrics are on their own address only.
		for _, n := range []*node{a, b} {
			resp, err := http.Get(n.base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("the public address answers /metrics with %d", resp.StatusCode)
			}
		}

		alice := a.user(t, "alice", false)
		a.user(t, "bob", false)
		aliceToken := tokenFor(t, a, "alice", "read write follow push")
		bobToken := tokenFor(t, a, "bob", "read write")

		// API requests are counted by their route, not their path.
		code, st := call(t, a, aliceToken, "POST", "/api/v1/statuses", url.Values{"status": {"Handover at eight"}})
		if code != 200 {
			t.Fatalf("post: %d %v", code, st)
		}
		id, _ := st["id"].(string)
		for range 2 {
			if code, body := call(t, a, aliceToken, "GET", "/api/v1/statuses/"+id, nil); code != 200 {
				t.Fatalf("get status: %d %v", code, body)
			}
		}
		if code, _ := call(t, a, aliceToken, "GET", "/api/v1/statuses/1", nil); code != 404 {
			t.Fatalf("get a missing status: %d", code)
		}
		uploadPNG(t, mastodon.NewClient(&mastodon.Config{Server: a.base, AccessToken: aliceToken}), 700, 300, "")

		// Streams open now: one of each transport.
		streamCtx, closeStreams := context.WithCancel(ctx)
		defer closeStreams()
		sse := openSSE(t, streamCtx, a.base, aliceToken, "/api/v1/streaming/user")
		conn, _, err := dialWS(streamCtx, a.base, aliceToken, "user")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.CloseNow()

		// A Web Push subscription, and a mention pushed to it.
		pr := newPushReceiver(t, false)
		dev := newPushDevice(t)
		code, body := call(t, a, aliceToken, "POST", "/api/v1/push/subscription", url.Values{
			"subscription[endpoint]": {pr.srv.URL + "/push/alice"}, "subscription[keys][p256dh]": {dev.p256dh()},
			"subscription[keys][auth]": {base64.RawURLEncoding.EncodeToString(dev.auth)}, "subscription[standard]": {"true"},
			"data[alerts][mention]": {"true"},
		})
		if code != 200 {
			t.Fatalf("push subscription: %d %v", code, body)
		}
		if code, body := call(t, a, bobToken, "POST", "/api/v1/statuses", url.Values{"status": {"@alice the list is ready"}}); code != 200 {
			t.Fatalf("mention: %d %v", code, body)
		}
		pr.next(t, "the mention")

		// carol on B follows alice: A's inbox takes the Follow and A
		// delivers the Accept.
		carol := b.user(t, "carol", false)
		followAcross(t, b, carol, a, "alice")
		// The same signed Follow sent twice is applied once.
		rem := newFakeRemote(t, fakeRemoteOptions{AutoAccept: true}, "mallory")
		follow, err := federation.MarshalActivity(federation.ActivityDoc{
			ID: rem.nextID("mallory", "follows"), Type: "Follow", Actor: rem.actorURI("mallory"),
			To: []string{alice.URI}, ObjectID: alice.URI,
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if resp := rem.post(t, alice.InboxURL, "mallory", follow, nil); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("signed Follow: %d %s", resp.StatusCode, readAll(resp))
			}
		}
		// An unsigned activity is refused.
		resp, err := http.Post(a.base+"/inbox", "application/activity+json", strings.NewReader(`{"type":"Follow","id":"https://x.example/1"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unsigned inbox POST: %d", resp.StatusCode)
		}

		var m metricsScrape
		eventually(t, "the Accept counted as delivered and the push as sent", func() bool {
			m = scrape()
			return m.at("rounds_deliveries_total", map[string]string{"outcome": "delivered"}) >= 1 &&
				m.at("rounds_web_push_sends_total", map[string]string{"outcome": "sent"}) >= 1
		})
		checks := []struct {
			name   string
			labels map[string]string
			least  float64
		}{
			{"rounds_http_requests_total", map[string]string{"route": "/api/v1/statuses/{id}", "method": "GET", "code": "200"}, 2},
			{"rounds_http_requests_total", map[string]string{"route": "/api/v1/statuses/{id}", "method": "GET", "code": "404"}, 1},
			{"rounds_http_requests_total", map[string]string{"route": "/api/v1/statuses", "method": "POST", "code": "200"}, 2},
			{"rounds_http_requests_total", map[string]string{"route": "/inbox", "method": "POST", "code": "401"}, 1},
			{"rounds_http_request_duration_seconds", map[string]string{"route": "/api/v1/statuses/{id}", "method": "GET"}, 3},
			{"rounds_inbox_activities_total", map[string]string{"type": "Follow", "outcome": "accepted"}, 2},
			{"rounds_inbox_activities_total", map[string]string{"type": "Follow", "outcome": "duplicate"}, 1},
			{"rounds_inbox_activities_total", map[string]string{"type": "unknown", "outcome": "rejected_signature"}, 1},
			{"rounds_streaming_connections", map[string]string{"transport": "sse"}, 1},
			{"rounds_streaming_connections", map[string]string{"transport": "websocket"}, 1},
			{"rounds_media_stored_bytes_total", nil, 100},
			{"go_goroutines", nil, 1},
			{"process_start_time_seconds", nil, 1},
			{"go_sql_max_open_connections", nil, 1},
		}
		for _, c := range checks {
			if v, ok := m.value(c.name, c.labels); !ok || v < c.least {
				t.Errorf("%s%v = %v (present %v), want at least %v", c.name, c.labels, v, ok, c.least)
			}
		}
		// The streams are one of each, not more.
		if v := m.at("rounds_streaming_connections", nil); v != 2 {
			t.Errorf("rounds_streaming_connections sum to %v, want 2", v)
		}
		pool := "write"
		if dialect == storage.Postgres {
			pool = "main"
		}
		if _, ok := m.value("go_sql_open_connections", map[string]string{"db_name": pool}); !ok {
			t.Errorf("no go_sql_open_connections for the %s pool", pool)
		}
		for _, mm := range m["rounds_http_requests_total"].Metric {
			for _, l := range mm.Label {
				if l.GetName() == "route" && strings.Contains(l.GetValue(), id) {
					t.Errorf("a route label holds a status id: %q", l.GetValue())
				}
			}
		}
		if _, ok := m.value("rounds_delivery_queue_oldest_seconds", nil); !ok {
			t.Error("no rounds_delivery_queue_oldest_seconds")
		}

		// Streams closed are counted down; the deliveries done leave the
		// queue.
		closeStreams()
		conn.CloseNow()
		<-sse.done
		eventually(t, "the streams counted as closed and the queue empty", func() bool {
			m = scrape()
			_, ok := m.value("rounds_delivery_queue_depth", nil)
			return m.at("rounds_streaming_connections", nil) == 0 && ok && m.at("rounds_delivery_queue_depth", nil) == 0
		})

		// B goes away: alice's post to carol waits in the queue.
		b.stop()
		if code, body := call(t, a, aliceToken, "POST", "/api/v1/statuses", url.Values{"status": {"Anyone there?"}}); code != 200 {
			t.Fatalf("post: %d %v", code, body)
		}
		eventually(t, "the failed delivery counted and queued for a retry", func() bool {
			m = scrape()
			return m.at("rounds_deliveries_total", map[string]string{"outcome": "retry"}) >= 1 &&
				m.at("rounds_delivery_queue_depth", nil) >= 1
		})
		// The retry is scheduled for later: nothing waits for a worker.
		// (storage's TestPendingJobsCountsAndMeasuresTheWait measures a
		// wait.)
		if v, ok := m.value("rounds_delivery_queue_oldest_seconds", nil); !ok || v > 5 {
			t.Errorf("rounds_delivery_queue_oldest_seconds %v (present %v) while the only delivery waits for its retry time", v, ok)
		}
	})
}

// The metrics listener is off unless it is asked for, by flag or
// environment.
func TestMetricsListenIsOffByDefault(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := parseCommand("serve", nil, &strings.Builder{}, none, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MetricsListen != "" {
		t.Fatalf("metrics listen by default: %q", cfg.MetricsListen)
	}
	env := map[string]string{"ROUNDS_METRICS_LISTEN": "127.0.0.1:9464"}
	cfg, err = parseCommand("serve", nil, &strings.Builder{}, func(k string) string { return env[k] }, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MetricsListen != "127.0.0.1:9464" {
		t.Fatalf("ROUNDS_METRICS_LISTEN gave %q", cfg.MetricsListen)
	}
}

// BenchmarkHTTPMetricsMiddleware measures what counting adds to a request:
// the same route served with and without it.
func BenchmarkHTTPMetricsMiddleware(b *testing.B) {
	for _, counted := range []bool{false, true} {
		b.Run(fmt.Sprintf("counted=%v", counted), func(b *testing.B) {
			o := httpOptions{Log: slog.New(slog.DiscardHandler), Extra: func(r chi.Router) {
				r.Get("/api/v1/statuses/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
			}, UI: http.NotFoundHandler()}
			if counted {
				o.Metrics = newHTTPMetrics(prometheus.NewRegistry())
			}
			h := newHTTPHandler(o)
			req := httptest.NewRequest("GET", "/api/v1/statuses/123", nil)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
