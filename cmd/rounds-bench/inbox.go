package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// inboxScenario: simulated servers deliver signed Creates to the shared
// inbox as fast as the server takes them.
type inboxScenario struct {
	servers, actors, activities, concurrency int
	duration                                 time.Duration
	verify                                   int
	verifyWait, setupTimeout                 time.Duration
}

func (s *inboxScenario) about() string {
	return `Plays --servers remote servers on loopback, each with --actors actors (WebFinger,
actor documents with keys, inboxes). The actors follow --account on the server
under test and it follows them back (through the API, with the account's
token), so that their posts are wanted there, as on any server. Then the
actors' public notes (every 4th mentions the account, every 5th replies to an
earlier note) go to the account's shared inbox as signed Create activities,
over --concurrency connections, each sent as soon as the last answer came.
The activities are signed before sending starts: signing is the senders' cost.

Reports accepted activities per second, latency percentiles and errors by
status, then looks for --verify of the accepted posts through the Mastodon
API (GET /api/v1/accounts/:id/statuses of their authors): every one must be
stored.
`
}

func (s *inboxScenario) needs() needs { return needs{target: true, account: true, tokens: true} }

func (s *inboxScenario) addFlags(fs *flag.FlagSet) {
	fs.IntVar(&s.servers, "servers", 10, "simulated remote servers")
	fs.IntVar(&s.actors, "actors", 2, "actors on each simulated server")
	fs.IntVar(&s.activities, "activities", 2000, "Create activities to send")
	fs.IntVar(&s.concurrency, "concurrency", 16, "concurrent connections to the inbox")
	fs.DurationVar(&s.duration, "duration", 0, "stop sending after this long (0: send them all)")
	fs.IntVar(&s.verify, "verify", 1000, "how many accepted posts to look for afterwards (0: none)")
	fs.DurationVar(&s.verifyWait, "verify-wait", 30*time.Second, "how long posts may take to show up (servers that store them in the background)")
	fs.DurationVar(&s.setupTimeout, "setup-timeout", 2*time.Minute, "how long the follows may take to be accepted")
}

func (s *inboxScenario) validate(c *common) error {
	switch {
	case s.servers < 1 || s.actors < 1:
		return usagef("--servers and --actors must be at least 1")
	case s.activities < 1:
		return usagef("--activities must be at least 1")
	case s.concurrency < 1:
		return usagef("--concurrency must be at least 1")
	case s.verify < 0:
		return usagef("--verify cannot be negative")
	}
	return nil
}

// inboxResults are the inbox scenario's figures.
type inboxResults struct {
	Servers           int            `json:"servers"`
	Actors            int            `json:"actors_total"`
	Sent              int            `json:"sent"`
	Accepted          int            `json:"accepted"`
	ElapsedS          float64        `json:"elapsed_s"`
	AcceptedPerSecond float64        `json:"accepted_per_s"`
	Latency           latencySummary `json:"latency"`
	Errors            map[string]int `json:"errors"`
	SigningS          float64        `json:"signing_s"`
	// ServerCPUS is the processor time the server used while the
	// activities were sent (when its pid is known).
	ServerCPUS float64 `json:"server_cpu_s,omitempty"`
	// NoteFetches counts GETs of notes by the server (replies whose parent
	// it did not have yet).
	NoteFetches int `json:"note_fetches"`
	Verified    struct {
		Checked  int `json:"checked"`
		Found    int `json:"found"`
		Actors   int `json:"actors"`
		Requests int `json:"requests"`
	} `json:"verified"`
}

// preparedPost is a signed delivery, ready to send.
type preparedPost struct {
	header http.Header
	body   []byte
	noteID string
	actor  int
}

