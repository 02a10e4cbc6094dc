package federation

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"rounds/social"
	"rounds/storage"
)

// inbox receives an activity: the signature is checked before anything is
// stored, the activity is applied once however often it arrives, and
// unknown types are accepted and ignored.
func (f *Federation) inbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// What became of the request, counted once it is answered.
	typ, outcome := "", inboxError
	defer func() { f.metrics.countInbox(typ, outcome) }()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		outcome = inboxInvalid
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "the activity is larger than 1 MB")
			return
		}
		writeJSONError(w, http.StatusBadRequest, "the body could not be read")
		return
	}
	keys := &keyResolver{f: f, suspendedToo: true}
	_, owner, err := f.verifySignature(ctx, r, body, keys)
	if errors.Is(err, errDomainRefused) {
		// A blocked domain (or, in allowlist mode, an unlisted one) is
		// refused before any key of it is fetched.
		outcome = inboxRejectedPolicy
		writeJSONError(w, http.StatusForbidden, err.Error())
		return
	}
	if err != nil {
		outcome = inboxRejectedSignature
		f.log.Info("inbox: refused signature", "error", err, "remote", r.RemoteAddr)
		status := http.StatusUnauthorized
		if errors.Is(err, ErrBadDigest) && !f.isRFC9421(r) {
			status = http.StatusBadRequest
		}
		writeJSONError(w, status, "signature refused: "+err.Error())
		return
	}
	act, err := ParseActivity(body)
	if err != nil {
		outcome = inboxInvalid
		writeJSONError(w, http.StatusBadRequest, "not an activity: "+err.Error())
		return
	}
	if f.relayInbox(w, r, owner, act) {
		return
	}
	// The actor is the key's owner, whose own host (not only the keyId's)
	// the key resolver has checked against domain blocks and the allowlist.
	typ = act.Type
	if act.Actor != owner {
		outcome = inboxRejectedSignature
		writeJSONError(w, http.StatusUnauthorized, "the request is signed by a key that is not the actor's")
		return
	}
	if !sameHost(act.ID, act.Actor) {
		outcome = inboxInvalid
		writeJSONError(w, http.StatusBadRequest, "the activity's id is not on its actor's server")
		return
	}
	actor := keys.account
	if actor == nil || actor.URI != owner {
		if actor, err = f.social.AccountByURI(ctx, owner); err != nil {
			f.serverError(w, r, err)
			return
		}
	}
	if actor.Suspended() {
		// An account its server deleted comes back with an Update of
		// itself, which the fetch below confirms; nothing else from a
		// suspended account is taken, and a suspension decided here
		// (a moderator's, a domain block's) is never lifted this way.
		restored := false
		if act.Type == "Update" && act.Actor2 != nil && act.Actor2.ID == actor.URI {
			if err := f.social.RestoreDeletedActor(ctx, actor); err == nil {
				restored = true
			} else if !errors.Is(err, social.ErrForbidden) {
				f.serverError(w, r, err)
				return
			}
		}
		if !restored {
			outcome = inboxRejectedPolicy
			writeJSONError(w, http.StatusForbidden, "this account is suspended here")
			return
		}
	}
	if err := f.social.RefreshIfStale(ctx, actor, actorRefreshAfter); err != nil {
		f.log.Warn("inbox: queue actor refresh", "actor", actor.URI, "error", err)
	}
	// A post is stored once by its own id (and a deleted one never
	// again), so a Create of a post needs no receipt of its own: that
	// saves a write for most of what arrives.
	receipt := !createsPost(act, f.social.BaseURL())
	if receipt {
		first, err := f.social.FirstReceipt(ctx, act.ID)
		if err != nil {
			f.serverError(w, r, err)
			return
		}
		if !first {
			outcome = inboxDuplicate
			w.WriteHeader(http.StatusAccepted)
			return
		}
	}
	if err := f.apply(ctx, actor, act); err != nil {
		var ve *social.ValidationError
		switch {
		case errors.Is(err, social.ErrForbidden):
			outcome = inboxRejectedPolicy
			writeJSONError(w, http.StatusForbidden, err.Error())
		case errors.Is(err, social.ErrNotFound):
			outcome = inboxInvalid
			writeJSONError(w, http.StatusNotFound, err.Error())
		case errors.As(err, &ve):
			outcome = inboxInvalid
			writeJSONError(w, http.StatusBadRequest, err.Error())
		default:
			f.serverError(w, r, err)
		}
		// Not applied: a later copy of the activity must not be skipped.
		if receipt {
			_ = f.social.ForgetReceipt(context.WithoutCancel(ctx), act.ID)
		}
		return
	}
	f.domainAnswered(ctx, actor.Domain)
	outcome = inboxAccepted
	w.WriteHeader(http.StatusAccepted)
}

