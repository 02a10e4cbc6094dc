package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// streamScenario: many clients hold streaming connections (WebSocket, as
// Mastodon's apps do) while an account posts; how long until every client
// has the post, and what each idle connection costs the server.
type streamScenario struct {
	clients, posts, accounts, concurrency int
	prefix                                string
	idle, timeout                         time.Duration
}

func (s *streamScenario) about() string {
	return `Opens --clients WebSocket streams (GET /api/v1/streaming), half on
stream=user and half on stream=public:local, as --accounts accounts named
--prefix0, --prefix1 ... (made with --create-account, or existing with
--password), each following --account. The clients share the accounts'
tokens, one token for every --accounts-th client.

With every client connected, the server's memory is read (given its pid,
as with --rounds or --server-pid) before and after --idle, and the growth
over the connections is reported per connection. Then --account posts
--posts public statuses through the API, one after the other, and each
client notes when the post's update event arrived. Reports the time from
the post's API answer until each client had it (p50, p99 and max over the
clients; an event that came before the answer counts as 0), and from the
API call.

Each client needs a file descriptor, and so does the server for each: the
soft limit on open files is raised to the hard limit for rounds-bench and
the server it starts.
`
}

func (s *streamScenario) needs() needs { return needs{target: true, account: true} }

func (s *streamScenario) addFlags(fs *flag.FlagSet) {
	fs.IntVar(&s.clients, "clients", 1000, "streaming connections")
	fs.IntVar(&s.posts, "posts", 5, "posts to make, one after the other")
	fs.IntVar(&s.accounts, "accounts", 10, "accounts the clients listen as (each follows --account)")
	fs.StringVar(&s.prefix, "prefix", "listener", "username prefix of the listening accounts")
	fs.IntVar(&s.concurrency, "concurrency", 32, "connections opened at once")
	fs.DurationVar(&s.idle, "idle", 5*time.Second, "how long the connected clients idle before the server's memory is read")
	fs.DurationVar(&s.timeout, "timeout", 30*time.Second, "how long a post may take to reach every client")
}

func (s *streamScenario) validate(c *common) error {
	switch {
	case s.clients < 1 || s.posts < 1 || s.accounts < 1 || s.concurrency < 1:
		return usagef("--clients, --posts, --accounts and --concurrency must be at least 1")
	case s.idle < 0 || s.timeout <= 0:
		return usagef("--idle cannot be negative and --timeout must be positive")
	case len(s.prefix)+len(fmt.Sprint(s.accounts)) > 30 || !validUsername(s.prefix):
		return usagef("--prefix must be a short username")
	}
	// Before the server is started, so that it inherits the limit too.
	return raiseOpenFiles(uint64(s.clients)*2 + 256)
}

// raiseOpenFiles raises the soft limit on open files to the hard limit
// when it is below need, and fails when even the hard limit is.
func raiseOpenFiles(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // not knowable here: let the connections tell
	}
	if lim.Cur >= need {
		return nil
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("raise the limit on open files to %d: %w", lim.Max, err)
	}
	if lim.Cur < need {
		return fmt.Errorf("the hard limit on open files (%d) is below the %d needed: raise it (ulimit -Hn) or use fewer --clients", lim.Cur, need)
	}
	return nil
}

// streamPost is how one post reached the clients.
type streamPost struct {
	ID string `json:"id"`
	// PostMS is how long the API took to answer the post.
	PostMS float64 `json:"post_ms"`
	// Received is how many clients had the update event in time.
	Received int `json:"received"`
	// AfterAnswer is, over the clients that had it, the time from the API
	// answer to the event (0 when it came first); AfterCall from the call.
	AfterAnswer latencySummary `json:"after_answer"`
	AfterCall   latencySummary `json:"after_call"`
	// ServerCPUS is the processor time the server used from the call until
	// every client had the post (when its pid is known).
	ServerCPUS float64 `json:"server_cpu_s,omitempty"`
}

