package social

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"rounds/storage"
)

// Favourite makes me like a status. Liking twice is not an error.
func (s *Service) Favourite(ctx context.Context, me *storage.Account, statusID int64) (*storage.Status, error) {
	if err := s.requireVisible(ctx, me, statusID); err != nil {
		return nil, err
	}
	ctx, done := s.collect(ctx)
	var st *storage.Status
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if st, err = tx.StatusByID(ctx, statusID); err != nil {
			return err
		}
		if _, err := tx.FavouriteBetween(ctx, me.ID, st.ID); err == nil {
			return nil
		}
		id := storage.NewID()
		fav := &storage.Favourite{ID: id, AccountID: me.ID, StatusID: st.ID, URI: fmt.Sprintf("%s#likes/%d", me.URI, id), CreatedAt: s.now()}
		if err := tx.InsertFavourite(ctx, fav); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, st.Account, me, NotifyFavourite, &st.ID); err != nil {
			return err
		}
		if !st.Account.Local() {
			return s.publish(ctx, tx, PublishArgs{Type: PublishLike, AccountID: me.ID, ActivityURI: fav.URI, ObjectURI: st.URI, Inboxes: []string{st.Account.InboxURL}, LocalOnly: st.LocalOnly})
		}
		return nil
	})
	done(err == nil)
	return st, domainErr(err)
}

// Unfavourite removes me's like of a status.
func (s *Service) Unfavourite(ctx context.Context, me *storage.Account, statusID int64) (*storage.Status, error) {
	var st *storage.Status
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if st, err = tx.StatusByID(ctx, statusID); err != nil {
			return err
		}
		fav, err := tx.FavouriteBetween(ctx, me.ID, st.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteFavourite(ctx, fav); err != nil {
			return err
		}
		if !st.Account.Local() {
			return s.publish(ctx, tx, PublishArgs{Type: PublishUndoLike, AccountID: me.ID, ActivityURI: fav.URI, ObjectURI: st.URI, Inboxes: []string{st.Account.InboxURL}, LocalOnly: st.LocalOnly})
		}
		return nil
	})
	return st, domainErr(err)
}

// Reblog boosts a public or unlisted status to me's followers.
func (s *Service) Reblog(ctx context.Context, me *storage.Account, statusID int64) (*storage.Status, error) {
	if err := s.requireVisible(ctx, me, statusID); err != nil {
		return nil, err
	}
	ctx, done := s.collect(ctx)
	var boost *storage.Status
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByID(ctx, statusID)
		if err != nil {
			return err
		}
		if st.ReblogOfID != nil {
			if st, err = tx.StatusByID(ctx, *st.ReblogOfID); err != nil {
				return err
			}
		}
		if !OpenVisibility(st) {
			return invalid("", "only public and unlisted posts can be boosted")
		}
		if existing, err := tx.ReblogBetween(ctx, me.ID, st.ID); err == nil {
			boost = existing
			return nil
		}
		id := storage.NewID()
		boost = &storage.Status{
			ID: id, URI: fmt.Sprintf("%s/statuses/%d/activity", me.URI, id), URL: st.URL, AccountID: me.ID,
			ReblogOfID: &st.ID, Visibility: VisibilityPublic, Local: true, CreatedAt: s.now(),
			LocalOnly: st.LocalOnly, // nobody elsewhere may see what it boosts
		}
		if err := tx.InsertStatus(ctx, boost, nil); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, st.Account, me, NotifyReblog, &st.ID); err != nil {
			return err
		}
		s.emit(ctx, Event{Type: "update", StatusID: boost.ID})
		var inboxes []string
		if !st.Account.Local() {
			inboxes = []string{st.Account.InboxURL}
		}
		return s.publish(ctx, tx, PublishArgs{Type: PublishAnnounce, AccountID: me.ID, StatusID: boost.ID, Inboxes: inboxes})
	})
	done(err == nil)
	return boost, domainErr(err)
}

