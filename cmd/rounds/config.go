package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is every setting of the rounds command, after validation.
type config struct {
	Domain string
	Listen string
	// DebugListen, when set, serves Go's profiler (net/http/pprof) there.
	DebugListen string
	// MetricsListen, when set, serves Prometheus metrics at /metrics there.
	MetricsListen string
	Protocol      string
	Database      string
	DataDir       string
	AllowPrivate  []netip.Prefix
	LogLevel      slog.Level
	LogFormat     string
	JobWorkers    int
	JobTimeout    time.Duration
	ShutdownGrace time.Duration
	// AuthorizedFetch requires signed GETs for ActivityPub documents.
	AuthorizedFetch bool
	// KeyDocuments publishes keyIds as documents of their own, like
	// GoToSocial (ROUNDS_KEY_DOCUMENTS=1; for interoperability tests).
	KeyDocuments bool
	// CavageOnly verifies and sends draft-cavage HTTP signatures only,
	// refusing RFC 9421 ones (ROUNDS_TEST_SIGNATURES=cavage; for
	// interoperability tests).
	CavageOnly bool
	// ScheduleMinOffset replaces the five minutes a post must be scheduled
	// ahead (ROUNDS_TEST_SCHEDULE_MIN_OFFSET; for tests that see a
	// scheduled post published); zero keeps Mastodon's five minutes.
	ScheduleMinOffset time.Duration
	// ToneRetryWait replaces the minute before a paused reply may be sent
	// again (ROUNDS_TEST_TONE_RETRY_WAIT; tests only).
	ToneRetryWait time.Duration
	// RateLimit replaces the API's 300 requests per 5 minutes per token or
	// address (ROUNDS_TEST_RATE_LIMIT; for tests that reach the limit);
	// zero keeps Mastodon's 300.
	RateLimit int
	// RelayQueueCap bounds the deliveries from relays waiting to be read.
	RelayQueueCap int
	// SMTP is where email goes; its Host is empty when the server sends
	// none.
	SMTP smtpConfig
}

// smtpConfig is the mail server email is sent through.
type smtpConfig struct {
	Host, Username, Password, From string
	Port                           int
}

// rawConfig holds the settings as given, before validation.
type rawConfig struct {
	domain, listen, debugListen, metricsListen, protocol, database, dataDir, allowPrivate string
	logLevel, logFormat                                                                   string
	jobWorkers                                                                            string
	jobTimeout, shutdownGrace                                                             string
	authorizedFetch, keyDocuments, cavageOnly                                             bool
	toneRetryWait                                                                         string // ROUNDS_TEST_TONE_RETRY_WAIT
	rateLimit                                                                             string
	relayQueueCap                                                                         string
	scheduleMinOffset                                                                     string
	smtpHost, smtpPort, smtpUsername, smtpPassword, smtpFrom                              string
}

// settingError is a bad setting value: it names the flag and its variable.
type settingError struct {
	flag   string
	value  string
	reason string
}

func (e *settingError) Error() string {
	return fmt.Sprintf("invalid --%s (%s) %q: %s", e.flag, envName(e.flag), e.value, e.reason)
}

func envName(flagName string) string {
	return "ROUNDS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// addCommonFlags registers the settings every subcommand that touches the
// database needs.
func addCommonFlags(fs *flag.FlagSet, rc *rawConfig) {
	fs.StringVar(&rc.domain, "domain", "localhost:8080", "public host name, with the port when it is not 80 or 443")
	fs.StringVar(&rc.protocol, "protocol", "", "https or http (default: http for localhost, https otherwise)")
	fs.StringVar(&rc.database, "database", "sqlite:rounds-data/rounds.db", "sqlite:PATH or a postgres:// URL")
	fs.StringVar(&rc.dataDir, "data-dir", "rounds-data", "directory for media and other files")
	fs.StringVar(&rc.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&rc.logFormat, "log-format", "text", "text or json")
}

// addServeFlags registers the settings only the server needs.
func addServeFlags(fs *flag.FlagSet, rc *rawConfig) {
	fs.StringVar(&rc.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&rc.debugListen, "debug-listen", "", "address for Go's profiler (/debug/pprof/), e.g. 127.0.0.1:6060; keep it off public addresses")
	fs.StringVar(&rc.metricsListen, "metrics-listen", "", "address for Prometheus metrics (/metrics), e.g. 127.0.0.1:9090; off when empty")
	fs.StringVar(&rc.allowPrivate, "allow-private-addresses", "", "comma-separated CIDRs that outgoing federation requests may reach (e.g. 127.0.0.0/8)")
	fs.StringVar(&rc.jobWorkers, "job-workers", "50", "how many background jobs run at once")
	fs.StringVar(&rc.relayQueueCap, "relay-queue-cap", "1000", "how many posts passed on by relays may wait to be read; more are dropped")
	fs.StringVar(&rc.jobTimeout, "job-timeout", "1m", "how long one background job may run")
	fs.StringVar(&rc.shutdownGrace, "shutdown-grace", "30s", "how long shutdown waits for requests and jobs in flight")
	fs.BoolVar(&rc.authorizedFetch, "authorized-fetch", false, "require signed requests from other servers to read actors, posts and collections")
	fs.StringVar(&rc.smtpHost, "smtp-host", "", "mail server for email confirmations and password resets (none: no email is sent)")
	fs.StringVar(&rc.smtpPort, "smtp-port", "587", "mail server port: 587 with STARTTLS, or 465 for TLS from the start")
	fs.StringVar(&rc.smtpUsername, "smtp-username", "", "user name at the mail server, if it wants one")
	fs.StringVar(&rc.smtpPassword, "smtp-password", "", "password at the mail server (better set with ROUNDS_SMTP_PASSWORD)")
	fs.StringVar(&rc.smtpFrom, "smtp-from", "", "sender address, such as \"Rounds <rounds@example.org>\" (default: rounds@ the domain)")
}

// parseFlags parses args into fs, then fills every flag not given on the
// command line from its ROUNDS_* environment variable: a flag wins.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errFlagsReported // the flag package has printed it
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = &settingError{flag: f.Name, value: v, reason: e.Error()}
			}
		}
	})
	return err
}