// apply carries out one verified activity from actor.
func (f *Federation) apply(ctx context.Context, actor *storage.Account, act *ActivityDoc) error {
	switch act.Type {
	case "Follow":
		target, err := f.social.AccountByURI(ctx, act.ObjectID)
		if err != nil || !target.Local() {
			return social.ErrNotFound
		}
		return f.social.ReceiveFollow(ctx, actor, target, act.ID)
	case "QuoteRequest":
		return f.receiveQuoteRequest(ctx, actor, act)
	case "Accept", "Reject":
		if handled, err := f.receiveQuoteAnswer(ctx, actor, act); handled {
			return err
		}
		followURI := act.ObjectID
		if act.Activity != nil {
			followURI = act.Activity.ID
		}
		if act.Type == "Accept" {
			return f.social.ReceiveAccept(ctx, actor, followURI)
		}
		return f.social.ReceiveReject(ctx, actor, followURI)
	case "Undo":
		undone := act.ObjectID
		if act.Activity != nil {
			undone = act.Activity.ID
		}
		return f.social.ReceiveUndo(ctx, actor, undone)
	case "Create":
		if act.Note == nil {
			return nil // an object type we do not keep
		}
		if n := act.Note; isPollVote(n, f.social.BaseURL()) {
			// A vote in one of our polls: counted, not kept as a post.
			// Its id, kept with the vote, must be on the voter's server
			// like any object it sends.
			if n.AttributedTo != actor.URI || !sameHost(n.ID, actor.URI) {
				return social.ErrForbidden
			}
			return f.social.ReceivePollVote(ctx, actor, n.InReplyTo, n.Name, n.ID)
		}
		return f.receiveNote(ctx, actor, act.Note)
	case "Update":
		switch {
		case act.Note != nil:
			return f.receiveEdit(ctx, actor, act.Note)
		case act.Actor2 != nil:
			if act.Actor2.ID != actor.URI {
				return social.ErrForbidden
			}
			// Fetch rather than trust the embedded copy: the fetch is
			// what proves the server speaks for the actor.
			_, err := f.FetchActor(ctx, actor.URI)
			return err
		}
		return nil
	case "Delete":
		if handled, err := f.social.ReceiveQuoteRevoke(ctx, actor, act.ObjectID); handled {
			return err
		}
		if act.ObjectID == actor.URI {
			return f.social.ReceiveDeleteActor(ctx, actor)
		}
		return f.social.ReceiveDelete(ctx, actor, act.ObjectID)
	case "Like", "EmojiReact":
		// Misskey's reactions are Likes with content; Pleroma's and
		// Akkoma's are EmojiReacts: both count as a favourite.
		if !sameHost(act.ObjectID, f.social.BaseURL()) {
			return nil // a like of someone else's post: not ours to count
		}
		return f.social.ReceiveLike(ctx, actor, act.ObjectID, act.ID)
	case "Announce":
		if handled, err := f.receiveGroupAnnounce(ctx, actor, act); handled {
			return err
		}
		published := act.Published
		if published.IsZero() || published.After(time.Now()) {
			published = time.Now()
		}
		err := f.social.ReceiveAnnounce(ctx, actor, act.ObjectID, act.ID, published.UTC())
		if isNotFound(err) {
			return nil // a boost of a post we do not have; fetching it is not built yet
		}
		return err
	case "Flag":
		objects := act.Objects
		if len(objects) == 0 && act.ObjectID != "" {
			objects = []string{act.ObjectID}
		}
		return f.social.ReceiveFlag(ctx, actor, act.ID, objects, act.Content)
	case "Block":
		target, err := f.social.AccountByURI(ctx, act.ObjectID)
		if err != nil || !target.Local() {
			return nil
		}
		return f.social.ReceiveBlock(ctx, actor, target, act.ID)
	case "Move":
		return f.receiveMove(ctx, actor, act)
	case "Add", "Remove":
		// Mastodon announces a featured hashtag, or its end, as an Add or
		// Remove of a Hashtag (an object without an id) to the actor's
		// featuredTags; the collection is read again (on the actor's own
		// host, RemoteFeaturedTagsAt checks). Pins (a post added to the
		// featured collection) are not kept yet.
		if act.Note == nil && act.Activity == nil && act.Actor2 == nil && act.ObjectID == "" &&
			act.Target != "" && act.Target != actor.FeaturedURL {
			return f.social.RemoteFeaturedTagsAt(ctx, actor, act.Target)
		}
		return nil
	}
	return nil
}

