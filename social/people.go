package social

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"rounds/storage"
)

// MaxAccountNote is the longest private note on an account, in
// characters, as on Mastodon.
const MaxAccountNote = 2000

// SetAccountNote stores me's private note on target, which only me sees
// (as the note of their Relationship); an empty comment removes it.
func (s *Service) SetAccountNote(ctx context.Context, me, target *storage.Account, comment string) error {
	if utf8.RuneCountInString(comment) > MaxAccountNote {
		return invalid("Comment", fmt.Sprintf("is too long (maximum is %d characters)", MaxAccountNote))
	}
	return domainErr(s.db.SetAccountNote(ctx, me.ID, target.ID, comment, s.now()))
}

// RemoveFromFollowers ends follower's follow of me (or their request).
// A remote follower's server is sent a Reject of their Follow, as Mastodon
// sends it, so that it drops the follow too and stops showing me's
// followers-only posts as followed. Removing someone who does not follow
// me changes nothing.
func (s *Service) RemoveFromFollowers(ctx context.Context, me, follower *storage.Account) error {
	err := s.RejectFollow(ctx, me, follower)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// msgEndorseUnfollowed is Mastodon's refusal of an endorsement of an
// account one does not follow (accounts.pin_errors.following).
const msgEndorseUnfollowed = "You must be already following the person you want to endorse"

// Endorse features target on me's profile. Only an account me follows may
// be endorsed; endorsing again changes nothing.
func (s *Service) Endorse(ctx context.Context, me, target *storage.Account) error {
	if !s.IsFollowing(ctx, me, target) {
		return invalid("", msgEndorseUnfollowed)
	}
	return domainErr(s.db.Endorse(ctx, me.ID, target.ID, s.now()))
}

// Unendorse stops featuring target on me's profile.
func (s *Service) Unendorse(ctx context.Context, me, target *storage.Account) error {
	return domainErr(s.db.Unendorse(ctx, me.ID, target.ID))
}

// Endorsements returns a page of the accounts owner endorses (anyone may
// see them, as on Mastodon), with paging cursors.
func (s *Service) Endorsements(ctx context.Context, owner *storage.Account, p storage.Page) ([]*storage.Account, []int64, error) {
	return s.db.Endorsements(ctx, owner.ID, p)
}

// AccountsByIDs returns the accounts of ids that anyone may see, in the
// order asked: unknown and suspended ones, and the instance actor, are left
// out.
func (s *Service) AccountsByIDs(ctx context.Context, ids []int64) ([]*storage.Account, error) {
	all, err := s.db.AccountsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if !(a.Local() && a.Username == InstanceActorUsername) {
			out = append(out, a)
		}
	}
	return out, nil
}

// StatusesByIDs returns the posts of ids that viewer (nil: anonymous) may
// see, in the order asked (see MayView: posts in their send delay, of
// suspended or blocking accounts, or not addressed to viewer are left out).
func (s *Service) StatusesByIDs(ctx context.Context, viewer *storage.Account, ids []int64) ([]*storage.Status, error) {
	var out []*storage.Status
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		st, err := s.db.StatusByID(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if s.MayView(ctx, viewer, st) {
			out = append(out, st)
		}
	}
	return out, nil
}

// FamiliarFollowers are the accounts me follows that follow one account.
type FamiliarFollowers struct {
	ID       int64
	Accounts []*storage.Account
}

// maxFamiliar is how many familiar followers are told of each account.
const maxFamiliar = 40

// FamiliarFollowersOf tells, for each of ids, which accounts me follows
// follow it (none for an unknown or suspended one).
func (s *Service) FamiliarFollowersOf(ctx context.Context, me *storage.Account, ids []int64) ([]FamiliarFollowers, error) {
	out := make([]FamiliarFollowers, 0, len(ids))
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		ff := FamiliarFollowers{ID: id, Accounts: []*storage.Account{}}
		if a, err := s.db.AccountByID(ctx, id); err == nil && !a.Suspended() {
			accts, err := s.db.FamiliarFollowers(ctx, me.ID, id, maxFamiliar)
			if err != nil {
				return nil, err
			}
			ff.Accounts = accts
		}
		out = append(out, ff)
	}
	return out, nil
}

// Sources of a follow suggestion, with Mastodon's names.
const (
	// SuggestionFeatured: a verified clinician of this server, as
	// Mastodon names the accounts its staff put forward.
	SuggestionFeatured = "featured"
	// SuggestionFriendsOfFriends: followed by people me follows.
	SuggestionFriendsOfFriends = "friends_of_friends"
)

// Suggestion is an account suggested to follow, and why.
type Suggestion struct {
	Account *storage.Account
	Sources []string
}

// Suggestions returns at most limit accounts to suggest me follow: this
// server's verified clinicians (those of me's own organisation first),
// then accounts followed by people me follows. Nobody me follows or asked
// to follow, blocks, is blocked by or mutes, nor me, nor anyone suspended,
// limited, not discoverable or dismissed is suggested.
func (s *Service) Suggestions(ctx context.Context, me *storage.Account, limit int) ([]Suggestion, error) {
	org := ""
	if v, err := s.db.Verification(ctx, me.ID); err == nil && v.Current(s.now()) {
		org = v.Organisation
	}
	verified, err := s.db.VerifiedSuggestions(ctx, me.ID, org, s.now(), limit)
	if err != nil {
		return nil, err
	}
	fof, err := s.db.FriendsOfFriends(ctx, me.ID, limit)
	if err != nil {
		return nil, err
	}
	var out []Suggestion
	index := map[int64]int{}
	for _, a := range verified {
		index[a.ID] = len(out)
		out = append(out, Suggestion{Account: a, Sources: []string{SuggestionFeatured}})
	}
	for _, a := range fof {
		if i, ok := index[a.ID]; ok {
			out[i].Sources = append(out[i].Sources, SuggestionFriendsOfFriends)
			continue
		}
		index[a.ID] = len(out)
		out = append(out, Suggestion{Account: a, Sources: []string{SuggestionFriendsOfFriends}})
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// DismissSuggestion keeps target out of me's suggestions from now on.
func (s *Service) DismissSuggestion(ctx context.Context, me, target *storage.Account) error {
	return domainErr(s.db.DismissSuggestion(ctx, me.ID, target.ID, s.now()))
}

// DirectoryOptions select the profile directory's accounts.
type DirectoryOptions struct {
	Offset, Limit int
	Active, Local bool
	// Rounds' filters: clinicians whose verification stands, of a
	// profession, specialty or organisation.
	Verified                            bool
	Profession, Specialty, Organisation string
	// Query keeps accounts whose name or bio holds it.
	Query string
}

// Directory lists the accounts that chose to be discoverable (never those
// who opted out), without suspended or limited ones, nor, for a signed-in
// viewer (nil: anonymous), those they block or mute or who block them.
func (s *Service) Directory(ctx context.Context, viewer *storage.Account, o DirectoryOptions) ([]*storage.Account, error) {
	var viewerID int64
	if viewer != nil {
		viewerID = viewer.ID
	}
	return s.db.Directory(ctx, storage.DirectoryQuery{Viewer: viewerID,
		Offset: o.Offset, Limit: o.Limit, Active: o.Active, Local: o.Local,
		Verified: o.Verified, Profession: o.Profession, Specialty: o.Specialty, Organisation: o.Organisation,
		Query: o.Query, Now: s.now(),
	})
}
