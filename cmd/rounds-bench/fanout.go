package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"time"
)

// fanoutScenario: a local account with followers on many simulated servers
// posts; the servers check each delivery's signature and count them.
type fanoutScenario struct {
	servers, followers, concurrency, posts int
	settle, timeout, setupTimeout          time.Duration
	sendDelay                              time.Duration
}

func (s *fanoutScenario) about() string {
	return `Plays --servers remote servers on loopback with --followers actors spread over
them, which follow --account on the server under test (signed Follows, each
accepted by the server). Then the account posts --posts public statuses
through the Mastodon API, one after the other. Each simulated server checks
the signature of every delivery and notes when the post first arrived and
how many requests brought it.

Reports the time from the API call until every server had the post,
deliveries per second, and requests per server: with shared inboxes, one.

A server that holds new posts back on purpose for a while (Rounds' send
delay, 60 s unless the admins set it otherwise) is best measured with the
delay set to 0. Otherwise give it as --send-delay: the goal is then judged
on the time after it.
`
}

func (s *fanoutScenario) needs() needs { return needs{target: true, account: true, tokens: true} }

func (s *fanoutScenario) addFlags(fs *flag.FlagSet) {
	fs.IntVar(&s.servers, "servers", 20, "simulated remote servers")
	fs.IntVar(&s.followers, "followers", 0, "followers, spread evenly over the servers (default: one per server)")
	fs.IntVar(&s.concurrency, "concurrency", 16, "concurrent Follow requests while setting up")
	fs.IntVar(&s.posts, "posts", 1, "posts to make, one after the other")
	fs.DurationVar(&s.settle, "settle", 2*time.Second, "how long to keep counting after a post reached every server (late duplicates)")
	fs.DurationVar(&s.timeout, "timeout", time.Minute, "how long a post may take to reach every server (after --send-delay)")
	fs.DurationVar(&s.sendDelay, "send-delay", 0, "how long the server holds a new post back before it leaves (Rounds' send delay)")
	fs.DurationVar(&s.setupTimeout, "setup-timeout", 5*time.Minute, "how long the follows may take to be accepted")
}

func (s *fanoutScenario) validate(c *common) error {
	if s.followers == 0 {
		s.followers = s.servers
	}
	switch {
	case s.servers < 1:
		return usagef("--servers must be at least 1")
	case s.followers < s.servers:
		return usagef("--followers (%d) must be at least --servers (%d): every server needs a follower", s.followers, s.servers)
	case s.concurrency < 1 || s.posts < 1:
		return usagef("--concurrency and --posts must be at least 1")
	case s.sendDelay < 0:
		return usagef("--send-delay cannot be negative")
	}
	return nil
}

// fanoutPost is how one post reached the simulated servers.
type fanoutPost struct {
	URI string `json:"uri"`
	// PostMS is how long the API took to answer the post.
	PostMS float64 `json:"post_ms"`
	// Reached is how many servers got it; AllMS is the time from the API
	// call until the last of them had it; FirstMS and MedianMS the same
	// for the first and the median server.
	Reached  int     `json:"reached"`
	FirstMS  float64 `json:"first_ms"`
	MedianMS float64 `json:"median_ms"`
	AllMS    float64 `json:"all_ms"`
	// DeliveriesPerSecond is servers reached / AllMS.
	DeliveriesPerSecond float64 `json:"deliveries_per_s"`
	// Requests brought the post (SharedInbox to shared inboxes, Personal
	// to actors' own); MaxPerServer is the most any one server got.
	Requests     int `json:"requests"`
	SharedInbox  int `json:"shared_inbox_requests"`
	Personal     int `json:"personal_inbox_requests"`
	MaxPerServer int `json:"max_requests_per_server"`
	// ServerCPUS is the processor time the server used from the post until
	// every server had it (when its pid is known).
	ServerCPUS float64 `json:"server_cpu_s,omitempty"`
}

// fanoutResults are the fanout scenario's figures.
type fanoutResults struct {
	Servers        int          `json:"servers"`
	Followers      int          `json:"followers"`
	FollowersShown int          `json:"followers_shown"`
	SetupS         float64      `json:"setup_s"`
	Posts          []fanoutPost `json:"posts"`
	SlowestAllMS   float64      `json:"slowest_all_ms"`
	BadSignatures  int          `json:"bad_signatures"`
}

