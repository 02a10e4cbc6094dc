package storage_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// listening runs Listen on db in the background and gathers what it hears.
type listening struct {
	mu        sync.Mutex
	got       []string
	connected chan struct{}
	done      chan error
	stop      context.CancelFunc
	logs      *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func listen(t *testing.T, db *storage.DB, channel string) *listening {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listening{connected: make(chan struct{}, 10), done: make(chan error, 1), stop: cancel, logs: &lockedBuffer{}}
	go func() {
		l.done <- db.Listen(ctx, storage.Listener{
			Channel: channel,
			Handle: func(p string) {
				l.mu.Lock()
				l.got = append(l.got, p)
				l.mu.Unlock()
			},
			Connected: func() { l.connected <- struct{}{} },
			Logger:    slog.New(slog.NewTextHandler(l.logs, nil)),
		})
	}()
	t.Cleanup(cancel)
	l.waitConnected(t)
	return l
}

func (l *listening) waitConnected(t *testing.T) {
	t.Helper()
	select {
	case <-l.connected:
	case <-time.After(15 * time.Second):
		t.Fatal("the listener did not connect within 15s")
	}
}

// waitFor waits until the listener has heard exactly want, then a moment
// more to see that nothing else comes.
func (l *listening) waitFor(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		n := len(l.got)
		l.mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	l.mu.Lock()
	got := append([]string(nil), l.got...)
	l.got = nil
	l.mu.Unlock()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("heard %q, want %q", got, want)
	}
}

// Notifications reach every listener on the channel, in each session,
// once and in order; other channels and oversized payloads send nothing;
// a listener whose connection is killed reconnects, says so in its log and
// hears what comes after; and it stops promptly when told to.
func TestNotifyAndListenOnPostgres(t *testing.T) {
	ctx := context.Background()
	url := storagetest.NewURL(t, storage.Postgres) // skips without PostgreSQL
	open := func() *storage.DB {
		db, err := storage.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db1, db2 := open(), open()
	l1, l2 := listen(t, db1, "rounds_test"), listen(t, db2, "rounds_test")
	other := listen(t, db2, "rounds_other")

	if err := db1.Notify(ctx, "rounds_test", "one", "two"); err != nil {
		t.Fatal(err)
	}
	if err := db2.Notify(ctx, "rounds_test", "three"); err != nil {
		t.Fatal(err)
	}
	l1.waitFor(t, "one", "two", "three")
	l2.waitFor(t, "one", "two", "three")
	other.waitFor(t)

	big := strings.Repeat("x", 8000)
	if err := db1.Notify(ctx, "rounds_test", "fine", big); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("notify with an 8000-byte payload: %v, want an error about the limit", err)
	}
	l1.waitFor(t) // nothing of a refused batch goes out

	// Kill l1's connection from the server side, as a restart or a
	// network cut would.
	var killed int
	err := db2.QueryRowForTest(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query = 'LISTEN "rounds_other"'`).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listening sessions (%v), want 1", killed, err)
	}
	other.waitConnected(t)
	if logs := other.logs.String(); !strings.Contains(logs, "reconnecting") || !strings.Contains(logs, "listening again") {
		t.Fatalf("the lost connection was not logged:\n%s", other.logs.String())
	}
	if err := db1.Notify(ctx, "rounds_other", "after"); err != nil {
		t.Fatal(err)
	}
	other.waitFor(t, "after")
	l2.waitFor(t)

	l1.stop()
	select {
	case err := <-l1.done:
		if err != nil {
			t.Fatalf("Listen returned %v after its context ended, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not return within 5s of its context ending")
	}
}

// SQLite has no notifications between processes, and says so.
func TestNotifyNeedsPostgres(t *testing.T) {
	db := storagetest.Open(t, storage.SQLite)
	ctx := context.Background()
	if err := db.Notify(ctx, "rounds_test", "x"); !errors.Is(err, storage.ErrNoNotify) {
		t.Fatalf("Notify on SQLite = %v, want ErrNoNotify", err)
	}
	if err := db.Listen(ctx, storage.Listener{Channel: "rounds_test", Handle: func(string) {}}); !errors.Is(err, storage.ErrNoNotify) {
		t.Fatalf("Listen on SQLite = %v, want ErrNoNotify", err)
	}
}
