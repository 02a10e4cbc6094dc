package social

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"rounds/storage"
)

// Direct conversations, as Mastodon keeps them: each local participant of a
// direct post has a view of its own of the conversation the post belongs
// to, keyed by the thread (a reply joins its parent's thread, a new post
// starts one) and by the set of the other participants (the author and the
// accounts mentioned, less the viewer), so the same thread with someone
// added becomes a new conversation. The author's view is marked read, the
// others' unread. A post waiting out its send delay is in its author's view
// only until it is released; a deleted post leaves every view with its row,
// and a view with no post left is gone.

// maxThreadWalk bounds how far up a reply chain a new direct post looks for
// the thread it belongs to.
const maxThreadWalk = 64

// fileDirect files a direct status into the conversations of the local
// accounts it concerns: its author and the local accounts in mentioned,
// or the author alone while it waits out its send delay (authorOnly).
func (s *Service) fileDirect(ctx context.Context, tx storage.Tx, st *storage.Status, mentioned []int64, authorOnly bool) error {
	return s.fileDirectAs(ctx, tx, st, mentioned, authorOnly, false)
}

// fileDirectAs is fileDirect; read files the post as already read by all,
// with no events (the backfill of old posts).
func (s *Service) fileDirectAs(ctx context.Context, tx storage.Tx, st *storage.Status, mentioned []int64, authorOnly, read bool) error {
	if st.Visibility != VisibilityDirect || st.ReblogOfID != nil {
		return nil
	}
	people := []int64{st.AccountID}
	for _, id := range mentioned {
		if !slices.Contains(people, id) {
			people = append(people, id)
		}
	}
	accts, err := tx.ParticipantAccounts(ctx, people)
	if err != nil {
		return err
	}
	var author *storage.Account
	for _, a := range accts {
		if a.ID == st.AccountID {
			author = a
		}
	}
	if author == nil {
		return nil // the author is gone
	}
	thread, err := s.conversationThread(ctx, tx, st)
	if err != nil {
		return err
	}
	for _, to := range accts {
		if !to.Local() || to.Username == InstanceActorUsername || (authorOnly && to.ID != author.ID) {
			continue
		}
		if to.ID != author.ID {
			hidden, err := s.conversationHidden(ctx, tx, to, author)
			if err != nil {
				return err
			}
			if hidden {
				continue
			}
		}
		id, added, err := tx.AddToConversation(ctx, to.ID, thread, participantsKey(people, to.ID), st.ID, to.ID != author.ID && !read)
		if err != nil {
			return err
		}
		if added && !read {
			s.emit(ctx, Event{Type: "conversation", AccountID: to.ID, ConversationID: id})
		}
	}
	return nil
}

// conversationHidden reports whether a direct post by author stays out of
// to's conversations: Mastodon drops the mention, and with it the
// conversation, when either blocks the other or to mutes author, and files
// a limited (silenced) account's mention away from those who do not follow
// it.
func (s *Service) conversationHidden(ctx context.Context, tx storage.Tx, to, author *storage.Account) (bool, error) {
	if _, err := tx.BlockBetween(ctx, to.ID, author.ID); err == nil {
		return true, nil
	}
	if _, err := tx.BlockBetween(ctx, author.ID, to.ID); err == nil {
		return true, nil
	}
	if muted, _ := tx.Muting(ctx, to.ID, author.ID); muted {
		return true, nil
	}
	if !author.Local() && tx.BlocksDomain(ctx, to.ID, author.Domain) {
		// A domain to blocks reaches it only through accounts it follows,
		// as for notifications.
		if f, err := tx.FollowBetween(ctx, to.ID, author.ID); err != nil || f.AcceptedAt == nil {
			return true, nil
		}
	}
	if author.SilencedAt != nil {
		if f, err := tx.FollowBetween(ctx, to.ID, author.ID); err != nil || f.AcceptedAt == nil {
			return true, nil
		}
	}
	return false, nil
}

