package social

import (
	"testing"
	"time"
)

// A listener that falls behind gets a burst in order up to the backlog and
// misses the rest; one that catches up gets what comes next; ending a
// subscription, or closing the bus, while a burst is still queued closes
// its channel.
func TestBusBacklogKeepsOrderAndEndsCleanly(t *testing.T) {
	var b Bus
	slow, stopSlow := b.Subscribe()
	quitter, stopQuitter := b.Subscribe()
	closed, _ := b.Subscribe()
	const burst = subscriberBacklog + 50
	for i := range burst {
		b.publish(Event{Type: "delete", StatusID: int64(i + 1)})
	}
	// The quitter leaves with its burst queued.
	stopQuitter()
	drain(t, quitter, -1)

	for i := range subscriberBacklog {
		select {
		case ev := <-slow:
			if ev.StatusID != int64(i+1) {
				t.Fatalf("event %d is status %d, want %d", i, ev.StatusID, i+1)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d of the %d events the backlog holds", i, subscriberBacklog)
		}
	}
	select {
	case ev := <-slow:
		t.Fatalf("an event beyond the backlog came: %+v", ev)
	case <-time.After(50 * time.Millisecond):
	}
	b.publish(Event{Type: "update", StatusID: 9999})
	select {
	case ev := <-slow:
		if ev.StatusID != 9999 || ev.Memo == nil {
			t.Fatalf("after catching up: %+v, want status 9999 with a memo", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing came after catching up")
	}
	stopSlow()
	drain(t, slow, 0)
	// Close ends a subscription whose burst is still queued.
	b.Close()
	drain(t, closed, -1)
}

// drain reads ch until it is closed, failing when it holds more than want
// events (-1: any number) or stays open.
func drain(t *testing.T, ch <-chan Event, want int) {
	t.Helper()
	n := 0
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				if want >= 0 && n != want {
					t.Fatalf("%d events before the close, want %d", n, want)
				}
				return
			}
			n++
		case <-time.After(5 * time.Second):
			t.Fatal("the channel stayed open")
		}
	}
}
