package social

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"rounds/storage"
)

// Event is something that happened which live clients may want at once. It
// names rows, not entities: each listener renders them for its own viewer.
type Event struct {
	// Type is Mastodon's streaming event: "update", "delete",
	// "notification", "status.update" or "conversation"; or EventAccess,
	// the server's own.
	Type           string `json:"t"`
	StatusID       int64  `json:"s,omitempty"`
	NotificationID int64  `json:"n,omitempty"`
	// AccountID is the recipient of a notification, or the owner of a
	// conversation.
	AccountID int64 `json:"a,omitempty"`
	// UserID is whose sign-in an EventAccess is about.
	UserID int64 `json:"u,omitempty"`
	// ConversationID is the conversation that got a new post.
	ConversationID int64 `json:"c,omitempty"`
	// Memo is shared by every listener of a status event in this process
	// (see eventmemo.go); nil for other events.
	Memo *Memo `json:"-"`
}

// EventAccess is an event for the server, never sent to clients: what
// UserID may do through their tokens changed (a token or an app's
// authorisation was revoked, the password reset, the account suspended,
// disabled, deleted, its role changed), or, with UserID 0, an app's own
// token was revoked. Live streams of that person check their token again
// and close when it no longer works: a stream must not outlive the
// authorisation it was opened with.
const EventAccess = "access"

// accessChanged tells live streams that userID's tokens must be checked
// again. Call it once the change has committed.
func (s *Service) accessChanged(ctx context.Context, userID int64) {
	s.emit(ctx, Event{Type: EventAccess, UserID: userID})
}

// Bus carries events to live listeners, after the change that caused them
// has committed. Slow listeners miss events rather than hold up the server.
//
// On SQLite one process serves the database and the bus is that process's
// alone. On PostgreSQL several processes may serve the same database, so
// each batch of events is also sent with NOTIFY on eventChannel once the
// domain call that raised it has committed (see collect), and RelayEvents
// LISTENs there and hands what other processes raised to this process's
// listeners. A process delivers its own events directly, not back through
// PostgreSQL: each batch carries the sender's node id, and a process skips
// its own, so every listener gets each event once. The NOTIFY follows the
// commit rather than riding in the transaction because one domain call may
// run more than one transaction and raises its events from deep inside
// them; the cost is that a process dying between its commit and its NOTIFY
// loses those live events (clients catch up from the timelines, as after
// any reconnection).
type Bus struct {
	mu   sync.Mutex
	next int
	subs map[int]*subscriber
	shut bool // Close has ended every subscription

	nodeOnce sync.Once
	node     string // this process's id in the batches it sends
}

// A subscriber's channel holds a few events; a burst beyond them waits in
// its overflow queue, up to subscriberBacklog in all, which a goroutine
// started for the burst feeds into the channel in order. So an idle
// subscription (a live stream holds one) costs little memory, and a
// listener may still fall that far behind before it misses events.
const (
	subscriberChannel = 8
	subscriberBacklog = 256
)

type subscriber struct {
	ch chan Event
	// Guarded by Bus.mu. While pumping, only the pump sends on ch, and it
	// closes ch once ended is set; otherwise publish sends on ch and the
	// unsubscriber closes it.
	over    []Event
	pumping bool
	ended   bool
	done    chan struct{} // closed when the subscription ends while pumping
}

// Subscribe returns a channel of events and a function that ends the
// subscription. The channel is closed when the subscription ends, by that
// function or by Close.
func (b *Bus) Subscribe() (<-chan Event, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shut {
		ch := make(chan Event)
		close(ch)
		return ch, func() {}
	}
	if b.subs == nil {
		b.subs = map[int]*subscriber{}
	}
	id := b.next
	b.next++
	sub := &subscriber{ch: make(chan Event, subscriberChannel)}
	b.subs[id] = sub
	return sub.ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if sub, ok := b.subs[id]; ok {
			delete(b.subs, id)
			b.end(sub)
		}
	}
}

// end closes sub's channel, or has its pump close it. b.mu is held.
func (b *Bus) end(sub *subscriber) {
	sub.ended = true
	if sub.pumping {
		close(sub.done)
		return
	}
	close(sub.ch)
}

// Close ends every subscription, now and to come, so that live streams
// finish and their clients reconnect elsewhere: the server calls it when
// it begins to shut down, since a stream would otherwise hold the shutdown
// for its whole grace period.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shut = true
	for id, sub := range b.subs {
		delete(b.subs, id)
		b.end(sub)
	}
}

// Interrupt ends every subscription open now, as Close does, but accepts
// new ones: the relay calls it when it is listening again after losing
// its connection, since the streams open then may have missed events; their
// clients reconnect and catch up from the timelines. It returns how many
// it ended.
func (b *Bus) Interrupt() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.subs)
	for id, sub := range b.subs {
		delete(b.subs, id)
		b.end(sub)
	}
	return n
}

