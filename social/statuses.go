package social

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"rounds/storage"
)

// Visibilities of a status, as Mastodon names them.
const (
	VisibilityPublic   = "public"
	VisibilityUnlisted = "unlisted"
	VisibilityPrivate  = "private" // followers only
	VisibilityDirect   = "direct"
)

// MaxStatusCharacters is the longest status accepted.
const MaxStatusCharacters = 500

// NewStatus is what a local author writes.
type NewStatus struct {
	Text        string
	SpoilerText string
	Visibility  string
	Sensitive   bool
	InReplyToID int64
	Language    string
	// MediaIDs are uploads of the author's to attach, in order.
	MediaIDs []int64
	// ReplaceMedia, in an edit, says MediaIDs were given: they replace the
	// post's images (none when empty). Otherwise the images stay.
	ReplaceMedia bool
	// MediaAttributes, in an edit, change descriptions of the images.
	MediaAttributes []MediaAttribute
	// IdempotencyKey, when set, makes a retry within an hour return the
	// first post instead of making another.
	IdempotencyKey string
	// PostDespiteWarning is the author's explicit "post anyway" after the
	// patient-identifier guard warned (allowed only under the warn policy;
	// recorded in the audit log).
	PostDespiteWarning bool
	// Poll, when set, makes the status a poll.
	Poll *NewPoll
	// SendDespiteTone is the author's "send anyway" after the tone check
	// asked them to pause (tone_policy.go).
	SendDespiteTone bool
	// LocalOnly, when true, keeps the post on this server: only its
	// signed-in accounts see it. When not given, a reply is local-only
	// when its parent is.
	LocalOnly *bool
	// scheduled marks a scheduled post being published: the guidance was
	// acknowledged when it was scheduled (guidance.go).
	scheduled bool
	// QuotedStatusID quotes that post (quotes.go); QuotePolicy says who
	// may quote this one (public, followers, nobody).
	QuotedStatusID int64
	QuotePolicy    string
}

// idempotencyWindow is how long an Idempotency-Key is remembered.
const idempotencyWindow = time.Hour

// errDuplicatePost ends a transaction whose post a concurrent retry made.
var errDuplicatePost = errors.New("posted already with this idempotency key")

// PostStatus publishes a local status and queues its delivery.
func (s *Service) PostStatus(ctx context.Context, author *storage.Account, in NewStatus) (*storage.Status, error) {
	return s.postStatus(ctx, author, in, nil)
}

// checkNewStatus checks what author wrote as a post made now would be
// checked (also when it is scheduled, so the author learns at once), and
// fills in the default visibility. It returns the text to post.
func (s *Service) checkNewStatus(ctx context.Context, author *storage.Account, in *NewStatus) (string, error) {
	if !author.Local() || author.Suspended() {
		return "", ErrForbidden
	}
	if author.Moved() {
		return "", movedError(author)
	}
	if !in.scheduled {
		if err := s.checkGuidance(ctx, author); err != nil {
			return "", err
		}
	}
	text := strings.TrimSpace(in.Text)
	if text == "" && len(in.MediaIDs) == 0 {
		return "", invalid("text", "can't be blank")
	}
	if n := utf8.RuneCountInString(text) + utf8.RuneCountInString(in.SpoilerText); n > MaxStatusCharacters {
		return "", invalid("text", fmt.Sprintf("is too long (%d characters; the limit is %d)", n, MaxStatusCharacters))
	}
	switch in.Visibility {
	case "":
		in.Visibility = VisibilityPublic
	case VisibilityPublic, VisibilityUnlisted, VisibilityPrivate, VisibilityDirect:
	default:
		return "", invalid("visibility", "must be public, unlisted, private or direct")
	}
	if in.Poll != nil {
		if err := validatePoll(in.Poll, len(in.MediaIDs) > 0); err != nil {
			return "", err
		}
	}
	if err := s.checkForIdentifiers(ctx, author, *in, in.PostDespiteWarning); err != nil {
		return "", err
	}
	return text, nil
}

