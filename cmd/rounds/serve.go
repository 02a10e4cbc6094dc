package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"rounds/api"
	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/ui"
)

// serveHooks lets a test add to the server it starts (a job kind of its own).
type serveHooks struct {
	registerWorkers func(jobs *storage.Jobs, db *storage.DB)
	routes          func(r chi.Router)
	started         func(svc *social.Service, fed *federation.Federation)
}

func serveCommand(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string, hooks serveHooks) error {
	cfg, err := parseCommand("serve", args, stderr, getenv, true, nil)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, newLogger(cfg), hooks)
}

// serve runs the server until ctx ends, then shuts down gracefully: it stops
// taking connections, finishes requests in flight and lets running jobs end.
func serve(ctx context.Context, cfg *config, log *slog.Logger, hooks serveHooks) error {
	started := time.Now()
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, m := range applied {
		log.Info("applied migration", "name", m)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}

	// Metrics are counted only when something will read them.
	var metrics *prometheus.Registry
	var metricsReg prometheus.Registerer // nil, not a nil *Registry, when off
	if cfg.MetricsListen != "" {
		metrics = newMetricsRegistry(db)
		metricsReg = metrics
	}
	jobs := storage.NewJobs(db, storage.JobsOptions{
		Workers: cfg.JobWorkers,
		Timeout: cfg.JobTimeout,
		Logger:  log,
	})
	mailer, err := newMailer(cfg.SMTP)
	if err != nil {
		return err
	}
	client := federation.NewClient(federation.ClientOptions{
		AllowPrivate: cfg.AllowPrivate,
		UserAgent:    fmt.Sprintf("Rounds/%s (+%s://%s/)", version, cfg.Protocol, cfg.Domain),
	})
	svc := social.New(social.Options{
		DB: db, Jobs: jobs, Domain: cfg.Domain, Protocol: cfg.Protocol, DataDir: cfg.DataDir, Logger: log, Mailer: mailer,
		PushClient: client.HTTPClient(), PrivateNetworks: cfg.AllowPrivate,
		ScheduleMinOffset: cfg.ScheduleMinOffset, ToneRetryWait: cfg.ToneRetryWait, Metrics: metricsReg,
		RelayQueueCap: cfg.RelayQueueCap,
	})
	// The Web Push key is made at the first start, so that the instance
	// advertises it from the first request on.
	if _, err := svc.VAPIDPublicKey(ctx); err != nil {
		return fmt.Errorf("web push key: %w", err)
	}
	fed := federation.New(federation.Options{
		Social:          svc,
		Jobs:            jobs,
		Client:          client,
		Logger:          log,
		Version:         version,
		AuthorizedFetch: cfg.AuthorizedFetch,
		KeyDocuments:    cfg.KeyDocuments,
		Metrics:         metricsReg,
		CavageOnly:      cfg.CavageOnly,
	})
	// Media stored before file names were random get unguessable names
	// (once; public ones keep theirs). A failure leaves them unserved, not
	// exposed, so the server still starts.
	if n, err := svc.SecureLegacyMediaNames(ctx); err != nil {
		log.Error("rename media files named by id", "error", err)
	} else if n > 0 {
		log.Info("renamed media files named by id", "count", n)
	}
	// What a process killed mid-upload left in the media folder goes, in
	// the background: the server need not wait for it.
	go func() {
		if n, err := svc.SweepMediaDir(ctx, social.MediaSweepAge); err != nil {
			log.Error("sweep the media folder", "error", err)
		} else if n > 0 {
			log.Info("removed files left by unfinished uploads", "count", n)
		}
	}()
	// Direct posts stored before conversations existed are filed (once).
	if n, err := svc.BackfillConversations(ctx); err != nil {
		log.Error("file old direct posts into conversations", "error", err)
	} else if n > 0 {
		log.Info("filed old direct posts into conversations", "count", n)
	}
	svc.SetResolver(fed)
	svc.SetActivityRenderer(fed)
	svc.RegisterWorkers()
	if hooks.registerWorkers != nil {
		hooks.registerWorkers(jobs, db)
	}

	var httpCounts *httpMetrics
	if metrics != nil {
		httpCounts = newHTTPMetrics(metrics)
	}
	handler := newHTTPHandler(httpOptions{
		Log:        log,
		DB:         db,
		Social:     svc,
		UI:         ui.New(ui.Options{Social: svc, Logger: log}),
		Federation: fed.Routes,
		API:        api.New(api.Options{Social: svc, Logger: log, Version: version, Metrics: metricsReg, RateLimit: cfg.RateLimit}).Routes,
		Extra:      hooks.routes,
		Metrics:    httpCounts,

		AddressAccess: svc.CheckAddressAccess,
	})
	// On PostgreSQL, live events cross to and from the other processes
	// serving the same database. The server waits a little for the
	// listener so that a stream opened at once misses nothing, but does not
	// depend on it: the relay keeps reconnecting by itself.
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	relayDone := make(chan struct{})
	defer func() {
		stopRelay()
		<-relayDone
	}()
	relaying := make(chan struct{})
	var relayOnce sync.Once
	go func() {
		defer close(relayDone)
		if err := svc.RelayEvents(relayCtx, func() { relayOnce.Do(func() { close(relaying) }) }); err != nil {
			log.Error("live events from other processes stopped", "error", err)
		}
	}()
	if db.Dialect() == storage.Postgres {
		select {
		case <-relaying:
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			log.Warn("not yet listening for live events from other processes; still trying")
		}
	}

	if hooks.started != nil {
		hooks.started(svc, fed)
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Live streams end when shutdown begins; their clients reconnect.
	srv.RegisterOnShutdown(svc.Events().Close)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if cfg.DebugListen != "" {
		dbg, err := serveDebug(cfg.DebugListen, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer dbg.Close()
	}
	if metrics != nil {
		ms, err := serveMetrics(cfg.MetricsListen, metrics, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer ms.Close()
	}

	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	jobsRunning := false
	if err := jobs.Start(jobsCtx); err == nil {
		jobsRunning = true
	} else if !errors.Is(err, storage.ErrNoWorkers) {
		srv.Close()
		return fmt.Errorf("start jobs: %w", err)
	}

	log.Info("Rounds is serving",
		"url", svc.BaseURL(), "listen", ln.Addr().String(), "version", version,
		"database", string(db.Dialect()), "startup", time.Since(started).Round(time.Millisecond))
	if err := announceSignIn(ctx, svc, log); err != nil {
		log.Error("could not make a setup link", "error", err)
	}

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and jobs in flight", "grace", cfg.ShutdownGrace)
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	if jobsRunning {
		err = errors.Join(err, jobs.Stop(shutCtx))
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// newMailer returns the mailer c describes, or nil (no email) when it names
// no mail server.
func newMailer(c smtpConfig) (social.Mailer, error) {
	if c.Host == "" {
		return nil, nil
	}
	m, err := social.NewSMTPMailer(social.SMTPOptions{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, From: c.From})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// announceSignIn tells the person who started the server how to get in: a
// one-time setup link while there is no admin.
func announceSignIn(ctx context.Context, svc *social.Service, log *slog.Logger) error {
	need, err := svc.NeedsSetup(ctx)
	if err != nil {
		return err
	}
	if !need {
		log.Info("Sign in from a Mastodon app (or a client library) with this server's address", "server", svc.BaseURL())
		return nil
	}
	link, err := svc.NewSetupLink(ctx)
	if err != nil {
		return err
	}
	log.Warn("No admin yet. Open this one-time link within an hour to create the first admin account (or run: rounds admin account create --username NAME --role admin)", "setup_url", link)
	return nil
}

// serveDebug serves Go's profiler on its own address, apart from the
// public handler.
func serveDebug(addr string, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (--debug-listen): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("profiler listening", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return srv, nil
}