// Unreblog removes me's boost of a status.
func (s *Service) Unreblog(ctx context.Context, me *storage.Account, statusID int64) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByID(ctx, statusID)
		if err != nil {
			return err
		}
		boost, err := tx.ReblogBetween(ctx, me.ID, st.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteStatusRow(ctx, boost); err != nil {
			return err
		}
		var inboxes []string
		if !st.Account.Local() {
			inboxes = []string{st.Account.InboxURL}
		}
		return s.publish(ctx, tx, PublishArgs{Type: PublishUndoBoost, AccountID: me.ID, ActivityURI: boost.URI, ObjectURI: st.URI, Inboxes: inboxes, LocalOnly: st.LocalOnly})
	})
	return domainErr(err)
}

// EditStatus changes the text, images and poll of me's status, keeping
// its history, and sends the edit where the status went. As on Mastodon,
// in.MediaIDs (when in.ReplaceMedia) replace the images, in order; images
// taken off stay in the history.
func (s *Service) EditStatus(ctx context.Context, me *storage.Account, statusID int64, in NewStatus) (*storage.Status, error) {
	ctx, done := s.collect(ctx)
	if !in.ReplaceMedia {
		cur, err := s.db.StatusMedia(ctx, statusID)
		if err != nil {
			return nil, err
		}
		in.MediaIDs = nil
		for _, m := range cur {
			in.MediaIDs = append(in.MediaIDs, m.ID)
		}
	}
	in.MediaIDs = uniqueIDs(in.MediaIDs)
	text := strings.TrimSpace(in.Text)
	if text == "" && len(in.MediaIDs) == 0 {
		return nil, invalid("text", "can't be blank")
	}
	if n := len([]rune(text)) + len([]rune(in.SpoilerText)); n > MaxStatusCharacters {
		return nil, invalid("text", fmt.Sprintf("is too long (%d characters; the limit is %d)", n, MaxStatusCharacters))
	}
	if len(in.MediaIDs) > MaxMediaPerStatus {
		return nil, invalid("media_ids", fmt.Sprintf("may hold at most %d attachments", MaxMediaPerStatus))
	}
	if err := checkMediaAttributes(in.MediaAttributes); err != nil {
		return nil, err
	}
	if in.Poll != nil {
		if err := validatePoll(in.Poll, len(in.MediaIDs) > 0); err != nil {
			return nil, err
		}
	}
	// The guard reads the text and the images' descriptions as they will
	// be after the edit, as when posting.
	if err := s.checkForIdentifiers(ctx, me, in, in.PostDespiteWarning); err != nil {
		return nil, err
	}
	if cur, err := s.db.StatusByID(ctx, statusID); err == nil && cur.AccountID == me.ID {
		if err := s.pauseEditForTone(ctx, me, cur, in, text); err != nil { // tone_policy.go
			return nil, err
		}
	}
	out := s.render(ctx, text)                                  // may ask other servers: not inside the transaction
	if err := s.refuseUnusableTags(ctx, out.Tags); err != nil { // tag_usable.go
		return nil, err
	}
	html := out.HTML
	var st *storage.Status
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if st, err = tx.StatusByID(ctx, statusID); err != nil {
			return err
		}
		if st.AccountID != me.ID || st.ReblogOfID != nil {
			return ErrForbidden
		}
		if err := refuseArticleEdit(ctx, tx, st); err != nil {
			return err
		}
		spoiler := strings.TrimSpace(in.SpoilerText)
		// The version kept in the history has the images as they were.
		if err := tx.UpdateStatusContent(ctx, st, html, text, spoiler, in.Sensitive || spoiler != "", s.now()); err != nil {
			return err
		}
		if err := s.attachMedia(ctx, tx, me, st, in.MediaIDs, in.MediaAttributes); err != nil {
			return err
		}
		if err := tx.DetachMediaExcept(ctx, st.ID, in.MediaIDs); err != nil {
			return err
		}
		// The edited text's mentions and hashtags replace the old ones (a
		// reply keeps its parent's author).
		var mentions []int64
		if st.InReplyToAccountID != nil && *st.InReplyToAccountID != me.ID {
			mentions = append(mentions, *st.InReplyToAccountID)
		}
		for _, m := range out.Mentions {
			if m.ID != me.ID && !slices.Contains(mentions, m.ID) {
				mentions = append(mentions, m.ID)
			}
		}
		if err := tx.ReplaceStatusLinks(ctx, st.ID, mentions, out.Tags, s.now()); err != nil {
			return err
		}
		if err := s.editPoll(ctx, tx, st, in.Poll); err != nil {
			return err
		}
		if st.Pending() {
			return nil // not sent yet: it leaves with the new text
		}
		s.emit(ctx, Event{Type: "status.update", StatusID: st.ID})
		if err := s.notifyQuoters(ctx, tx, st, me); err != nil {
			return err
		}
		return s.publish(ctx, tx, PublishArgs{Type: PublishUpdate, AccountID: me.ID, StatusID: st.ID})
	})
	done(err == nil)
	return st, domainErr(err)
}