// receiveNote stores a remote post.
func (f *Federation) receiveNote(ctx context.Context, actor *storage.Account, n *NoteDoc) error {
	// A quote of one of our posts is kept, as a reply to one is: its
	// author is told, and lists it among the post's quotes.
	return f.receiveNoteAs(ctx, actor, n, n.Quote != "" && sameHost(n.Quote, f.social.BaseURL()))
}

// receiveNoteAs stores a remote post; kept keeps it even when nobody here
// follows its author (a post that quotes one of ours).
func (f *Federation) receiveNoteAs(ctx context.Context, actor *storage.Account, n *NoteDoc, kept bool) error {
	st, mentions, err := f.statusFromNote(ctx, actor, n)
	if err != nil {
		return err
	}
	st, err = f.social.ReceiveStatus(ctx, st, mentions, social.ReceiveOptions{Context: kept, Tags: hashtags(n), Media: remoteMedia(n), Poll: remotePoll(n), RemoteMentions: f.remoteMentions(ctx, n), Article: remoteArticle(n, st)})
	if err != nil || st == nil {
		return err
	}
	f.saveEmojis(ctx, actor, n.Emojis)
	if n.Quote == "" {
		return nil
	}
	return f.social.ReceiveQuote(ctx, st, social.RemoteQuote{URI: n.Quote, AuthorizationURI: n.QuoteAuthorization, Legacy: n.QuoteLegacy})
}

// maxRemoteMentions bounds the mentions of other servers' accounts looked
// up for one received note: its tags come from an untrusted server.
const maxRemoteMentions = 50

