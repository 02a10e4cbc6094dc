package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// recorder collects the latency and outcome of every request of a phase.
// Percentiles come from the sorted latencies themselves, not estimates.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	outcomes  map[string]int // "202", "429", "timeout", "connection error" ...
}

func newRecorder(capacity int) *recorder {
	return &recorder{latencies: make([]time.Duration, 0, capacity), outcomes: map[string]int{}}
}

// add records one request: its latency when the server answered (status >
// 0), else the error that ended it.
func (r *recorder) add(d time.Duration, status int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if status > 0 {
		r.latencies = append(r.latencies, d)
		r.outcomes[strconv.Itoa(status)]++
		return
	}
	r.outcomes[errorKind(err)]++
}

// errorKind names a transport error for the error table.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "no answer"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "connection error"
}

// latencySummary is the distribution of a phase's latencies, in
// milliseconds.
type latencySummary struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func (r *recorder) summary() latencySummary {
	r.mu.Lock()
	lat := slices.Clone(r.latencies)
	r.mu.Unlock()
	return summarize(lat)
}

func summarize(lat []time.Duration) latencySummary {
	if len(lat) == 0 {
		return latencySummary{}
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return latencySummary{
		Count: len(lat),
		Mean:  ms(sum / time.Duration(len(lat))),
		P50:   ms(percentile(lat, 50)),
		P95:   ms(percentile(lat, 95)),
		P99:   ms(percentile(lat, 99)),
		Max:   ms(lat[len(lat)-1]),
	}
}

// percentile is the nearest-rank percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// outcomes returns a copy of the counts by outcome.
func (r *recorder) outcomeCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.outcomes))
	for k, v := range r.outcomes {
		out[k] = v
	}
	return out
}

// countOK sums the outcomes that are 2xx statuses.
func countOK(outcomes map[string]int) int {
	n := 0
	for k, v := range outcomes {
		if len(k) == 3 && k[0] == '2' {
			n += v
		}
	}
	return n
}

// failures keeps the outcomes that are not 2xx.
func failures(outcomes map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range outcomes {
		if !(len(k) == 3 && k[0] == '2') {
			out[k] = v
		}
	}
	return out
}

// formatCounts renders {"500": 3, "timeout": 1} as "500: 3, timeout: 1",
// or "none".
func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
