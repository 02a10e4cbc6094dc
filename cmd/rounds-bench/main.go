// Command rounds-bench is a load generator for Rounds and other servers
// that speak ActivityPub and the Mastodon client API. Every scenario talks
// to the server under test only over HTTP (and plays the other servers of
// the fediverse itself, on loopback), so the same command lines measure
// Rounds, GoToSocial or Mastodon on the same work.
//
//	rounds-bench inbox    signed Creates from simulated servers into the shared inbox
//	rounds-bench fanout   one post delivered to followers on many simulated servers
//	rounds-bench timeline home timelines read through the API by concurrent clients
//	rounds-bench idle     start time and resident memory of the server process
//	rounds-bench stream   a post reaching many streaming clients, memory per stream
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"rounds/internal/progress"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

const usage = `rounds-bench measures a fediverse server: Rounds, GoToSocial, Mastodon ...

Usage:
  rounds-bench inbox    [flags]  signed Creates from simulated servers into the shared inbox
  rounds-bench fanout   [flags]  one post delivered to followers on many simulated servers
  rounds-bench timeline [flags]  home timelines read through the Mastodon API
  rounds-bench idle     [flags]  start time and resident memory of the server process
  rounds-bench stream   [flags]  a post reaching many WebSocket streams; memory per stream

Results are printed as a table, or as JSON with --json. The exit code is 0
when the run completed and its checks passed, 1 when it failed, 2 for a
command line that cannot be understood.
Run 'rounds-bench SCENARIO -h' for the flags of a scenario.
`

const (
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// scenario is one kind of measurement.
type scenario interface {
	// about is the paragraph shown above the flags by -h.
	about() string
	// needs says which of the shared flags the scenario takes.
	needs() needs
	addFlags(fs *flag.FlagSet)
	// validate checks the scenario's own flags.
	validate(c *common) error
	run(ctx context.Context, c *common) (*Report, error)
}

type needs struct {
	target, account, tokens bool
}

// run carries out one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var s scenario
	switch args[0] {
	case "inbox":
		s = &inboxScenario{}
	case "fanout":
		s = &fanoutScenario{}
	case "timeline":
		s = &timelineScenario{}
	case "idle":
		s = &idleScenario{}
	case "stream":
		s = &streamScenario{}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "rounds-bench: unknown scenario %q\n\n%s", args[0], usage)
		return exitUsage
	}
	return runScenario(ctx, args[0], s, args[1:], stdout, stderr)
}

// usageError is a command line that cannot be understood.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func runScenario(ctx context.Context, name string, s scenario, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rounds-bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &common{name: name, stdout: stdout, stderr: stderr}
	c.addFlags(fs, s.needs())
	s.addFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rounds-bench %s [flags]\n\n%s\nFlags:\n", name, s.about())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage // the flag package has printed the problem and the usage
	}
	err := func() error {
		if fs.NArg() > 0 {
			return usagef("unexpected argument %q", fs.Arg(0))
		}
		if err := c.validate(s.needs()); err != nil {
			return err
		}
		return s.validate(c)
	}()
	if err != nil {
		fmt.Fprintf(stderr, "rounds-bench %s: %v\nRun 'rounds-bench %s -h' for the flags.\n", name, err, name)
		return exitUsage
	}

	loadBefore, started := loadAverage(), time.Now().UTC()
	rep, err := c.runWithServer(ctx, s)
	if err != nil {
		fmt.Fprintf(stderr, "rounds-bench %s: %v\n", name, err)
		return exitFailure
	}
	rep.Started = started
	rep.Machine = Machine{CPUs: runtime.NumCPU(), LoadBefore: loadBefore, LoadAfter: loadAverage()}
	if c.json {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeTable(stdout)
	}
	if err == nil && c.save != "" {
		err = saveJSON(c.save, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rounds-bench %s: %v\n", name, err)
		return exitFailure
	}
	if !rep.ok() {
		fmt.Fprintf(stderr, "rounds-bench %s: a check failed\n", name)
		return exitFailure
	}
	return 0
}

