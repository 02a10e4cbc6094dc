package social

import "github.com/prometheus/client_golang/prometheus"

// Web Push outcomes, the values of rounds_web_push_sends_total's outcome.
const (
	pushSent    = "sent"    // the push service took the message
	pushExpired = "expired" // the subscription is gone (404, 410) and was removed
	pushRetry   = "retry"   // the network or a 429/5xx: the job tries again
	pushRefused = "refused" // another 4xx: not tried again
)

// metrics are the domain's counters, registered with Options.Metrics.
type metrics struct {
	pushSends  *prometheus.CounterVec
	mediaBytes prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		pushSends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rounds_web_push_sends_total",
			Help: "Web Push messages sent to push services, by outcome (sent, expired, retry, refused).",
		}, []string{"outcome"}),
		mediaBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rounds_media_stored_bytes_total",
			Help: "Bytes of uploaded media written to the media store, previews included.",
		}),
	}
	for _, o := range []string{pushSent, pushExpired, pushRetry, pushRefused} {
		m.pushSends.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(m.pushSends, m.mediaBytes)
	}
	return m
}