func (s *inboxScenario) run(ctx context.Context, c *common) (*Report, error) {
	api := newAPIClient(c.target, c.timeout, 8)
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
	n, err := newSimNet(s.servers, func(int) int { return s.actors }, c.timeout)
	if err != nil {
		return nil, err
	}
	defer n.close()
	target, err := c.discoverTarget(ctx, n, me.Username)
	if err != nil {
		return nil, err
	}
	inbox := target.SharedInbox
	if inbox == "" {
		inbox = target.Inbox
	}
	if err := c.followTarget(ctx, n, target, s.concurrency, s.setupTimeout); err != nil {
		return nil, err
	}
	actors := n.allActors()
	accountIDs, err := s.followBack(ctx, c, api, token, actors)
	if err != nil {
		return nil, err
	}

	res := &inboxResults{Servers: s.servers, Actors: len(actors)}
	c.logf("signing %d activities", s.activities)
	signStart := time.Now()
	posts, err := s.prepare(ctx, c, n, actors, target, me.Username, inbox)
	if err != nil {
		return nil, err
	}
	res.SigningS = time.Since(signStart).Seconds()

	c.logf("sending %d activities to %s over %d connections", len(posts), inbox, s.concurrency)
	accepted := make([]bool, len(posts))
	rec := newRecorder(len(posts))
	cpuBefore := c.cpuMark()
	elapsed, sent := s.send(ctx, c, inbox, posts, accepted, rec)
	cpuAfter := c.cpuMark()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	outcomes := rec.outcomeCounts()
	res.Sent = sent
	res.Accepted = countOK(outcomes)
	res.ElapsedS = elapsed.Seconds()
	res.AcceptedPerSecond = float64(res.Accepted) / elapsed.Seconds()
	res.Latency = rec.summary()
	res.Errors = failures(outcomes)
	for _, srv := range n.servers {
		srv.mu.Lock()
		res.NoteFetches += srv.gets["note"]
		srv.mu.Unlock()
	}

	rep := newReport("inbox", c.target)
	rep.title = fmt.Sprintf("inbox: %s (@%s), %d servers x %d actors, %d activities, %d connections",
		c.target, me.Username, s.servers, s.actors, s.activities, s.concurrency)
	rep.Settings = map[string]any{"account": me.Username, "servers": s.servers, "actors": s.actors, "activities": s.activities,
		"concurrency": s.concurrency, "duration_s": s.duration.Seconds(), "inbox": inbox}
	rep.Results = res
	rep.row("accepted", "%d of %d sent (%d prepared)", res.Accepted, res.Sent, len(posts))
	rep.row("elapsed", "%.2f s", res.ElapsedS)
	rep.row("accepted/s", "%.0f", res.AcceptedPerSecond)
	rep.row("latency p50 / p95 / p99", "%.1f / %.1f / %.1f ms", res.Latency.P50, res.Latency.P95, res.Latency.P99)
	rep.row("latency mean / max", "%.1f / %.1f ms", res.Latency.Mean, res.Latency.Max)
	rep.row("errors", "%s", formatCounts(res.Errors))
	res.ServerCPUS = cpuRows(rep, "sending", cpuBefore, cpuAfter, res.ElapsedS)
	rep.row("notes fetched by the server", "%d", res.NoteFetches)
	rep.row("signing (before sending)", "%.1f s", res.SigningS)

	if s.verify > 0 && res.Accepted > 0 {
		c.logf("looking for accepted posts through the API")
		s.verifyStored(ctx, c, api, token, posts, accepted, accountIDs, res)
		rep.row("verified through the API", "%d of %d posts found (%d authors, %d requests)",
			res.Verified.Found, res.Verified.Checked, res.Verified.Actors, res.Verified.Requests)
		rep.check("accepted posts are stored", res.Verified.Found == res.Verified.Checked,
			"%d of %d sampled accepted posts found", res.Verified.Found, res.Verified.Checked)
	}
	badSigs := 0
	for _, srv := range n.servers {
		badSigs += srv.counts().badSigs
	}
	rep.check("the server's own deliveries were signed", badSigs == 0, "%d refused signatures on the simulated servers", badSigs)
	rep.goal("accepted activities/s", ">= 1500", fmt.Sprintf("%.0f", res.AcceptedPerSecond), res.AcceptedPerSecond >= 1500)
	rep.goal("latency p99", "< 50 ms", fmt.Sprintf("%.1f ms", res.Latency.P99), res.Latency.P99 < 50)
	return rep, nil
}

