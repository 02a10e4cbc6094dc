package social

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// Relays. An admin subscribes the server to an ActivityPub relay; the
// instance actor follows it, our public posts go to it, and what it passes
// on from other servers is read through a queue of its own.
//
// Two kinds are in use. A Mastodon-style relay is given by its inbox
// (https://relay.example/inbox) and followed with a Follow of the public
// collection; it forwards the activities its subscribers send. A
// LitePub-style relay is given by its actor (https://relay.example/actor),
// which is followed; it announces the objects it passes on.

// PublicCollection is ActivityStreams' public address, which a
// Mastodon-style relay's Follow names.
const PublicCollection = "https://www.w3.org/ns/activitystreams#Public"

// DefaultRelayQueueCap is how many deliveries from relays may wait to be
// read before further ones are dropped.
const DefaultRelayQueueCap = 1000

// relayCacheFor is how long the list of relays is reused before it is read
// again: every inbox request and every publication asks whether relays
// concern it. A change made in this process clears it at once; one made by
// another (the admin CLI, another server process) is seen this late.
const relayCacheFor = 5 * time.Second

// relayCache holds the relays as last read.
type relayCache struct {
	mu     sync.Mutex
	at     time.Time
	relays []*storage.Relay
}

// cachedRelays returns the relays, read at most relayCacheFor ago.
func (s *Service) cachedRelays(ctx context.Context) ([]*storage.Relay, error) {
	c := &s.relayCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < relayCacheFor {
		return c.relays, nil
	}
	rs, err := s.db.Relays(ctx)
	if err != nil {
		return nil, err
	}
	c.relays, c.at = rs, time.Now()
	return rs, nil
}

// forgetRelays clears the relay cache after a change.
func (s *Service) forgetRelays() {
	s.relayCache.mu.Lock()
	s.relayCache.at = time.Time{}
	s.relayCache.mu.Unlock()
}

// RelayFollowArgs is the job that sends a relay the instance actor's Follow
// (resolving a LitePub relay's inbox first).
type RelayFollowArgs struct {
	RelayID int64 `json:"relay_id,string"`
}

// Kind names the job kind.
func (RelayFollowArgs) Kind() string { return "relay_follow" }

// InsertOpts retries a few times; the delivery has its own retries.
func (RelayFollowArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// RelayUndoArgs is the job that sends a removed relay an Undo of our
// Follow; the relay's row is gone by then, so it carries what the Undo
// needs.
type RelayUndoArgs struct {
	InboxURL     string `json:"inbox_url"`
	FollowURI    string `json:"follow_uri"`
	FollowObject string `json:"follow_object"`
}

// Kind names the job kind.
func (RelayUndoArgs) Kind() string { return "relay_undo" }

// InsertOpts retries a few times; the delivery has its own retries.
func (RelayUndoArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// RelayReceiveArgs is the job that reads one object a relay passed on: it
// is fetched from its own server, so nothing is taken on the relay's word,
// and a forwarded Delete is applied only when that server no longer has
// the object.
type RelayReceiveArgs struct {
	RelayID   int64  `json:"relay_id,string"`
	ObjectURI string `json:"object_uri"`
	// Deleted marks a forwarded Delete: the object is removed here when
	// its own server no longer has it.
	Deleted bool `json:"deleted,omitempty"`
}

// Kind names the job kind.
func (RelayReceiveArgs) Kind() string { return "relay_receive" }

// InsertOpts puts the job in the relay queue, which has few workers, and
// gives up soon: the relay sends more than we can miss.
func (RelayReceiveArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, Queue: storage.QueueRelay}
}

// Relays lists the relays, oldest first.
func (s *Service) Relays(ctx context.Context, a Actor) ([]*storage.Relay, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	return s.db.Relays(ctx)
}

// RelayByID returns a relay, or ErrNotFound; for federation's workers.
func (s *Service) RelayByID(ctx context.Context, id int64) (*storage.Relay, error) {
	r, err := s.db.RelayByID(ctx, id)
	return r, domainErr(err)
}

// FindRelay returns the relay named by ref: its id or the URL it was added
// with.
func (s *Service) FindRelay(ctx context.Context, a Actor, ref string) (*storage.Relay, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		if r, err := s.db.RelayByID(ctx, id); err == nil {
			return r, nil
		}
	}
	r, err := s.db.RelayByURL(ctx, strings.TrimSpace(ref))
	return r, domainErr(err)
}

