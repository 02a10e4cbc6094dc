package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"time"
)

// idleScenario: start the server, time its first answer, and measure its
// memory when it has nothing to do.
type idleScenario struct {
	idle time.Duration
}

func (s *idleScenario) about() string {
	return `Starts the server with --server-cmd (through sh; the server should be the
process sh execs, so run the binary, not 'go run'), polls --ready-url until
it answers (any status below 500), then waits --idle and reads the process's
resident memory from /proc/PID/status (VmRSS, with RssAnon and RssFile).
Then it stops the server with SIGTERM.

For memory after the other scenarios, give them --server-pid (or
--server-cmd) and they report it too.
`
}

func (s *idleScenario) needs() needs { return needs{} }

func (s *idleScenario) addFlags(fs *flag.FlagSet) {
	fs.DurationVar(&s.idle, "idle", 10*time.Second, "how long the server idles before its memory is read")
}

func (s *idleScenario) validate(c *common) error {
	if c.rounds != "" {
		if s.idle < 0 {
			return usagef("--idle cannot be negative")
		}
		return nil // --rounds sets the command and its URL up
	}
	switch {
	case c.serverCmd == "":
		return usagef("give --server-cmd (the command line that starts the server) or --rounds")
	case c.readyURL == "":
		return usagef("give --ready-url, such as http://127.0.0.1:8080/healthz")
	case c.serverPID != 0:
		return usagef("idle starts the server itself: give --server-cmd, not --server-pid")
	case s.idle < 0:
		return usagef("--idle cannot be negative")
	}
	if u, err := url.Parse(c.readyURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return usagef("--ready-url %q is not an http or https URL", c.readyURL)
	}
	return nil
}

// idleResults are the idle scenario's figures.
type idleResults struct {
	StartMS float64 `json:"start_ms"`
	IdleS   float64 `json:"idle_s"`
	Memory  Memory  `json:"memory"`
}

func (s *idleScenario) run(ctx context.Context, c *common) (*Report, error) {
	c.logf("starting: %s", c.serverCmd)
	p, took, err := startServer(ctx, c.serverCmd, c.readyURL, time.Minute)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	c.logf("answering after %.0f ms; idling %v", ms(took), s.idle)
	select {
	case <-time.After(s.idle):
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, fmt.Errorf("the server exited while idle; its last output:\n%s", p.logs.String())
	}
	m, err := readMemory(p.pid(), fmt.Sprintf("after %v idle", s.idle))
	if err != nil {
		return nil, err
	}
	res := &idleResults{StartMS: ms(took), IdleS: s.idle.Seconds(), Memory: m}
	rep := newReport("idle", c.readyURL)
	rep.title = fmt.Sprintf("idle: %s", c.serverCmd)
	rep.Settings = map[string]any{"server_cmd": c.serverCmd, "ready_url": c.readyURL, "idle_s": s.idle.Seconds()}
	rep.Results = res
	rep.Server = &ServerStats{PID: p.pid(), StartMS: res.StartMS, Memory: []Memory{m}}
	rep.row("serving after", "%.0f ms", res.StartMS)
	rep.goal("resident memory idle", "< 25 MiB", fmt.Sprintf("%.1f MiB", mib(m.RSS)), mib(m.RSS) < 25)
	rep.goal("serving after start", "< 0.3 s", fmt.Sprintf("%.3f s", res.StartMS/1000), res.StartMS < 300)
	return rep, nil
}
