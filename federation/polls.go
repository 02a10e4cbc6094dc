package federation

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"rounds/social"
)

// refreshPollWorker fetches a remote poll's Question when it ends, so that
// its final counts are shown here even if its server does not send them.
type refreshPollWorker struct {
	river.WorkerDefaults[social.RefreshPollArgs]
	f *Federation
}

func (w *refreshPollWorker) Work(ctx context.Context, job *river.Job[social.RefreshPollArgs]) error {
	f, uri := w.f, job.Args.URI
	if sameHost(uri, f.social.BaseURL()) {
		return nil
	}
	if err := f.checkDomain(ctx, uri); err != nil {
		if errors.Is(err, errDomainRefused) {
			return river.JobCancel(fmt.Errorf("refresh poll %s: %w", uri, err))
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
			return river.JobCancel(fmt.Errorf("refresh poll %s: %w", uri, err))
		}
		return fmt.Errorf("refresh poll %s: %w", uri, err)
	}
	n, err := ParseNote(body)
	if err != nil {
		return river.JobCancel(err)
	}
	rp := remotePoll(n)
	if n.ID != uri || !sameHost(n.AttributedTo, n.ID) || rp == nil {
		return river.JobCancel(fmt.Errorf("refresh poll %s: the server returned %s (%s) by %s", uri, n.ID, n.Type, n.AttributedTo))
	}
	author, err := f.RemoteAccount(ctx, n.AttributedTo)
	if err != nil {
		return err
	}
	err = f.social.ReceivePollUpdate(ctx, author, uri, *rp)
	if isNotFound(err) || errors.Is(err, social.ErrForbidden) {
		return river.JobCancel(fmt.Errorf("refresh poll %s: %w", uri, err))
	}
	return err
}