// AddRelay subscribes the server to the relay at rawURL: its inbox
// (Mastodon-style, a path ending in /inbox) or its actor (LitePub-style).
// The Follow goes out as a job; the relay is pending until it answers.
func (s *Service) AddRelay(ctx context.Context, a Actor, rawURL string) (*storage.Relay, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	rawURL = strings.TrimSpace(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, &ValidationError{Field: "url", Reason: "must be an http or https URL of a relay's inbox or actor"}
	}
	if strings.EqualFold(u.Host, s.domain) {
		return nil, &ValidationError{Field: "url", Reason: "is this server's own address"}
	}
	if ok, err := s.MayFederate(ctx, u.Host); err != nil {
		return nil, err
	} else if !ok {
		return nil, &ValidationError{Field: "url", Reason: "is on a domain this server does not federate with"}
	}
	now := s.now()
	r := &storage.Relay{ID: storage.NewID(), URL: rawURL, State: storage.RelayPending, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if strings.HasSuffix(u.Path, "/inbox") {
		r.InboxURL, r.FollowObject = rawURL, PublicCollection
	} else {
		r.ActorURI, r.FollowObject = rawURL, rawURL
	}
	r.FollowURI = s.relayFollowURI(r.ID)
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertRelay(ctx, r); err != nil {
			return err
		}
		if err := s.appendAudit(ctx, tx, a, relayAudit("relay.add", r)); err != nil {
			return err
		}
		return s.jobs.InsertTx(ctx, tx, RelayFollowArgs{RelayID: r.ID}, nil)
	})
	if errors.Is(err, storage.ErrConflict) {
		return nil, &ValidationError{Field: "url", Reason: "is a relay already"}
	}
	s.forgetRelays()
	return r, err
}

// relayAudit is the audit log's record of a change to relay r.
func relayAudit(action string, r *storage.Relay) audit {
	return audit{action: action, targetType: "relay", targetID: strconv.FormatInt(r.ID, 10), target: r.URL}
}

// relayFollowURI is the id of one Follow of a relay, on our host under the
// instance actor; each Follow has its own.
func (s *Service) relayFollowURI(n int64) string {
	return fmt.Sprintf("%s/actor/relay-follows/%d", s.base, n)
}

// RemoveRelay unsubscribes from a relay: its row goes, and an Undo of our
// Follow is sent when the Follow was.
func (s *Service) RemoveRelay(ctx context.Context, a Actor, id int64) error {
	if err := a.require(PermManageFederation); err != nil {
		return err
	}
	defer s.forgetRelays()
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		r, err := tx.RelayByID(ctx, id)
		if err != nil {
			return domainErr(err)
		}
		if err := tx.DeleteRelay(ctx, id); err != nil {
			return domainErr(err)
		}
		if err := s.appendAudit(ctx, tx, a, relayAudit("relay.remove", r)); err != nil {
			return err
		}
		if r.InboxURL == "" {
			return nil // the Follow never went out
		}
		return s.jobs.InsertTx(ctx, tx, RelayUndoArgs{InboxURL: r.InboxURL, FollowURI: r.FollowURI, FollowObject: r.FollowObject}, nil)
	})
}

// SetRelayEnabled stops or resumes the traffic with a relay: a disabled
// relay gets none of our posts and what it sends is dropped. Enabling a
// relay that has not accepted our Follow sends a new one.
func (s *Service) SetRelayEnabled(ctx context.Context, a Actor, id int64, enabled bool) (*storage.Relay, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	defer s.forgetRelays()
	var out *storage.Relay
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		r, err := tx.RelayByID(ctx, id)
		if err != nil {
			return domainErr(err)
		}
		refollow := enabled && r.State != storage.RelayAccepted
		r.Enabled, r.UpdatedAt = enabled, s.now()
		if refollow {
			r.State, r.FollowURI = storage.RelayPending, s.relayFollowURI(storage.NewID())
		}
		if err := tx.UpdateRelay(ctx, r); err != nil {
			return err
		}
		action := "relay.disable"
		if enabled {
			action = "relay.enable"
		}
		if err := s.appendAudit(ctx, tx, a, relayAudit(action, r)); err != nil {
			return err
		}
		out = r
		if refollow {
			return s.jobs.InsertTx(ctx, tx, RelayFollowArgs{RelayID: r.ID}, nil)
		}
		return nil
	})
	return out, err
}