// Block makes me block target: follows either way end, and a remote server
// is told.
func (s *Service) Block(ctx context.Context, me, target *storage.Account) error {
	if me.ID == target.ID {
		return invalid("", "you cannot block yourself")
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		if _, err := tx.BlockBetween(ctx, me.ID, target.ID); err == nil {
			return nil
		}
		id := storage.NewID()
		b := &storage.Block{ID: id, AccountID: me.ID, TargetAccountID: target.ID, URI: fmt.Sprintf("%s#blocks/%d", me.URI, id), CreatedAt: s.now()}
		if err := tx.InsertBlock(ctx, b); err != nil {
			return err
		}
		if err := tx.DeleteFollowsBetween(ctx, me.ID, target.ID); err != nil {
			return err
		}
		if !target.Local() {
			return s.publish(ctx, tx, PublishArgs{Type: PublishBlock, AccountID: me.ID, ActivityURI: b.URI, TargetAccountID: target.ID, Inboxes: []string{target.InboxURL}})
		}
		return nil
	})
	return domainErr(err)
}

// Unblock lifts me's block of target.
func (s *Service) Unblock(ctx context.Context, me, target *storage.Account) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		b, err := tx.BlockBetween(ctx, me.ID, target.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteBlock(ctx, b); err != nil {
			return err
		}
		if !target.Local() {
			return s.publish(ctx, tx, PublishArgs{Type: PublishUndoBlock, AccountID: me.ID, ActivityURI: b.URI, TargetAccountID: target.ID, Inboxes: []string{target.InboxURL}})
		}
		return nil
	})
	return domainErr(err)
}

// Blocked reports whether a blocks b.
func (s *Service) Blocked(ctx context.Context, a, b *storage.Account) bool {
	_, err := s.db.BlockBetween(ctx, a.ID, b.ID)
	return err == nil
}

// StatusCounts are a status's public counts.
type StatusCounts struct{ Replies, Reblogs, Favourites int }

// CountsOf returns st's reply, boost and like counts.
func (s *Service) CountsOf(ctx context.Context, st *storage.Status) (StatusCounts, error) {
	var c StatusCounts
	var err error
	if c.Replies, err = s.db.CountReplies(ctx, st.ID); err != nil {
		return c, err
	}
	if c.Reblogs, err = s.db.CountReblogs(ctx, st.ID); err != nil {
		return c, err
	}
	c.Favourites, err = s.db.CountFavourites(ctx, st.ID)
	return c, err
}

// StatusEdits returns the earlier versions of a status, oldest first.
func (s *Service) StatusEdits(ctx context.Context, st *storage.Status) ([]storage.StatusEdit, error) {
	return s.db.StatusEdits(ctx, st.ID)
}

// --- activities from other servers ---

// ReceiveLike applies a Like of a local status.
func (s *Service) ReceiveLike(ctx context.Context, actor *storage.Account, objectURI, activityURI string) error {
	ctx, done := s.collect(ctx)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByURI(ctx, objectURI)
		if err != nil {
			return err
		}
		if !s.mayInteract(ctx, tx, actor, st) {
			return ErrNotFound // as for a post that does not exist: its existence is not theirs to learn
		}
		err = tx.InsertFavourite(ctx, &storage.Favourite{ID: storage.NewID(), AccountID: actor.ID, StatusID: st.ID, URI: activityURI, CreatedAt: s.now()})
		if errors.Is(err, storage.ErrConflict) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.notify(ctx, tx, st.Account, actor, NotifyFavourite, &st.ID)
	})
	done(err == nil)
	return domainErr(err)
}

