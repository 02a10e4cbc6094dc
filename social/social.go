// Package social is Rounds' domain: accounts, statuses, relationships,
// timelines, moderation and clinical safety. Every rule about what may happen
// lives here once, whoever asks: a Mastodon app, a web page, a remote server
// or the admin CLI.
package social

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"rounds/storage"
)

// Options configures a Service.
type Options struct {
	DB   *storage.DB
	Jobs *storage.Jobs
	// Domain is the public host name, with a port when not 80 or 443.
	Domain string
	// Protocol is "https" or "http".
	Protocol string
	// DataDir holds uploaded media.
	DataDir string
	Logger  *slog.Logger
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// Mailer sends email; nil when the server sends none.
	Mailer Mailer
	// PushClient makes Web Push requests. It must dial only where
	// federation's client may (federation.Client.HTTPClient); nil sends
	// no pushes.
	PushClient *http.Client
	// PrivateNetworks are the loopback and private ranges that outgoing
	// requests may reach (--allow-private-addresses): a Web Push endpoint
	// there may be plain HTTP.
	PrivateNetworks []netip.Prefix
	// ScheduleMinOffset, when set, replaces Mastodon's five minutes as the
	// least time ahead a post may be scheduled (tests only).
	ScheduleMinOffset time.Duration
	// ToneRetryWait, when set, replaces the minute an author waits before
	// sending a paused reply again (tests only).
	ToneRetryWait time.Duration
	// Metrics, when set, receives the domain's counters (metrics.go).
	Metrics prometheus.Registerer
	// RelayQueueCap bounds the deliveries from relays waiting to be read;
	// past it they are dropped (relays.go). 1,000 when zero.
	RelayQueueCap int
}

// Service is the domain layer that every front end calls.
type Service struct {
	db      *storage.DB
	jobs    *storage.Jobs
	domain  string
	base    string
	log     *slog.Logger
	now     func() time.Time
	dataDir string
	mailer  Mailer

	pushClient      *http.Client
	privateNetworks []netip.Prefix
	vapid           vapidCache
	minSchedule     time.Duration // scheduled.go
	toneWait        time.Duration // tone_policy.go
	toneCheckers    toneCache     // tone_policy.go
	relayQueueCap   int           // relays.go
	relayCache      relayCache    // relays.go

	resolver AccountResolver
	renderer ActivityRenderer // archives (portability.go)
	bus      Bus
	counts   countCache
	settings settingsCache
	guard    guardCache
	rules    domainRulesCache // domain blocks and allows (domains.go)
	ipBlocks ipBlockCache     // IP blocks (signup_blocks.go)
	metrics  metrics
}

// New returns a Service.
func New(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{
		db:      opts.DB,
		jobs:    opts.Jobs,
		domain:  opts.Domain,
		base:    opts.Protocol + "://" + opts.Domain,
		log:     opts.Logger,
		dataDir: opts.DataDir,
		mailer:  opts.Mailer,

		pushClient:      opts.PushClient,
		privateNetworks: opts.PrivateNetworks,
		now:             func() time.Time { return opts.Now().UTC() },

		minSchedule:   opts.ScheduleMinOffset,
		toneWait:      opts.ToneRetryWait,
		metrics:       newMetrics(opts.Metrics),
		relayQueueCap: opts.RelayQueueCap,
	}
	if s.relayQueueCap <= 0 {
		s.relayQueueCap = DefaultRelayQueueCap
	}
	return s
}

// RegisterWorkers adds the domain's own background jobs to the queue; the
// server calls it once, before the queue starts. A process that only
// inserts jobs (the admin CLI) does not, so that it may insert kinds that
// only the server works.
func (s *Service) RegisterWorkers() {
	storage.AddWorker(s.jobs, &recheckWorker{s: s})
	storage.AddWorker(s.jobs, &releaseWorker{s: s})
	storage.AddWorker(s.jobs, &mailWorker{s: s})
	storage.AddWorker(s.jobs, &importWorker{s: s})
	storage.AddWorker(s.jobs, &closePollWorker{s: s})
	storage.AddWorker(s.jobs, &pollUpdateWorker{s: s})
	storage.AddWorker(s.jobs, &webPushWorker{s: s})
	storage.AddWorker(s.jobs, &publishScheduledWorker{s: s})
	storage.AddWorker(s.jobs, &moveFollowersWorker{s: s})
}

// BaseURL is the server's public origin, such as "https://rounds.example".
func (s *Service) BaseURL() string { return s.base }

// Domain is the server's public host name.
func (s *Service) Domain() string { return s.domain }

// Errors the domain returns; each front end maps them to its own answers.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("not allowed")
	ErrConflict  = errors.New("already exists")
)

// ValidationError says which input was refused and why, in words a person
// can act on.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return fmt.Sprintf("%s %s", e.Field, e.Reason)
}

func invalid(field, reason string) error { return &ValidationError{Field: field, Reason: reason} }

// domainErr maps storage errors onto the domain's.
func domainErr(err error) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("%w", ErrNotFound)
	case errors.Is(err, storage.ErrConflict):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}