// streamResults are the stream scenario's figures.
type streamResults struct {
	Clients   int     `json:"clients"`
	Connected int     `json:"connected"`
	ConnectS  float64 `json:"connect_s"`
	// ConnectLatency is the time each WebSocket handshake took.
	ConnectLatency latencySummary `json:"connect_latency"`
	// MemoryBefore and MemoryIdle are the server's memory before the
	// clients connected and after they had idled (when its pid is known);
	// the per-connection figures are their difference over the clients.
	MemoryBefore   *Memory      `json:"memory_before,omitempty"`
	MemoryIdle     *Memory      `json:"memory_idle,omitempty"`
	AnonPerConnKiB float64      `json:"anon_per_conn_kib,omitempty"`
	RSSPerConnKiB  float64      `json:"rss_per_conn_kib,omitempty"`
	Posts          []streamPost `json:"posts"`
	// AfterAnswer and AfterCall are over every client and every post.
	AfterAnswer latencySummary `json:"after_answer"`
	AfterCall   latencySummary `json:"after_call"`
	// Dropped is how many connections ended before the run did.
	Dropped int `json:"dropped"`
}

// streamClient is one open stream and the update events it got.
type streamClient struct {
	conn *websocket.Conn
	mu   sync.Mutex
	got  map[string]time.Time // status id -> arrival
	done chan struct{}        // closed when the connection ends
}

func (cl *streamClient) arrival(id string) (time.Time, bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	t, ok := cl.got[id]
	return t, ok
}

// read records the update events until the connection ends.
func (cl *streamClient) read(ctx context.Context) {
	defer close(cl.done)
	for {
		_, data, err := cl.conn.Read(ctx)
		if err != nil {
			return
		}
		at := time.Now()
		var m struct {
			Event   string `json:"event"`
			Payload string `json:"payload"`
		}
		if json.Unmarshal(data, &m) != nil || m.Event != "update" {
			continue
		}
		var st struct {
			ID string `json:"id"`
		}
		if json.Unmarshal([]byte(m.Payload), &st) != nil || st.ID == "" {
			continue
		}
		cl.mu.Lock()
		if _, seen := cl.got[st.ID]; !seen {
			cl.got[st.ID] = at
		}
		cl.mu.Unlock()
	}
}

// streamName is the stream client i listens to: half on the home stream,
// half on the local public one.
func streamName(i int) string {
	if i%2 == 0 {
		return "user"
	}
	return "public:local"
}

