package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// startLimitedPair starts two processes serving one PostgreSQL database
// with the API limit lowered to limit requests per 5 minutes.
func startLimitedPair(t *testing.T, limit int) (*node, *node) {
	t.Helper()
	storagetest.NewURL(t, storage.Postgres) // skips without PostgreSQL
	n1 := startNodeWith(t, storage.Postgres, func(rc *rawConfig) { rc.rateLimit = strconv.Itoa(limit) })
	n2 := startNodeWith(t, storage.Postgres, func(rc *rawConfig) {
		rc.rateLimit = strconv.Itoa(limit)
		rc.database = n1.dbURL
		rc.domain = n1.domain
	})
	return n1, n2
}

// awayFromWindowEdge waits, if the 5-minute window the limits count in
// ends within a few seconds, for the next one: a run straddling two
// windows would see the first window's count weighed down.
func awayFromWindowEdge() {
	const window = 5 * time.Minute
	now := time.Now()
	if left := now.Truncate(window).Add(window).Sub(now); left < 5*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
}

// sendOnce makes one request and returns the response, its body closed.
func sendOnce(t *testing.T, method, target, token string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

// Two processes serving one PostgreSQL database share what must hold for
// the site as a whole: rate limits, sign-in attempts, idempotency keys and
// the receipt of activities. One pair of processes serves every part.
func TestLimitsAndReceiptsHoldAcrossProcessesOnPostgres(t *testing.T) {
	const limit = 20
	n1, n2 := startLimitedPair(t, limit)
	n1.user(t, "alice", false)
	t.Run("RateLimit", func(t *testing.T) { rateLimitAcross(t, n1, n2, limit) })
	t.Run("IdempotencyKey", func(t *testing.T) { idempotencyAcross(t, n1, n2) })
	t.Run("ActivityReceipt", func(t *testing.T) { receiptAcross(t, n1, n2) })
}

// Two processes count one token's requests together: with the limit at
// 20, twenty requests split between them pass, with X-RateLimit-Remaining
// counting down across both, and the 21st is refused with 429 whichever
// process gets it. Sign-in attempts from one address are likewise counted
// together: 25 across both, then 429.
func rateLimitAcross(t *testing.T, n1, n2 *node, limit int) {
	token := tokenFor(t, n1, "alice", "read")
	nodes := []*node{n1, n2}

	awayFromWindowEdge()
	var reset string
	for i := range limit {
		resp, body := sendOnce(t, "GET", nodes[i%2].base+"/api/v1/accounts/verify_credentials", token, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d = %d %s, want 200", i+1, resp.StatusCode, body)
		}
		h := resp.Header
		if got := h.Get("X-RateLimit-Limit"); got != strconv.Itoa(limit) {
			t.Errorf("request %d: X-RateLimit-Limit = %q, want %d", i+1, got, limit)
		}
		if got, want := h.Get("X-RateLimit-Remaining"), strconv.Itoa(limit-i-1); got != want {
			t.Errorf("request %d (node %d): X-RateLimit-Remaining = %q, want %s", i+1, i%2+1, got, want)
		}
		if reset == "" {
			reset = h.Get("X-RateLimit-Reset")
		} else if got := h.Get("X-RateLimit-Reset"); got != reset {
			t.Errorf("request %d: X-RateLimit-Reset = %q, the first said %q", i+1, got, reset)
		}
	}
	at, err := time.Parse(time.RFC3339, reset)
	if err != nil || !at.After(time.Now()) {
		t.Errorf("X-RateLimit-Reset = %q (%v), want a time to come", reset, err)
	}
	for _, n := range nodes {
		resp, body := sendOnce(t, "GET", n.base+"/api/v1/accounts/verify_credentials", token, nil)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("request over the limit on %s = %d %s, want 429", n.base, resp.StatusCode, body)
		}
		var e struct{ Error string }
		if json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
			t.Errorf("429 body = %s, want {\"error\": ...}", body)
		}
		if got := resp.Header.Get("X-RateLimit-Remaining"); got != "0" {
			t.Errorf("429: X-RateLimit-Remaining = %q, want 0", got)
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}

	// Another token is counted apart.
	other := tokenFor(t, n1, "alice", "read")
	if resp, body := sendOnce(t, "GET", n2.base+"/api/v1/accounts/verify_credentials", other, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("another token = %d %s, want 200", resp.StatusCode, body)
	}

	// Sign-in attempts: 25 per 5 minutes per address, all processes
	// together. The web form is outside the API, so the lowered API
	// limit does not interfere.
	wrong := url.Values{"username": {"alice"}, "password": {"not the password"}}
	for i := range 25 {
		if resp, body := sendOnce(t, "POST", nodes[i%2].base+"/auth/sign_in", "", wrong); resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("sign-in attempt %d refused as too many: %s", i+1, body)
		}
	}
	for _, n := range nodes {
		if resp, body := sendOnce(t, "POST", n.base+"/auth/sign_in", "", wrong); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("sign-in attempt 26 on %s = %d %s, want 429", n.base, resp.StatusCode, body)
		}
	}
}

// The same Idempotency-Key sent to two processes, one after the other or
// at the same time, makes one post: every answer is 200 with the same
// status. (A token of its own keeps it clear of the lowered limit.)
func idempotencyAcross(t *testing.T, n1, n2 *node) {
	token := tokenFor(t, n1, "alice", "write")
	post := func(n *node, key string) (int, string) {
		req, _ := http.NewRequest("POST", n.base+"/api/v1/statuses", strings.NewReader(url.Values{"status": {"Theatre list is up"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		var st struct{ ID string }
		_ = json.NewDecoder(resp.Body).Decode(&st)
		return resp.StatusCode, st.ID
	}

	c1, id1 := post(n1, "key-one")
	c2, id2 := post(n2, "key-one")
	if c1 != http.StatusOK || c2 != http.StatusOK || id1 == "" || id1 != id2 {
		t.Fatalf("one after the other: node 1 = %d %q, node 2 = %d %q; want 200 and one status", c1, id1, c2, id2)
	}

	// At the same time, several on each.
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]int{}
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, id := post([]*node{n1, n2}[i%2], "key-two")
			mu.Lock()
			got[fmt.Sprintf("%d %s", code, id)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(got) != 1 {
		t.Fatalf("concurrent answers = %v, want one status for all", got)
	}
	for k := range got {
		if !strings.HasPrefix(k, "200 ") || k == "200 " || k == "200 "+id1 {
			t.Fatalf("concurrent answers = %v, want 200 and a new status", got)
		}
	}
}

// Two processes receiving the same activity at the same time apply it
// once: the receipt is a row with the activity's id as its key.
func receiptAcross(t *testing.T, n1, n2 *node) {
	ctx := context.Background()
	for round := range 3 {
		uri := fmt.Sprintf("https://remote.example/activities/%d", round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		first, errs := 0, 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := []*node{n1, n2}[i%2].svc.FirstReceipt(ctx, uri)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs++
					t.Error(err)
				}
				if ok {
					first++
				}
			}()
		}
		wg.Wait()
		if first != 1 || errs != 0 {
			t.Fatalf("%s: %d first receipts (%d errors) among 8 at once on two processes, want 1", uri, first, errs)
		}
	}
}
