package social

import (
	"context"
	"errors"
	"time"

	"rounds/storage"
)

// What a notification policy does with the notifications it covers, as
// Mastodon 4.3 names it.
const (
	PolicyAccept = "accept"
	PolicyFilter = "filter"
	PolicyDrop   = "drop"
)

// NotificationPolicy is a local account's notification filtering policy
// (Mastodon 4.3's NotificationPolicy, without the summary).
type NotificationPolicy struct {
	ForNotFollowing    string
	ForNotFollowers    string
	ForNewAccounts     string
	ForPrivateMentions string
	ForLimitedAccounts string
}

// defaultNotificationPolicy is Mastodon 4.3's default for an account that
// never changed it: everything accepted but private mentions from
// strangers and notifications from moderator-limited accounts, which are
// filtered.
var defaultNotificationPolicy = NotificationPolicy{
	ForNotFollowing: PolicyAccept, ForNotFollowers: PolicyAccept, ForNewAccounts: PolicyAccept,
	ForPrivateMentions: PolicyFilter, ForLimitedAccounts: PolicyFilter,
}

// NotificationPolicyChange is a change to a policy; nil fields stay.
type NotificationPolicyChange struct {
	ForNotFollowing, ForNotFollowers, ForNewAccounts, ForPrivateMentions, ForLimitedAccounts *string
}

// newAccountAge is how young an account counts as new for the policy (30
// days, as Mastodon).
const newAccountAge = 30 * 24 * time.Hour

// recentFollowAge is how long a follow must have lasted for its follower to
// count as one: Mastodon ignores follows younger than three days, so that a
// stranger cannot follow and then message at once.
const recentFollowAge = 3 * 24 * time.Hour

// unfilterableNotifications are never filtered, as in Mastodon: edits of
// posts one interacted with, one's own polls, moderation.
var unfilterableNotifications = map[string]bool{
	NotifyUpdate: true, NotifyPoll: true, "admin.sign_up": true, "admin.report": true,
	"moderation_warning": true, "severed_relationships": true,
}

// NotificationPolicyOf returns me's policy.
func (s *Service) NotificationPolicyOf(ctx context.Context, me *storage.Account) (NotificationPolicy, error) {
	return s.notificationPolicy(ctx, s.db, me.ID)
}

type policyReader interface {
	NotificationPolicy(ctx context.Context, accountID int64) (*storage.NotificationPolicy, error)
}

func (s *Service) notificationPolicy(ctx context.Context, db policyReader, accountID int64) (NotificationPolicy, error) {
	row, err := db.NotificationPolicy(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) {
		return defaultNotificationPolicy, nil
	}
	if err != nil {
		return NotificationPolicy{}, err
	}
	return NotificationPolicy{
		ForNotFollowing: row.ForNotFollowing, ForNotFollowers: row.ForNotFollowers, ForNewAccounts: row.ForNewAccounts,
		ForPrivateMentions: row.ForPrivateMentions, ForLimitedAccounts: row.ForLimitedAccounts,
	}, nil
}

// ChangeNotificationPolicy applies c to me's policy and returns the result;
// a value other than accept, filter or drop is refused.
func (s *Service) ChangeNotificationPolicy(ctx context.Context, me *storage.Account, c NotificationPolicyChange) (NotificationPolicy, error) {
	p, err := s.NotificationPolicyOf(ctx, me)
	if err != nil {
		return p, err
	}
	for _, f := range []struct {
		name string
		in   *string
		out  *string
	}{
		{"for_not_following", c.ForNotFollowing, &p.ForNotFollowing},
		{"for_not_followers", c.ForNotFollowers, &p.ForNotFollowers},
		{"for_new_accounts", c.ForNewAccounts, &p.ForNewAccounts},
		{"for_private_mentions", c.ForPrivateMentions, &p.ForPrivateMentions},
		{"for_limited_accounts", c.ForLimitedAccounts, &p.ForLimitedAccounts},
	} {
		if f.in == nil {
			continue
		}
		switch *f.in {
		case PolicyAccept, PolicyFilter, PolicyDrop:
			*f.out = *f.in
		default:
			return p, invalid(f.name, "must be one of accept, filter or drop")
		}
	}
	err = s.db.SaveNotificationPolicy(ctx, &storage.NotificationPolicy{
		AccountID: me.ID, ForNotFollowing: p.ForNotFollowing, ForNotFollowers: p.ForNotFollowers,
		ForNewAccounts: p.ForNewAccounts, ForPrivateMentions: p.ForPrivateMentions, ForLimitedAccounts: p.ForLimitedAccounts,
	})
	return p, err
}

