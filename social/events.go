package social

import (
	"context"
	"sync"
)

// Event is something that happened which live clients may want at once. It
// names rows, not entities: each listener renders them for its own viewer.
type Event struct {
	// Type is Mastodon's streaming event: "update", "delete",
	// "notification" or "status.update".
	Type           string
	StatusID       int64
	NotificationID int64
	// AccountID is the recipient of a notification.
	AccountID int64
}

// Bus carries events to live listeners in this process, after the change
// that caused them has committed. Slow listeners miss events rather than
// hold up the server. (Across several processes on PostgreSQL the same bus
// should ride on LISTEN/NOTIFY; that is not built yet.)
type Bus struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Event
}

// Subscribe returns a channel of events and a function that ends the
// subscription.
func (b *Bus) Subscribe() (<-chan Event, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[int]chan Event{}
	}
	id := b.next
	b.next++
	ch := make(chan Event, 256)
	b.subs[id] = ch
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if c, ok := b.subs[id]; ok {
			delete(b.subs, id)
			close(c)
		}
	}
}

func (b *Bus) publish(evs ...Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		for _, ev := range evs {
			select {
			case ch <- ev:
			default:
			}
		}
	}
}

// Events is the server's event bus.
func (s *Service) Events() *Bus { return &s.bus }

type pendingKey struct{}

// pending collects the events of one domain call, published only when its
// transaction has committed.
type pending struct{ events []Event }

// collect starts collecting events in ctx; done publishes them if ok.
func (s *Service) collect(ctx context.Context) (context.Context, func(ok bool)) {
	if _, nested := ctx.Value(pendingKey{}).(*pending); nested {
		return ctx, func(bool) {}
	}
	p := &pending{}
	return context.WithValue(ctx, pendingKey{}, p), func(ok bool) {
		if ok && len(p.events) > 0 {
			s.bus.publish(p.events...)
		}
	}
}

// emit adds an event to ctx's collection, or publishes it at once when
// there is none (the caller has already committed).
func (s *Service) emit(ctx context.Context, ev Event) {
	if p, ok := ctx.Value(pendingKey{}).(*pending); ok {
		p.events = append(p.events, ev)
		return
	}
	s.bus.publish(ev)
}
