package social

import (
	"context"

	"rounds/storage"
)

// Muting a conversation (POST /api/v1/statuses/:id/mute): a person stops
// hearing about a thread. A thread is named by the URI of its first post,
// or of the unknown post its first known reply answers, so a mute taken on
// any post of the thread covers the posts above and below it, and replies
// arriving later.

type statusReader interface {
	StatusByID(ctx context.Context, id int64) (*storage.Status, error)
}

// threadOf names the thread st belongs to.
func threadOf(ctx context.Context, q statusReader, st *storage.Status) string {
	cur := st
	for range maxThreadWalk {
		if cur.InReplyToID == nil {
			if cur.InReplyToURI != "" {
				return cur.InReplyToURI
			}
			return cur.URI
		}
		parent, err := q.StatusByID(ctx, *cur.InReplyToID)
		if err != nil {
			if cur.InReplyToURI != "" {
				return cur.InReplyToURI
			}
			return cur.URI
		}
		cur = parent
	}
	return cur.URI
}

// MuteThread makes me hear no more about the thread of status id, which me
// must be allowed to see. It returns the status.
func (s *Service) MuteThread(ctx context.Context, me *storage.Account, id int64) (*storage.Status, error) {
	return s.setThreadMute(ctx, me, id, true)
}

// UnmuteThread lifts me's mute of the thread of status id.
func (s *Service) UnmuteThread(ctx context.Context, me *storage.Account, id int64) (*storage.Status, error) {
	return s.setThreadMute(ctx, me, id, false)
}

func (s *Service) setThreadMute(ctx context.Context, me *storage.Account, id int64, mute bool) (*storage.Status, error) {
	st, err := s.db.StatusByID(ctx, id)
	if err != nil {
		return nil, domainErr(err)
	}
	if !s.MayView(ctx, me, st) {
		return nil, ErrNotFound
	}
	thread := threadOf(ctx, s.db, st)
	if mute {
		err = s.db.MuteThread(ctx, me.ID, thread, s.now())
	} else {
		err = s.db.UnmuteThread(ctx, me.ID, thread)
	}
	return st, domainErr(err)
}

// ThreadMuted reports whether me muted the thread of st.
func (s *Service) ThreadMuted(ctx context.Context, me *storage.Account, st *storage.Status) bool {
	if me == nil || !s.db.MutesThreads(ctx, me.ID) {
		return false
	}
	return s.db.ThreadMuted(ctx, me.ID, threadOf(ctx, s.db, st))
}

// inMutedThread reports whether to muted the thread of status statusID, so
// that a notification about it is not made.
func (s *Service) inMutedThread(ctx context.Context, tx storage.Tx, to *storage.Account, statusID int64) bool {
	if !tx.MutesThreads(ctx, to.ID) {
		return false
	}
	st, err := tx.StatusByID(ctx, statusID)
	if err != nil {
		return false
	}
	return tx.ThreadMuted(ctx, to.ID, threadOf(ctx, tx, st))
}

// MutesAnyThread reports whether me muted any thread.
func (s *Service) MutesAnyThread(ctx context.Context, me *storage.Account) bool {
	return me != nil && s.db.MutesThreads(ctx, me.ID)
}