// postStatus is PostStatus; within, when set, runs first in the post's
// transaction (publishing a scheduled post deletes its row there), and an
// error from it stores nothing.
func (s *Service) postStatus(ctx context.Context, author *storage.Account, in NewStatus, within func(tx storage.Tx) error) (*storage.Status, error) {
	ctx, done := s.collect(ctx)
	if !author.Local() || author.Suspended() {
		return nil, ErrForbidden
	}
	if in.IdempotencyKey != "" {
		if st, ok := s.idempotentPost(ctx, author, in.IdempotencyKey); ok {
			return st, nil
		}
	}
	text, err := s.checkNewStatus(ctx, author, &in)
	if err != nil {
		return nil, err
	}
	quoted, err := s.checkQuote(ctx, author, in)
	if err != nil {
		return nil, err
	}
	delay, err := s.sendDelay(ctx, author)
	if err != nil {
		return nil, err
	}
	if delay, err = s.pauseForTone(ctx, author, in, text, delay, within != nil); err != nil {
		return nil, err
	}
	// Resolving mentions may ask other servers: do it before the
	// transaction.
	out := s.render(ctx, text)
	if err := s.refuseUnusableTags(ctx, out.Tags); err != nil { // tag_usable.go
		return nil, err
	}
	id := storage.NewID()
	var pendingUntil *time.Time
	if delay > 0 {
		// A delayed post takes its id from the moment it is published, so
		// that it sorts where followers will first see it and clients
		// paging with since_id do not miss it.
		at := s.now().Add(delay)
		pendingUntil = &at
		id = storage.IDAt(at)
	}
	st := &storage.Status{
		ID:           id,
		URI:          fmt.Sprintf("%s/users/%s/statuses/%d", s.base, author.Username, id),
		URL:          fmt.Sprintf("%s/@%s/%d", s.base, author.Username, id),
		AccountID:    author.ID,
		Content:      out.HTML,
		Text:         text,
		SpoilerText:  strings.TrimSpace(in.SpoilerText),
		Sensitive:    in.Sensitive || strings.TrimSpace(in.SpoilerText) != "",
		Visibility:   in.Visibility,
		Language:     in.Language,
		Local:        true,
		CreatedAt:    s.now(),
		Account:      author,
		PendingUntil: pendingUntil,
		LocalOnly:    in.LocalOnly != nil && *in.LocalOnly,
	}
	if in.InReplyToID != 0 {
		parent, err := s.db.StatusByID(ctx, in.InReplyToID)
		if err == nil && !s.MayView(ctx, author, parent) {
			err = storage.ErrNotFound
		}
		if errors.Is(err, storage.ErrNotFound) {
			return nil, invalid("in_reply_to_id", "names a status that does not exist")
		}
		if err != nil {
			return nil, err
		}
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if within != nil {
			if err := within(tx); err != nil {
				return err
			}
		}
		if in.InReplyToID != 0 {
			parent, err := tx.StatusByID(ctx, in.InReplyToID)
			if err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					return invalid("in_reply_to_id", "names a status that does not exist")
				}
				return err
			}
			st.InReplyToID = &parent.ID
			st.InReplyToURI = parent.URI
			st.InReplyToAccountID = &parent.AccountID
			if in.LocalOnly == nil && parent.LocalOnly {
				st.LocalOnly = true
			}
		}
		var mentions []int64
		if st.InReplyToAccountID != nil && *st.InReplyToAccountID != author.ID {
			mentions = append(mentions, *st.InReplyToAccountID)
		}
		for _, m := range out.Mentions {
			if m.ID != author.ID && !slices.Contains(mentions, m.ID) {
				mentions = append(mentions, m.ID)
			}
		}
		if err := tx.InsertStatus(ctx, st, mentions); err != nil {
			return err
		}
		if err := s.attachMedia(ctx, tx, author, st, uniqueIDs(in.MediaIDs), nil); err != nil {
			return err
		}
		if err := s.storeQuote(ctx, tx, author, st, quoted, in.QuotePolicy); err != nil {
			return err
		}
		if in.Poll != nil {
			start := st.CreatedAt
			if st.PendingUntil != nil {
				start = *st.PendingUntil // the poll runs from when it is published
			}
			if err := s.insertLocalPoll(ctx, tx, st, in.Poll, start); err != nil {
				return err
			}
		}
		if in.IdempotencyKey != "" {
			fresh, err := tx.RememberIdempotencyKey(ctx, author.ID, in.IdempotencyKey, st.ID, st.CreatedAt, st.CreatedAt.Add(-idempotencyWindow))
			if err != nil {
				return err
			}
			if !fresh {
				return errDuplicatePost
			}
		}
		if err := tx.TagStatus(ctx, st.ID, out.Tags, st.CreatedAt); err != nil {
			return err
		}
		if st.Pending() {
			// Until it is released, a direct post is in its author's
			// conversation only.
			if err := s.fileDirect(ctx, tx, st, mentions, true); err != nil {
				return err
			}
			return s.scheduleRelease(ctx, tx, st)
		}
		return s.afterPublish(ctx, tx, st)
	})
	done(err == nil)
	if errors.Is(err, errDuplicatePost) {
		if st, ok := s.idempotentPost(ctx, author, in.IdempotencyKey); ok {
			return st, nil
		}
	}
	if err != nil {
		return nil, domainErr(err)
	}
	return st, nil
}