// validate turns raw settings into a config, or the first bad setting.
// serve says whether the server-only settings were registered.
func (rc *rawConfig) validate(serve bool) (*config, error) {
	c := &config{DataDir: rc.dataDir, LogFormat: rc.logFormat}

	domain := strings.ToLower(strings.TrimSpace(rc.domain))
	if err := checkDomain(domain); err != nil {
		return nil, &settingError{"domain", rc.domain, err.Error()}
	}
	c.Domain = domain

	switch rc.protocol {
	case "":
		host := domain
		if h, _, err := net.SplitHostPort(domain); err == nil {
			host = h
		}
		c.Protocol = "https"
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			c.Protocol = "http"
		}
	case "http", "https":
		c.Protocol = rc.protocol
	default:
		return nil, &settingError{"protocol", rc.protocol, "must be http or https"}
	}

	switch {
	case strings.HasPrefix(rc.database, "sqlite:"):
		if strings.TrimPrefix(rc.database, "sqlite:") == "" {
			return nil, &settingError{"database", rc.database, "give a file path after sqlite:"}
		}
	case strings.HasPrefix(rc.database, "postgres://"), strings.HasPrefix(rc.database, "postgresql://"):
	default:
		return nil, &settingError{"database", rc.database, "must be sqlite:PATH or a postgres:// URL"}
	}
	c.Database = rc.database

	if strings.TrimSpace(rc.dataDir) == "" {
		return nil, &settingError{"data-dir", rc.dataDir, "must not be empty"}
	}

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(rc.logLevel)); err != nil {
		return nil, &settingError{"log-level", rc.logLevel, "must be debug, info, warn or error"}
	}
	c.LogLevel = lvl
	if rc.logFormat != "text" && rc.logFormat != "json" {
		return nil, &settingError{"log-format", rc.logFormat, "must be text or json"}
	}

	if !serve {
		return c, nil
	}

	host, port, err := net.SplitHostPort(rc.listen)
	if err != nil {
		return nil, &settingError{"listen", rc.listen, "must be HOST:PORT, such as 127.0.0.1:8080"}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return nil, &settingError{"listen", rc.listen, "the port must be a number from 0 to 65535"}
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return nil, &settingError{"listen", rc.listen, "the host must be an IP address or localhost"}
	}
	c.Listen = rc.listen
	if rc.debugListen != "" {
		if _, _, err := net.SplitHostPort(rc.debugListen); err != nil {
			return nil, &settingError{"debug-listen", rc.debugListen, "must be HOST:PORT, such as 127.0.0.1:6060"}
		}
		c.DebugListen = rc.debugListen
	}
	if rc.metricsListen != "" {
		if _, _, err := net.SplitHostPort(rc.metricsListen); err != nil {
			return nil, &settingError{"metrics-listen", rc.metricsListen, "must be HOST:PORT, such as 127.0.0.1:9090"}
		}
		c.MetricsListen = rc.metricsListen
	}

	for _, part := range strings.Split(rc.allowPrivate, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, &settingError{"allow-private-addresses", rc.allowPrivate, fmt.Sprintf("%q is not a CIDR such as 127.0.0.0/8", part)}
		}
		c.AllowPrivate = append(c.AllowPrivate, p.Masked())
	}

	n, err := strconv.Atoi(rc.jobWorkers)
	if err != nil || n < 1 || n > 1000 {
		return nil, &settingError{"job-workers", rc.jobWorkers, "must be a whole number from 1 to 1000"}
	}
	c.JobWorkers = n
	if c.JobTimeout, err = positiveDuration(rc.jobTimeout); err != nil {
		return nil, &settingError{"job-timeout", rc.jobTimeout, err.Error()}
	}
	if c.ShutdownGrace, err = positiveDuration(rc.shutdownGrace); err != nil {
		return nil, &settingError{"shutdown-grace", rc.shutdownGrace, err.Error()}
	}
	if rc.relayQueueCap != "" {
		if c.RelayQueueCap, err = strconv.Atoi(rc.relayQueueCap); err != nil || c.RelayQueueCap < 1 {
			return nil, &settingError{"relay-queue-cap", rc.relayQueueCap, "must be a whole number above 0"}
		}
	}
	c.AuthorizedFetch = rc.authorizedFetch
	c.KeyDocuments = rc.keyDocuments
	c.CavageOnly = rc.cavageOnly
	if rc.scheduleMinOffset != "" {
		if c.ScheduleMinOffset, err = positiveDuration(rc.scheduleMinOffset); err != nil {
			return nil, fmt.Errorf("invalid ROUNDS_TEST_SCHEDULE_MIN_OFFSET %q: %w", rc.scheduleMinOffset, err)
		}
	}
	if rc.toneRetryWait != "" {
		if c.ToneRetryWait, err = positiveDuration(rc.toneRetryWait); err != nil {
			return nil, fmt.Errorf("invalid ROUNDS_TEST_TONE_RETRY_WAIT %q: %w", rc.toneRetryWait, err)
		}
	}
	if rc.rateLimit != "" {
		if c.RateLimit, err = strconv.Atoi(rc.rateLimit); err != nil || c.RateLimit <= 0 {
			return nil, fmt.Errorf("invalid ROUNDS_TEST_RATE_LIMIT %q: want a whole number above zero", rc.rateLimit)
		}
	}
	if c.SMTP, err = rc.smtp(c.Domain); err != nil {
		return nil, err
	}
	return c, nil
}