// SetRelayInbox records a LitePub relay's inbox, read from its actor.
func (s *Service) SetRelayInbox(ctx context.Context, r *storage.Relay, inbox string) error {
	defer s.forgetRelays()
	r.InboxURL, r.UpdatedAt = inbox, s.now()
	return s.db.UpdateRelay(ctx, r)
}

// ReceiveRelayAnswer applies a relay's Accept or Reject of our Follow
// followURI, sent by actorURI. It reports false when followURI is no relay
// Follow of ours. The answer must come from the relay's actor, or, for a
// Mastodon-style relay whose actor we learn this way, from its inbox's
// host.
func (s *Service) ReceiveRelayAnswer(ctx context.Context, actorURI, followURI string, accepted bool) (bool, error) {
	if followURI == "" || !strings.HasPrefix(followURI, s.base+"/actor/relay-follows/") {
		return false, nil
	}
	r, err := s.db.RelayByFollow(ctx, followURI)
	if errors.Is(err, storage.ErrNotFound) {
		return true, nil // a relay removed since: nothing to do
	}
	if err != nil {
		return true, err
	}
	switch {
	case r.ActorURI == actorURI:
	case r.ActorURI == "" && sameHostName(r.InboxURL, actorURI):
		r.ActorURI = actorURI
	default:
		return true, ErrForbidden
	}
	defer s.forgetRelays()
	r.State, r.UpdatedAt = storage.RelayRejected, s.now()
	if accepted {
		r.State = storage.RelayAccepted
	}
	return true, s.db.UpdateRelay(ctx, r)
}

// sameHostName reports whether two URLs are on one host.
func sameHostName(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}

// RelayOf returns the enabled, accepted relay whose actor is actorURI, or
// nil when actorURI is no such relay.
func (s *Service) RelayOf(ctx context.Context, actorURI string) (*storage.Relay, error) {
	rs, err := s.cachedRelays(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.ActorURI == actorURI && r.Enabled && r.State == storage.RelayAccepted {
			return r, nil
		}
	}
	return nil, nil
}

// IsRelayActor reports whether actorURI is the actor of a relay we have,
// enabled or not.
func (s *Service) IsRelayActor(ctx context.Context, actorURI string) (bool, error) {
	rs, err := s.cachedRelays(ctx)
	for _, r := range rs {
		if r.ActorURI == actorURI && actorURI != "" {
			return true, nil
		}
	}
	return false, err
}

// RelayInboxes are the inboxes of the enabled relays that accepted us:
// where public posts of local accounts also go.
func (s *Service) RelayInboxes(ctx context.Context) ([]string, error) {
	rs, err := s.cachedRelays(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rs {
		if r.Enabled && r.State == storage.RelayAccepted && r.InboxURL != "" {
			out = append(out, r.InboxURL)
		}
	}
	return out, nil
}

// QueueRelayObject queues the object objectURI that relay passed on, to be
// fetched and kept. When the relay queue holds its cap already the object
// is dropped and counted: a relay's pace cannot outrun the server. It
// reports whether the object was queued.
func (s *Service) QueueRelayObject(ctx context.Context, r *storage.Relay, objectURI string, deleted bool) (bool, error) {
	n, err := s.db.QueuedJobs(ctx, storage.QueueRelay, s.relayQueueCap)
	if err != nil {
		return false, err
	}
	if n >= s.relayQueueCap {
		if err := s.db.CountRelayDropped(ctx, r.ID, 1); err != nil {
			return false, err
		}
		return false, nil
	}
	return true, s.db.InTx(ctx, func(tx storage.Tx) error {
		return s.jobs.InsertTx(ctx, tx, RelayReceiveArgs{RelayID: r.ID, ObjectURI: objectURI, Deleted: deleted}, nil)
	})
}

// RelayQueueCap is how many relay deliveries may wait at once.
func (s *Service) RelayQueueCap() int { return s.relayQueueCap }

// QueuedRelayObjects counts the relay deliveries waiting or being read.
func (s *Service) QueuedRelayObjects(ctx context.Context) (int, error) {
	return s.db.QueuedJobs(ctx, storage.QueueRelay, s.relayQueueCap+1)
}