// DeleteStatus deletes a local status of me and tells the servers it went to.
func (s *Service) DeleteStatus(ctx context.Context, me *storage.Account, statusID int64) (*storage.Status, error) {
	ctx, done := s.collect(ctx)
	var st *storage.Status
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		st, err = tx.StatusByID(ctx, statusID)
		if err != nil {
			return err
		}
		if st.AccountID != me.ID {
			return ErrForbidden
		}
		if err := tx.DeleteStatus(ctx, st, s.now()); err != nil {
			return err
		}
		if st.Pending() {
			return nil // it never left this server: nothing to tell anyone
		}
		s.emit(ctx, Event{Type: "delete", StatusID: st.ID})
		return s.publish(ctx, tx, PublishArgs{Type: PublishDelete, AccountID: me.ID, ObjectURI: st.URI, Visibility: st.Visibility, LocalOnly: st.LocalOnly})
	})
	done(err == nil)
	if err != nil {
		return nil, domainErr(err)
	}
	return st, nil
}

// plainToHTML renders a local author's plain text as Mastodon does: escaped,
// paragraphs on blank lines, line breaks kept.
func plainToHTML(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// MaxThreadFetchDepth bounds how many missing ancestors of a received reply
// are fetched, one job each.
const MaxThreadFetchDepth = 5

// FetchStatusArgs is the durable job that fetches a remote post we lack,
// the parent of a reply that arrived, so threads are whole. Fetching is never
// done inside the inbox request.
type FetchStatusArgs struct {
	URI   string `json:"uri"`
	Depth int    `json:"depth"`
}

// Kind names the job kind.
func (FetchStatusArgs) Kind() string { return "fetch_status" }

// ReceiveOptions say how a received status is kept.
type ReceiveOptions struct {
	// Context marks a status fetched for a thread's sake: kept although
	// nobody here follows its author.
	Context bool
	// Depth is how many ancestors have been fetched above the first reply.
	Depth int
	// Tags are the hashtags the status carries.
	Tags []string
	// Media are the status's attachments, kept as links to the remote
	// server.
	Media []RemoteMedia
	// Poll is the status's poll when it is a Question.
	Poll *RemotePoll
	// RemoteMentions are the accounts of other servers, known here, that
	// the status mentions: with its author and the local accounts it
	// mentions they are a direct post's participants.
	RemoteMentions []int64
	// Article is what a long-form post (an Article) has beyond its
	// status: its title, summary and full text (blogs.go).
	Article *RemoteArticle
}

// ReceiveStatus stores a status that a remote server sent, whose content the
// caller has already sanitised. It is dropped (nil, nil) when nobody here
// follows its author and it neither mentions nor replies to a local account
// (unless opts.Context); a status that was deleted before, or that we
// already have, is not stored again. A reply whose parent we lack queues a
// job to fetch the parent.
func (s *Service) ReceiveStatus(ctx context.Context, st *storage.Status, mentions []int64, opts ReceiveOptions) (*storage.Status, error) {
	ctx, done := s.collect(ctx)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		parentKnown := false
		if st.InReplyToURI != "" {
			if parent, err := tx.StatusByURI(ctx, st.InReplyToURI); err == nil {
				parentKnown = true
				// A reply to a post of ours that its author may not see
				// (followers-only, direct, blocked, still pending) is not
				// threaded under it: it would reach the post's thread and
				// reply count, and be kept for it, by naming a post they
				// were never shown.
				if !parent.Local || s.mayInteract(ctx, tx, &storage.Account{ID: st.AccountID}, parent) {
					st.InReplyToID = &parent.ID
					st.InReplyToAccountID = &parent.AccountID
				}
			}
		}
		if !opts.Context {
			wanted, err := tx.HasLocalFollowerOf(ctx, st.AccountID)
			if err != nil {
				return err
			}
			if !wanted && len(mentions) == 0 && st.InReplyToID == nil {
				st = nil
				return nil
			}
		}
		if err := tx.InsertStatus(ctx, st, mentions); err != nil {
			return err
		}
		if err := tx.TagStatus(ctx, st.ID, opts.Tags, st.CreatedAt); err != nil {
			return err
		}
		if err := s.keepRemoteArticle(ctx, tx, st, opts.Article); err != nil {
			return err
		}
		// A post kept for another reason (a follower here, a mention)
		// also reaches those who follow its hashtags; like Mastodon, a post
		// is not taken in for its hashtags alone.
		if err := s.feedTagFollowers(ctx, tx, st); err != nil {
			return err
		}
		if err := s.attachRemoteMedia(ctx, tx, st, opts.Media); err != nil {
			return err
		}
		if opts.Poll != nil && len(opts.Poll.Options) > 0 {
			if err := s.insertRemotePoll(ctx, tx, st, opts.Poll); err != nil {
				return err
			}
		}
		s.emit(ctx, Event{Type: "update", StatusID: st.ID})
		if err := s.fileDirect(ctx, tx, st, append(slices.Clip(mentions), opts.RemoteMentions...), false); err != nil {
			return err
		}
		if !opts.Context { // a post fetched for its thread was asked long ago
			if err := s.recordQuestions(ctx, tx, st, mentions); err != nil { // questions.go
				return err
			}
		}
		if len(mentions) > 0 {
			author, err := tx.AccountByID(ctx, st.AccountID)
			if err != nil {
				return err
			}
			for _, id := range mentions {
				if err := s.notifyByID(ctx, tx, id, author, NotifyMention, &st.ID); err != nil {
					return err
				}
			}
		}
		// Replies that arrived before this status now hang under it.
		if err := tx.LinkReplies(ctx, st); err != nil {
			return err
		}
		if err := tx.LinkQuotes(ctx, st); err != nil {
			return err
		}
		if st.InReplyToURI != "" && !parentKnown && opts.Depth < MaxThreadFetchDepth && s.jobs != nil {
			return s.jobs.InsertTx(ctx, tx, FetchStatusArgs{URI: st.InReplyToURI, Depth: opts.Depth + 1}, nil)
		}
		return nil
	})
	done(err == nil)
	if errors.Is(err, storage.ErrConflict) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// KnownStatusOrTombstone reports whether uri is a status we have or one