// common holds the flags several scenarios share and what a run writes to.
type common struct {
	name           string
	stdout, stderr io.Writer

	target        string // base URL of the server under test
	domain        string // the server's domain, for acct: and WebFinger
	account       string
	token         string
	tokenFile     string
	password      string
	createAccount string

	json      bool
	save      string
	quiet     bool
	bar       string // auto, on, off
	timeout   time.Duration
	serverPID int
	serverCmd string
	readyURL  string
	// rounds is a Rounds binary to set up and measure (rounds.go).
	rounds         string
	roundsDatabase string

	appOnce sync.Once // the OAuth app, registered when first needed
	app     *app
	appErr  error
}

func (c *common) addFlags(fs *flag.FlagSet, n needs) {
	if n.target {
		fs.StringVar(&c.target, "target", "http://127.0.0.1:8080", "base URL of the server under test")
		fs.StringVar(&c.domain, "domain", "", "the server's domain as in user@domain (default: the host of --target)")
		fs.StringVar(&c.password, "password", "", "password for signing in with the OAuth password grant, and for accounts made with --create-account")
		fs.StringVar(&c.createAccount, "create-account", "", "shell command that creates an account, with {username} and {password} in it; run before signing in, e.g.\n'rounds admin account create --username {username} --password {password} --database sqlite:DIR/rounds.db --domain 127.0.0.1:8080'")
		fs.DurationVar(&c.timeout, "request-timeout", 30*time.Second, "how long one request may take")
	}
	if n.account {
		fs.StringVar(&c.account, "account", "bench", "username of the local account on the server under test (with --token: the token's account)")
	}
	if n.tokens {
		fs.StringVar(&c.token, "token", "", "access token(s) for the Mastodon API, comma-separated (instead of --password)")
		fs.StringVar(&c.tokenFile, "token-file", "", "file with access tokens, one a line")
	}
	fs.StringVar(&c.rounds, "rounds", "", "a Rounds binary: rounds-bench makes it a new database, starts it and creates its accounts (instead of --target, --server-cmd and --create-account)")
	fs.StringVar(&c.roundsDatabase, "rounds-database", "", "with --rounds: an empty database for it, such as a postgres:// URL (default: SQLite in a temporary directory)")
	fs.StringVar(&c.serverCmd, "server-cmd", "", "command line that starts the server; rounds-bench starts it, measures it and stops it at the end")
	fs.StringVar(&c.readyURL, "ready-url", "", "URL polled until the server answers (default: --target + /healthz; any status below 500 counts)")
	fs.IntVar(&c.serverPID, "server-pid", 0, "pid of the running server, to report its memory after the run")
	fs.BoolVar(&c.json, "json", false, "print the result as JSON")
	fs.StringVar(&c.save, "save", "", "also write the result as JSON to this file")
	fs.BoolVar(&c.quiet, "quiet", false, "print nothing on stderr while running")
	fs.StringVar(&c.bar, "progress", "auto", "progress bar on stderr: auto (when it is a terminal), on or off")
}

func (c *common) validate(n needs) error {
	if n.target {
		u, err := url.Parse(c.target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--target %q is not an http or https URL", c.target)
		}
		u.Path, u.RawQuery, u.Fragment = "", "", ""
		c.target = u.String()
		if c.domain == "" {
			c.domain = u.Host
		}
		if c.timeout <= 0 {
			return usagef("--request-timeout must be positive")
		}
	}
	if n.account && !validUsername(c.account) {
		return usagef("--account %q is not a username (letters, digits, underscores)", c.account)
	}
	if c.rounds != "" && (c.serverCmd != "" || c.serverPID != 0 || c.createAccount != "" || c.token != "" || c.tokenFile != "") {
		return usagef("--rounds sets up the server, its start and its accounts: give it without --server-cmd, --server-pid, --create-account or tokens")
	}
	if c.roundsDatabase != "" && c.rounds == "" {
		return usagef("--rounds-database goes with --rounds")
	}
	if c.readyURL == "" && c.target != "" && c.rounds == "" {
		c.readyURL = c.target + "/healthz"
	}
	if c.serverCmd != "" && c.readyURL == "" && c.rounds == "" {
		return usagef("--server-cmd needs --ready-url")
	}
	if c.serverCmd != "" && c.serverPID != 0 {
		return usagef("give --server-cmd or --server-pid, not both")
	}
	switch c.bar {
	case "auto", "on", "off":
	default:
		return usagef("--progress must be auto, on or off")
	}
	return nil
}

