package api

import "github.com/prometheus/client_golang/prometheus"

// metrics are the API's gauges, registered with Options.Metrics.
type metrics struct {
	streams *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		streams: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rounds_streaming_connections",
			Help: "Streaming API connections open now, by transport (websocket, sse).",
		}, []string{"transport"}),
	}
	m.streams.WithLabelValues("websocket")
	m.streams.WithLabelValues("sse")
	if reg != nil {
		reg.MustRegister(m.streams)
	}
	return m
}

// streamOpen counts a stream as open until the returned func is called.
func (m metrics) streamOpen(transport string) (closed func()) {
	g := m.streams.WithLabelValues(transport)
	g.Inc()
	return g.Dec
}
