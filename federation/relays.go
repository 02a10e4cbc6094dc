package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/riverqueue/river"

	"rounds/social"
	"rounds/storage"
)

// Relays: the instance actor's Follow and Undo of a relay, our public posts
// sent to relays, and what relays pass on, read through the relay queue
// (social/relays.go has the rules).

// relayFollowWorker sends a relay the instance actor's Follow.
type relayFollowWorker struct {
	river.WorkerDefaults[social.RelayFollowArgs]
	f *Federation
}

func (w *relayFollowWorker) Work(ctx context.Context, job *river.Job[social.RelayFollowArgs]) error {
	f := w.f
	r, err := f.social.RelayByID(ctx, job.Args.RelayID)
	if err != nil {
		return river.JobCancel(err) // removed meanwhile
	}
	if r.InboxURL == "" {
		// LitePub-style: the relay is given by its actor, whose inbox we
		// read.
		a, err := f.FetchActor(ctx, r.ActorURI)
		if err != nil {
			return fmt.Errorf("relay %s: %w", r.URL, err)
		}
		if err := f.social.SetRelayInbox(ctx, r, a.InboxURL); err != nil {
			return err
		}
	}
	me, err := f.social.InstanceActor(ctx)
	if err != nil {
		return err
	}
	act := ActivityDoc{ID: r.FollowURI, Type: "Follow", Actor: me.URI, ObjectID: r.FollowObject, To: []string{r.FollowObject}}
	return f.queueRelayActivity(ctx, me, act, r.InboxURL)
}

// relayUndoWorker sends a removed relay an Undo of our Follow.
type relayUndoWorker struct {
	river.WorkerDefaults[social.RelayUndoArgs]
	f *Federation
}

func (w *relayUndoWorker) Work(ctx context.Context, job *river.Job[social.RelayUndoArgs]) error {
	f, a := w.f, job.Args
	me, err := f.social.InstanceActor(ctx)
	if err != nil {
		return err
	}
	act := ActivityDoc{
		ID: a.FollowURI + "/undo", Type: "Undo", Actor: me.URI, ObjectID: a.FollowURI, To: []string{a.FollowObject},
		Activity: &ActivityDoc{ID: a.FollowURI, Type: "Follow", Actor: me.URI, ObjectID: a.FollowObject},
	}
	return f.queueRelayActivity(ctx, me, act, a.InboxURL)
}

// queueRelayActivity queues the delivery of the instance actor's act to a
// relay's inbox, unless its domain is refused.
func (f *Federation) queueRelayActivity(ctx context.Context, me *storage.Account, act ActivityDoc, inbox string) error {
	body, err := MarshalActivity(act)
	if err != nil {
		return river.JobCancel(err)
	}
	inboxes, err := f.social.FederatingInboxes(ctx, []string{inbox})
	if err != nil {
		return err
	}
	return f.social.QueueDelivery(ctx, social.Outgoing{URI: act.ID, AccountID: me.ID, Body: body}, inboxes)
}

// relayInboxesFor are the relays an activity also goes to: the Create,
// Update and Delete of a local account's public posts, as Mastodon sends
// them to its relays.
func (f *Federation) relayInboxesFor(ctx context.Context, p social.PublishArgs) ([]string, error) {
	switch p.Type {
	case social.PublishCreate, social.PublishUpdate, social.PublishDelete:
	default:
		return nil, nil
	}
	relays, err := f.social.RelayInboxes(ctx)
	if err != nil || len(relays) == 0 {
		return nil, err
	}
	visibility := p.Visibility
	if p.Type != social.PublishDelete {
		st, err := f.social.StatusByID(ctx, p.StatusID)
		if err != nil {
			return nil, err
		}
		visibility = st.Visibility
	}
	if visibility != social.VisibilityPublic {
		return nil, nil
	}
	return relays, nil
}

