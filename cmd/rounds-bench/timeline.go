package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// timelineScenario: concurrent clients read home timelines through the
// Mastodon API, paging down as people scroll.
type timelineScenario struct {
	accounts, statuses, follows int
	prefix                      string
	concurrency, pages, limit   int
	duration                    time.Duration
	requests, warmup            int
}

func (s *timelineScenario) about() string {
	return `Reads home timelines through the Mastodon API (GET /api/v1/timelines/home
?limit=40, then older pages through the Link header, --pages deep, then from
the top again) with --concurrency clients, for --duration or --requests.

The server is filled first through the API: --accounts accounts named
--prefix0, --prefix1 ... (made with --create-account, or existing with
--password), each following the next --follows of them, and --statuses
public statuses spread over them. Each client reads as one of these
accounts. With --token or --token-file nothing is filled: the tokens'
timelines are read as they are (for a server filled beforehand, such as
Rounds with 'rounds admin seed ... --tokens N').

Servers limit requests per token (Mastodon: 300 in 5 minutes). The clients
read X-RateLimit-Remaining and stop using a token before it runs out; when
every token has, the run ends early and says so. Give more tokens for a
longer run.
`
}

func (s *timelineScenario) needs() needs { return needs{target: true, tokens: true} }

func (s *timelineScenario) addFlags(fs *flag.FlagSet) {
	fs.IntVar(&s.accounts, "accounts", 10, "accounts to fill the server with")
	fs.IntVar(&s.statuses, "statuses", 1000, "statuses to post while filling")
	fs.IntVar(&s.follows, "follows", -1, "accounts each account follows (default: all the others)")
	fs.StringVar(&s.prefix, "prefix", "bench", "username prefix of the accounts")
	fs.IntVar(&s.concurrency, "concurrency", 8, "concurrent clients")
	fs.IntVar(&s.pages, "pages", 5, "pages each client reads down before starting at the top again")
	fs.IntVar(&s.limit, "limit", 40, "statuses per page")
	fs.DurationVar(&s.duration, "duration", 10*time.Second, "how long to read")
	fs.IntVar(&s.requests, "requests", 0, "stop after this many measured requests (0: run for --duration)")
	fs.IntVar(&s.warmup, "warmup", 50, "requests made first and not measured")
}

func (s *timelineScenario) validate(c *common) error {
	if s.follows < 0 {
		s.follows = s.accounts - 1
	}
	switch {
	case s.accounts < 1:
		return usagef("--accounts must be at least 1")
	case s.follows >= s.accounts && s.accounts > 0:
		return usagef("--follows must be below --accounts")
	case s.statuses < 0:
		return usagef("--statuses cannot be negative")
	case s.concurrency < 1 || s.pages < 1 || s.limit < 1:
		return usagef("--concurrency, --pages and --limit must be at least 1")
	case s.duration <= 0 && s.requests <= 0:
		return usagef("give a positive --duration or --requests")
	case len(s.prefix)+len(fmt.Sprint(s.accounts)) > 30 || !validUsername(s.prefix):
		return usagef("--prefix must be a short username")
	}
	return nil
}

// timelineResults are the timeline scenario's figures.
type timelineResults struct {
	Seeded struct {
		Accounts int     `json:"accounts"`
		Statuses int     `json:"statuses"`
		Follows  int     `json:"follows"`
		Seconds  float64 `json:"seconds"`
	} `json:"seeded"`
	Tokens            int            `json:"tokens"`
	Requests          int            `json:"requests"`
	ElapsedS          float64        `json:"elapsed_s"`
	RequestsPerSecond float64        `json:"requests_per_s"`
	Latency           latencySummary `json:"latency"`
	Errors            map[string]int `json:"errors"`
	StatusesPerPage   float64        `json:"statuses_per_page"`
	// ServerCPUS is the processor time the server used while the clients
	// read (when its pid is known).
	ServerCPUS float64 `json:"server_cpu_s,omitempty"`
	// RateLimited is true when the run ended because every token reached
	// the server's rate limit.
	RateLimited bool `json:"rate_limited"`
}

