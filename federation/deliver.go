package federation

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"rounds/social"
	"rounds/storage"
)

// publishWorker turns a local action into an activity and queues its
// deliveries.
type publishWorker struct {
	river.WorkerDefaults[social.PublishArgs]
	f *Federation
}

func (w *publishWorker) Work(ctx context.Context, job *river.Job[social.PublishArgs]) error {
	out, inboxes, err := w.f.buildActivity(ctx, job.Args)
	if errors.Is(err, social.ErrNotFound) {
		// What the activity was about is gone (a follow undone before it
		// was sent): nothing to say.
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	relays, err := w.f.relayInboxesFor(ctx, job.Args)
	if err != nil && !errors.Is(err, social.ErrNotFound) {
		return err
	}
	inboxes = append(inboxes, relays...)
	// Nothing goes to a blocked domain, or in allowlist mode to an
	// unlisted one.
	if inboxes, err = w.f.social.FederatingInboxes(ctx, inboxes); err != nil {
		return err
	}
	return w.f.social.QueueDelivery(ctx, out, inboxes)
}

func inboxOf(a *storage.Account) string {
	if a.SharedInboxURL != "" {
		return a.SharedInboxURL
	}
	return a.InboxURL
}

func (f *Federation) buildActivity(ctx context.Context, p social.PublishArgs) (social.Outgoing, []string, error) {
	actor, err := f.social.AccountByID(ctx, p.AccountID)
	if err != nil {
		return social.Outgoing{}, nil, err
	}
	if out, inboxes, ok, err := f.buildQuoteActivity(ctx, actor, p); ok {
		return out, inboxes, err
	}
	var act ActivityDoc
	var inboxes []string
	out := social.Outgoing{AccountID: actor.ID}
	switch p.Type {
	case social.PublishFollow:
		fl, err := f.social.FollowByID(ctx, p.FollowID)
		if err != nil {
			return out, nil, err
		}
		target, err := f.social.AccountByID(ctx, fl.TargetAccountID)
		if err != nil {
			return out, nil, err
		}
		act = ActivityDoc{ID: fl.URI, Type: "Follow", Actor: actor.URI, ObjectID: target.URI, To: []string{target.URI}}
		inboxes = []string{target.InboxURL}
	case social.PublishUndoFollow:
		target, err := f.social.AccountByID(ctx, p.TargetAccountID)
		if err != nil {
			return out, nil, err
		}
		act = ActivityDoc{
			ID: p.ActivityURI + "/undo", Type: "Undo", Actor: actor.URI, To: []string{target.URI},
			ObjectID: p.ActivityURI,
			Activity: &ActivityDoc{ID: p.ActivityURI, Type: "Follow", Actor: actor.URI, ObjectID: target.URI},
		}
		inboxes = []string{target.InboxURL}
	case social.PublishAccept:
		fl, err := f.social.FollowByID(ctx, p.FollowID)
		if err != nil {
			return out, nil, err
		}
		follower, err := f.social.AccountByID(ctx, fl.AccountID)
		if err != nil {
			return out, nil, err
		}
		// One Accept per Follow activity: a follower that forgot the
		// follow (it blocked our domain for a while) sends a new Follow,
		// and must not take our new Accept for one it has seen.
		sum := sha256.Sum256([]byte(fl.URI))
		act = ActivityDoc{
			ID: fmt.Sprintf("%s#accepts/follows/%d-%x", actor.URI, fl.ID, sum[:4]), Type: "Accept", Actor: actor.URI,
			To: []string{follower.URI}, ObjectID: fl.URI,
			Activity: &ActivityDoc{ID: fl.URI, Type: "Follow", Actor: follower.URI, ObjectID: actor.URI},
		}
		inboxes = []string{follower.InboxURL}
	case social.PublishReject:
		follower, err := f.social.AccountByID(ctx, p.TargetAccountID)
		if err != nil {
			return out, nil, err
		}
		// The Reject's id is on our own host, under the rejecting actor:
		// receivers (Rounds among them) refuse an activity whose id is on
		// another host than its actor's, and the Follow's id is on the
		// follower's. The follow's id keeps it unique per follow.
		sum := sha256.Sum256([]byte(p.ActivityURI))
		act = ActivityDoc{
			ID: fmt.Sprintf("%s#rejects/follows/%d-%x", actor.URI, p.FollowID, sum[:4]), Type: "Reject", Actor: actor.URI, To: []string{follower.URI}, ObjectID: p.ActivityURI,
			Activity: &ActivityDoc{ID: p.ActivityURI, Type: "Follow", Actor: follower.URI, ObjectID: actor.URI},
		}
		inboxes = []string{follower.InboxURL}
	case social.PublishCreate:
		st, note, err := f.statusNote(ctx, p.StatusID, actor, &out, &inboxes)
		if err != nil {
			return out, nil, err
		}
		act = ActivityDoc{ID: st.URI + "/activity", Type: "Create", Actor: actor.URI, To: note.To, Cc: note.Cc, Published: st.CreatedAt, ObjectID: st.URI, Note: note}
	case social.PublishDelete:
		act = ActivityDoc{
			ID: p.ObjectURI + "#delete", Type: "Delete", Actor: actor.URI,
			To: []string{PublicCollection}, Cc: []string{actor.FollowersURL}, ObjectID: p.ObjectURI,
		}
		if inboxes, err = f.social.FollowerInboxes(ctx, actor); err != nil {
			return out, nil, err
		}
	case social.PublishLike:
		act = ActivityDoc{ID: p.ActivityURI, Type: "Like", Actor: actor.URI, ObjectID: p.ObjectURI}
	case social.PublishUndoLike:
		act = ActivityDoc{
			ID: p.ActivityURI + "/undo", Type: "Undo", Actor: actor.URI, ObjectID: p.ActivityURI,
			Activity: &ActivityDoc{ID: p.ActivityURI, Type: "Like", Actor: actor.URI, ObjectID: p.ObjectURI},
		}
	case social.PublishAnnounce:
		boost, err := f.social.StatusByID(ctx, p.StatusID)
		if err != nil {
			return out, nil, err
		}
		orig, err := f.social.StatusByID(ctx, *boost.ReblogOfID)
		if err != nil {
			return out, nil, err
		}
		act = ActivityDoc{
			ID: boost.URI, Type: "Announce", Actor: actor.URI, Published: boost.CreatedAt,
			To: []string{PublicCollection}, Cc: []string{orig.Account.URI, actor.FollowersURL}, ObjectID: orig.URI,
		}
		if inboxes, err = f.social.FollowerInboxes(ctx, actor); err != nil {
			return out, nil, err
		}
	case social.PublishUndoBoost:
		act = ActivityDoc{
			ID: p.ActivityURI + "/undo", Type: "Undo", Actor: actor.URI, ObjectID: p.ActivityURI,
			To: []string{PublicCollection}, Cc: []string{actor.FollowersURL},
			Activity: &ActivityDoc{ID: p.ActivityURI, Type: "Announce", Actor: actor.URI, ObjectID: p.ObjectURI},
		}
		if inboxes, err = f.social.FollowerInboxes(ctx, actor); err != nil {
			return out, nil, err
		}
	case social.PublishUpdate:
		st, note, err := f.statusNote(ctx, p.StatusID, actor, &out, &inboxes)
		if err != nil {
			return out, nil, err
		}
		act = ActivityDoc{
			ID: fmt.Sprintf("%s#updates/%d", st.URI, st.EditedAt.UnixMilli()), Type: "Update", Actor: actor.URI,
			To: note.To, Cc: note.Cc, Published: *st.EditedAt, ObjectID: st.URI, Note: note,
		}
	case social.PublishVote:
		// One Create of a Note per chosen option, addressed to the poll's
		// author only, as Mastodon sends votes.
		target, err := f.social.AccountByID(ctx, p.TargetAccountID)
		if err != nil {
			return out, nil, err
		}
		note := NoteDoc{ID: p.ActivityURI, Type: "Note", AttributedTo: actor.URI, Name: p.Content, InReplyTo: p.ObjectURI, To: []string{target.URI}}
		act = ActivityDoc{ID: p.ActivityURI + "/activity", Type: "Create", Actor: actor.URI, To: note.To, ObjectID: note.ID, Note: &note}
	case social.PublishUpdatePoll:
		st, note, err := f.statusNote(ctx, p.StatusID, actor, &out, &inboxes)
		if err != nil {
			return out, nil, err
		}
		now := time.Now().UTC()
		act = ActivityDoc{
			ID: fmt.Sprintf("%s#updates/poll/%d", st.URI, now.UnixNano()), Type: "Update", Actor: actor.URI,
			To: note.To, Cc: note.Cc, Published: now, ObjectID: st.URI, Note: note,
		}
		// Remote voters see the counts too, followers or not.
		if poll, err := f.social.StatusPoll(ctx, st); err == nil && poll != nil {
			voters, err := f.social.PollVoters(ctx, poll)
			if err != nil {
				return out, nil, err
			}
			for _, v := range voters {
				if !v.Local() {
					inboxes = append(inboxes, inboxOf(v))
				}
			}
		}
	case social.PublishBlock, social.PublishUndoBlock:
		target, err := f.social.AccountByID(ctx, p.TargetAccountID)
		if err != nil {
			return out, nil, err
		}
		act = ActivityDoc{ID: p.ActivityURI, Type: "Block", Actor: actor.URI, ObjectID: target.URI, To: []string{target.URI}}
		if p.Type == social.PublishUndoBlock {
			inner := act
			act = ActivityDoc{ID: p.ActivityURI + "/undo", Type: "Undo", Actor: actor.URI, ObjectID: p.ActivityURI, To: []string{target.URI}, Activity: &inner}
		}
	case social.PublishUpdateProfile:
		doc := f.actorDoc(actor)
		act = ActivityDoc{
			ID: fmt.Sprintf("%s#updates/%d", actor.URI, actor.UpdatedAt.UnixMilli()), Type: "Update", Actor: actor.URI,
			To: []string{PublicCollection}, Cc: []string{actor.FollowersURL}, ObjectID: actor.URI, Actor2: &doc,
		}
		if inboxes, err = f.social.FollowerInboxes(ctx, actor); err != nil {
			return out, nil, err
		}
	case social.PublishMove:
		act = ActivityDoc{
			ID: moveID(actor), Type: "Move", Actor: actor.URI,
			To: []string{actor.FollowersURL}, ObjectID: actor.URI, Target: p.ObjectURI,
		}
		if inboxes, err = f.social.FollowerInboxes(ctx, actor); err != nil {
			return out, nil, err
		}
	case social.PublishDeleteActor:
		// The inboxes were decided when the account was suspended or
		// deleted (p.Inboxes): its follows may be gone by now.
		act = ActivityDoc{
			ID: fmt.Sprintf("%s#delete/%d", actor.URI, time.Now().UnixMilli()), Type: "Delete", Actor: actor.URI,
			To: []string{PublicCollection}, ObjectID: actor.URI,
		}
	case social.PublishFlag:
		target, err := f.social.AccountByID(ctx, p.TargetAccountID)
		if err != nil {
			return out, nil, err
		}
		act = ActivityDoc{
			ID: p.ActivityURI, Type: "Flag", Actor: actor.URI,
			Objects: append([]string{target.URI}, p.ObjectURIs...), Content: p.Content,
		}
	default:
		return out, nil, river.JobCancel(fmt.Errorf("unknown activity %q", p.Type))
	}
	inboxes = append(inboxes, p.Inboxes...)
	body, err := MarshalActivity(act)
	if err != nil {
		return out, nil, err
	}
	out.URI, out.Body = act.ID, body
	return out, inboxes, nil
}

// statusNote reads the post id of actor for an activity that carries it
// (Create, Update): it returns the post and its Note, records the post in
// out and sets inboxes to its audience's.
func (f *Federation) statusNote(ctx context.Context, id int64, actor *storage.Account, out *social.Outgoing, inboxes *[]string) (*storage.Status, *NoteDoc, error) {
	st, err := f.social.StatusByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	note, err := f.noteDoc(ctx, st, actor)
	if err != nil {
		return nil, nil, err
	}
	out.StatusID = st.ID
	if *inboxes, err = f.statusInboxes(ctx, st, actor); err != nil {
		return nil, nil, err
	}
	return st, &note, nil
}

// statusInboxes is where a status goes: its author's followers (one shared
// inbox per server) unless it is direct, and the remote accounts it
// mentions.
func (f *Federation) statusInboxes(ctx context.Context, st *storage.Status, author *storage.Account) ([]string, error) {
	var inboxes []string
	var err error
	if st.Visibility != social.VisibilityDirect {
		if inboxes, err = f.social.FollowerInboxes(ctx, author); err != nil {
			return nil, err
		}
	}
	mentioned, err := f.social.MentionedAccounts(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, m := range mentioned {
		if !m.Local() {
			inboxes = append(inboxes, inboxOf(m))
		}
	}
	return inboxes, nil
}

// deliverWorker sends one stored activity to one inbox, signed by its actor.
type deliverWorker struct {
	river.WorkerDefaults[social.DeliverArgs]
	f *Federation
}

// Timeout keeps a hung remote server from holding a worker: the client's own
// timeout is 10 s.
func (w *deliverWorker) Timeout(*river.Job[social.DeliverArgs]) time.Duration {
	return 30 * time.Second
}

// NextRetry waits about as Mastodon does: attempt^4 + 15 s plus jitter,
// 2 to 3 days over 16 attempts.
func (w *deliverWorker) NextRetry(job *river.Job[social.DeliverArgs]) time.Time {
	n := job.Attempt
	wait := time.Duration(n*n*n*n+15) * time.Second
	jitter := time.Duration(job.ID%30) * time.Duration(n) * time.Second
	return time.Now().Add(wait + jitter)
}

// deliveryConcurrency bounds the requests one delivery job has in flight.
const deliveryConcurrency = 16

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[social.DeliverArgs]) error {
	f, d := w.f, job.Args
	// A retried or rescued job sends only to the inboxes still pending.
	pending, err := f.social.PendingInboxes(ctx, d.ActivityID, d.Inboxes)
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		return nil
	}
	act, err := f.social.OutboxActivity(ctx, d.ActivityID)
	if err != nil {
		return river.JobCancel(err)
	}
	actor, err := f.social.AccountByID(ctx, act.AccountID)
	if err != nil {
		return river.JobCancel(err)
	}
	signer, err := f.signerFor(actor)
	if err != nil {
		return river.JobCancel(err)
	}
	body := []byte(act.Body)
	last := job.Attempt >= job.MaxAttempts

	results := make([]social.DeliveryResult, len(pending))
	var retryAfter time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, deliveryConcurrency)
	down := map[string]bool{}
	for i, inbox := range pending {
		u, err := url.Parse(inbox)
		if err != nil || u.Host == "" {
			results[i] = social.DeliveryResult{Inbox: inbox, State: storage.DeliveryFailed, Error: "not a URL"}
			continue
		}
		domain := u.Host
		// Blocked after the delivery was queued: given up for good, and
		// not counted against the domain's health.
		ok, err := f.social.MayFederate(ctx, domain)
		if err != nil {
			return err
		}
		if !ok {
			results[i] = social.DeliveryResult{Inbox: inbox, State: storage.DeliveryFailed, Error: "skipped: federation with this domain is blocked"}
			continue
		}
		results[i] = social.DeliveryResult{Inbox: inbox, Domain: domain}
		isDown, seen := down[domain]
		if !seen {
			if isDown, err = f.social.DomainUnavailable(ctx, domain); err != nil {
				return err
			}
			down[domain] = isDown
		}
		if isDown {
			results[i].State = storage.DeliveryFailed
			results[i].Error = "skipped: the server has been unreachable for days"
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(r *social.DeliveryResult) {
			defer func() { <-sem; wg.Done() }()
			err := f.client.Post(ctx, r.Inbox, body, signer)
			if err == nil {
				r.State = storage.DeliveryDelivered
				return
			}
			r.Error = err.Error()
			var se *StatusError
			switch {
			case errors.As(err, &se) && se.StatusCode == http.StatusTooManyRequests:
				r.State = storage.DeliveryPending
				mu.Lock()
				retryAfter = max(retryAfter, se.RetryAfter)
				mu.Unlock()
			case errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != http.StatusRequestTimeout:
				// The server understood and refused: trying again will
				// not help.
				r.State = storage.DeliveryFailed
				r.Error = "refused with " + strconv.Itoa(se.StatusCode)
			case last:
				r.State = storage.DeliveryFailed
			default:
				r.State = storage.DeliveryPending
			}
		}(&results[i])
	}
	wg.Wait()
	f.metrics.countDeliveries(results)
	var failed []string
	only429 := true
	for _, r := range results {
		if r.State == storage.DeliveryPending {
			failed = append(failed, r.Inbox+": "+r.Error)
			only429 = only429 && strings.Contains(r.Error, "429")
		}
	}
	snooze := len(failed) > 0 && only429 && retryAfter > 0
	// When the pending ones are tried again, for their author to see: the
	// snooze for Retry-After, or the backoff (River reckons the same a
	// moment later).
	retryAt := w.NextRetry(job)
	if snooze {
		retryAt = time.Now().Add(retryAfter)
	}
	if err := f.social.RecordDeliveryResults(context.WithoutCancel(ctx), d.ActivityID, results, job.Attempt, retryAt); err != nil {
		return err
	}
	if len(failed) == 0 {
		return nil
	}
	if snooze {
		// Honour Retry-After; a snooze does not use up an attempt.
		return river.JobSnooze(retryAfter)
	}
	return fmt.Errorf("%d of %d inboxes not reached: %s", len(failed), len(pending), strings.Join(failed[:min(3, len(failed))], "; "))
}