// conversationThread names the thread st belongs to: that of the nearest
// ancestor already in a conversation, else the URI of the first post of
// its reply chain (or of the post it answers, when that one is not here).
func (s *Service) conversationThread(ctx context.Context, tx storage.Tx, st *storage.Status) (string, error) {
	cur := st
	for range maxThreadWalk {
		if cur.InReplyToID == nil {
			if cur.InReplyToURI != "" {
				return cur.InReplyToURI, nil
			}
			return cur.URI, nil
		}
		thread, err := tx.ConversationThreadOf(ctx, *cur.InReplyToID)
		if err != nil {
			return "", err
		}
		if thread != "" {
			return thread, nil
		}
		parent, err := tx.StatusByID(ctx, *cur.InReplyToID)
		if err != nil {
			if cur.InReplyToURI != "" {
				return cur.InReplyToURI, nil // deleted meanwhile
			}
			return cur.URI, nil
		}
		cur = parent
	}
	return cur.URI, nil
}

// participantsKey lists people less viewer, sorted, comma separated.
func participantsKey(people []int64, viewer int64) string {
	others := slices.DeleteFunc(slices.Clone(people), func(id int64) bool { return id == viewer })
	slices.Sort(others)
	parts := make([]string, len(others))
	for i, id := range others {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// Conversations pages me's direct conversations by their last post, newest
// first.
func (s *Service) Conversations(ctx context.Context, me *storage.Account, p storage.Page) ([]*storage.Conversation, error) {
	cs, err := s.db.Conversations(ctx, me.ID, p)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if err := s.loadConversation(ctx, me, c); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// Conversation returns one of me's conversations; ErrNotFound for anyone
// else's.
func (s *Service) Conversation(ctx context.Context, me *storage.Account, id int64) (*storage.Conversation, error) {
	c, err := s.db.ConversationByID(ctx, me.ID, id)
	if err != nil {
		return nil, domainErr(err)
	}
	if err := s.loadConversation(ctx, me, c); err != nil {
		return nil, err
	}
	return c, nil
}

// MarkConversation marks one of me's conversations read or unread and
// returns it.
func (s *Service) MarkConversation(ctx context.Context, me *storage.Account, id int64, unread bool) (*storage.Conversation, error) {
	if _, err := s.db.ConversationByID(ctx, me.ID, id); err != nil {
		return nil, domainErr(err)
	}
	if err := s.db.SetConversationUnread(ctx, me.ID, id, unread); err != nil {
		return nil, err
	}
	// As on Mastodon, where every change of a conversation is pushed: the
	// owner's other apps learn that it was read.
	s.emit(ctx, Event{Type: "conversation", AccountID: me.ID, ConversationID: id})
	return s.Conversation(ctx, me, id)
}

// RemoveConversation removes one of me's conversations from me's list
// only; the others' views and the posts stay. A later post in the thread
// brings it back.
func (s *Service) RemoveConversation(ctx context.Context, me *storage.Account, id int64) error {
	if _, err := s.db.ConversationByID(ctx, me.ID, id); err != nil {
		return domainErr(err)
	}
	return s.db.DeleteConversation(ctx, me.ID, id)
}

// loadConversation loads c's last post and participants. As on Mastodon, a
// conversation with oneself lists oneself.
func (s *Service) loadConversation(ctx context.Context, me *storage.Account, c *storage.Conversation) error {
	st, err := s.db.StatusByID(ctx, c.LastStatusID)
	if err == nil && s.MayView(ctx, me, st) {
		c.LastStatus = st
	}
	var ids []int64
	for _, part := range strings.Split(c.Participants, ",") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	accts, err := s.db.ParticipantAccounts(ctx, ids)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		accts = []*storage.Account{me}
	}
	slices.SortFunc(accts, func(a, b *storage.Account) int { return cmp.Compare(a.ID, b.ID) })
	c.ParticipantAccounts = accts
	return nil
}