// ReceiveAnnounce applies a boost by actor of a status we have.
func (s *Service) ReceiveAnnounce(ctx context.Context, actor *storage.Account, objectURI, activityURI string, published time.Time) error {
	ctx, done := s.collect(ctx)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByURI(ctx, objectURI)
		if err != nil {
			return err
		}
		if !s.mayInteract(ctx, tx, actor, st) {
			return ErrNotFound // as for a post that does not exist: its existence is not theirs to learn
		}
		if !VisibleToPublic(st) {
			return ErrForbidden // followers-only and direct posts are never boosted
		}
		boost := &storage.Status{
			ID: storage.IDAt(published), URI: activityURI, URL: st.URL, AccountID: actor.ID,
			ReblogOfID: &st.ID, Visibility: VisibilityPublic, CreatedAt: published,
		}
		err = tx.InsertStatus(ctx, boost, nil)
		if errors.Is(err, storage.ErrConflict) {
			return nil
		}
		if err != nil {
			return err
		}
		s.emit(ctx, Event{Type: "update", StatusID: boost.ID})
		return s.notify(ctx, tx, st.Account, actor, NotifyReblog, &st.ID)
	})
	done(err == nil)
	return domainErr(err)
}

// requireVisible answers ErrNotFound unless me may see status id
// (MayView): nobody likes, boosts or bookmarks what they may not see, such
// as a post still waiting out its send delay.
func (s *Service) requireVisible(ctx context.Context, me *storage.Account, id int64) error {
	st, err := s.db.StatusByID(ctx, id)
	if err != nil {
		return domainErr(err)
	}
	if !s.MayView(ctx, me, st) {
		return ErrNotFound
	}
	return nil
}

// mayInteract reports whether a remote actor may like, boost, vote in or
// reply to st: only when they may see it (MayView: not a followers-only
// post unless they follow, not a direct one unless mentioned, not when its
// author blocks them, not while it waits out its send delay). Knowing a
// post's id is not being allowed to see it.
func (s *Service) mayInteract(ctx context.Context, tx storage.Tx, actor *storage.Account, st *storage.Status) bool {
	return mayView(ctx, tx, actor, st)
}

// ReceiveUndo applies an Undo by actor of the activity uri, whatever it
// was: a follow, a like, a boost or a block.
func (s *Service) ReceiveUndo(ctx context.Context, actor *storage.Account, uri string) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		if f, err := tx.FollowByURI(ctx, uri); err == nil {
			if f.AccountID != actor.ID {
				return ErrForbidden
			}
			return tx.DeleteFollow(ctx, f)
		}
		if fav, err := tx.FavouriteByURI(ctx, uri); err == nil {
			if fav.AccountID != actor.ID {
				return ErrForbidden
			}
			return tx.DeleteFavourite(ctx, fav)
		}
		if st, err := tx.StatusByURI(ctx, uri); err == nil && st.ReblogOfID != nil {
			if st.AccountID != actor.ID {
				return ErrForbidden
			}
			return tx.DeleteStatusRow(ctx, st)
		}
		if b, err := tx.BlockByURI(ctx, uri); err == nil {
			if b.AccountID != actor.ID {
				return ErrForbidden
			}
			return tx.DeleteBlock(ctx, b)
		}
		return nil // we never had it
	})
	return domainErr(err)
}

// ReceiveBlock applies a Block of a local account by actor: follows either
// way end.
func (s *Service) ReceiveBlock(ctx context.Context, actor, target *storage.Account, uri string) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertBlock(ctx, &storage.Block{ID: storage.NewID(), AccountID: actor.ID, TargetAccountID: target.ID, URI: uri, CreatedAt: s.now()}); err != nil {
			return err
		}
		return tx.DeleteFollowsBetween(ctx, actor.ID, target.ID)
	})
	return domainErr(err)
}