func (s *fanoutScenario) run(ctx context.Context, c *common) (*Report, error) {
	api := newAPIClient(c.target, c.timeout, 4)
	if err := c.checkReachable(ctx, api); err != nil {
		return nil, err
	}
	token, err := c.signIn(ctx, api, c.account)
	if err != nil {
		return nil, err
	}
	me, err := api.verifyCredentials(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("check the token: %w", err)
	}
	c.logf("starting %d simulated servers", s.servers)
	setupStart := time.Now()
	n, err := newSimNet(s.servers, func(i int) int {
		k := s.followers / s.servers
		if i < s.followers%s.servers {
			k++
		}
		return k
	}, c.timeout)
	if err != nil {
		return nil, err
	}
	defer n.close()
	target, err := c.discoverTarget(ctx, n, me.Username)
	if err != nil {
		return nil, err
	}
	if err := c.followTarget(ctx, n, target, s.concurrency, s.setupTimeout); err != nil {
		return nil, err
	}
	res := &fanoutResults{Servers: s.servers, Followers: s.followers, SetupS: time.Since(setupStart).Seconds()}
	if me2, err := api.verifyCredentials(ctx, token); err == nil {
		res.FollowersShown = me2.FollowersCount
	}

	rep := newReport("fanout", c.target)
	rep.title = fmt.Sprintf("fanout: %s (@%s), %d followers on %d servers, %d post(s)", c.target, me.Username, s.followers, s.servers, s.posts)
	rep.Settings = map[string]any{"account": me.Username, "servers": s.servers, "followers": s.followers, "posts": s.posts,
		"settle_s": s.settle.Seconds(), "send_delay_s": s.sendDelay.Seconds()}
	rep.Results = res

	for p := 0; p < s.posts; p++ {
		fp, err := s.onePost(ctx, c, api, token, n, p)
		if err != nil {
			return nil, err
		}
		res.Posts = append(res.Posts, *fp)
		res.SlowestAllMS = max(res.SlowestAllMS, fp.AllMS)
	}
	for _, srv := range n.servers {
		res.BadSignatures += srv.counts().badSigs
	}

	rep.row("followers shown by the server", "%d (set up in %.1f s)", res.FollowersShown, res.SetupS)
	allReached, onePer := true, true
	for i, fp := range res.Posts {
		name := "post"
		if len(res.Posts) > 1 {
			name = fmt.Sprintf("post %d", i+1)
		}
		rep.row(name+": API answered", "%.1f ms", fp.PostMS)
		rep.row(name+": servers reached", "%d of %d", fp.Reached, s.servers)
		rep.row(name+": first / median / all servers", "%.0f / %.0f / %.0f ms after the API call", fp.FirstMS, fp.MedianMS, fp.AllMS)
		rep.row(name+": first to last server", "%.0f ms", fp.AllMS-fp.FirstMS)
		rep.row(name+": deliveries/s", "%.0f", fp.DeliveriesPerSecond)
		if fp.ServerCPUS > 0 {
			rep.row(name+": server CPU until all had it", "%.2f s", fp.ServerCPUS)
		}
		rep.row(name+": requests (shared / personal inboxes)", "%d (%d / %d), at most %d per server", fp.Requests, fp.SharedInbox, fp.Personal, fp.MaxPerServer)
		allReached = allReached && fp.Reached == s.servers
		onePer = onePer && fp.Requests == s.servers && fp.MaxPerServer == 1 && fp.Personal == 0
	}
	rep.check("every server got every post", allReached, "%d servers, %d post(s)", s.servers, len(res.Posts))
	rep.check("one request per shared inbox", onePer, "requests per post: %s", requestsList(res.Posts))
	rep.check("every delivery was signed", res.BadSignatures == 0, "%d refused signatures", res.BadSignatures)
	if s.servers >= 1000 {
		took := res.SlowestAllMS - ms(s.sendDelay)
		name := fmt.Sprintf("post delivered to %d servers", s.servers)
		if s.sendDelay > 0 {
			name += fmt.Sprintf(" (after the %v send delay)", s.sendDelay)
		}
		rep.goal(name, "< 1.3 s", fmt.Sprintf("%.2f s", took/1000), took < 1300)
	}
	total := 0
	for _, fp := range res.Posts {
		total += fp.Requests
	}
	rep.goal("requests per shared inbox", "1", fmt.Sprintf("%d for %d post(s) to %d servers", total, len(res.Posts), s.servers), onePer)
	return rep, nil
}

func requestsList(posts []fanoutPost) string {
	s := ""
	for i, p := range posts {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d to %d servers", p.Requests, p.Reached)
	}
	return s
}

// onePost posts through the API and follows the post to every server.
func (s *fanoutScenario) onePost(ctx context.Context, c *common, api *apiClient, token string, n *simNet, p int) (*fanoutPost, error) {
	if s.sendDelay > 0 {
		c.logf("posting; waiting %v (the send delay) and then for %d servers", s.sendDelay, s.servers)
	} else {
		c.logf("posting; waiting for %d servers", s.servers)
	}
	text := fmt.Sprintf("Fan-out check number %d from rounds-bench: the ward is quiet, handover at eight.", p+1)
	cpuBefore := c.cpuMark()
	t0 := time.Now()
	st, err := api.postStatus(ctx, token, text)
	if err != nil {
		return nil, fmt.Errorf("post: %w", err)
	}
	fp := &fanoutPost{URI: st.URI, PostMS: ms(time.Since(t0))}
	bar := c.progress("delivered", s.servers)
	reached := func() int {
		k := 0
		for _, srv := range n.servers {
			if srv.arrivalOf(st.URI) != nil {
				k++
			}
		}
		bar.Set(int64(k))
		return k
	}
	n.waitFor(ctx, s.sendDelay+s.timeout, func() bool { return reached() == s.servers })
	if after := c.cpuMark(); cpuBefore.server >= 0 && after.server >= 0 {
		fp.ServerCPUS = after.server - cpuBefore.server
	}
	bar.Finish()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// Late and duplicate deliveries still count.
	select {
	case <-time.After(s.settle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var times []time.Duration
	for _, srv := range n.servers {
		a := srv.arrivalOf(st.URI)
		if a == nil {
			continue
		}
		times = append(times, a.First.Sub(t0))
		fp.SharedInbox += a.Shared
		fp.Personal += a.Personal
		fp.MaxPerServer = max(fp.MaxPerServer, a.Shared+a.Personal)
	}
	fp.Requests = fp.SharedInbox + fp.Personal
	fp.Reached = len(times)
	if len(times) > 0 {
		slices.Sort(times)
		fp.FirstMS = ms(times[0])
		fp.MedianMS = ms(percentile(times, 50))
		fp.AllMS = ms(times[len(times)-1])
		fp.DeliveriesPerSecond = float64(len(times)) / times[len(times)-1].Seconds()
	}
	return fp, nil
}
