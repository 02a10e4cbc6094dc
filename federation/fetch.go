package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"rounds/social"
	"rounds/storage"
)

// fetchStatusWorker fetches a post we lack (the parent of a reply) with a
// signed GET and stores it for the thread's sake.
type fetchStatusWorker struct {
	river.WorkerDefaults[social.FetchStatusArgs]
	f *Federation
}

func (w *fetchStatusWorker) Work(ctx context.Context, job *river.Job[social.FetchStatusArgs]) error {
	f, uri := w.f, job.Args.URI
	if sameHost(uri, f.social.BaseURL()) {
		return nil // ours: we have it or it was deleted
	}
	if known, err := f.social.KnownStatusOrTombstone(ctx, uri); err != nil || known {
		return err
	}
	n, err := f.fetchNoteJob(ctx, uri)
	if err != nil {
		return err
	}
	_, err = f.keepNote(ctx, n, job.Args.Depth)
	if errors.Is(err, errBadNote) {
		return river.JobCancel(err)
	}
	return err
}

// fetchNoteJob fetches the post uri from its own server for a job: the
// document must be what was asked for, on its author's host. Errors that
// another attempt cannot mend (a refused domain, a 4xx answer, something
// that is not that post) cancel the job; others retry it.
func (f *Federation) fetchNoteJob(ctx context.Context, uri string) (*NoteDoc, error) {
	if err := f.checkDomain(ctx, uri); err != nil {
		if errors.Is(err, errDomainRefused) {
			return nil, river.JobCancel(fmt.Errorf("fetch %s: %w", uri, err))
		}
		return nil, err
	}
	signer, err := f.instanceSigner(ctx)
	if err != nil {
		return nil, err
	}
	body, err := f.client.Get(ctx, uri, signer)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != 429 || errors.Is(err, ErrCrossHostRedirect) {
			return nil, river.JobCancel(fmt.Errorf("fetch %s: %w", uri, err)) // gone, private or elsewhere
		}
		return nil, fmt.Errorf("fetch %s: %w", uri, err)
	}
	n, err := ParseNote(body)
	if err != nil {
		return nil, river.JobCancel(err)
	}
	if n.ID != uri || !sameHost(n.AttributedTo, n.ID) {
		return nil, river.JobCancel(fmt.Errorf("fetch %s: the server returned %s (%s) by %s", uri, n.ID, n.Type, n.AttributedTo))
	}
	return n, nil
}

// errBadNote marks a fetched post that cannot be kept as it is.
var errBadNote = errors.New("the post cannot be kept")

// keepNote stores a post fetched from its own server (n.ID was fetched and
// is on its author's host), kept for context although nobody here follows
// its author. It returns the stored status, also when it was known already.
func (f *Federation) keepNote(ctx context.Context, n *NoteDoc, depth int) (*storage.Status, error) {
	author, err := f.RemoteAccount(ctx, n.AttributedTo)
	if err != nil {
		return nil, err
	}
	st, mentions, err := f.statusFromNote(ctx, author, n)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadNote, err)
	}
	kept, err := f.social.ReceiveStatus(ctx, st, mentions, social.ReceiveOptions{Context: true, Depth: depth, Tags: hashtags(n), Media: remoteMedia(n), Poll: remotePoll(n), RemoteMentions: f.remoteMentions(ctx, n), Article: remoteArticle(n, st)})
	if err != nil || kept != nil {
		return kept, err
	}
	// Already here (or deleted before): the stored one, if any.
	return f.social.StatusByURI(ctx, n.ID)
}

