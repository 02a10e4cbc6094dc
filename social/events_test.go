package social

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"rounds/storage"
	"rounds/storage/storagetest"
)

// Two services on one PostgreSQL database stand for two processes. A
// batch larger than one NOTIFY may carry reaches the other whole and in
// order; the service that raised it hands it to its own listeners once,
// not again when PostgreSQL echoes it; and a closed bus ends its streams.
func TestEventsCrossServicesOnPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := storagetest.NewURL(t, storage.Postgres) // skips without PostgreSQL
	open := func() *Service {
		db, err := storage.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		s := New(Options{DB: db, Domain: "rounds.test", Protocol: "https"})
		rctx, stop := context.WithCancel(ctx)
		connected, done := make(chan struct{}, 1), make(chan error, 1)
		go func() { done <- s.RelayEvents(rctx, func() { connected <- struct{}{} }) }()
		t.Cleanup(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("RelayEvents = %v", err)
			}
		})
		select {
		case <-connected:
		case <-ctx.Done():
			t.Fatal("the relay did not connect")
		}
		return s
	}
	s1, s2 := open(), open()
	got1, stop1 := s1.Events().Subscribe()
	defer stop1()
	got2, stop2 := s2.Events().Subscribe()
	defer stop2()

	const total = 200 // several notifications' worth, within a subscription's buffer
	var sent []Event
	for i := range total {
		sent = append(sent, Event{Type: "notification", NotificationID: int64(1<<62 + i), AccountID: 1<<62 - 1, StatusID: 1 << 62})
	}
	s1.deliver(ctx, sent)
	for name, ch := range map[string]<-chan Event{"the raising service": got1, "the other service": got2} {
		for i, want := range sent {
			select {
			case ev := <-ch:
				if ev != want {
					t.Fatalf("%s: event %d = %+v, want %+v", name, i, ev, want)
				}
			case <-ctx.Done():
				t.Fatalf("%s got %d of %d events", name, i, total)
			}
		}
		select {
		case ev := <-ch:
			t.Fatalf("%s got an event more: %+v", name, ev)
		case <-time.After(500 * time.Millisecond):
		}
	}

	s2.Events().Close()
	if _, ok := <-got2; ok {
		t.Fatal("a subscription outlived Close")
	}
	late, _ := s2.Events().Subscribe()
	if _, ok := <-late; ok {
		t.Fatal("a subscription made after Close is open")
	}
}

// On SQLite there are no other processes: the relay has nothing to do.
func TestRelayEventsOnSQLiteReturnsAtOnce(t *testing.T) {
	s := New(Options{DB: storagetest.Open(t, storage.SQLite), Domain: "rounds.test", Protocol: "https"})
	if err := s.RelayEvents(context.Background(), nil); err != nil {
		t.Fatalf("RelayEvents on SQLite = %v", err)
	}
}

// Batches are packed into payloads within the limit, which decode back to
// the same events in the same order.
func TestEventPayloadsStayWithinTheLimit(t *testing.T) {
	var evs []Event
	for i := range 400 {
		evs = append(evs, Event{Type: "status.update", StatusID: 1<<62 + int64(i), NotificationID: 1 << 62, AccountID: 1 << 62})
	}
	payloads, err := eventPayloads("0123456789abcdef", evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(payloads) < 2 {
		t.Fatalf("400 events in %d payload(s), want several", len(payloads))
	}
	var back []Event
	for _, p := range payloads {
		if len(p) > notifyBytes {
			t.Fatalf("a payload of %d bytes, over %d", len(p), notifyBytes)
		}
		var b eventBatch
		if err := json.Unmarshal([]byte(p), &b); err != nil {
			t.Fatalf("payload does not decode: %v\n%s", err, p)
		}
		if b.Node != "0123456789abcdef" {
			t.Fatalf("node = %q", b.Node)
		}
		back = append(back, b.Events...)
	}
	if !slices.Equal(back, evs) {
		t.Fatalf("decoded %d events, not the %d sent in order", len(back), len(evs))
	}
	if p, err := eventPayloads("x", nil); err != nil || len(p) != 0 {
		t.Fatalf("no events: %q, %v", p, err)
	}
}