// remoteMentions returns the accounts of other servers, known here, that a
// note mentions (none is fetched): the other participants of a direct
// conversation, as Mastodon counts them.
func (f *Federation) remoteMentions(ctx context.Context, n *NoteDoc) []int64 {
	var ids []int64
	base := f.social.BaseURL()
	looked := 0
	for _, t := range n.Tags {
		if t.Type != "Mention" || t.Href == "" || sameHost(t.Href, base) {
			continue
		}
		if looked++; looked > maxRemoteMentions {
			break
		}
		if a, err := f.social.AccountByURI(ctx, t.Href); err == nil && !a.Local() {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// remotePoll is a Question's poll, or nil for other notes.
func remotePoll(n *NoteDoc) *social.RemotePoll {
	if n.Type != "Question" || len(n.PollOptions) == 0 {
		return nil
	}
	rp := &social.RemotePoll{Options: n.PollOptions, Tallies: n.PollTallies, Multiple: n.PollMultiple, ExpiresAt: n.PollEndTime, Closed: n.PollClosed != nil}
	if rp.ExpiresAt != nil {
		t := rp.ExpiresAt.UTC()
		rp.ExpiresAt = &t
	}
	if n.PollVoters != nil {
		rp.VotersCount = *n.PollVoters
	} else {
		for _, c := range n.PollTallies {
			rp.VotersCount += c // single choice: one vote per voter
		}
	}
	return rp
}

// statusFromNote turns a remote note by actor into a status to store, with
// the local accounts it mentions.
func (f *Federation) statusFromNote(ctx context.Context, actor *storage.Account, n *NoteDoc) (*storage.Status, []int64, error) {
	if n.AttributedTo != actor.URI || !sameHost(n.ID, actor.URI) {
		return nil, nil, social.ErrForbidden
	}
	published := n.Published
	if published.IsZero() || published.After(time.Now()) {
		published = time.Now()
	}
	st := &storage.Status{
		ID: storage.IDAt(published), URI: n.ID, URL: n.URL, AccountID: actor.ID,
		InReplyToURI: n.InReplyTo, Content: SanitizeHTML(n.Content), SpoilerText: n.Summary,
		Sensitive: n.Sensitive || n.Summary != "", Visibility: visibilityOf(n, actor),
		CreatedAt: published.UTC(),
	}
	if st.URL == "" {
		st.URL = st.URI
	}
	var mentions []int64
	base := f.social.BaseURL()
	for _, t := range n.Tags {
		if t.Type != "Mention" || !sameHost(t.Href, base) {
			continue
		}
		if a, err := f.social.AccountByURI(ctx, t.Href); err == nil && a.Local() {
			mentions = append(mentions, a.ID)
		}
	}
	return st, mentions, nil
}

// hashtags returns the names of a note's Hashtag tags, without the #.
func hashtags(n *NoteDoc) []string {
	var names []string
	for _, t := range n.Tags {
		name := strings.TrimPrefix(t.Name, "#")
		if t.Type == "Hashtag" && name != "" && len(name) <= 100 && !strings.ContainsAny(name, " \t\n#<>\"'") {
			names = append(names, name)
		}
	}
	return names
}

// remoteMedia lists a note's attachments that have a web address.
func remoteMedia(n *NoteDoc) []social.RemoteMedia {
	var out []social.RemoteMedia
	for _, a := range n.Attachments {
		if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			continue
		}
		out = append(out, social.RemoteMedia{
			URL: a.URL, ContentType: a.MediaType, Description: a.Name, Blurhash: a.Blurhash, Width: a.Width, Height: a.Height,
		})
	}
	return out
}

// receiveEdit applies an Update of a remote post.
func (f *Federation) receiveEdit(ctx context.Context, actor *storage.Account, n *NoteDoc) error {
	if n.AttributedTo != actor.URI {
		return social.ErrForbidden
	}
	if n.Quote != "" {
		st, err := f.social.StatusByURI(ctx, n.ID)
		switch {
		case isNotFound(err) && n.Updated == nil:
			// The approval overtook the post's Create: the Update
			// carries the whole post.
			return f.receiveNote(ctx, actor, n)
		case err == nil && st.AccountID == actor.ID:
			q := social.RemoteQuote{URI: n.Quote, AuthorizationURI: n.QuoteAuthorization, Legacy: n.QuoteLegacy}
			if err := f.social.ReceiveQuoteUpdate(ctx, st, q); err != nil {
				return err
			}
		}
		if n.Updated == nil {
			return nil // a quote's approval, not an edit of the text
		}
	}
	if rp := remotePoll(n); rp != nil {
		err := f.social.ReceivePollUpdate(ctx, actor, n.ID, *rp)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if n.Updated == nil {
			return nil // new counts, not an edit of the text
		}
	}
	at := time.Now()
	if n.Updated != nil && !n.Updated.After(at) {
		at = *n.Updated
	}
	var err error
	if isArticle(n) {
		st := &storage.Status{URL: n.URL}
		if st.URL == "" {
			st.URL = n.ID
		}
		a := remoteArticle(n, st)
		err = f.social.ReceiveUpdateArticle(ctx, actor, n.ID, st.Content, *a, n.Sensitive, at.UTC(), remoteMedia(n))
	} else {
		err = f.social.ReceiveUpdateStatus(ctx, actor, n.ID, SanitizeHTML(n.Content), n.Summary, n.Sensitive, at.UTC(), remoteMedia(n))
	}
	if err == nil {
		f.saveEmojis(ctx, actor, n.Emojis)
	}
	if isNotFound(err) {
		return nil // an edit of a post we never had
	}
	return err
}

// visibilityOf reads Mastodon's visibility from a note's addressing.
func visibilityOf(n *NoteDoc, actor *storage.Account) string {
	switch {
	case slices.Contains(n.To, PublicCollection) || slices.Contains(n.To, "as:Public") || slices.Contains(n.To, "Public"):
		return social.VisibilityPublic
	case slices.Contains(n.Cc, PublicCollection) || slices.Contains(n.Cc, "as:Public") || slices.Contains(n.Cc, "Public"):
		return social.VisibilityUnlisted
	case actor.FollowersURL != "" && (slices.Contains(n.To, actor.FollowersURL) || slices.Contains(n.Cc, actor.FollowersURL)):
		return social.VisibilityPrivate
	}
	return social.VisibilityDirect
}

// isPollVote reports whether n is a vote in one of our polls: a Note with a
// name (the option), no content, in reply to a post of ours.
func isPollVote(n *NoteDoc, base string) bool {
	return n.Name != "" && n.Content == "" && n.InReplyTo != "" && n.Type == "Note" && sameHost(n.InReplyTo, base)
}

// createsPost reports whether act is the Create of a post (not a vote), which
// is kept once by the post's id.
func createsPost(act *ActivityDoc, base string) bool {
	return act.Type == "Create" && act.Note != nil && act.Note.ID != "" && !isPollVote(act.Note, base)
}