// relayInbox takes what concerns relays out of the inbox's way after the
// signature is checked (owner is the signer): a relay's answer to our
// Follow, and what a relay passes on, which is queued rather than read at
// once. It reports whether it answered the request.
func (f *Federation) relayInbox(w http.ResponseWriter, r *http.Request, owner string, act *ActivityDoc) bool {
	ctx := r.Context()
	if (act.Type == "Accept" || act.Type == "Reject") && act.Actor == owner {
		followURI := act.ObjectID
		if act.Activity != nil {
			followURI = act.Activity.ID
		}
		handled, err := f.social.ReceiveRelayAnswer(ctx, owner, followURI, act.Type == "Accept")
		if !handled {
			return false
		}
		switch {
		case errors.Is(err, social.ErrForbidden):
			writeJSONError(w, http.StatusForbidden, "this is not the relay our Follow went to")
		case err != nil:
			f.serverError(w, r, err)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
		return true
	}
	relay, err := f.social.RelayOf(ctx, owner)
	if err != nil {
		f.serverError(w, r, err)
		return true
	}
	if relay == nil {
		if act.Actor == owner {
			return false
		}
		// Someone else's activity signed by this key: a relay disabled
		// (or not yet accepted) forwarding, which is not read.
		if isRelay, err := f.social.IsRelayActor(ctx, owner); err == nil && isRelay {
			w.WriteHeader(http.StatusAccepted)
			return true
		}
		return false
	}
	var object string
	deleted := false
	switch {
	case act.Type == "Announce" && act.Actor == owner:
		object = act.ObjectID // LitePub-style: the relay announces it
		if object == "" && act.Note != nil {
			object = act.Note.ID // announced with the object embedded
		}
	case act.Type == "Create" && act.Actor != owner:
		// Mastodon-style: the author's Create, forwarded; its object is
		// read from its origin, not from this copy.
		object = act.ObjectID
		if act.Note != nil {
			object = act.Note.ID
		}
	case act.Type == "Delete" && act.Actor != owner && act.ObjectID != act.Actor:
		object, deleted = act.ObjectID, true // a post's Delete, forwarded
	case act.Actor == owner:
		return false // the relay's own Follow, Undo, Update of itself
	}
	if object == "" || sameHost(object, f.social.BaseURL()) || slices.Contains([]string{owner, act.Actor}, object) {
		// Something else forwarded (an Update, a Like): only the origin
		// could vouch for it, and a relay's copy is not read.
		w.WriteHeader(http.StatusAccepted)
		return true
	}
	queued, err := f.social.QueueRelayObject(ctx, relay, object, deleted)
	if err != nil {
		f.serverError(w, r, err)
		return true
	}
	if !queued {
		f.log.Info("relay: queue full, delivery dropped", "relay", relay.URL, "object", object)
	}
	// Accepted either way: the relay is told nothing it could retry.
	w.WriteHeader(http.StatusAccepted)
	return true
}

// relayReceiveWorker reads one object a relay passed on: it is fetched
// from its own server and kept when public.
type relayReceiveWorker struct {
	river.WorkerDefaults[social.RelayReceiveArgs]
	f *Federation
}

func (w *relayReceiveWorker) Work(ctx context.Context, job *river.Job[social.RelayReceiveArgs]) error {
	f, uri := w.f, job.Args.ObjectURI
	if job.Args.Deleted {
		return f.relayDelete(ctx, uri)
	}
	if known, err := f.social.KnownStatusOrTombstone(ctx, uri); err != nil || known {
		return err
	}
	n, err := f.fetchNoteJob(ctx, uri)
	if err != nil {
		return err
	}
	if !slices.Contains(n.To, PublicCollection) && !slices.Contains(n.To, "as:Public") && !slices.Contains(n.To, "Public") {
		return nil // only public posts belong in the federated timeline
	}
	_, err = f.keepNote(ctx, n, 0)
	if errors.Is(err, errBadNote) {
		return river.JobCancel(err)
	}
	return err
}

// relayDelete applies a Delete a relay forwarded, whose signature is the
// relay's: the post goes when its own server answers that it is gone (404
// or 410), and stays otherwise.
func (f *Federation) relayDelete(ctx context.Context, uri string) error {
	st, err := f.social.StatusByURI(ctx, uri)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Local {
		return nil
	}
	signer, err := f.instanceSigner(ctx)
	if err != nil {
		return err
	}
	_, err = f.client.Get(ctx, uri, signer)
	var se *StatusError
	switch {
	case err == nil:
		return nil // still there: the relay's word is not enough
	case errors.As(err, &se) && (se.StatusCode == http.StatusNotFound || se.StatusCode == http.StatusGone):
		author, err := f.social.AccountByID(ctx, st.AccountID)
		if err != nil {
			return err
		}
		return f.social.ReceiveDelete(ctx, author, uri)
	case errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != http.StatusTooManyRequests:
		return river.JobCancel(fmt.Errorf("check %s: %w", uri, err))
	}
	return fmt.Errorf("check %s: %w", uri, err)
}