// ResolveObject fetches what uri names on another server, a post or a
// profile, by its ActivityPub id or its web address (servers answer a
// post's or profile's page with the document, or with a redirect to it),
// and stores it. It serves a person's search with resolve=true: exactly
// one of the results is non-nil when err is nil.
func (f *Federation) ResolveObject(ctx context.Context, uri string) (*storage.Account, *storage.Status, error) {
	if sameHost(uri, f.social.BaseURL()) {
		return nil, nil, fmt.Errorf("resolve %s: %w", uri, social.ErrNotFound) // ours: known or nothing
	}
	if err := f.checkDomain(ctx, uri); err != nil {
		return nil, nil, fmt.Errorf("resolve %s: %w", uri, err)
	}
	signer, err := f.instanceSigner(ctx)
	if err != nil {
		return nil, nil, err
	}
	body, err := f.client.Get(ctx, uri, signer)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve %s: %w", uri, err)
	}
	var head struct {
		ID   string `json:"id"`
		Type any    `json:"type"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, nil, fmt.Errorf("resolve %s: not an ActivityStreams document: %w", uri, err)
	}
	// A server speaks only for its own host.
	if !sameHost(head.ID, uri) {
		return nil, nil, fmt.Errorf("resolve %s: the document's id %.200q is on another host", uri, head.ID)
	}
	if d, err := ParseActor(body); err == nil {
		if d.ID != uri {
			a, err := f.FetchActor(ctx, d.ID) // by its id, to be sure it is the actor's own
			return a, nil, err
		}
		a, err := f.storeActor(ctx, uri, body)
		return a, nil, err
	}
	n, err := ParseNote(body)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve %s: neither a post nor a profile: %w", uri, err)
	}
	if n.ID != uri {
		// Found by its web address: the post is known by its id, or is
		// fetched again from there, as only its id is authoritative.
		if st, err := f.social.StatusByURI(ctx, n.ID); err == nil {
			return nil, st, nil
		}
		if body, err = f.client.Get(ctx, n.ID, signer); err != nil {
			return nil, nil, fmt.Errorf("resolve %s: %w", n.ID, err)
		}
		id := n.ID
		if n, err = ParseNote(body); err != nil {
			return nil, nil, fmt.Errorf("resolve %s: %w", id, err)
		}
		if n.ID != id {
			return nil, nil, fmt.Errorf("resolve %s: the server returned %.200q", id, n.ID)
		}
	}
	if !sameHost(n.AttributedTo, n.ID) {
		return nil, nil, fmt.Errorf("resolve %s: the post %s claims the author %.200q on another host", uri, n.ID, n.AttributedTo)
	}
	st, err := f.keepNote(ctx, n, 0)
	return nil, st, err
}

// refreshAccountWorker fetches a stale remote actor again.
type refreshAccountWorker struct {
	river.WorkerDefaults[social.RefreshAccountArgs]
	f *Federation
}

func (w *refreshAccountWorker) Work(ctx context.Context, job *river.Job[social.RefreshAccountArgs]) error {
	_, err := w.f.FetchActor(ctx, job.Args.URI)
	var se *StatusError
	if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != 429 || errors.Is(err, errDomainRefused) || errors.Is(err, ErrCrossHostRedirect) {
		return river.JobCancel(err)
	}
	return err
}

// fetchFeaturedTagsWorker reads a remote actor's featuredTags collection
// (on the actor's own host, RemoteFeaturedTagsAt checked) with a signed
// GET, following one link to its first page, and keeps the hashtags.
type fetchFeaturedTagsWorker struct {
	river.WorkerDefaults[social.FetchFeaturedTagsArgs]
	f *Federation
}

func (w *fetchFeaturedTagsWorker) Work(ctx context.Context, job *river.Job[social.FetchFeaturedTagsArgs]) error {
	f, uri := w.f, job.Args.URL
	get := func(uri string) ([]byte, error) {
		if err := f.checkDomain(ctx, uri); err != nil {
			return nil, river.JobCancel(fmt.Errorf("fetch %s: %w", uri, err))
		}
		signer, err := f.instanceSigner(ctx)
		if err != nil {
			return nil, err
		}
		body, err := f.client.Get(ctx, uri, signer)
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != 429 {
			return nil, river.JobCancel(fmt.Errorf("fetch %s: %w", uri, err))
		}
		return body, err
	}
	body, err := get(uri)
	if err != nil {
		return err
	}
	id, names, first, err := ParseHashtagCollection(body, social.MaxFeaturedTags)
	if err != nil {
		return river.JobCancel(err)
	}
	// The collection must be the one asked for, and its first page on the
	// same host: a server speaks only for its own accounts.
	if id != uri {
		return river.JobCancel(fmt.Errorf("fetch %s: the server returned %.200q", uri, id))
	}
	if len(names) == 0 && first != "" && sameHost(first, uri) {
		if body, err = get(first); err != nil {
			return err
		}
		if _, names, _, err = ParseHashtagCollection(body, social.MaxFeaturedTags); err != nil {
			return river.JobCancel(err)
		}
	}
	return f.social.SetRemoteFeaturedTags(ctx, job.Args.AccountID, names)
}
