package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"rounds/storage"
)

// seedTimeline fills n's database with accounts remote accounts, statuses
// statuses spread over them (newest ids last), and makes reader follow the
// first follows of them. Rows go in with plain multi-row INSERTs: this is
// bulk set-up for a benchmark, not something a user does.
func seedTimeline(b *testing.B, n *node, readerID int64, accounts, statuses, follows int) {
	b.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, n.dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	ts := now.Format("2006-01-02 15:04:05.000000-07:00")
	baseID := storage.NewID()
	acctID := func(i int) int64 { return baseID + int64(i) + 1 }
	err = db.InTx(ctx, func(tx storage.Tx) error {
		var sb strings.Builder
		flush := func() error {
			if sb.Len() == 0 {
				return nil
			}
			q := sb.String()
			sb.Reset()
			return tx.ExecForTest(ctx, q)
		}
		for i := 0; i < accounts; i++ {
			if sb.Len() == 0 {
				sb.WriteString("INSERT INTO accounts (id, username, domain, uri, fields, created_at, updated_at) VALUES ")
			} else {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "(%d, 'u%d', 'remote%d.example', 'https://remote%d.example/users/u%d', '[]', '%s', '%s')", acctID(i), i, i%50, i%50, i, ts, ts)
			if (i+1)%500 == 0 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		for i := 0; i < follows; i++ {
			if sb.Len() == 0 {
				sb.WriteString("INSERT INTO follows (id, account_id, target_account_id, uri, accepted_at, created_at) VALUES ")
			} else {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "(%d, %d, %d, 'https://bench/follows/%d', '%s', '%s')", storage.NewID(), readerID, acctID(i*(accounts/follows)), i, ts, ts)
		}
		if err := flush(); err != nil {
			return err
		}
		start := now.Add(-time.Duration(statuses) * time.Second)
		for i := 0; i < statuses; i++ {
			if sb.Len() == 0 {
				sb.WriteString("INSERT INTO statuses (id, uri, url, account_id, content, visibility, created_at) VALUES ")
			} else {
				sb.WriteString(",")
			}
			at := start.Add(time.Duration(i) * time.Second)
			id := at.UnixMilli()<<16 | int64(i&0xffff)
			a := acctID(i % accounts)
			fmt.Fprintf(&sb, "(%d, 'https://bench/s/%d', '', %d, '<p>Clinical pearl number %d</p>', 'public', '%s')", id, i, a, i, at.Format("2006-01-02 15:04:05.000000-07:00"))
			if (i+1)%1000 == 0 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		// What storing each status would have put in the reader's feed.
		return tx.ExecForTest(ctx, `INSERT INTO home_feed (account_id, status_id, author_id)
SELECT f.account_id, s.id, s.account_id FROM follows AS f JOIN statuses AS s ON s.account_id = f.target_account_id
WHERE f.account_id = ? ON CONFLICT DO NOTHING`, readerID)
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.ExecForTest(ctx, "ANALYZE"); err != nil && db.Dialect() == storage.SQLite {
		b.Fatal(err)
	}
}

// BenchmarkHomeTimeline reads a home timeline of 40 posts through the API,
// paging down, for an account following 500 accounts among 5,000, with
// ROUNDS_BENCH_STATUSES statuses stored (default 1,000,000). It reports the
// 50th and 99th percentile latency.
func BenchmarkHomeTimeline(b *testing.B) {
	total := 1_000_000
	if s := os.Getenv("ROUNDS_BENCH_STATUSES"); s != "" {
		total, _ = strconv.Atoi(s)
	}
	n := startBenchNode(b)
	reader := n.user(b, "reader", false)
	started := time.Now()
	seedTimeline(b, n, reader.ID, 5000, total, 500)
	b.Logf("seeded %d statuses in %v", total, time.Since(started).Round(time.Second))
	token := benchTokens(b, n, "reader", 10)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(url string) (time.Duration, string) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token())
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var buf [4096]byte
		for {
			if _, err := resp.Body.Read(buf[:]); err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("home = %d", resp.StatusCode)
		}
		return time.Since(t0), resp.Header.Get("Link")
	}
	// Warm up the caches once.
	get(n.base + "/api/v1/timelines/home?limit=40")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	next := n.base + "/api/v1/timelines/home?limit=40"
	for i := 0; i < b.N; i++ {
		d, link := get(next)
		lat = append(lat, d)
		// Page down a few pages, then start at the top again.
		next = n.base + "/api/v1/timelines/home?limit=40"
		if i%5 != 4 {
			if l := strings.SplitN(link, ">", 2)[0]; strings.HasPrefix(l, "<") {
				next = strings.TrimPrefix(l, "<")
			}
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// benchTokens signs username in k times and returns the token to use for
// each next request. Each token may make 300 requests in 5 minutes, as on
// Mastodon; a benchmark needs more, so it moves on every 250.
func benchTokens(b *testing.B, n *node, username string, k int) (next func() string) {
	b.Helper()
	var tokens []string
	for range k {
		tokens = append(tokens, signInTB(b, n, username))
	}
	calls := 0
	return func() string {
		calls++
		return tokens[(calls/250)%len(tokens)]
	}
}

// signInTB returns a token for username, registering an app and using the
// password grant over HTTP.
func signInTB(b testing.TB, n *node, username string) string {
	b.Helper()
	resp, err := http.PostForm(n.base+"/api/v1/apps", map[string][]string{"client_name": {"bench"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read write"}})
	if err != nil {
		b.Fatal(err)
	}
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	decodeJSON(b, resp, &app)
	resp, err = http.PostForm(n.base+"/oauth/token", map[string][]string{
		"grant_type": {"password"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"username": {username}, "password": {"a long password"}, "scope": {"read write"},
	})
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	decodeJSON(b, resp, &tok)
	if tok.AccessToken == "" {
		b.Fatal("no token")
	}
	return tok.AccessToken
}

func decodeJSON(b testing.TB, resp *http.Response, v any) {
	b.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatal(err)
	}
}
