package social

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"rounds/storage"
)

// Lists, as Mastodon's: a clinician groups accounts they follow and reads
// their posts as a timeline of its own.

// MaxLists is how many lists one account may have, as Mastodon's limit.
const MaxLists = 50

// MaxListTitle is the longest list title, in characters.
const MaxListTitle = 256

// Replies policies: which replies a list's timeline shows besides replies
// to oneself.
const (
	RepliesFollowed = "followed" // replies to anyone the owner follows
	RepliesList     = "list"     // replies to the list's members
	RepliesNone     = "none"     // no replies to others
)

// ListInput is what a client sets on a list; nil fields stay as they are.
type ListInput struct {
	Title         *string
	RepliesPolicy *string
	Exclusive     *bool
}

func (in ListInput) apply(l *storage.List) error {
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		if t == "" {
			return invalid("title", "can't be blank")
		}
		if utf8.RuneCountInString(t) > MaxListTitle {
			return invalid("title", fmt.Sprintf("is too long (maximum is %d characters)", MaxListTitle))
		}
		l.Title = t
	}
	if in.RepliesPolicy != nil {
		switch *in.RepliesPolicy {
		case RepliesFollowed, RepliesList, RepliesNone:
			l.RepliesPolicy = *in.RepliesPolicy
		default:
			return invalid("replies_policy", "is not included in the list")
		}
	}
	if in.Exclusive != nil {
		l.Exclusive = *in.Exclusive
	}
	return nil
}

// Lists returns me's lists, oldest first.
func (s *Service) Lists(ctx context.Context, me *storage.Account) ([]*storage.List, error) {
	return s.db.ListsOf(ctx, me.ID)
}

// List returns me's list id; another account's list is not found.
func (s *Service) List(ctx context.Context, me *storage.Account, id int64) (*storage.List, error) {
	l, err := s.db.ListByID(ctx, id)
	if err != nil {
		return nil, domainErr(err)
	}
	if l.AccountID != me.ID {
		return nil, ErrNotFound
	}
	return l, nil
}

// CreateList makes a list for me; a title is required.
func (s *Service) CreateList(ctx context.Context, me *storage.Account, in ListInput) (*storage.List, error) {
	if in.Title == nil {
		return nil, invalid("title", "can't be blank")
	}
	l := &storage.List{ID: storage.NewID(), AccountID: me.ID, RepliesPolicy: RepliesList, CreatedAt: s.now()}
	if err := in.apply(l); err != nil {
		return nil, err
	}
	n, err := s.db.CountLists(ctx, me.ID)
	if err != nil {
		return nil, err
	}
	if n >= MaxLists {
		return nil, invalid("", fmt.Sprintf("you can have at most %d lists", MaxLists))
	}
	if err := s.db.InsertList(ctx, l); err != nil {
		return nil, domainErr(err)
	}
	return l, nil
}

// UpdateList changes me's list id.
func (s *Service) UpdateList(ctx context.Context, me *storage.Account, id int64, in ListInput) (*storage.List, error) {
	l, err := s.List(ctx, me, id)
	if err != nil {
		return nil, err
	}
	if err := in.apply(l); err != nil {
		return nil, err
	}
	if err := s.db.UpdateList(ctx, l); err != nil {
		return nil, domainErr(err)
	}
	return l, nil
}

// DeleteList removes me's list id.
func (s *Service) DeleteList(ctx context.Context, me *storage.Account, id int64) error {
	l, err := s.List(ctx, me, id)
	if err != nil {
		return err
	}
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error { return tx.DeleteList(ctx, l) }))
}

// AddToList puts accounts in me's list id. As Mastodon, only accounts me
// follows (accepted) may be added, each once; one that is not followed or
// already there refuses the whole request, and one that does not exist is
// not found.
func (s *Service) AddToList(ctx context.Context, me *storage.Account, id int64, accountIDs []int64) error {
	l, err := s.List(ctx, me, id)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		for _, aid := range accountIDs {
			a, err := tx.AccountByID(ctx, aid)
			if errors.Is(err, storage.ErrNotFound) {
				return ErrNotFound
			} else if err != nil {
				return err
			}
			if a.Suspended() {
				return ErrNotFound
			}
			f, err := tx.FollowBetween(ctx, me.ID, a.ID)
			if err != nil || f.AcceptedAt == nil {
				return invalid("account", "is not followed")
			}
			// Mastodon refuses a second add of the same account.
			if in, err := tx.InList(ctx, l.ID, a.ID); err != nil {
				return err
			} else if in {
				return invalid("account", "has already been taken")
			}
		}
		return tx.AddListAccounts(ctx, l.ID, accountIDs, s.now())
	})
	return domainErr(err)
}

// RemoveFromList takes accounts out of me's list id.
func (s *Service) RemoveFromList(ctx context.Context, me *storage.Account, id int64, accountIDs []int64) error {
	l, err := s.List(ctx, me, id)
	if err != nil {
		return err
	}
	return domainErr(s.db.RemoveListAccounts(ctx, l.ID, accountIDs))
}

// ListAccounts pages the members of me's list id, with cursors; a negative
// page limit returns them all.
func (s *Service) ListAccounts(ctx context.Context, me *storage.Account, id int64, p storage.Page) ([]*storage.Account, []int64, error) {
	l, err := s.List(ctx, me, id)
	if err != nil {
		return nil, nil, err
	}
	return s.db.ListAccounts(ctx, l.ID, p)
}

// ListsContaining returns me's lists that a is in.
func (s *Service) ListsContaining(ctx context.Context, me, a *storage.Account) ([]*storage.List, error) {
	return s.db.ListsContaining(ctx, me.ID, a.ID)
}

// InListTimeline reports whether st is in the timeline of me's list id,
// for the list's live stream. It asks the list timeline's own query for
// that one post, so the stream follows the same rules (members, replies
// policy, mutes, blocks, visibility) as the timeline.
func (s *Service) InListTimeline(ctx context.Context, me *storage.Account, id int64, st *storage.Status) bool {
	l, err := s.List(ctx, me, id)
	if err != nil {
		return false
	}
	sts, err := s.db.ListTimeline(ctx, l, storage.Page{MaxID: st.ID + 1, SinceID: st.ID - 1, Limit: 1})
	if err != nil {
		s.log.Warn("could not check a post against a list", "list", id, "status", st.ID, "error", err)
		return false
	}
	return len(sts) == 1 && sts[0].ID == st.ID
}

// ListTimeline returns the posts of the members of me's list id that me
// may see, newest first.
func (s *Service) ListTimeline(ctx context.Context, me *storage.Account, id int64, p storage.Page) ([]*storage.Status, error) {
	l, err := s.List(ctx, me, id)
	if err != nil {
		return nil, err
	}
	return s.visiblePage(ctx, me, p, func(p storage.Page) ([]*storage.Status, error) {
		return s.db.ListTimeline(ctx, l, p)
	})
}