// that was deleted.
func (s *Service) KnownStatusOrTombstone(ctx context.Context, uri string) (bool, error) {
	return s.db.KnownStatusOrTombstone(ctx, uri)
}

// ReceiveDelete applies a Delete of objectURI by actor: a status of theirs
// becomes a tombstone. An object we do not have leaves a tombstone only
// when its id is on actor's own server: a server speaks only for its own
// objects, and a tombstone for another server's post would refuse that
// post when it arrives (a forged pre-deletion). An account is deleted
// only by its own Delete (ReceiveDeleteActor).
func (s *Service) ReceiveDelete(ctx context.Context, actor *storage.Account, objectURI string) error {
	ctx, done := s.collect(ctx)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByURI(ctx, objectURI)
		if errors.Is(err, storage.ErrNotFound) {
			if !sameHost(objectURI, actor.URI) {
				return fmt.Errorf("%w: %s may not delete %s, which is on another server", ErrForbidden, actor.URI, objectURI)
			}
			if _, err := tx.AccountByURI(ctx, objectURI); err == nil {
				return fmt.Errorf("%w: %s may not delete the account %s", ErrForbidden, actor.URI, objectURI)
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			// Remember it, so a late Create cannot bring it back.
			return tx.InsertTombstone(ctx, objectURI, s.now())
		}
		if err != nil {
			return err
		}
		if st.AccountID != actor.ID {
			return fmt.Errorf("%w: %s may not delete %s", ErrForbidden, actor.URI, objectURI)
		}
		s.emit(ctx, Event{Type: "delete", StatusID: st.ID})
		return tx.DeleteStatus(ctx, st, s.now())
	})
	done(err == nil)
	return domainErr(err)
}