func (s *timelineScenario) run(ctx context.Context, c *common) (*Report, error) {
	api := newAPIClient(c.target, c.timeout, s.concurrency)
	if err := c.checkReachable(ctx, api); err != nil {
		return nil, err
	}
	res := &timelineResults{}
	tokens, err := c.tokens()
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		if tokens, err = s.seed(ctx, c, api, res); err != nil {
			return nil, err
		}
	} else {
		c.logf("reading the timelines of %d given tokens; nothing is filled", len(tokens))
	}
	res.Tokens = len(tokens)

	c.logf("reading home timelines with %d clients", s.concurrency)
	rec := newRecorder(100_000)
	cpuBefore := c.cpuMark()
	s.read(ctx, c, api, tokens, rec, res)
	cpuAfter := c.cpuMark()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	outcomes := rec.outcomeCounts()
	res.Latency = rec.summary()
	res.Errors = failures(outcomes)

	rep := newReport("timeline", c.target)
	rep.title = fmt.Sprintf("timeline: %s, %d clients, %d pages deep, limit %d", c.target, s.concurrency, s.pages, s.limit)
	rep.Settings = map[string]any{"concurrency": s.concurrency, "pages": s.pages, "limit": s.limit, "duration_s": s.duration.Seconds(),
		"requests": s.requests, "warmup": s.warmup, "tokens": len(tokens)}
	if res.Seeded.Accounts > 0 {
		rep.Settings["accounts"], rep.Settings["statuses"], rep.Settings["follows"] = s.accounts, s.statuses, s.follows
		rep.row("filled through the API", "%d accounts, %d statuses, %d follows each, in %.1f s",
			res.Seeded.Accounts, res.Seeded.Statuses, s.follows, res.Seeded.Seconds)
	}
	rep.Results = res
	rep.row("requests measured", "%d (after %d warm-up), %d tokens", res.Requests, s.warmup, len(tokens))
	rep.row("requests/s", "%.0f", res.RequestsPerSecond)
	rep.row("latency p50 / p95 / p99", "%.1f / %.1f / %.1f ms", res.Latency.P50, res.Latency.P95, res.Latency.P99)
	rep.row("latency mean / max", "%.1f / %.1f ms", res.Latency.Mean, res.Latency.Max)
	rep.row("statuses per page", "%.1f", res.StatusesPerPage)
	rep.row("errors", "%s", formatCounts(res.Errors))
	res.ServerCPUS = cpuRows(rep, "reading", cpuBefore, cpuAfter, res.ElapsedS)
	if res.RateLimited {
		rep.row("stopped early", "every token reached the server's rate limit; give more tokens for a longer run")
	}
	rep.check("every page answered 200", len(res.Errors) == 0, "%s", formatCounts(res.Errors))
	rep.check("the timelines have statuses", res.StatusesPerPage > 0, "%.1f statuses per page", res.StatusesPerPage)
	goal := "home timeline p99"
	if s.concurrency > 1 {
		// With more readers than cores, requests wait for a core: the
		// figure then says as much about the machine as about the server.
		goal = fmt.Sprintf("home timeline p99 (%d clients on %d CPUs)", s.concurrency, runtime.NumCPU())
	}
	rep.goal(goal, "< 10 ms", fmt.Sprintf("%.1f ms", res.Latency.P99), res.Latency.P99 < 10)
	return rep, nil
}

