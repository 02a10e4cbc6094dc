package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoNotify is returned by Notify and Listen on a database that has no
// notifications between sessions (SQLite, which one process serves).
var ErrNoNotify = errors.New("notifications between processes need PostgreSQL")

// MaxNotifyPayload is the largest payload Notify sends: PostgreSQL refuses
// 8000 bytes or more.
const MaxNotifyPayload = 7999

// Notify sends each payload, in order, to every session listening on
// channel, in this process or another. PostgreSQL hands them out when the
// statement's (implicit) transaction commits, so a listener never sees a
// notification for a change that has not committed if Notify is called
// after the change's commit.
func (db *DB) Notify(ctx context.Context, channel string, payloads ...string) error {
	if db.dialect != Postgres {
		return ErrNoNotify
	}
	for _, p := range payloads {
		if len(p) > MaxNotifyPayload {
			return fmt.Errorf("notify %s: payload of %d bytes is over the %d-byte limit", channel, len(p), MaxNotifyPayload)
		}
	}
	for _, p := range payloads {
		if _, err := db.write.ExecContext(ctx, "SELECT pg_notify(?, ?)", channel, p); err != nil {
			return fmt.Errorf("notify %s: %w", channel, err)
		}
	}
	return nil
}

// Listener says what Listen does with the notifications of one channel.
type Listener struct {
	Channel string
	// Name, if set, is the listening session's application_name, which
	// pg_stat_activity shows.
	Name string
	// Handle is called with each payload in the order they arrive, one at
	// a time; it should not block for long.
	Handle func(payload string)
	// Connected, if set, is called each time the listen is in place: at
	// first and after every reconnection.
	Connected func()
	// Logger reports lost connections; slog.Default when nil.
	Logger *slog.Logger
}

// Listen receives the notifications sent on l.Channel over a connection of
// its own, outside the pool, until ctx ends; it then returns nil. When the
// connection drops it logs it and reconnects, waiting longer after each
// failure (up to half a minute); what was sent while it was away is lost.
func (db *DB) Listen(ctx context.Context, l Listener) error {
	if db.dialect != Postgres || db.pgConfig == nil {
		return ErrNoNotify
	}
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	const firstWait, longestWait = 250 * time.Millisecond, 30 * time.Second
	wait := firstWait
	lost := false
	connected := l.Connected
	l.Connected = func() {
		if lost {
			log.Info("listening again for events from other processes", "channel", l.Channel)
			lost = false
		}
		if connected != nil {
			connected()
		}
	}
	for {
		began := time.Now()
		err := db.listenOnce(ctx, l)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(began) > longestWait {
			wait = firstWait // it was up a good while: this is a new outage
		}
		what := "lost the connection that listens for events from other processes; reconnecting"
		if lost {
			what = "still cannot listen for events from other processes; retrying"
		}
		log.Warn(what, "channel", l.Channel, "error", err, "retry_in", wait)
		lost = true
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, longestWait)
	}
}

// listenOnce connects, listens and handles notifications until the
// connection fails or ctx ends.
func (db *DB) listenOnce(ctx context.Context, l Listener) error {
	cfg := db.pgConfig.Copy()
	if l.Name != "" {
		if cfg.RuntimeParams == nil {
			cfg.RuntimeParams = map[string]string{}
		}
		cfg.RuntimeParams["application_name"] = l.Name
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		// The connection may be broken, or ctx over: close within a bound.
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.Channel}.Sanitize()); err != nil {
		return err
	}
	l.Connected()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l.Handle(n.Payload)
	}
}
