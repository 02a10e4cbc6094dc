package api

import (
	"context"

	"rounds/social"
	"rounds/storage"
)

// Every stream of the process gets each status event, and a post to a
// thousand streams would otherwise be loaded and rendered a thousand
// times. The event's Memo (one per event, see social.Memo) lets the
// streams share what is the same for every viewer: the status row, and
// its entity as nobody in particular sees it. What depends on the viewer
// (whether they may see it at all, their filters, favourited, bookmarked,
// muted ..., their poll votes) is still worked out for each stream.

type sharedStatus struct {
	st  *storage.Status
	err error
}

// eventStatus loads the status of ev once for all its listeners; each gets
// its own copy of the row.
func (h *handler) eventStatus(ctx context.Context, ev social.Event) (*storage.Status, error) {
	v := ev.Memo.Do("status", func() any {
		// Not the first listener's own context: it may be leaving.
		st, err := h.social.StatusByID(context.WithoutCancel(ctx), ev.StatusID)
		return sharedStatus{st, err}
	}).(sharedStatus)
	if v.err != nil {
		return nil, v.err
	}
	cp := *v.st
	return &cp, nil
}

// eventStatusEntity is st as pr's viewer sees it, built on the rendering
// of st for nobody that the listeners of ev share. Boosts, whose entity
// holds the boosted post with its own viewer state, are rendered whole.
func (h *handler) eventStatusEntity(ctx context.Context, pr *present, st *storage.Status, ev social.Event) *Status {
	if ev.Memo == nil || st.ReblogOfID != nil {
		return pr.Status(ctx, st)
	}
	shared := ev.Memo.Do("entity", func() any {
		return h.presenter(nil).Status(context.WithoutCancel(ctx), st)
	}).(*Status)
	out := *shared // the nested entities are shared, and only read
	out.Filtered = pr.filteredOf(ctx, st)
	if shared.Poll != nil {
		out.Poll = pr.statusPoll(ctx, st) // with the viewer's votes
	}
	if pr.me != nil {
		v := h.social.ViewerState(ctx, pr.me, st)
		out.Favourited, out.Reblogged = v.Favourited, v.Reblogged
		out.Bookmarked, out.Pinned, out.Muted = v.Bookmarked, v.Pinned, v.Muted
	}
	return &out
}
