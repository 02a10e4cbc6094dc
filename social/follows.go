package social

import (
	"context"
	"errors"
	"fmt"

	"rounds/storage"
)

// Follow makes local account me follow target. A remote or locked target
// leaves the follow pending until it is accepted. Following again is not an
// error: the existing follow is returned.
func (s *Service) Follow(ctx context.Context, me, target *storage.Account) (*storage.Follow, error) {
	ctx, done := s.collect(ctx)
	if !me.Local() {
		return nil, fmt.Errorf("%w: only local accounts follow from here", ErrForbidden)
	}
	if me.ID == target.ID {
		return nil, invalid("", "you cannot follow yourself")
	}
	if target.Suspended() {
		return nil, ErrNotFound
	}
	var f *storage.Follow
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		existing, err := tx.FollowBetween(ctx, me.ID, target.ID)
		if err == nil {
			f = existing
			return nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		id := storage.NewID()
		f = &storage.Follow{
			ID: id, AccountID: me.ID, TargetAccountID: target.ID,
			URI: fmt.Sprintf("%s/users/%s/follows/%d", s.base, me.Username, id), ShowReblogs: true,
			CreatedAt: s.now(),
		}
		if target.Local() && !target.Locked {
			now := s.now()
			f.AcceptedAt = &now
		}
		if err := tx.InsertFollow(ctx, f); err != nil {
			return err
		}
		if !target.Local() {
			return s.publish(ctx, tx, PublishArgs{Type: PublishFollow, AccountID: me.ID, FollowID: f.ID})
		}
		return s.notify(ctx, tx, target, me, followNotification(f), nil)
	})
	done(err == nil)
	if err != nil {
		return nil, domainErr(err)
	}
	return f, nil
}

// Unfollow removes me's follow (or follow request) of target.
func (s *Service) Unfollow(ctx context.Context, me, target *storage.Account) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		f, err := tx.FollowBetween(ctx, me.ID, target.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteFollow(ctx, f); err != nil {
			return err
		}
		if !target.Local() {
			return s.publish(ctx, tx, PublishArgs{Type: PublishUndoFollow, AccountID: me.ID, ActivityURI: f.URI, TargetAccountID: target.ID})
		}
		return nil
	})
	return domainErr(err)
}

// AuthorizeFollow accepts a pending follow request of me by follower.
func (s *Service) AuthorizeFollow(ctx context.Context, me, follower *storage.Account) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		f, err := tx.FollowBetween(ctx, follower.ID, me.ID)
		if err != nil {
			return err
		}
		if f.AcceptedAt != nil {
			return nil
		}
		if err := tx.AcceptFollow(ctx, f, s.now()); err != nil {
			return err
		}
		if !follower.Local() {
			return s.publish(ctx, tx, PublishArgs{Type: PublishAccept, AccountID: me.ID, FollowID: f.ID})
		}
		return nil
	})
	return domainErr(err)
}