// smtp checks the mail settings: none at all, or a host with the rest.
func (rc *rawConfig) smtp(domain string) (smtpConfig, error) {
	host := strings.TrimSpace(rc.smtpHost)
	if host == "" {
		for _, f := range []struct{ name, value string }{
			{"smtp-username", rc.smtpUsername}, {"smtp-password", rc.smtpPassword}, {"smtp-from", rc.smtpFrom},
		} {
			if f.value != "" {
				shown := f.value
				if f.name == "smtp-password" {
					shown = "(hidden)"
				}
				return smtpConfig{}, &settingError{f.name, shown, "set --smtp-host too, or leave the mail settings out"}
			}
		}
		return smtpConfig{}, nil
	}
	if strings.ContainsAny(host, "/:@ ") && net.ParseIP(host) == nil {
		return smtpConfig{}, &settingError{"smtp-host", rc.smtpHost, "give only the host name, such as smtp.example.org"}
	}
	port, err := strconv.Atoi(rc.smtpPort)
	if err != nil || port < 1 || port > 65535 {
		return smtpConfig{}, &settingError{"smtp-port", rc.smtpPort, "must be a number from 1 to 65535"}
	}
	from := rc.smtpFrom
	if from == "" {
		h := domain
		if hh, _, err := net.SplitHostPort(domain); err == nil {
			h = hh
		}
		from = "Rounds <rounds@" + h + ">"
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return smtpConfig{}, &settingError{"smtp-from", rc.smtpFrom, "must be an email address, such as \"Rounds <rounds@example.org>\""}
	}
	if rc.smtpPassword != "" && rc.smtpUsername == "" {
		return smtpConfig{}, &settingError{"smtp-username", rc.smtpUsername, "must be set with --smtp-password"}
	}
	return smtpConfig{Host: host, Port: port, Username: rc.smtpUsername, Password: rc.smtpPassword, From: from}, nil
}

func positiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("must be a duration such as 30s or 2m")
	}
	return d, nil
}

// checkDomain accepts a host name or IP address, with an optional port, and
// nothing else (no scheme, path or user).
func checkDomain(d string) error {
	if d == "" {
		return errors.New("must not be empty")
	}
	if strings.Contains(d, "://") || strings.ContainsAny(d, "/?#@ ") {
		return errors.New("give only the host name (and port), such as rounds.example.org")
	}
	host := d
	if h, port, err := net.SplitHostPort(d); err == nil {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return errors.New("the port must be a number from 1 to 65535")
		}
		host = h
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	if len(host) > 253 {
		return errors.New("the host name is too long")
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("is not a valid host name")
		}
		for i, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0 && i < len(label)-1
			if !ok {
				return errors.New("is not a valid host name")
			}
		}
	}
	return nil
}

func newLogger(c *config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