// seed fills the server through the API and returns the accounts' tokens.
func (s *timelineScenario) seed(ctx context.Context, c *common, api *apiClient, res *timelineResults) ([]string, error) {
	start := time.Now()
	perToken := s.statuses/s.accounts + s.follows + 3
	if perToken > 280 {
		c.logf("warning: each account makes about %d requests while filling; servers with Mastodon's limit (300 per token in 5 minutes) will refuse some: use more --accounts", perToken)
	}
	c.logf("signing in %d accounts", s.accounts)
	tokens := make([]string, s.accounts)
	ids := make([]string, s.accounts)
	for i := range tokens {
		name := fmt.Sprintf("%s%d", s.prefix, i)
		tok, err := c.passwordSignIn(ctx, api, name)
		if err != nil {
			if statusOf(err) == http.StatusTooManyRequests {
				err = fmt.Errorf("%w (the server limits sign-ins per address; Rounds and Mastodon allow 25 in 5 minutes)", err)
			}
			return nil, err
		}
		me, err := api.verifyCredentials(ctx, tok)
		if err != nil {
			return nil, err
		}
		tokens[i], ids[i] = tok, me.ID
	}

	c.logf("%d follows each", s.follows)
	pairs := s.accounts * s.follows
	bar := c.progress("follows", pairs)
	err := parallel(ctx, pairs, s.concurrency, func(ctx context.Context, k int) error {
		i, j := k/s.follows, k%s.follows
		target := (i + j + 1) % s.accounts
		bar.Add(1)
		return api.follow(ctx, tokens[i], ids[target])
	})
	bar.Finish()
	if err != nil {
		return nil, fmt.Errorf("follow: %w", err)
	}

	c.logf("posting %d statuses", s.statuses)
	bar = c.progress("posting", s.statuses)
	err = parallel(ctx, s.statuses, s.concurrency, func(ctx context.Context, k int) error {
		text := fmt.Sprintf("Ward round note %d: reviewed bed %d, obs stable, plan unchanged. #rounds", k, k%30+1)
		if _, err := api.postStatus(ctx, tokens[k%s.accounts], text); err != nil {
			return err
		}
		bar.Add(1)
		return nil
	})
	bar.Finish()
	if err != nil {
		if statusOf(err) == http.StatusTooManyRequests {
			err = fmt.Errorf("%w (rate limited: use more --accounts)", err)
		}
		return nil, fmt.Errorf("post: %w", err)
	}
	res.Seeded.Accounts, res.Seeded.Statuses, res.Seeded.Follows = s.accounts, s.statuses, pairs
	res.Seeded.Seconds = time.Since(start).Seconds()
	return tokens, nil
}

// read runs the clients until --duration or --requests is reached, or
// every token is used up.
func (s *timelineScenario) read(ctx context.Context, c *common, api *apiClient, tokens []string, rec *recorder, res *timelineResults) {
	pool := newTokenPool(tokens, s.concurrency)
	runCtx := ctx
	if s.duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, s.duration)
		defer cancel()
	}
	var (
		made, measured, items, pagesRead atomic.Int64
		measureStart                     atomic.Int64 // unix nanos, set when the warm-up ends
		exhausted                        atomic.Bool
		wg                               sync.WaitGroup
	)
	if s.warmup == 0 {
		measureStart.Store(time.Now().UnixNano())
	}
	total := s.requests
	bar := c.progress("reading", total)
	top := fmt.Sprintf("%s/api/v1/timelines/home?limit=%d", c.target, s.limit)
	for w := 0; w < s.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				ti, tok := pool.take()
				if ti < 0 {
					exhausted.Store(true)
					return
				}
				next := top
				for p := 0; p < s.pages && next != "" && runCtx.Err() == nil; p++ {
					if s.requests > 0 && measured.Load() >= int64(s.requests) {
						return
					}
					if p > 0 && !pool.hasRoom(ti) {
						break // the token is near its limit: take another for the next walk
					}
					t0 := time.Now()
					resp, n, err := getPage(runCtx, api, next, tok)
					d := time.Since(t0)
					pool.note(ti, resp)
					if runCtx.Err() != nil {
						return // cut off by the end of the run: not a result
					}
					k := made.Add(1)
					if k == int64(s.warmup) {
						measureStart.Store(time.Now().UnixNano())
					}
					code := 0
					if resp != nil {
						code = resp.StatusCode
					}
					if k > int64(s.warmup) {
						rec.add(d, code, err)
						measured.Add(1)
						if code == http.StatusOK {
							items.Add(int64(n))
							pagesRead.Add(1)
						}
						bar.Add(1)
					}
					if code != http.StatusOK || n == 0 {
						break
					}
					next = nextLink(resp.Header.Get("Link"))
				}
			}
		}()
	}
	wg.Wait()
	bar.Finish()
	end := time.Now()
	res.Requests = int(measured.Load())
	if st := measureStart.Load(); st > 0 {
		res.ElapsedS = end.Sub(time.Unix(0, st)).Seconds()
		res.RequestsPerSecond = float64(res.Requests) / res.ElapsedS
	}
	if p := pagesRead.Load(); p > 0 {
		res.StatusesPerPage = float64(items.Load()) / float64(p)
	}
	res.RateLimited = exhausted.Load()
}

// getPage GETs one page of a timeline and counts its statuses.
func getPage(ctx context.Context, api *apiClient, u, token string) (*http.Response, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := api.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp, 0, nil
	}
	var page []json.RawMessage
	if err := json.Unmarshal(body, &page); err != nil {
		return resp, 0, fmt.Errorf("the timeline is not a JSON array: %w", err)
	}
	return resp, len(page), nil
}