// followBack makes the account follow every actor, through the API, and
// waits until the server shows the follows as accepted. It returns the
// actors' account ids on the server.
func (s *inboxScenario) followBack(ctx context.Context, c *common, api *apiClient, token string, actors []simActor) ([]string, error) {
	c.logf("the account follows the %d actors back", len(actors))
	ids := make([]string, len(actors))
	bar := c.progress("follow back", len(actors))
	err := parallel(ctx, len(actors), 4, func(ctx context.Context, i int) error {
		a, err := api.lookup(ctx, token, actors[i].s.acct(actors[i].name))
		if err != nil {
			return err
		}
		ids[i] = a.ID
		bar.Add(1)
		return api.follow(ctx, token, a.ID)
	})
	bar.Finish()
	if err != nil {
		return nil, err
	}
	var following map[string]bool
	ok := waitUntil(ctx, s.setupTimeout, 200*time.Millisecond, func() bool {
		following, err = api.following(ctx, token, ids)
		if err != nil {
			return true
		}
		for _, id := range ids {
			if !following[id] {
				return false
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		k := 0
		for _, id := range ids {
			if following[id] {
				k++
			}
		}
		return nil, fmt.Errorf("after %v the server shows %d of %d follows of the simulated actors as accepted", s.setupTimeout, k, len(ids))
	}
	return ids, nil
}

// waitUntil polls cond every interval until it holds, limit passes or ctx
// ends.
func waitUntil(ctx context.Context, limit, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(interval):
		}
	}
	return true
}

// prepare builds and signs every activity, on all cores.
func (s *inboxScenario) prepare(ctx context.Context, c *common, n *simNet, actors []simActor, target *remoteActor, username, inbox string) ([]preparedPost, error) {
	u, err := url.Parse(inbox)
	if err != nil {
		return nil, fmt.Errorf("the shared inbox %q: %w", inbox, err)
	}
	posts := make([]preparedPost, s.activities)
	noteID := func(i int) string {
		a := actors[i%len(actors)]
		return fmt.Sprintf("%s/statuses/%s-%d", a.s.actorURL(a.name), n.run, i/len(actors))
	}
	published := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	mention := "@" + username + "@" + c.domain
	bar := c.progress("signing", s.activities)
	err = parallel(ctx, s.activities, runtime.NumCPU(), func(ctx context.Context, i int) error {
		a := actors[i%len(actors)]
		actorURL := a.s.actorURL(a.name)
		id := noteID(i)
		cc := []string{actorURL + "/followers"}
		content := fmt.Sprintf("<p>Handover note %d: bed %d needs a review before the <b>noon</b> round; see <a href=\"https://example.org/guideline/%d\">the guideline</a>.</p>", i, i%30+1, i%7)
		var tags []any
		if i%4 == 1 {
			content = fmt.Sprintf(`<p><span class="h-card"><a href="%s" class="u-url mention">@<span>%s</span></a></span> could you look at bed %d?</p>`, target.ID, username, i%30+1) + content
			tags = append(tags, map[string]string{"type": "Mention", "href": target.ID, "name": mention})
			cc = append(cc, target.ID)
		}
		note := map[string]any{
			"id": id, "type": "Note", "attributedTo": actorURL, "url": id, "content": content,
			"published": published, "to": []string{publicAudience}, "cc": cc, "sensitive": false,
		}
		if tags != nil {
			note["tag"] = tags
		}
		// A reply to a note sent a little earlier, by another actor.
		if parent := i - len(actors) - 1; i%5 == 4 && parent >= 0 {
			note["inReplyTo"] = noteID(parent)
		}
		withContext := map[string]any{"@context": as2Context}
		for k, v := range note {
			withContext[k] = v
		}
		nb, err := json.Marshal(withContext)
		if err != nil {
			return err
		}
		nu, _ := url.Parse(id)
		a.s.mu.Lock()
		a.s.notes[nu.Path] = nb
		a.s.mu.Unlock()

		body, err := json.Marshal(map[string]any{
			"@context": as2Context, "id": id + "/activity", "type": "Create", "actor": actorURL,
			"published": published, "to": []string{publicAudience}, "cc": cc, "object": note,
		})
		if err != nil {
			return err
		}
		req := &http.Request{Method: http.MethodPost, URL: u, Header: http.Header{}}
		req.Header.Set("Content-Type", "application/activity+json")
		req.Header.Set("User-Agent", "rounds-bench")
		if err := signRequest(req, body, n.key, a.s.keyID(a.name)); err != nil {
			return err
		}
		posts[i] = preparedPost{header: req.Header, body: body, noteID: id, actor: i % len(actors)}
		bar.Add(1)
		return nil
	})
	bar.Finish()
	return posts, err
}

// send delivers the posts over s.concurrency connections, each worker
// sending the next post as soon as its last one was answered. It returns
// the time from the first request to the last answer, and how many were
// sent.
func (s *inboxScenario) send(ctx context.Context, c *common, inbox string, posts []preparedPost, accepted []bool, rec *recorder) (time.Duration, int) {
	client := &http.Client{Timeout: c.timeout, Transport: &http.Transport{
		Proxy: nil, MaxIdleConns: s.concurrency, MaxIdleConnsPerHost: s.concurrency, MaxConnsPerHost: s.concurrency,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}}
	defer client.CloseIdleConnections()
	sendCtx := ctx
	if s.duration > 0 {
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithTimeout(ctx, s.duration)
		defer cancel()
	}
	bar := c.progress("sending", len(posts))
	var next, sent atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < s.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sendCtx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(posts) {
					return
				}
				p := &posts[i]
				// The request itself is not cut short by --duration: only
				// the sending of new ones stops.
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(p.body))
				req.Header = p.header.Clone()
				t0 := time.Now()
				resp, err := client.Do(req)
				code := 0
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				rec.add(time.Since(t0), code, err)
				accepted[i] = code/100 == 2
				sent.Add(1)
				bar.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	bar.Finish()
	return elapsed, int(sent.Load())
}

