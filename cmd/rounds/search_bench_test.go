package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// BenchmarkFullTextSearch searches posts by their words through the API
// (GET /api/v2/search, type=statuses, limit 20) among
// ROUNDS_BENCH_STATUSES indexed posts (default 1,000,000), all public and
// by indexable accounts: a word in every post (newest 20 of a million),
// a word in one post, and a word in none. It reports the 50th and 99th
// percentile latency of each, on SQLite and (with ROUNDS_TEST_POSTGRES_URL)
// on PostgreSQL.
func BenchmarkFullTextSearch(b *testing.B) {
	for _, dialect := range storagetest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) { benchFullTextSearch(b, dialect) })
	}
}

func benchFullTextSearch(b *testing.B, dialect storage.Dialect) {
	total := 1_000_000
	if s := os.Getenv("ROUNDS_BENCH_STATUSES"); s != "" {
		total, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	n := startNodeWith(b, dialect, nil)
	reader := n.user(b, "reader", false)
	started := time.Now()
	seedTimeline(b, n, reader.ID, 5000, total, 500)
	db, err := storage.Open(ctx, n.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	// Bulk set-up: each seeded post's words, "Clinical pearl number N".
	index := "INSERT INTO status_search (rowid, body) SELECT id, content FROM statuses"
	if dialect == storage.Postgres {
		index = "INSERT INTO status_search (status_id, body) SELECT id, to_tsvector('simple', content) FROM statuses"
	}
	if err := db.ExecForTest(ctx, index); err != nil {
		b.Fatal(err)
	}
	if dialect == storage.Postgres {
		if err := db.ExecForTest(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	b.Logf("seeded and indexed %d statuses in %v", total, time.Since(started).Round(time.Second))
	token := benchTokens(b, n, "reader", 20)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	search := func(q string) (time.Duration, int) {
		req, _ := http.NewRequest("GET", n.base+"/api/v2/search?type=statuses&limit=20&q="+url.QueryEscape(q), nil)
		req.Header.Set("Authorization", "Bearer "+token())
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out searchJSON
		decodeJSON(b, resp, &out)
		if resp.StatusCode != 200 {
			b.Fatalf("search %q = %d", q, resp.StatusCode)
		}
		return time.Since(t0), len(out.Statuses)
	}
	for _, c := range []struct {
		name, q string
		found   int
	}{
		{"every-post", "pearl", 20},
		{"one-post", strconv.Itoa(total / 3), 1},
		{"no-post", "bronchiolitis", 0},
	} {
		if _, got := search(c.q); got != c.found {
			b.Fatalf("%s: %d found, want %d", c.name, got, c.found)
		}
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				d, _ := search(c.q)
				lat = append(lat, d)
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
