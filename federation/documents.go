package federation

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// profileField is one stored profile field.
type profileField struct {
	Name       string  `json:"name"`
	Value      string  `json:"value"`
	VerifiedAt *string `json:"verified_at"`
}

// actorDoc describes local account a as an ActivityPub actor.
func (f *Federation) actorDoc(a *storage.Account) ActorDoc {
	var fields []profileField
	_ = json.Unmarshal([]byte(a.Fields), &fields)
	d := ActorDoc{
		ID: a.URI, Type: a.ActorType, PreferredUsername: a.Username, Name: a.DisplayName,
		Summary: a.Note, URL: a.URL, Inbox: a.InboxURL, Outbox: a.OutboxURL,
		Followers: a.FollowersURL, Following: a.FollowingURL, Featured: a.FeaturedURL,
		SharedInbox: a.SharedInboxURL, IconURL: a.AvatarURL, ImageURL: a.HeaderURL,
		PublicKeyID: f.localKeyID(a), PublicKeyOwner: a.URI, PublicKeyPEM: a.PublicKeyPEM,
		ManuallyApprovesFollowers: a.Locked, Discoverable: a.Discoverable, Indexable: a.Indexable,
		Published: a.CreatedAt,
	}
	if a.Username == social.InstanceActorUsername {
		d.PreferredUsername = f.social.Domain()
	} else {
		d.FeaturedTags = social.FeaturedTagsURL(a)
	}
	for _, fl := range fields {
		d.Fields = append(d.Fields, PropertyValue{Name: fl.Name, Value: fl.Value})
	}
	d.AlsoKnownAs, d.MovedTo = social.Aliases(a), a.MovedToURI
	return d
}

func (f *Federation) actor(w http.ResponseWriter, r *http.Request) {
	a, err := f.social.LocalAccount(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	if !wantsActivityJSON(r) {
		http.Redirect(w, r, a.URL, http.StatusFound)
		return
	}
	body, err := MarshalActor(f.actorDoc(a))
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	writeActivityJSON(w, http.StatusOK, body)
}

func (f *Federation) instanceActor(w http.ResponseWriter, r *http.Request) {
	a, err := f.social.InstanceActor(r.Context())
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	body, err := MarshalActor(f.actorDoc(a))
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	writeActivityJSON(w, http.StatusOK, body)
}

// keyDocument serves a local actor's public key as a document of its own
// at ACTOR/main-key, where GoToSocial publishes its keys: the id, the owner
// and the PEM. It is the keyId with KeyDocuments; otherwise the actor names
// ACTOR#main-key and this document is only there for who asks.
func (f *Federation) keyDocument(w http.ResponseWriter, r *http.Request) {
	var a *storage.Account
	var err error
	if name := chi.URLParam(r, "username"); name != "" {
		a, err = f.social.LocalAccount(r.Context(), name)
	} else {
		a, err = f.social.InstanceActor(r.Context())
	}
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	body, err := json.Marshal(map[string]any{
		"@context":     []string{as2Namespace, as2SecurityNamespace},
		"id":           a.URI + "/main-key",
		"type":         "CryptographicKey",
		"owner":        a.URI,
		"publicKeyPem": a.PublicKeyPEM,
	})
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	writeActivityJSON(w, http.StatusOK, body)
}

func (f *Federation) notFoundOr(w http.ResponseWriter, r *http.Request, err error) {
	if isNotFound(err) {
		writeJSONError(w, http.StatusNotFound, "not found")
		return
	}
	f.serverError(w, r, err)
}

// audience addresses a status as Mastodon does for its visibility.
func audience(st *storage.Status, author *storage.Account, mentioned []*storage.Account) (to, cc []string) {
	var mentions []string
	for _, m := range mentioned {
		mentions = append(mentions, m.URI)
	}
	switch st.Visibility {
	case social.VisibilityPublic:
		return []string{PublicCollection}, append([]string{author.FollowersURL}, mentions...)
	case social.VisibilityUnlisted:
		return []string{author.FollowersURL}, append([]string{PublicCollection}, mentions...)
	case social.VisibilityPrivate:
		return []string{author.FollowersURL}, mentions
	default: // direct
		return mentions, nil
	}
}

// noteDoc describes local status st as a Note.
func (f *Federation) noteDoc(ctx context.Context, st *storage.Status, author *storage.Account) (NoteDoc, error) {
	mentioned, err := f.social.MentionedAccounts(ctx, st)
	if err != nil {
		return NoteDoc{}, err
	}
	to, cc := audience(st, author, mentioned)
	n := NoteDoc{
		ID: st.URI, Type: "Note", URL: st.URL, AttributedTo: author.URI, Content: st.Content,
		Summary: st.SpoilerText, InReplyTo: st.InReplyToURI, To: to, Cc: cc,
		Sensitive: st.Sensitive, Published: st.CreatedAt, Updated: st.EditedAt,
	}
	for _, m := range mentioned {
		n.Tags = append(n.Tags, Tag{Type: "Mention", Href: m.URI, Name: "@" + m.Username + "@" + mentionDomain(m, f.social.Domain())})
	}
	media, err := f.social.StatusMedia(ctx, st)
	if err != nil {
		return NoteDoc{}, err
	}
	for _, m := range media {
		n.Attachments = append(n.Attachments, Attachment{
			Type: "Document", URL: f.social.MediaURL(m), MediaType: m.ContentType, Name: m.Description,
			Blurhash: m.Blurhash, Width: m.Width, Height: m.Height,
		})
	}
	tags, err := f.social.StatusTags(ctx, st)
	if err != nil {
		return NoteDoc{}, err
	}
	for _, t := range tags {
		n.Tags = append(n.Tags, Tag{Type: "Hashtag", Href: f.social.BaseURL() + "/tags/" + t, Name: "#" + t})
	}
	f.noteQuote(ctx, st, author, &n)
	poll, err := f.social.StatusPoll(ctx, st)
	if err != nil {
		return NoteDoc{}, err
	}
	if poll != nil {
		n.Type = "Question"
		n.PollOptions, n.PollTallies, n.PollMultiple = poll.Options(), poll.Tallies(), poll.Multiple
		n.PollEndTime = poll.ExpiresAt
		voters := poll.VotersCount
		n.PollVoters = &voters
		switch {
		case poll.ClosedAt != nil && poll.ExpiresAt != nil && poll.ExpiresAt.Before(*poll.ClosedAt):
			n.PollClosed = poll.ExpiresAt
		case poll.ClosedAt != nil:
			n.PollClosed = poll.ClosedAt
		}
	}
	if err := f.articleDoc(ctx, st, &n); err != nil {
		return NoteDoc{}, err
	}
	return n, nil
}

func mentionDomain(a *storage.Account, local string) string {
	if a.Local() {
		return local
	}
	return a.Domain
}

// status serves a public or unlisted status as a Note.
func (f *Federation) status(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		writeJSONError(w, http.StatusNotFound, "not found")
		return
	}
	st, err := f.social.StatusByID(r.Context(), id)
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	if !st.Local || st.Account.Username != chi.URLParam(r, "username") || st.ReblogOfID != nil || !f.social.MayView(r.Context(), nil, st) {
		writeJSONError(w, http.StatusNotFound, "not found")
		return
	}
	if !wantsActivityJSON(r) {
		http.Redirect(w, r, st.URL, http.StatusFound)
		return
	}
	n, err := f.noteDoc(r.Context(), st, st.Account)
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	body, err := MarshalNote(n)
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	writeActivityJSON(w, http.StatusOK, body)
}

