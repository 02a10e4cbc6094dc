package federation

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"rounds/social"
	"rounds/storage"
)

// Inbox outcomes, the values of rounds_inbox_activities_total's outcome.
const (
	inboxAccepted          = "accepted"
	inboxDuplicate         = "duplicate"          // seen before; not applied again
	inboxRejectedSignature = "rejected_signature" // no valid signature of the actor
	inboxRejectedPolicy    = "rejected_policy"    // a blocked domain, a suspended actor, a refused action
	inboxInvalid           = "invalid"            // unreadable, or about something we do not have
	inboxError             = "error"              // our failure: the sender should try again
)

// Delivery outcomes per inbox, the values of rounds_deliveries_total's
// outcome.
const (
	deliveryDelivered = "delivered"
	deliveryRetry     = "retry"   // tried again later
	deliveryGaveUp    = "gave_up" // refused, out of attempts, or skipped
)

// inboxTypes are the activity types counted by name; any other is "other",
// so a remote server cannot grow the set of series.
var inboxTypes = map[string]bool{
	"Follow": true, "Accept": true, "Reject": true, "Undo": true, "Create": true, "Update": true,
	"Delete": true, "Like": true, "Announce": true, "Flag": true, "Block": true, "Add": true,
	"Remove": true, "Move": true, "EmojiReact": true,
}

// metrics are federation's counters, registered with Options.Metrics.
type metrics struct {
	inbox      *prometheus.CounterVec
	deliveries *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, jobs *storage.Jobs) metrics {
	m := metrics{
		inbox: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rounds_inbox_activities_total",
			Help: "Activities POSTed to the inboxes, by activity type and outcome.",
		}, []string{"type", "outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rounds_deliveries_total",
			Help: "Attempts to deliver an activity to one remote inbox, by outcome (delivered, retry, gave_up).",
		}, []string{"outcome"}),
	}
	for _, o := range []string{deliveryDelivered, deliveryRetry, deliveryGaveUp} {
		m.deliveries.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(m.inbox, m.deliveries)
		if jobs != nil {
			reg.MustRegister(&queueCollector{jobs: jobs})
		}
	}
	return m
}

// countInbox counts one inbox request; typ is the activity's type, or ""
// before it is known.
func (m metrics) countInbox(typ, outcome string) {
	switch {
	case typ == "":
		typ = "unknown"
	case !inboxTypes[typ]:
		typ = "other"
	}
	m.inbox.WithLabelValues(typ, outcome).Inc()
}

// countDeliveries counts the outcome of each inbox of one delivery attempt.
func (m metrics) countDeliveries(results []social.DeliveryResult) {
	for _, r := range results {
		switch r.State {
		case storage.DeliveryDelivered:
			m.deliveries.WithLabelValues(deliveryDelivered).Inc()
		case storage.DeliveryPending:
			m.deliveries.WithLabelValues(deliveryRetry).Inc()
		default:
			m.deliveries.WithLabelValues(deliveryGaveUp).Inc()
		}
	}
}

var (
	queueDepthDesc = prometheus.NewDesc("rounds_delivery_queue_depth",
		"Delivery jobs not yet finished: waiting, scheduled, to be retried or running.", nil, nil)
	queueOldestDesc = prometheus.NewDesc("rounds_delivery_queue_oldest_seconds",
		"How long the delivery job due longest ago has waited for a worker (0 when none waits); retries scheduled for later do not count.", nil, nil)
)

// queueCollector reads the delivery queue at scrape time with one query on
// the job table, so that every process serving the database reports the
// same, whole queue.
type queueCollector struct{ jobs *storage.Jobs }

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- queueOldestDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, oldest, err := c.jobs.Pending(ctx, social.DeliverArgs{}.Kind())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepthDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(queueOldestDesc, prometheus.GaugeValue, oldest)
}