// PendingNotifications counts me's notification requests (at most 100, as
// Mastodon caps the summary) and the notifications they hold.
func (s *Service) PendingNotifications(ctx context.Context, me *storage.Account) (requests, notifications int, err error) {
	requests, notifications, err = s.db.PendingNotifications(ctx, me.ID)
	return min(requests, 100), notifications, err
}

// notificationVerdict judges, inside tx, a notification from from to the
// local account to under to's policy: accept, filter or drop. The rules
// are Mastodon 4.3's: each applies only to senders to does not follow
// (but "not followers" and "new accounts"), a sender whose request to
// accepted is always let through, and drop wins over filter.
func (s *Service) notificationVerdict(ctx context.Context, tx storage.Tx, to, from *storage.Account, typ string, statusID *int64) (string, error) {
	if unfilterableNotifications[typ] {
		return PolicyAccept, nil
	}
	if ok, err := tx.NotificationPermitted(ctx, to.ID, from.ID); err != nil || ok {
		return PolicyAccept, err
	}
	p, err := s.notificationPolicy(ctx, tx, to.ID)
	if err != nil {
		return "", err
	}
	following := false
	if f, err := tx.FollowBetween(ctx, to.ID, from.ID); err == nil && f.AcceptedAt != nil {
		following = true
	}
	follower := false
	if f, err := tx.FollowBetween(ctx, from.ID, to.ID); err == nil && f.AcceptedAt != nil && s.now().Sub(f.CreatedAt) >= recentFollowAge {
		follower = true
	}
	privateMention := false
	if typ == NotifyMention && statusID != nil && !following {
		if st, err := tx.StatusByID(ctx, *statusID); err == nil && st.Visibility == VisibilityDirect &&
			(st.InReplyToAccountID == nil || *st.InReplyToAccountID != to.ID) {
			privateMention = true
		}
	}
	var applying []string
	if !following {
		applying = append(applying, p.ForNotFollowing)
	}
	if !follower {
		applying = append(applying, p.ForNotFollowers)
	}
	if s.now().Sub(from.CreatedAt) < newAccountAge {
		applying = append(applying, p.ForNewAccounts)
	}
	if privateMention {
		applying = append(applying, p.ForPrivateMentions)
	}
	if from.SilencedAt != nil && !following {
		applying = append(applying, p.ForLimitedAccounts)
	}
	verdict := PolicyAccept
	for _, v := range applying {
		if v == PolicyDrop {
			return PolicyDrop, nil
		}
		if v == PolicyFilter {
			verdict = PolicyFilter
		}
	}
	return verdict, nil
}

// NotificationRequests pages me's notification requests, newest first.
func (s *Service) NotificationRequests(ctx context.Context, me *storage.Account, p storage.Page) ([]*storage.NotificationRequest, error) {
	rs, err := s.db.NotificationRequests(ctx, me.ID, p)
	for _, r := range rs {
		s.hideLastStatus(ctx, me, r)
	}
	return rs, err
}

// hideLastStatus leaves out a request's last post when me may not see it
// (MayView: a post still in its send delay, say).
func (s *Service) hideLastStatus(ctx context.Context, me *storage.Account, r *storage.NotificationRequest) {
	if r.LastStatus != nil && !s.MayView(ctx, me, r.LastStatus) {
		r.LastStatus = nil
	}
}

// NotificationRequest returns one of me's notification requests.
func (s *Service) NotificationRequest(ctx context.Context, me *storage.Account, id int64) (*storage.NotificationRequest, error) {
	r, err := s.db.NotificationRequestByID(ctx, me.ID, id)
	if err != nil {
		return nil, domainErr(err)
	}
	s.hideLastStatus(ctx, me, r)
	return r, nil
}

// AcceptNotificationRequest moves the request's notifications into me's
// list and lets its sender's future ones through. Like Mastodon, the
// moved notifications are not streamed or pushed after the fact.
func (s *Service) AcceptNotificationRequest(ctx context.Context, me *storage.Account, id int64) error {
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error {
		r, err := tx.NotificationRequestByID(ctx, me.ID, id)
		if err != nil {
			return err
		}
		_, err = tx.AcceptNotificationRequest(ctx, r)
		return err
	}))
}

// DismissNotificationRequest removes the request and its notifications.
func (s *Service) DismissNotificationRequest(ctx context.Context, me *storage.Account, id int64) error {
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error {
		r, err := tx.NotificationRequestByID(ctx, me.ID, id)
		if err != nil {
			return err
		}
		return tx.DismissNotificationRequest(ctx, r)
	}))
}
