package social

import (
	"context"

	"rounds/storage"
)

// User-level domain blocks (Mastodon's /api/v1/domain_blocks): a person
// hides a whole remote server for themselves. Nothing from that server's
// accounts reaches their timelines (home, lists, public, hashtags, an
// account's posts), threads, searches or notifications, and the follows
// between them and that server's accounts end both ways, as Mastodon's
// AfterBlockDomainFromAccountService does: their own follows are undone
// (Undo{Follow}) and their followers there are removed with a
// Reject{Follow}, so the remote servers drop the follows as well.

// BlockDomainFor makes me block domain for itself.
func (s *Service) BlockDomainFor(ctx context.Context, me *storage.Account, raw string) error {
	domain, err := s.normalizeRemoteDomain(raw)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.BlockDomainFor(ctx, me.ID, domain, s.now()); err != nil {
			return err
		}
		if err := tx.DeleteNotificationsFromDomain(ctx, me.ID, domain); err != nil {
			return err
		}
		fs, err := tx.FollowsWithDomain(ctx, me.ID, domain)
		if err != nil {
			return err
		}
		for _, f := range fs {
			if err := tx.DeleteFollow(ctx, f); err != nil {
				return err
			}
			if f.AccountID == me.ID {
				if err := s.publish(ctx, tx, PublishArgs{Type: PublishUndoFollow, AccountID: me.ID, ActivityURI: f.URI, TargetAccountID: f.TargetAccountID}); err != nil {
					return err
				}
				continue
			}
			if err := s.publish(ctx, tx, PublishArgs{Type: PublishReject, AccountID: me.ID, ActivityURI: f.URI, TargetAccountID: f.AccountID}); err != nil {
				return err
			}
		}
		return nil
	})
	return domainErr(err)
}

// UnblockDomainFor lifts me's block of domain; one not blocked is no error.
func (s *Service) UnblockDomainFor(ctx context.Context, me *storage.Account, raw string) error {
	domain, err := NormalizeDomain(raw)
	if err != nil {
		return err
	}
	return domainErr(s.db.UnblockDomainFor(ctx, me.ID, domain))
}

// BlockedDomains pages the domains me blocks, newest first, with the
// blocks' ids as cursors.
func (s *Service) BlockedDomains(ctx context.Context, me *storage.Account, p storage.Page) ([]storage.AccountDomainBlock, error) {
	return s.db.AccountDomainBlocks(ctx, me.ID, p)
}

// BlocksDomain reports whether me blocks the domain of other (false for a
// local account).
func (s *Service) BlocksDomain(ctx context.Context, me, other *storage.Account) bool {
	return me != nil && other != nil && !other.Local() && s.db.BlocksDomain(ctx, me.ID, other.Domain)
}

// blockedDomainSet is the set of domains viewer blocks; nil when none (or
// for an anonymous viewer).
func (s *Service) blockedDomainSet(ctx context.Context, viewer *storage.Account) map[string]bool {
	if viewer == nil {
		return nil
	}
	ds, err := s.db.BlockedDomainsOf(ctx, viewer.ID)
	if err != nil || len(ds) == 0 {
		return nil
	}
	set := make(map[string]bool, len(ds))
	for _, d := range ds {
		set[d] = true
	}
	return set
}

// authorDomain returns the domain of st's author.
func (s *Service) authorDomain(ctx context.Context, st *storage.Status) string {
	if st.Account != nil {
		return st.Account.Domain
	}
	a, err := s.db.AccountByID(ctx, st.AccountID)
	if err != nil {
		return ""
	}
	return a.Domain
}

// fromBlockedDomain reports whether st, or the post it boosts, comes from
// a domain in blocked.
func (s *Service) fromBlockedDomain(ctx context.Context, blocked map[string]bool, st *storage.Status) bool {
	if len(blocked) == 0 || st == nil {
		return false
	}
	if d := s.authorDomain(ctx, st); d != "" && blocked[d] {
		return true
	}
	if st.ReblogOfID != nil {
		if orig, err := s.db.StatusByID(ctx, *st.ReblogOfID); err == nil {
			if d := s.authorDomain(ctx, orig); d != "" && blocked[d] {
				return true
			}
		}
	}
	return false
}

// withoutBlockedDomains drops the posts of (and boosts of posts from) the
// domains in blocked (blockedDomainSet).
func (s *Service) withoutBlockedDomains(ctx context.Context, blocked map[string]bool, sts []*storage.Status) []*storage.Status {
	if blocked == nil {
		return sts
	}
	out := sts[:0:0]
	for _, st := range sts {
		if !s.fromBlockedDomain(ctx, blocked, st) {
			out = append(out, st)
		}
	}
	return out
}

// HiddenByDomainBlock reports whether viewer blocks the domain of st (or of
// the post it boosts): such a post is left out of what viewer is shown.
func (s *Service) HiddenByDomainBlock(ctx context.Context, viewer *storage.Account, st *storage.Status) bool {
	return s.fromBlockedDomain(ctx, s.blockedDomainSet(ctx, viewer), st)
}