// collectionPageSize is how many items one collection page holds.
const collectionPageSize = 20

// pagedCollection serves an OrderedCollection whose first page is
// ?page=true and whose pages continue with ?page=true&max_id=N, newest
// first, as Mastodon pages them.
func (f *Federation) pagedCollection(w http.ResponseWriter, r *http.Request, total func(social.AccountCounts) int,
	page func(a *storage.Account, maxID int64) (items []json.RawMessage, next int64, err error)) {
	a, err := f.social.LocalAccount(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	id := f.social.BaseURL() + r.URL.Path
	if r.URL.Query().Get("page") == "" {
		c, err := f.social.Counts(r.Context(), a)
		if err != nil {
			f.serverError(w, r, err)
			return
		}
		n := 0
		if total != nil {
			n = total(c)
		}
		body, err := MarshalOrderedCollection(id, n, id+"?page=true")
		if err != nil {
			f.serverError(w, r, err)
			return
		}
		writeActivityJSON(w, http.StatusOK, body)
		return
	}
	var maxID int64
	if v := r.URL.Query().Get("max_id"); v != "" {
		if maxID, err = strconv.ParseInt(v, 10, 64); err != nil {
			writeJSONError(w, http.StatusBadRequest, "max_id must be a number")
			return
		}
	}
	items, next, err := page(a, maxID)
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	self := id + "?page=true"
	if maxID > 0 {
		self += "&max_id=" + strconv.FormatInt(maxID, 10)
	}
	nextURL := ""
	if next > 0 {
		nextURL = id + "?page=true&max_id=" + strconv.FormatInt(next, 10)
	}
	body, err := MarshalOrderedCollectionPage(self, id, nextURL, "", items)
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	writeActivityJSON(w, http.StatusOK, body)
}

func iriItems(uris []string) []json.RawMessage {
	items := make([]json.RawMessage, len(uris))
	for i, u := range uris {
		items[i], _ = json.Marshal(u)
	}
	return items
}

func (f *Federation) followers(w http.ResponseWriter, r *http.Request) {
	f.pagedCollection(w, r, func(c social.AccountCounts) int { return c.Followers },
		func(a *storage.Account, maxID int64) ([]json.RawMessage, int64, error) {
			uris, next, err := f.social.FollowURIs(r.Context(), a, false, maxID, collectionPageSize)
			return iriItems(uris), next, err
		})
}

func (f *Federation) following(w http.ResponseWriter, r *http.Request) {
	f.pagedCollection(w, r, func(c social.AccountCounts) int { return c.Following },
		func(a *storage.Account, maxID int64) ([]json.RawMessage, int64, error) {
			uris, next, err := f.social.FollowURIs(r.Context(), a, true, maxID, collectionPageSize)
			return iriItems(uris), next, err
		})
}

// outbox pages the account's public and unlisted posts as Create
// activities (boosts as Announce).
func (f *Federation) outbox(w http.ResponseWriter, r *http.Request) {
	f.pagedCollection(w, r, func(c social.AccountCounts) int { return c.Statuses },
		func(a *storage.Account, maxID int64) ([]json.RawMessage, int64, error) {
			sts, err := f.social.PublicStatuses(r.Context(), a, storage.Page{MaxID: maxID, Limit: collectionPageSize})
			if err != nil {
				return nil, 0, err
			}
			var items []json.RawMessage
			for _, st := range sts {
				var act ActivityDoc
				if st.ReblogOfID != nil {
					// A boost of a post that may not be shown (its author
					// suspended, the post not public) is left out.
					orig, err := f.social.StatusByID(r.Context(), *st.ReblogOfID)
					if err != nil || !f.social.MayView(r.Context(), nil, st) {
						continue
					}
					act = ActivityDoc{ID: st.URI, Type: "Announce", Actor: a.URI, Published: st.CreatedAt,
						To: []string{PublicCollection}, Cc: []string{a.FollowersURL}, ObjectID: orig.URI}
				} else {
					note, err := f.noteDoc(r.Context(), st, a)
					if err != nil {
						return nil, 0, err
					}
					act = ActivityDoc{ID: st.URI + "/activity", Type: "Create", Actor: a.URI, To: note.To, Cc: note.Cc,
						Published: st.CreatedAt, ObjectID: st.URI, Note: &note}
				}
				b, err := MarshalActivity(act)
				if err != nil {
					return nil, 0, err
				}
				items = append(items, b)
			}
			var next int64
			if len(sts) == collectionPageSize {
				next = sts[len(sts)-1].ID
			}
			return items, next, nil
		})
}

// featured is the collection of pinned posts, embedded as Notes.
func (f *Federation) featured(w http.ResponseWriter, r *http.Request) {
	a, err := f.social.LocalAccount(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	pinned, err := f.social.PinnedStatuses(r.Context(), a)
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	items := []json.RawMessage{}
	for _, st := range pinned {
		if !social.VisibleToPublic(st) {
			continue
		}
		n, err := f.noteDoc(r.Context(), st, a)
		if err != nil {
			f.serverError(w, r, err)
			return
		}
		b, err := MarshalNote(n)
		if err != nil {
			f.serverError(w, r, err)
			return
		}
		var note map[string]any
		_ = json.Unmarshal(b, &note)
		delete(note, "@context")
		b, _ = json.Marshal(note)
		items = append(items, b)
	}
	body, err := MarshalOrderedCollection(a.FeaturedURL, len(items), "")
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	// Mastodon reads the pinned posts from orderedItems on the collection
	// itself.
	var doc map[string]any
	_ = json.Unmarshal(body, &doc)
	doc["orderedItems"] = items
	out, _ := json.Marshal(doc)
	writeActivityJSON(w, http.StatusOK, out)
}

// featuredTags is the collection of the hashtags the account features,
// read by Mastodon (and by Rounds) from the actor's featuredTags. Each
// Hashtag links to the account's posts with it, as Mastodon's do.
func (f *Federation) featuredTags(w http.ResponseWriter, r *http.Request) {
	a, err := f.social.LocalAccount(r.Context(), chi.URLParam(r, "username"))
	if err != nil || a.Username == social.InstanceActorUsername {
		f.notFoundOr(w, r, social.ErrNotFound)
		return
	}
	fts, err := f.social.FeaturedTags(r.Context(), a)
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	tags := make([]Tag, 0, len(fts))
	for _, ft := range fts {
		tags = append(tags, Tag{Type: "Hashtag", Href: f.social.FeaturedTagURL(a, ft.Name), Name: "#" + ft.Name})
	}
	body, err := MarshalHashtagCollection(social.FeaturedTagsURL(a), tags)
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	writeActivityJSON(w, http.StatusOK, body)
}