// ReceiveUpdateStatus applies an edit by actor of their status, keeping the
// earlier version; content is already sanitised. The edit's attachments,
// in order, replace the status's (an Update carries the whole object).
func (s *Service) ReceiveUpdateStatus(ctx context.Context, actor *storage.Account, uri, content, spoiler string, sensitive bool, at time.Time, media []RemoteMedia) error {
	ctx, done := s.collect(ctx)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByURI(ctx, uri)
		if err != nil {
			return err
		}
		if st.AccountID != actor.ID {
			return ErrForbidden
		}
		if st.EditedAt != nil && at.Before(*st.EditedAt) {
			return nil // an older edit arriving late
		}
		// ActivityStreams times have whole seconds (Mastodon's too), so two
		// edits within a second carry the same time: the later is applied,
		// as Mastodon does, unless it is the version we have (sent again).
		if st.EditedAt != nil && at.Equal(*st.EditedAt) {
			same, err := s.sameRemoteVersion(ctx, tx, st, content, spoiler, sensitive || spoiler != "", media)
			if err != nil || same {
				return err
			}
		}
		s.emit(ctx, Event{Type: "status.update", StatusID: st.ID})
		if err := tx.UpdateStatusContent(ctx, st, content, "", spoiler, sensitive || spoiler != "", at); err != nil {
			return err
		}
		if err := s.notifyQuoters(ctx, tx, st, actor); err != nil {
			return err
		}
		return s.replaceRemoteMedia(ctx, tx, st, media)
	})
	done(err == nil)
	return domainErr(err)
}

// sameRemoteVersion reports whether a remote edit says what st says now.
func (s *Service) sameRemoteVersion(ctx context.Context, tx storage.Tx, st *storage.Status, content, spoiler string, sensitive bool, media []RemoteMedia) (bool, error) {
	if st.Content != content || st.SpoilerText != spoiler || st.Sensitive != sensitive {
		return false, nil
	}
	cur, err := tx.StatusMedia(ctx, st.ID)
	if err != nil {
		return false, err
	}
	if len(media) > MaxMediaPerStatus*2 {
		media = media[:MaxMediaPerStatus*2]
	}
	if len(cur) != len(media) {
		return false, nil
	}
	for i, m := range cur {
		if m.RemoteURL != media[i].URL || m.Description != media[i].Description {
			return false, nil
		}
	}
	return true, nil
}

// ReceiveDeleteActor applies the deletion of a remote account by its own
// server (the caller checked that the Delete names its sender): its content
// goes, it is not fetched back, and the deletion is recorded with the time
// it suspended the account, so that only this state, not a suspension made
// here, can later be lifted by the same actor (RestoreDeletedActor).
func (s *Service) ReceiveDeleteActor(ctx context.Context, actor *storage.Account) error {
	if actor.Local() {
		return ErrForbidden
	}
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error {
		// Truncated as the databases store it, so the times compare equal.
		t := s.now().Truncate(time.Microsecond)
		if err := tx.DeleteAccountContent(ctx, actor, t); err != nil {
			return err
		}
		if err := tx.MarkDeletedByOrigin(ctx, actor.ID, t); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, originActor(actor), audit{
			action: "remote_delete", targetType: "account", targetID: idString(actor.ID),
			target: "@" + actor.Username + "@" + actor.Domain, detail: map[string]string{"uri": actor.URI},
		})
	}))
}

// RestoreDeletedActor brings back a remote account that its own server
// deleted and now sends again (it lifted a suspension there). Only that
// state is lifted this way, never a suspension decided here (by a
// moderator or a domain block), even one made after the remote deletion:
// that writes another suspension time. Each lift is in the audit log. It
// answers ErrForbidden when there is nothing the actor may lift.
func (s *Service) RestoreDeletedActor(ctx context.Context, actor *storage.Account) error {
	if actor.Local() || !actor.Suspended() {
		return nil
	}
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error {
		lifted, err := tx.LiftDeletionByOrigin(ctx, actor.ID, s.now())
		if err != nil {
			return err
		}
		if !lifted {
			return ErrForbidden
		}
		actor.SuspendedAt = nil
		return s.appendAudit(ctx, tx, originActor(actor), audit{
			action: "remote_restore", targetType: "account", targetID: idString(actor.ID),
			target: "@" + actor.Username + "@" + actor.Domain, detail: map[string]string{"uri": actor.URI},
		})
	}))
}

// originActor names, in the audit log, what a remote account's own server
// did to it through federation.
func originActor(a *storage.Account) Actor {
	return Actor{name: "Rounds (as " + a.Domain + " asked)"}
}