// verifyStored looks for accepted posts through the API, author by author,
// until s.verify posts have been looked for. Posts not found at first are
// looked for again until --verify-wait has passed.
func (s *inboxScenario) verifyStored(ctx context.Context, c *common, api *apiClient, token string, posts []preparedPost, accepted []bool, accountIDs []string, res *inboxResults) {
	byActor := map[int][]string{}
	for i, p := range posts {
		if accepted[i] {
			byActor[p.actor] = append(byActor[p.actor], p.noteID)
		}
	}
	var chosen []int
	checked := 0
	for a := 0; a < len(accountIDs) && checked < s.verify; a++ {
		if len(byActor[a]) > 0 {
			chosen = append(chosen, a)
			checked += len(byActor[a])
		}
	}
	res.Verified.Checked = checked
	res.Verified.Actors = len(chosen)
	missing := map[int]int{}
	deadline := time.Now().Add(s.verifyWait)
	for {
		found := 0
		for _, a := range chosen {
			if m, ok := missing[a]; ok && m == 0 {
				found += len(byActor[a])
				continue
			}
			seen, reqs, err := api.accountStatusURIs(ctx, token, accountIDs[a], 1<<30)
			res.Verified.Requests += reqs
			if err != nil {
				c.logf("listing the statuses of account %s: %v", accountIDs[a], err)
			}
			m := 0
			for _, id := range byActor[a] {
				if seen[id] {
					found++
				} else {
					m++
				}
			}
			missing[a] = m
		}
		res.Verified.Found = found
		if found == checked || time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
		time.Sleep(time.Second)
	}
}