// HomeTimeline returns me's home timeline.
func (s *Service) HomeTimeline(ctx context.Context, me *storage.Account, p storage.Page) ([]*storage.Status, error) {
	return s.visiblePage(ctx, me, p, func(p storage.Page) ([]*storage.Status, error) {
		return s.db.HomeTimeline(ctx, me.ID, p)
	})
}

// StatusTags returns the hashtags of a status.
func (s *Service) StatusTags(ctx context.Context, st *storage.Status) ([]string, error) {
	return s.db.StatusTagNames(ctx, st.ID)
}

// StatusByID returns a status.
func (s *Service) StatusByID(ctx context.Context, id int64) (*storage.Status, error) {
	st, err := s.db.StatusByID(ctx, id)
	return st, domainErr(err)
}

// StatusByURI returns a status by its ActivityPub id.
func (s *Service) StatusByURI(ctx context.Context, uri string) (*storage.Status, error) {
	st, err := s.db.StatusByURI(ctx, uri)
	return st, domainErr(err)
}

// sameHost reports whether the URLs a and b are on the same server (host
// and port), the test of whether a server may speak for an object.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}

// VisibleToPublic reports whether anyone may see st without signing in.
func VisibleToPublic(st *storage.Status) bool {
	return OpenVisibility(st) && !st.LocalOnly
}

// OpenVisibility reports whether st, published, is public or unlisted:
// for everyone who may see this server's posts at all (everyone, or the
// signed-in accounts of this server for a local-only one). Those are the
// posts that may be boosted and pinned.
func OpenVisibility(st *storage.Status) bool {
	return !st.Pending() && (st.Visibility == VisibilityPublic || st.Visibility == VisibilityUnlisted)
}

// idempotentPost returns the post author made with key within the window.
func (s *Service) idempotentPost(ctx context.Context, author *storage.Account, key string) (*storage.Status, bool) {
	id, err := s.db.IdempotentStatusID(ctx, author.ID, key, s.now().Add(-idempotencyWindow))
	if err != nil || id == 0 {
		return nil, false
	}
	st, err := s.db.StatusByID(ctx, id)
	return st, err == nil
}
