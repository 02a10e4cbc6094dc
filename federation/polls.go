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
	n, err := f.fetchNoteJob(ctx, uri)
	if err != nil {
		return err
	}
	rp := remotePoll(n)
	if rp == nil {
		return river.JobCancel(fmt.Errorf("refresh poll %s: it is a %s without a poll", uri, n.Type))
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
