package social

import (
	"context"

	"rounds/storage"
)

// Notification types, as Mastodon names them.
const (
	NotifyMention       = "mention"
	NotifyFollow        = "follow"
	NotifyFollowRequest = "follow_request"
	NotifyFavourite     = "favourite"
	NotifyReblog        = "reblog"
	NotifyUpdate        = "update"
)

// notify records, inside tx, that from did something to local account to;
// nothing is recorded for remote recipients, for oneself, or when the
// recipient blocks the sender, and the recipient's notification policy may
// filter or drop it.
func (s *Service) notify(ctx context.Context, tx storage.Tx, to, from *storage.Account, typ string, statusID *int64) error {
	if to == nil || !to.Local() || to.ID == from.ID || to.Username == InstanceActorUsername {
		return nil
	}
	if _, err := tx.BlockBetween(ctx, to.ID, from.ID); err == nil {
		return nil
	}
	if !from.Local() && tx.BlocksDomain(ctx, to.ID, from.Domain) {
		// A blocked domain notifies nobody who blocked it, unless they
		// follow that very account (as Mastodon's NotifyService).
		if f, err := tx.FollowBetween(ctx, to.ID, from.ID); err != nil || f.AcceptedAt == nil {
			return nil
		}
	}
	if statusID != nil && s.inMutedThread(ctx, tx, to, *statusID) {
		return nil
	}
	// The recipient's notification policy (Mastodon 4.3): a filtered
	// notification waits in a request from its sender, unseen on the
	// streams and by Web Push; a dropped one is not recorded. Limited
	// accounts are covered by the policy's for_limited_accounts.
	verdict, err := s.notificationVerdict(ctx, tx, to, from, typ, statusID)
	if err != nil || verdict == PolicyDrop {
		return err
	}
	n := &storage.Notification{
		ID: storage.NewID(), AccountID: to.ID, FromAccountID: from.ID, Type: typ, StatusID: statusID, CreatedAt: s.now(),
		Filtered: verdict == PolicyFilter,
	}
	if err := tx.InsertNotification(ctx, n); err != nil {
		return err
	}
	if n.Filtered {
		return tx.FileNotificationRequest(ctx, to.ID, from.ID, statusID, n.CreatedAt)
	}
	if err := s.enqueuePush(ctx, tx, n); err != nil {
		return err
	}
	s.emit(ctx, Event{Type: "notification", NotificationID: n.ID, AccountID: to.ID})
	return nil
}

// notifyByID is notify for a recipient known by id.
func (s *Service) notifyByID(ctx context.Context, tx storage.Tx, toID int64, from *storage.Account, typ string, statusID *int64) error {
	to, err := tx.AccountByID(ctx, toID)
	if err != nil {
		return nil // gone: nobody to tell
	}
	return s.notify(ctx, tx, to, from, typ, statusID)
}

// Notifications pages me's notifications, less those about a status me
// may not see (MayView: its author suspended or blocking me, a post not
// yet sent) and those filtered into notification requests; a page thinned
// that way is filled from further on (fullPage).
func (s *Service) Notifications(ctx context.Context, me *storage.Account, types, exclude []string, p storage.Page) ([]*storage.Notification, error) {
	return s.NotificationsFrom(ctx, me, 0, false, types, exclude, p)
}

// NotificationsFrom is Notifications from fromID alone (when not 0). As in
// Mastodon 4.3, filtered notifications are included when includeFiltered
// is set or when fromID is given: that is how apps show what a
// notification request holds.
func (s *Service) NotificationsFrom(ctx context.Context, me *storage.Account, fromID int64, includeFiltered bool, types, exclude []string, p storage.Page) ([]*storage.Notification, error) {
	includeFiltered = includeFiltered || fromID != 0
	load := func(p storage.Page) ([]*storage.Notification, error) {
		return s.db.NotificationsFrom(ctx, me.ID, fromID, includeFiltered, types, exclude, p)
	}
	keep := func(ns []*storage.Notification) []*storage.Notification {
		out := ns[:0:0]
		for _, n := range ns {
			if n.Status == nil || s.MayView(ctx, me, n.Status) {
				out = append(out, n)
			}
		}
		return out
	}
	return fullPage(p, load, keep, func(n *storage.Notification) int64 { return n.ID })
}

// Notification returns one of me's notifications, not found when it is
// about a status me may not see.
func (s *Service) Notification(ctx context.Context, me *storage.Account, id int64) (*storage.Notification, error) {
	n, err := s.db.NotificationByID(ctx, me.ID, id)
	if err != nil {
		return nil, domainErr(err)
	}
	if n.Status != nil && !s.MayView(ctx, me, n.Status) {
		return nil, ErrNotFound
	}
	return n, nil
}

// DismissNotifications removes one of me's notifications, or all (id 0).
func (s *Service) DismissNotifications(ctx context.Context, me *storage.Account, id int64) error {
	return s.db.DeleteNotifications(ctx, me.ID, id)
}