// ReceiveFollow applies a Follow from remote actor of local target, with the
// activity's id. An unlocked target accepts at once; a repeated Follow of an
// existing follow is accepted again, as servers retry it.
func (s *Service) ReceiveFollow(ctx context.Context, actor, target *storage.Account, activityURI string) error {
	ctx, done := s.collect(ctx)
	if !target.Local() {
		return fmt.Errorf("%w: %s is not an account here", ErrNotFound, target.URI)
	}
	if target.Suspended() {
		return ErrNotFound
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		if !actor.Local() && tx.BlocksDomain(ctx, target.ID, actor.Domain) {
			// Someone who blocked the follower's domain gets no new
			// followers there: the follow is refused, as on Mastodon.
			return s.publish(ctx, tx, PublishArgs{Type: PublishReject, AccountID: target.ID, ActivityURI: activityURI, TargetAccountID: actor.ID})
		}
		f, err := tx.FollowBetween(ctx, actor.ID, target.ID)
		switch {
		case err == nil:
			// The follower may have forgotten the follow and sent a new
			// one (it blocked our domain for a while): from now on the
			// follow goes by the id it knows, so our Accept and its later
			// Undo name the same activity.
			if f.URI != activityURI {
				if err := tx.SetFollowURI(ctx, f, activityURI); err != nil {
					return err
				}
			}
			if f.AcceptedAt != nil {
				// Already following: say yes again.
				return s.publish(ctx, tx, PublishArgs{Type: PublishAccept, AccountID: target.ID, FollowID: f.ID})
			}
			return nil
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
		f = &storage.Follow{ID: storage.NewID(), AccountID: actor.ID, TargetAccountID: target.ID, URI: activityURI, ShowReblogs: true, CreatedAt: s.now()}
		if !target.Locked {
			now := s.now()
			f.AcceptedAt = &now
		}
		if err := tx.InsertFollow(ctx, f); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, target, actor, followNotification(f), nil); err != nil {
			return err
		}
		if f.AcceptedAt != nil {
			return s.publish(ctx, tx, PublishArgs{Type: PublishAccept, AccountID: target.ID, FollowID: f.ID})
		}
		return nil
	})
	done(err == nil)
	return domainErr(err)
}

// ReceiveAccept applies an Accept from actor of the follow made by the
// Follow activity followURI (or, when the remote server sent no id we know,
// of any pending follow of actor by local accounts' follow with that URI).
func (s *Service) ReceiveAccept(ctx context.Context, actor *storage.Account, followURI string) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		f, err := tx.FollowByURI(ctx, followURI)
		if err != nil {
			return err
		}
		if f.TargetAccountID != actor.ID {
			return fmt.Errorf("%w: %s may not accept a follow of someone else", ErrForbidden, actor.URI)
		}
		if f.AcceptedAt != nil {
			return nil
		}
		return tx.AcceptFollow(ctx, f, s.now())
	})
	return domainErr(err)
}

// ReceiveReject applies a Reject: the follow is removed.
func (s *Service) ReceiveReject(ctx context.Context, actor *storage.Account, followURI string) error {
	return s.receiveUnfollow(ctx, actor, followURI, true)
}

// ReceiveUndoFollow applies an Undo of a Follow by actor.
func (s *Service) ReceiveUndoFollow(ctx context.Context, actor *storage.Account, followURI string) error {
	return s.receiveUnfollow(ctx, actor, followURI, false)
}

func (s *Service) receiveUnfollow(ctx context.Context, actor *storage.Account, followURI string, byTarget bool) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		f, err := tx.FollowByURI(ctx, followURI)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		owner := f.AccountID
		if byTarget {
			owner = f.TargetAccountID
		}
		if owner != actor.ID {
			return fmt.Errorf("%w: %s did not make that follow", ErrForbidden, actor.URI)
		}
		return tx.DeleteFollow(ctx, f)
	})
	return domainErr(err)
}

// FollowRequests returns the accounts asking to follow me, oldest first.
func (s *Service) FollowRequests(ctx context.Context, me *storage.Account, limit int) ([]*storage.Account, error) {
	if limit <= 0 || limit > 80 {
		limit = 40
	}
	return s.db.PendingFollowers(ctx, me.ID, limit)
}

// RejectFollow refuses follower's pending request to follow me.
func (s *Service) RejectFollow(ctx context.Context, me, follower *storage.Account) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		f, err := tx.FollowBetween(ctx, follower.ID, me.ID)
		if err != nil {
			return err
		}
		if err := tx.DeleteFollow(ctx, f); err != nil {
			return err
		}
		if !follower.Local() {
			return s.publish(ctx, tx, PublishArgs{Type: PublishReject, AccountID: me.ID, ActivityURI: f.URI, TargetAccountID: follower.ID, FollowID: f.ID})
		}
		return nil
	})
	return domainErr(err)
}

func followNotification(f *storage.Follow) string {
	if f.AcceptedAt == nil {
		return NotifyFollowRequest
	}
	return NotifyFollow
}