func validUsername(s string) bool {
	if s == "" || len(s) > 30 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// runWithServer runs s, starting the server first when --server-cmd says
// how, and adds the server's memory after the run when its pid is known.
func (c *common) runWithServer(ctx context.Context, s scenario) (*Report, error) {
	if c.rounds != "" {
		cleanup, err := c.setUpRounds(ctx)
		if err != nil {
			return nil, err
		}
		defer cleanup()
	}
	if _, ok := s.(*idleScenario); ok {
		return s.run(ctx, c) // idle manages the server itself
	}
	var stats *ServerStats
	if c.serverCmd != "" {
		c.logf("starting the server: %s", c.serverCmd)
		p, took, err := startServer(ctx, c.serverCmd, c.readyURL, 60*time.Second)
		if err != nil {
			return nil, err
		}
		defer p.stop()
		c.serverPID = p.pid()
		stats = &ServerStats{PID: p.pid(), StartMS: ms(took)}
	}
	if c.serverPID != 0 {
		if stats == nil {
			stats = &ServerStats{PID: c.serverPID}
		}
		m, err := readMemory(c.serverPID, "before")
		if err != nil {
			return nil, err
		}
		stats.Memory = append(stats.Memory, m)
	}
	started := time.Now()
	rep, err := s.run(ctx, c)
	if err != nil {
		return nil, err
	}
	if stats != nil {
		m, err := readMemory(c.serverPID, "after "+c.name)
		if err != nil {
			return nil, err
		}
		stats.Memory = append(stats.Memory, m)
		stats.WallSeconds = time.Since(started).Seconds()
		rep.Server = stats
	}
	return rep, nil
}

func saveJSON(path string, rep *Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.writeJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpuMark is the processor time used so far by the server (-1 when its
// pid is not known) and by rounds-bench itself, which shares the machine.
type cpuMark struct{ server, self float64 }

func (c *common) cpuMark() cpuMark {
	m := cpuMark{server: -1}
	if c.serverPID != 0 {
		if s, err := cpuSeconds(c.serverPID); err == nil {
			m.server = s
		}
	}
	m.self, _ = cpuSeconds(os.Getpid())
	return m
}

// cpuRows adds the processor use of the server and of rounds-bench over a
// phase of seconds to rep, and returns the server's (0 when unknown).
func cpuRows(rep *Report, phase string, a, b cpuMark, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	used := 0.0
	if a.server >= 0 && b.server >= 0 {
		used = b.server - a.server
		rep.row("server CPU while "+phase, "%.1f s in %.1f s: %.2f cores", used, seconds, used/seconds)
	}
	rep.row("rounds-bench CPU while "+phase, "%.1f s: %.2f cores", b.self-a.self, (b.self-a.self)/seconds)
	return used
}

// logf tells the person running the tool what is happening, on stderr.
func (c *common) logf(format string, args ...any) {
	if !c.quiet {
		fmt.Fprintf(c.stderr, c.name+": "+format+"\n", args...)
	}
}

// progress starts a bar for a phase, or returns nil when bars are off.
func (c *common) progress(label string, total int) *progress.Bar {
	show := c.bar == "on"
	if c.bar == "auto" && !c.quiet {
		if f, ok := c.stderr.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				show = true
			}
		}
	}
	if !show {
		return nil
	}
	return progress.Start(c.stderr, label, int64(total))
}

// tokens returns the access tokens given with --token and --token-file.
func (c *common) tokens() ([]string, error) {
	var out []string
	for _, t := range strings.Split(c.token, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	if c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("read --token-file: %w", err)
		}
		out = append(out, strings.Fields(string(b))...)
	}
	return out, nil
}