func (s *streamScenario) run(ctx context.Context, c *common) (*Report, error) {
	api := newAPIClient(c.target, c.timeout, 4)
	if err := c.checkReachable(ctx, api); err != nil {
		return nil, err
	}
	posterToken, err := c.signIn(ctx, api, c.account)
	if err != nil {
		return nil, err
	}
	poster, err := api.verifyCredentials(ctx, posterToken)
	if err != nil {
		return nil, fmt.Errorf("check the token: %w", err)
	}
	c.logf("signing in %d listening accounts, each following @%s", s.accounts, poster.Username)
	tokens := make([]string, s.accounts)
	for i := range tokens {
		name := fmt.Sprintf("%s%d", s.prefix, i)
		tok, err := c.passwordSignIn(ctx, api, name)
		if err != nil {
			if statusOf(err) == http.StatusTooManyRequests {
				err = fmt.Errorf("%w (the server limits sign-ins per address; Rounds and Mastodon allow 25 in 5 minutes: use fewer --accounts)", err)
			}
			return nil, err
		}
		if err := api.follow(ctx, tok, poster.ID); err != nil {
			return nil, fmt.Errorf("@%s follows @%s: %w", name, poster.Username, err)
		}
		tokens[i] = tok
	}

	res := &streamResults{Clients: s.clients}
	if c.serverPID != 0 {
		m, err := readMemory(c.serverPID, "before the clients connected")
		if err != nil {
			return nil, err
		}
		res.MemoryBefore = &m
	}

	wsBase := "ws" + strings.TrimPrefix(c.target, "http") + "/api/v1/streaming?stream="
	dialer := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: c.timeout}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	clients := make([]*streamClient, s.clients)
	connectTimes := make([]time.Duration, s.clients)
	c.logf("opening %d streams", s.clients)
	bar := c.progress("connected", s.clients)
	connectStart := time.Now()
	err = parallel(ctx, s.clients, s.concurrency, func(ctx context.Context, i int) error {
		h := http.Header{}
		h.Set("Authorization", "Bearer "+tokens[i%len(tokens)])
		dctx, dcancel := context.WithTimeout(ctx, c.timeout)
		defer dcancel()
		t0 := time.Now()
		conn, resp, err := websocket.Dial(dctx, wsBase+url.QueryEscape(streamName(i)), &websocket.DialOptions{HTTPClient: dialer, HTTPHeader: h})
		if err != nil {
			if resp != nil {
				err = fmt.Errorf("%w (answered %d)", err, resp.StatusCode)
			}
			return fmt.Errorf("open stream %d (%s): %w", i+1, streamName(i), err)
		}
		connectTimes[i] = time.Since(t0)
		cl := &streamClient{conn: conn, got: map[string]time.Time{}, done: make(chan struct{})}
		clients[i] = cl
		go cl.read(runCtx)
		bar.Add(1)
		return nil
	})
	bar.Finish()
	defer func() {
		for _, cl := range clients {
			if cl != nil {
				cl.conn.Close(websocket.StatusNormalClosure, "")
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	res.Connected = s.clients
	res.ConnectS = time.Since(connectStart).Seconds()
	res.ConnectLatency = summarize(connectTimes)

	if res.MemoryBefore != nil {
		c.logf("%d streams open; idling %v", s.clients, s.idle)
		select {
		case <-time.After(s.idle):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		m, err := readMemory(c.serverPID, fmt.Sprintf("with %d streams open, after %v idle", s.clients, s.idle))
		if err != nil {
			return nil, err
		}
		res.MemoryIdle = &m
		res.AnonPerConnKiB = float64(m.Anon-res.MemoryBefore.Anon) / float64(s.clients)
		res.RSSPerConnKiB = float64(m.RSS-res.MemoryBefore.RSS) / float64(s.clients)
	}

	var allAnswer, allCall []time.Duration
	for p := 0; p < s.posts; p++ {
		sp, answer, call, err := s.onePost(ctx, c, api, posterToken, clients, p)
		if err != nil {
			return nil, err
		}
		res.Posts = append(res.Posts, *sp)
		allAnswer = append(allAnswer, answer...)
		allCall = append(allCall, call...)
	}
	res.AfterAnswer, res.AfterCall = summarize(allAnswer), summarize(allCall)
	for _, cl := range clients {
		select {
		case <-cl.done:
			res.Dropped++
		default:
		}
	}
	return s.report(c, res), nil
}

// onePost posts and waits until every client has the post's update event,
// or --timeout. It returns the post's figures and each client's times.
func (s *streamScenario) onePost(ctx context.Context, c *common, api *apiClient, token string, clients []*streamClient, p int) (*streamPost, []time.Duration, []time.Duration, error) {
	c.logf("post %d of %d; waiting for %d clients", p+1, s.posts, len(clients))
	text := fmt.Sprintf("Streaming check number %d from rounds-bench: bay 3 is clear, the next admission is at nine.", p+1)
	cpuBefore := c.cpuMark()
	t0 := time.Now()
	st, err := api.postStatus(ctx, token, text)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("post: %w", err)
	}
	answered := time.Now()
	sp := &streamPost{ID: st.ID, PostMS: ms(answered.Sub(t0))}
	bar := c.progress("received", len(clients))
	received := func() int {
		k := 0
		for _, cl := range clients {
			if _, ok := cl.arrival(st.ID); ok {
				k++
			}
		}
		bar.Set(int64(k))
		return k
	}
	deadline := time.Now().Add(s.timeout)
	for received() < len(clients) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	if after := c.cpuMark(); cpuBefore.server >= 0 && after.server >= 0 {
		sp.ServerCPUS = after.server - cpuBefore.server
	}
	bar.Finish()
	if ctx.Err() != nil {
		return nil, nil, nil, ctx.Err()
	}
	var afterAnswer, afterCall []time.Duration
	for _, cl := range clients {
		at, ok := cl.arrival(st.ID)
		if !ok {
			continue
		}
		afterAnswer = append(afterAnswer, max(at.Sub(answered), 0))
		afterCall = append(afterCall, at.Sub(t0))
	}
	sp.Received = len(afterAnswer)
	sp.AfterAnswer, sp.AfterCall = summarize(slices.Clone(afterAnswer)), summarize(slices.Clone(afterCall))
	return sp, afterAnswer, afterCall, nil
}

func (s *streamScenario) report(c *common, res *streamResults) *Report {
	rep := newReport("stream", c.target)
	rep.title = fmt.Sprintf("stream: %s, %d clients (half user, half public:local) as %d accounts, %d post(s) by @%s", c.target, s.clients, s.accounts, s.posts, c.account)
	rep.Settings = map[string]any{"clients": s.clients, "posts": s.posts, "accounts": s.accounts, "account": c.account, "idle_s": s.idle.Seconds()}
	rep.Results = res
	rep.row("streams opened", "%d in %.1f s; handshake p50 / p99 / max %.1f / %.1f / %.1f ms",
		res.Connected, res.ConnectS, res.ConnectLatency.P50, res.ConnectLatency.P99, res.ConnectLatency.Max)
	if res.MemoryIdle != nil {
		rep.row("server memory before the streams", "%s", res.MemoryBefore)
		rep.row("server memory with them idle", "%s", res.MemoryIdle)
		rep.row("server memory per idle stream", "%.1f KiB anonymous, %.1f KiB resident", res.AnonPerConnKiB, res.RSSPerConnKiB)
	}
	allGot := true
	for i, sp := range res.Posts {
		name := fmt.Sprintf("post %d", i+1)
		rep.row(name+": API answered", "%.1f ms", sp.PostMS)
		rep.row(name+": clients that got it", "%d of %d", sp.Received, s.clients)
		rep.row(name+": after the answer p50 / p99 / max", "%.1f / %.1f / %.1f ms", sp.AfterAnswer.P50, sp.AfterAnswer.P99, sp.AfterAnswer.Max)
		if sp.ServerCPUS > 0 {
			rep.row(name+": server CPU until all had it", "%.2f s", sp.ServerCPUS)
		}
		allGot = allGot && sp.Received == s.clients
	}
	rep.row("every post, after the answer p50 / p99 / max", "%.1f / %.1f / %.1f ms", res.AfterAnswer.P50, res.AfterAnswer.P99, res.AfterAnswer.Max)
	rep.row("every post, after the call p50 / p99 / max", "%.1f / %.1f / %.1f ms", res.AfterCall.P50, res.AfterCall.P99, res.AfterCall.Max)
	rep.check("every client got every post", allGot, "%d clients, %d post(s), within %v each", s.clients, len(res.Posts), s.timeout)
	rep.check("every stream stayed open", res.Dropped == 0, "%d of %d closed during the run", res.Dropped, s.clients)
	rep.goal(fmt.Sprintf("post to %d streams, p99 (%d CPUs, shared with the clients)", s.clients, runtime.NumCPU()),
		"<= 250 ms", fmt.Sprintf("%.1f ms", res.AfterAnswer.P99), allGot && res.AfterAnswer.P99 <= 250)
	if res.MemoryIdle != nil {
		rep.goal("server memory per idle stream (anonymous)", "<= 50 KiB", fmt.Sprintf("%.1f KiB", res.AnonPerConnKiB), res.AnonPerConnKiB <= 50)
	}
	return rep
}