func (b *Bus) publish(evs ...Event) {
	evs = withMemos(evs)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, sub := range b.subs {
		for _, ev := range evs {
			if !sub.pumping {
				select {
				case sub.ch <- ev:
					continue
				default:
				}
			}
			if len(sub.over)+len(sub.ch) >= subscriberBacklog {
				continue // a slow listener misses it
			}
			sub.over = append(sub.over, ev)
			if !sub.pumping {
				sub.pumping = true
				sub.done = make(chan struct{})
				go b.pump(sub)
			}
		}
	}
}

// pump feeds sub's overflow into its channel until the overflow is empty
// or the subscription ends.
func (b *Bus) pump(sub *subscriber) {
	for {
		b.mu.Lock()
		if sub.ended {
			close(sub.ch)
			sub.over = nil
			b.mu.Unlock()
			return
		}
		if len(sub.over) == 0 {
			sub.pumping = false
			sub.over = nil
			b.mu.Unlock()
			return
		}
		ev := sub.over[0]
		sub.over[0] = Event{}
		sub.over = sub.over[1:]
		done := sub.done
		b.mu.Unlock()
		select {
		case sub.ch <- ev:
		case <-done:
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
			s.deliver(ctx, p.events)
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
	s.deliver(ctx, []Event{ev})
}

// eventChannel is the PostgreSQL channel events travel on between
// processes.
const eventChannel = "rounds_events"

// notifyBytes bounds the payload of one NOTIFY, well below PostgreSQL's
// 8000 bytes; a batch that would be larger goes in several. An event
// encodes in about 90 bytes at most.
const notifyBytes = 6000

// eventBatch is the payload of one NOTIFY.
type eventBatch struct {
	Node   string  `json:"node"`
	Events []Event `json:"events"`
}

// nodeID names this process in the batches it sends.
func (b *Bus) nodeID() string {
	b.nodeOnce.Do(func() {
		var r [8]byte
		_, _ = rand.Read(r[:])
		b.node = hex.EncodeToString(r[:])
	})
	return b.node
}

// deliver hands committed events to this process's listeners and, on
// PostgreSQL, to the other processes'.
func (s *Service) deliver(ctx context.Context, evs []Event) {
	s.bus.publish(evs...)
	if s.db == nil || s.db.Dialect() != storage.Postgres {
		return
	}
	payloads, err := eventPayloads(s.bus.nodeID(), evs)
	if err != nil {
		s.log.Error("could not encode events for other processes", "error", err)
		return
	}
	// The change has committed: a caller who has gone away must not stop
	// the others hearing of it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.db.Notify(ctx, eventChannel, payloads...); err != nil {
		s.log.Warn("could not send events to other processes", "error", err)
	}
}

// eventPayloads packs evs into NOTIFY payloads of at most notifyBytes,
// in order.
func eventPayloads(node string, evs []Event) ([]string, error) {
	quoted, err := json.Marshal(node)
	if err != nil {
		return nil, err
	}
	head := `{"node":` + string(quoted) + `,"events":[`
	var payloads []string
	var buf strings.Builder
	for _, ev := range evs {
		raw, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		if len(head)+len(raw)+2 > notifyBytes {
			return nil, fmt.Errorf("a %q event encodes in %d bytes, over the %d a notification may carry", ev.Type, len(raw), notifyBytes)
		}
		if buf.Len() > 0 && buf.Len()+1+len(raw)+2 > notifyBytes {
			payloads = append(payloads, buf.String()+"]}")
			buf.Reset()
		}
		if buf.Len() == 0 {
			buf.WriteString(head)
		} else {
			buf.WriteByte(',')
		}
		buf.Write(raw)
	}
	if buf.Len() > 0 {
		payloads = append(payloads, buf.String()+"]}")
	}
	return payloads, nil
}

// RelayEventsName is the application_name of the session RelayEvents
// listens on, followed by this process's node id.
const RelayEventsName = "rounds events "

// RelayEvents hands the events other processes on the same PostgreSQL
// database raise to this process's listeners, until ctx ends; it
// reconnects by itself when the database connection drops, and then ends
// the live streams open here (Interrupt): what other processes raised
// while it was away is lost, so their clients must reconnect and catch up.
// connected, if not nil, is called each time it is listening. On SQLite
// it returns nil at once: there are no other processes.
func (s *Service) RelayEvents(ctx context.Context, connected func()) error {
	if s.db.Dialect() != storage.Postgres {
		return nil
	}
	me := s.bus.nodeID()
	first := true
	err := s.db.Listen(ctx, storage.Listener{
		Channel: eventChannel,
		Name:    RelayEventsName + me,
		Connected: func() {
			if !first {
				if n := s.bus.Interrupt(); n > 0 {
					s.log.Info("ended live streams that may have missed events while not listening; their clients reconnect", "streams", n)
				}
			}
			first = false
			if connected != nil {
				connected()
			}
		},
		Logger: s.log,
		Handle: func(payload string) {
			var b eventBatch
			if err := json.Unmarshal([]byte(payload), &b); err != nil {
				s.log.Warn("ignored a malformed event batch from another process", "error", err)
				return
			}
			if b.Node == me {
				return // delivered here when it was raised
			}
			s.bus.publish(b.Events...)
		},
	})
	if errors.Is(err, storage.ErrNoNotify) {
		return nil
	}
	return err
}
