package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
resident memory from /proc/PID/status (VmRSS, with RssAnon and RssFile) and
the processor time it used while idle (the sum of its threads'
/proc/PID/task/*/schedstat, in nanoseconds; utime and stime of
/proc/PID/stat, in 10 ms ticks, where that is missing), as a percentage of
one core. Then it stops the server with SIGTERM. A longer --idle (60s)
gives a steadier CPU figure.

For memory after the other scenarios, give them --server-pid (or
--server-cmd) and they report it too.
`
}

func (s *idleScenario) needs() needs { return needs{} }

func (s *idleScenario) addFlags(fs *flag.FlagSet) {
	fs.DurationVar(&s.idle, "idle", 10*time.Second, "how long the server idles before its memory is read (its processor time is measured over the same window)")
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
	// CPUPercent is the processor time the server used while idle, in
	// percent of one core.
	CPUPercent float64 `json:"idle_cpu_percent"`
}

func (s *idleScenario) run(ctx context.Context, c *common) (*Report, error) {
	c.logf("starting: %s", c.serverCmd)
	p, took, err := startServer(ctx, c.serverCmd, c.readyURL, time.Minute)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	c.logf("answering after %.0f ms; idling %v", ms(took), s.idle)
	cpuBefore, err := idleCPUSeconds(p.pid())
	if err != nil {
		return nil, err
	}
	idleStart := time.Now()
	select {
	case <-time.After(s.idle):
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, fmt.Errorf("the server exited while idle; its last output:\n%s", p.logs.String())
	}
	cpuAfter, err := idleCPUSeconds(p.pid())
	if err != nil {
		return nil, err
	}
	window := time.Since(idleStart)
	m, err := readMemory(p.pid(), fmt.Sprintf("after %v idle", s.idle))
	if err != nil {
		return nil, err
	}
	res := &idleResults{StartMS: ms(took), IdleS: s.idle.Seconds(), Memory: m}
	if window > 0 {
		res.CPUPercent = 100 * (cpuAfter - cpuBefore) / window.Seconds()
	}
	rep := newReport("idle", c.readyURL)
	rep.title = fmt.Sprintf("idle: %s", c.serverCmd)
	rep.Settings = map[string]any{"server_cmd": c.serverCmd, "ready_url": c.readyURL, "idle_s": s.idle.Seconds()}
	rep.Results = res
	rep.Server = &ServerStats{PID: p.pid(), StartMS: res.StartMS, Memory: []Memory{m}}
	rep.row("serving after", "%.0f ms", res.StartMS)
	rep.row("processor time while idle", "%.3f %% of a core over %.1f s", res.CPUPercent, window.Seconds())
	// Anonymous memory is what the process owns; the file-backed rest is
	// pages of the binary, shared and reclaimable (see BENCHMARKS.md).
	rep.goal("anonymous memory idle", "<= 12 MiB", fmt.Sprintf("%.1f MiB", mib(m.Anon)), mib(m.Anon) <= 12)
	rep.goal("resident memory idle", "<= 40 MiB", fmt.Sprintf("%.1f MiB", mib(m.RSS)), mib(m.RSS) <= 40)
	rep.goal("processor time idle", "<= 0.3 % of a core", fmt.Sprintf("%.3f %%", res.CPUPercent), res.CPUPercent <= 0.3)
	rep.goal("serving after start", "< 0.3 s", fmt.Sprintf("%.3f s", res.StartMS/1000), res.StartMS < 300)
	return rep, nil
}

// idleCPUSeconds is the processor time process pid has used: the sum of
// its threads' run time from /proc/PID/task/*/schedstat (nanoseconds, so a
// short idle window still measures a small load), or utime and stime when
// schedstat is missing. A thread that exited leaves the schedstat sum, so
// compare two readings of the same threads (an idle Go server keeps its).
func idleCPUSeconds(pid int) (float64, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err == nil && len(tasks) > 0 {
		var ns float64
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err != nil {
				continue // the thread exited
			}
			f := strings.Fields(string(b))
			if len(f) == 0 {
				continue
			}
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", t, err)
			}
			ns += v
		}
		return ns / 1e9, nil
	}
	return cpuSeconds(pid)
}
