package federation

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"rounds/social"
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
	if err := f.checkDomain(ctx, uri); err != nil {
		if errors.Is(err, errDomainRefused) {
			return river.JobCancel(fmt.Errorf("fetch %s: %w", uri, err))
		}
		return err
	}
	signer, err := f.instanceSigner(ctx)
	if err != nil {
		return err
	}
	body, err := f.client.Get(ctx, uri, signer)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != 429 {
			return river.JobCancel(fmt.Errorf("fetch %s: %w", uri, err)) // gone or private
		}
		return fmt.Errorf("fetch %s: %w", uri, err)
	}
	n, err := ParseNote(body)
	if err != nil {
		return river.JobCancel(err)
	}
	// What the server returned must be what we asked for, on its host.
	if n.ID != uri || !sameHost(n.AttributedTo, n.ID) {
		return river.JobCancel(fmt.Errorf("fetch %s: the server returned %s by %s", uri, n.ID, n.AttributedTo))
	}
	author, err := f.RemoteAccount(ctx, n.AttributedTo)
	if err != nil {
		return err
	}
	st, mentions, err := f.statusFromNote(ctx, author, n)
	if err != nil {
		return river.JobCancel(err)
	}
	_, err = f.social.ReceiveStatus(ctx, st, mentions, social.ReceiveOptions{Context: true, Depth: job.Args.Depth, Tags: hashtags(n), Media: remoteMedia(n), Poll: remotePoll(n)})
	return err
}

// refreshAccountWorker fetches a stale remote actor again.
type refreshAccountWorker struct {
	river.WorkerDefaults[social.RefreshAccountArgs]
	f *Federation
}

func (w *refreshAccountWorker) Work(ctx context.Context, job *river.Job[social.RefreshAccountArgs]) error {
	_, err := w.f.FetchActor(ctx, job.Args.URI)
	var se *StatusError
	if errors.As(err, &se) && se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != 429 || errors.Is(err, errDomainRefused) {
		return river.JobCancel(err)
	}
	return err
}
