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
		PublicKeyID: a.KeyID, PublicKeyOwner: a.URI, PublicKeyPEM: a.PublicKeyPEM,
		ManuallyApprovesFollowers: a.Locked, Discoverable: a.Discoverable, Indexable: a.Indexable,
		Published: a.CreatedAt,
	}
	if a.Username == social.InstanceActorUsername {
		d.PreferredUsername = f.social.Domain()
	}
	for _, fl := range fields {
		d.Fields = append(d.Fields, PropertyValue{Name: fl.Name, Value: fl.Value})
	}
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
	if !st.Local || st.Account.Username != chi.URLParam(r, "username") || !social.VisibleToPublic(st) || st.Account.Suspended() {
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

// collection serves an OrderedCollection with its total and no pages yet
// beyond the first.
func (f *Federation) collection(w http.ResponseWriter, r *http.Request, count func(c social.AccountCounts) int) {
	a, err := f.social.LocalAccount(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		f.notFoundOr(w, r, err)
		return
	}
	c, err := f.social.Counts(r.Context(), a)
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	total := 0
	if count != nil {
		total = count(c)
	}
	body, err := MarshalOrderedCollection(f.social.BaseURL()+r.URL.Path, total, "")
	if err != nil {
		f.serverError(w, r, err)
		return
	}
	writeActivityJSON(w, http.StatusOK, body)
}

func (f *Federation) outbox(w http.ResponseWriter, r *http.Request) {
	f.collection(w, r, func(c social.AccountCounts) int { return c.Statuses })
}

func (f *Federation) followers(w http.ResponseWriter, r *http.Request) {
	f.collection(w, r, func(c social.AccountCounts) int { return c.Followers })
}

func (f *Federation) following(w http.ResponseWriter, r *http.Request) {
	f.collection(w, r, func(c social.AccountCounts) int { return c.Following })
}

func (f *Federation) featured(w http.ResponseWriter, r *http.Request) {
	f.collection(w, r, nil)
}
