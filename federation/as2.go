package federation

// Conversion between plain Go structs and ActivityStreams 2.0 JSON.
//
// The vocabulary comes from go-fed/activity's streams package: outgoing
// documents are built from streams types and serialized with
// streams.Serialize, and incoming JSON is resolved with streams.ToType so
// that a property given as a bare IRI, an embedded object, a single value or
// an array is handled the same way.
//
// go-fed v1.0.0 ships the toot (blurhash, discoverable, featured, Emoji) and
// w3id security (publicKey, owner, publicKeyPem) vocabularies, and those are
// used through their streams types. The Mastodon terms it lacks
// (manuallyApprovesFollowers, indexable, sensitive, endpoints.sharedInbox,
// Hashtag tags, PropertyValue attachments, width/height on non-Image media)
// are written into the serialized map after streams.Serialize and read back
// from the raw JSON map when parsing.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// PublicCollection is the special addressing IRI that makes an object public;
// Mastodon decides visibility by looking for it in to (public) or cc
// (unlisted).
const PublicCollection = "https://www.w3.org/ns/activitystreams#Public"

const (
	as2Namespace         = "https://www.w3.org/ns/activitystreams"
	as2SecurityNamespace = "https://w3id.org/security/v1"

	// as2MaxEmbedDepth bounds how deep embedded activities are converted
	// (Undo{Accept{Follow}} is depth 2); deeper objects only yield their id,
	// so hostile nesting cannot make us recurse without limit.
	as2MaxEmbedDepth = 4
)

// PropertyValue is one profile metadata field. Value is HTML because
// Mastodon renders it as such: escape local values before marshalling, and
// sanitize parsed remote values (SanitizeHTML) before display.
type PropertyValue struct {
	Name, Value string // Value is HTML
}

// ActorDoc is the plain form of an ActivityPub actor (Mastodon account).
type ActorDoc struct {
	ID, Type                                                   string // Type: Person, Service, Application, Group, Organization
	PreferredUsername, Name, Summary, URL                      string // Summary is HTML
	Inbox, Outbox, Followers, Following, Featured, SharedInbox string
	IconURL, IconMediaType, ImageURL, ImageMediaType           string
	PublicKeyID, PublicKeyOwner, PublicKeyPEM                  string
	ManuallyApprovesFollowers, Discoverable, Indexable         bool
	Published                                                  time.Time // zero = omit
	Fields                                                     []PropertyValue

	// FeaturedTags is Mastodon's featuredTags: the collection of the
	// hashtags the account features, as Hashtag objects.
	FeaturedTags string

	// AlsoKnownAs lists the actors this one says it also is (aliases, the
	// accounts allowed to move to it); MovedTo is the actor it moved to.
	AlsoKnownAs []string
	MovedTo     string
	// Emojis are the custom emojis its name and bio use (parsed only).
	Emojis []Emoji
}

// Tag is a Mention ("@user@host") or Hashtag ("#tag") attached to a note;
// Mastodon needs the Mention tags to notify and address mentioned users.
type Tag struct {
	Type, Href, Name string
}

// Attachment is a media attachment of a note. Type is usually "Document";
// Name is the alt text.
type Attachment struct {
	Type, URL, MediaType, Name, Blurhash string
	Width, Height                        int
}

// NoteDoc is the plain form of a post. Marshal supports Note, Article, Page
// and Question; parsing also accepts those four types and PeerTube's Video,
// and records which one it was in Type. Parsed Content/Summary are the
// sender's HTML, unsanitized.
type NoteDoc struct {
	ID, Type                                       string
	URL, AttributedTo, Content, Summary, InReplyTo string // Content/Summary HTML; Summary is the content warning
	To, Cc                                         []string
	Sensitive                                      bool
	Published                                      time.Time
	Updated                                        *time.Time
	Tags                                           []Tag
	Attachments                                    []Attachment
	PollOptions                                    []string // Question: names of oneOf/anyOf options
	// Name is a note's name: the chosen option of a poll vote.
	Name string
	// A Question's poll: anyOf rather than oneOf, each option's votes
	// (replies.totalItems), its end, when it closed, and how many voted
	// (nil: not said).
	PollMultiple bool
	PollTallies  []int
	PollEndTime  *time.Time
	PollClosed   *time.Time
	PollVoters   *int
	// Emojis are the custom emojis it uses (parsed only; see
	// fediverse_shapes.go).
	Emojis []Emoji
	// Quote is the post it quotes (quotes.go); QuoteLegacy when only a
	// pre-FEP-044f name said so; QuoteAuthorization its approval;
	// CanQuote its interactionPolicy.canQuote.
	Quote, QuoteAuthorization string
	QuoteLegacy               bool
	CanQuote                  *QuotePolicy
}

// ActivityDoc is the plain form of an activity. The object is carried either
// as an IRI (ObjectID only) or embedded in exactly one of Note, Activity or
// Actor2; ObjectID is filled in both cases when parsing.
type ActivityDoc struct {
	ID, Type, Actor string
	To, Cc          []string
	Published       time.Time    // zero = omit
	ObjectID        string       // the object's id, whether the object was a bare IRI or embedded
	Note            *NoteDoc     // set when the object is an embedded Note/Question/Article/Page
	Activity        *ActivityDoc // set when the object is an embedded activity (Undo{Follow}, Accept{Follow}, ...)
	Actor2          *ActorDoc    // set when the object is an embedded actor (Update{Person}, ...)
	Target          string
	// Objects are every object's id when there are several (a Flag names
	// an account and its posts); when set, marshalling writes them as the
	// object list instead of ObjectID.
	Objects []string
	// Content is an activity's own content (a Flag's comment).
	Content string
	// FEP-044f (quotes.go): a QuoteRequest's instrument, embedded or not,
	// and an Accept's result.
	Instrument, Result string
	InstrumentNote     *NoteDoc
}

// as2Context returns the @context Mastodon emits. It is rebuilt on every call
// so a caller mutating one serialized document cannot affect the next.
func as2Context() []interface{} {
	return []interface{}{
		as2Namespace,
		as2SecurityNamespace,
		map[string]interface{}{
			"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
			"toot":                      "http://joinmastodon.org/ns#",
			"featured":                  map[string]interface{}{"@id": "toot:featured", "@type": "@id"},
			"featuredTags":              map[string]interface{}{"@id": "toot:featuredTags", "@type": "@id"},
			"discoverable":              "toot:discoverable",
			"indexable":                 "toot:indexable",
			"sensitive":                 "as:sensitive",
			"Hashtag":                   "as:Hashtag",
			"schema":                    "http://schema.org#",
			"PropertyValue":             "schema:PropertyValue",
			"value":                     "schema:value",
			"blurhash":                  "toot:blurhash",
			"alsoKnownAs":               map[string]interface{}{"@id": "as:alsoKnownAs", "@type": "@id"},
			"movedTo":                   map[string]interface{}{"@id": "as:movedTo", "@type": "@id"},
		},
	}
}

// ---------------------------------------------------------------------------
// Marshalling

// MarshalActor renders an actor document. ID, Inbox and PreferredUsername
// are required because Mastodon rejects actors without them; an empty Type
// means Person. The public key is emitted when PublicKeyPEM is set, with
// PublicKeyOwner defaulting to ID.
func MarshalActor(d ActorDoc) ([]byte, error) {
	t, err := as2BuildActor(d)
	if err != nil {
		return nil, fmt.Errorf("federation: marshal actor: %w", err)
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("federation: marshal actor: %w", err)
	}
	as2PatchActor(m, d)
	return as2Finish(m)
}

// MarshalNote renders a standalone note document (with @context), as served
// when a remote server dereferences the note's id.
func MarshalNote(d NoteDoc) ([]byte, error) {
	t, err := as2BuildNote(d)
	if err != nil {
		return nil, fmt.Errorf("federation: marshal note: %w", err)
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("federation: marshal note: %w", err)
	}
	as2PatchNote(m, d)
	return as2Finish(m)
}

// MarshalActivity renders an activity. The object is embedded from Note,
// Activity or Actor2 when one is set (at most one may be), else ObjectID is
// written as a bare IRI. ID, Type and Actor are required.
func MarshalActivity(a ActivityDoc) ([]byte, error) {
	t, err := as2BuildActivity(a, 0)
	if err != nil {
		return nil, fmt.Errorf("federation: marshal activity: %w", err)
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("federation: marshal activity: %w", err)
	}
	as2PatchActivity(m, a)
	return as2Finish(m)
}

// MarshalOrderedCollection renders the top of a paged collection (outbox,
// followers, ...): its size and a link to the first page. first "" omits it,
// which is how a hidden followers list is still counted.
func MarshalOrderedCollection(id string, totalItems int, first string) ([]byte, error) {
	if totalItems < 0 {
		return nil, fmt.Errorf("federation: marshal collection: negative totalItems %d", totalItems)
	}
	var b as2Builder
	c := streams.NewActivityStreamsOrderedCollection()
	c.SetJSONLDId(b.id(id))
	n := streams.NewActivityStreamsTotalItemsProperty()
	n.Set(totalItems)
	c.SetActivityStreamsTotalItems(n)
	if first != "" {
		f := streams.NewActivityStreamsFirstProperty()
		f.SetIRI(b.iri("first", first))
		c.SetActivityStreamsFirst(f)
	}
	if b.err != nil {
		return nil, fmt.Errorf("federation: marshal collection: %w", b.err)
	}
	m, err := streams.Serialize(c)
	if err != nil {
		return nil, fmt.Errorf("federation: marshal collection: %w", err)
	}
	return as2Finish(m)
}

// MarshalOrderedCollectionPage renders one page of a collection. items are
// embedded verbatim and must each be a JSON string (an IRI) or a JSON object
// (e.g. a Create from MarshalActivity); they are not re-parsed so that
// extension terms go-fed does not model survive. next/prev "" are omitted.
func MarshalOrderedCollectionPage(id, partOf, next, prev string, items []json.RawMessage) ([]byte, error) {
	var b as2Builder
	p := streams.NewActivityStreamsOrderedCollectionPage()
	p.SetJSONLDId(b.id(id))
	po := streams.NewActivityStreamsPartOfProperty()
	po.SetIRI(b.iri("partOf", partOf))
	p.SetActivityStreamsPartOf(po)
	if next != "" {
		n := streams.NewActivityStreamsNextProperty()
		n.SetIRI(b.iri("next", next))
		p.SetActivityStreamsNext(n)
	}
	if prev != "" {
		pr := streams.NewActivityStreamsPrevProperty()
		pr.SetIRI(b.iri("prev", prev))
		p.SetActivityStreamsPrev(pr)
	}
	if b.err != nil {
		return nil, fmt.Errorf("federation: marshal collection page: %w", b.err)
	}
	ordered := make([]json.RawMessage, 0, len(items))
	for i, it := range items {
		trimmed := bytes.TrimSpace(it)
		if len(trimmed) == 0 || !json.Valid(trimmed) || (trimmed[0] != '"' && trimmed[0] != '{') {
			return nil, fmt.Errorf("federation: marshal collection page: item %d is not a JSON string or object", i)
		}
		ordered = append(ordered, json.RawMessage(trimmed))
	}
	m, err := streams.Serialize(p)
	if err != nil {
		return nil, fmt.Errorf("federation: marshal collection page: %w", err)
	}
	// Always an array, even when empty, as Mastodon emits it.
	m["orderedItems"] = ordered
	return as2Finish(m)
}

// as2Finish sets the Mastodon @context (replacing go-fed's, which lists
// vocabularies in map order and lacks the extension term definitions) and
// encodes without HTML escaping so post content stays readable.
func as2Finish(m map[string]interface{}) ([]byte, error) {
	m["@context"] = as2Context()
	as2QuoteContext(m)
	if as2HasPoll(m) {
		// Only documents with a poll use the term, as Mastodon defines it.
		ctx := m["@context"].([]interface{})
		ctx[len(ctx)-1].(map[string]interface{})["votersCount"] = "toot:votersCount"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("federation: encode json: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// as2Builder collects the first IRI error while a streams value is built, so
// the builders read as straight-line code instead of an error check per field.
type as2Builder struct{ err error }

// iri parses an absolute IRI; on error it records it and returns a non-nil
// placeholder so that nothing downstream dereferences nil.
func (b *as2Builder) iri(field, s string) *url.URL {
	u, err := as2AbsIRI(s)
	if err != nil {
		if b.err == nil {
			b.err = fmt.Errorf("%s: %w", field, err)
		}
		return &url.URL{}
	}
	return u
}

// id builds an "id" property.
func (b *as2Builder) id(s string) vocab.JSONLDIdProperty {
	p := streams.NewJSONLDIdProperty()
	p.Set(b.iri("id", s))
	return p
}

// as2AbsIRI parses s and insists on a scheme and host: relative or opaque
// references are meaningless to a remote server.
func as2AbsIRI(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("empty IRI")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid IRI %.100q: %w", s, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%.100q is not an absolute IRI", s)
	}
	return u, nil
}

// as2Actor is the part of go-fed's actor types (Person, Service, ...) that we
// set and read; all five implement it, which lets one code path serve them.
type as2Actor interface {
	vocab.Type
	GetActivityStreamsPreferredUsername() vocab.ActivityStreamsPreferredUsernameProperty
	SetActivityStreamsPreferredUsername(vocab.ActivityStreamsPreferredUsernameProperty)
	GetActivityStreamsName() vocab.ActivityStreamsNameProperty
	SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
	GetActivityStreamsSummary() vocab.ActivityStreamsSummaryProperty
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	GetActivityStreamsUrl() vocab.ActivityStreamsUrlProperty
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
	GetActivityStreamsInbox() vocab.ActivityStreamsInboxProperty
	SetActivityStreamsInbox(vocab.ActivityStreamsInboxProperty)
	GetActivityStreamsOutbox() vocab.ActivityStreamsOutboxProperty
	SetActivityStreamsOutbox(vocab.ActivityStreamsOutboxProperty)
	GetActivityStreamsFollowers() vocab.ActivityStreamsFollowersProperty
	SetActivityStreamsFollowers(vocab.ActivityStreamsFollowersProperty)
	GetActivityStreamsFollowing() vocab.ActivityStreamsFollowingProperty
	SetActivityStreamsFollowing(vocab.ActivityStreamsFollowingProperty)
	GetActivityStreamsIcon() vocab.ActivityStreamsIconProperty
	SetActivityStreamsIcon(vocab.ActivityStreamsIconProperty)
	GetActivityStreamsImage() vocab.ActivityStreamsImageProperty
	SetActivityStreamsImage(vocab.ActivityStreamsImageProperty)
	GetActivityStreamsPublished() vocab.ActivityStreamsPublishedProperty
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	GetTootFeatured() vocab.TootFeaturedProperty
	SetTootFeatured(vocab.TootFeaturedProperty)
	GetTootDiscoverable() vocab.TootDiscoverableProperty
	SetTootDiscoverable(vocab.TootDiscoverableProperty)
	GetW3IDSecurityV1PublicKey() vocab.W3IDSecurityV1PublicKeyProperty
	SetW3IDSecurityV1PublicKey(vocab.W3IDSecurityV1PublicKeyProperty)
}

// as2NewActor maps an actor type name to a fresh go-fed value.
func as2NewActor(typ string) (as2Actor, error) {
	switch typ {
	case "Person", "":
		return streams.NewActivityStreamsPerson(), nil
	case "Service":
		return streams.NewActivityStreamsService(), nil
	case "Application":
		return streams.NewActivityStreamsApplication(), nil
	case "Group":
		return streams.NewActivityStreamsGroup(), nil
	case "Organization":
		return streams.NewActivityStreamsOrganization(), nil
	}
	return nil, fmt.Errorf("unsupported actor type %q", typ)
}

// as2IsActorType reports whether typ is one of the AS2 actor types.
func as2IsActorType(typ string) bool {
	switch typ {
	case "Person", "Service", "Application", "Group", "Organization":
		return true
	}
	return false
}

// as2BuildActor builds the go-fed value for d, without the terms go-fed
// lacks (see as2PatchActor).
func as2BuildActor(d ActorDoc) (as2Actor, error) {
	a, err := as2NewActor(d.Type)
	if err != nil {
		return nil, err
	}
	if d.Inbox == "" {
		return nil, errors.New("missing inbox")
	}
	if d.PreferredUsername == "" {
		return nil, errors.New("missing preferredUsername")
	}
	var b as2Builder
	a.SetJSONLDId(b.id(d.ID))

	pu := streams.NewActivityStreamsPreferredUsernameProperty()
	pu.SetXMLSchemaString(d.PreferredUsername)
	a.SetActivityStreamsPreferredUsername(pu)
	if d.Name != "" {
		n := streams.NewActivityStreamsNameProperty()
		n.AppendXMLSchemaString(d.Name)
		a.SetActivityStreamsName(n)
	}
	if d.Summary != "" {
		s := streams.NewActivityStreamsSummaryProperty()
		s.AppendXMLSchemaString(d.Summary)
		a.SetActivityStreamsSummary(s)
	}
	if d.URL != "" {
		u := streams.NewActivityStreamsUrlProperty()
		u.AppendIRI(b.iri("url", d.URL))
		a.SetActivityStreamsUrl(u)
	}
	in := streams.NewActivityStreamsInboxProperty()
	in.SetIRI(b.iri("inbox", d.Inbox))
	a.SetActivityStreamsInbox(in)
	if d.Outbox != "" {
		p := streams.NewActivityStreamsOutboxProperty()
		p.SetIRI(b.iri("outbox", d.Outbox))
		a.SetActivityStreamsOutbox(p)
	}
	if d.Followers != "" {
		p := streams.NewActivityStreamsFollowersProperty()
		p.SetIRI(b.iri("followers", d.Followers))
		a.SetActivityStreamsFollowers(p)
	}
	if d.Following != "" {
		p := streams.NewActivityStreamsFollowingProperty()
		p.SetIRI(b.iri("following", d.Following))
		a.SetActivityStreamsFollowing(p)
	}
	if d.Featured != "" {
		p := streams.NewTootFeaturedProperty()
		p.SetIRI(b.iri("featured", d.Featured))
		a.SetTootFeatured(p)
	}
	disc := streams.NewTootDiscoverableProperty()
	disc.Set(d.Discoverable)
	a.SetTootDiscoverable(disc)
	if d.IconURL != "" {
		p := streams.NewActivityStreamsIconProperty()
		p.AppendActivityStreamsImage(as2NewImage(&b, "icon", d.IconURL, d.IconMediaType))
		a.SetActivityStreamsIcon(p)
	}
	if d.ImageURL != "" {
		p := streams.NewActivityStreamsImageProperty()
		p.AppendActivityStreamsImage(as2NewImage(&b, "image", d.ImageURL, d.ImageMediaType))
		a.SetActivityStreamsImage(p)
	}
	if !d.Published.IsZero() {
		p := streams.NewActivityStreamsPublishedProperty()
		p.Set(d.Published.UTC())
		a.SetActivityStreamsPublished(p)
	}
	if d.PublicKeyPEM != "" {
		owner := d.PublicKeyOwner
		if owner == "" {
			owner = d.ID
		}
		k := streams.NewW3IDSecurityV1PublicKey()
		kid := streams.NewJSONLDIdProperty()
		kid.Set(b.iri("publicKey.id", d.PublicKeyID))
		k.SetJSONLDId(kid)
		o := streams.NewW3IDSecurityV1OwnerProperty()
		o.Set(b.iri("publicKey.owner", owner))
		k.SetW3IDSecurityV1Owner(o)
		pem := streams.NewW3IDSecurityV1PublicKeyPemProperty()
		pem.Set(d.PublicKeyPEM)
		k.SetW3IDSecurityV1PublicKeyPem(pem)
		p := streams.NewW3IDSecurityV1PublicKeyProperty()
		p.AppendW3IDSecurityV1PublicKey(k)
		a.SetW3IDSecurityV1PublicKey(p)
	}
	if d.SharedInbox != "" {
		b.iri("endpoints.sharedInbox", d.SharedInbox) // validated here, written in as2PatchActor
	}
	if b.err != nil {
		return nil, b.err
	}
	return a, nil
}

// as2NewImage builds the Image object Mastodon uses for avatars and headers.
func as2NewImage(b *as2Builder, field, href, mediaType string) vocab.ActivityStreamsImage {
	img := streams.NewActivityStreamsImage()
	u := streams.NewActivityStreamsUrlProperty()
	u.AppendIRI(b.iri(field, href))
	img.SetActivityStreamsUrl(u)
	if mediaType != "" {
		mt := streams.NewActivityStreamsMediaTypeProperty()
		mt.Set(mediaType)
		img.SetActivityStreamsMediaType(mt)
	}
	return img
}

// as2PatchActor adds the actor terms go-fed v1.0.0 has no type for.
func as2PatchActor(m map[string]interface{}, d ActorDoc) {
	m["manuallyApprovesFollowers"] = d.ManuallyApprovesFollowers
	m["indexable"] = d.Indexable
	if d.FeaturedTags != "" {
		m["featuredTags"] = d.FeaturedTags
	}
	if d.SharedInbox != "" {
		m["endpoints"] = map[string]interface{}{"sharedInbox": d.SharedInbox}
	}
	if len(d.AlsoKnownAs) > 0 {
		aka := make([]interface{}, len(d.AlsoKnownAs))
		for i, s := range d.AlsoKnownAs {
			aka[i] = s
		}
		m["alsoKnownAs"] = aka
	}
	if d.MovedTo != "" {
		m["movedTo"] = d.MovedTo
	}
	if len(d.Fields) > 0 {
		att := make([]interface{}, 0, len(d.Fields))
		for _, f := range d.Fields {
			att = append(att, map[string]interface{}{"type": "PropertyValue", "name": f.Name, "value": f.Value})
		}
		m["attachment"] = att
	}
}

// as2NoteLike is the part of go-fed's Note, Article, Page and Question that
// we set and read.
type as2NoteLike interface {
	vocab.Type
	GetActivityStreamsUrl() vocab.ActivityStreamsUrlProperty
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
	GetActivityStreamsAttributedTo() vocab.ActivityStreamsAttributedToProperty
	SetActivityStreamsAttributedTo(vocab.ActivityStreamsAttributedToProperty)
	GetActivityStreamsContent() vocab.ActivityStreamsContentProperty
	SetActivityStreamsContent(vocab.ActivityStreamsContentProperty)
	GetActivityStreamsSummary() vocab.ActivityStreamsSummaryProperty
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	GetActivityStreamsInReplyTo() vocab.ActivityStreamsInReplyToProperty
	SetActivityStreamsInReplyTo(vocab.ActivityStreamsInReplyToProperty)
	GetActivityStreamsTo() vocab.ActivityStreamsToProperty
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
	GetActivityStreamsCc() vocab.ActivityStreamsCcProperty
	SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
	GetActivityStreamsPublished() vocab.ActivityStreamsPublishedProperty
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	GetActivityStreamsUpdated() vocab.ActivityStreamsUpdatedProperty
	SetActivityStreamsUpdated(vocab.ActivityStreamsUpdatedProperty)
	GetActivityStreamsTag() vocab.ActivityStreamsTagProperty
	SetActivityStreamsTag(vocab.ActivityStreamsTagProperty)
	GetActivityStreamsAttachment() vocab.ActivityStreamsAttachmentProperty
	SetActivityStreamsAttachment(vocab.ActivityStreamsAttachmentProperty)
}

// as2NewNoteLike maps a note type name to a fresh go-fed value.
func as2NewNoteLike(typ string) (as2NoteLike, error) {
	switch typ {
	case "Note", "":
		return streams.NewActivityStreamsNote(), nil
	case "Article":
		return streams.NewActivityStreamsArticle(), nil
	case "Page":
		return streams.NewActivityStreamsPage(), nil
	case "Question":
		return streams.NewActivityStreamsQuestion(), nil
	}
	return nil, fmt.Errorf("unsupported note type %q", typ)
}

// as2IsNoteType reports whether typ is parsed into a NoteDoc.
func as2IsNoteType(typ string) bool {
	switch typ {
	case "Note", "Article", "Page", "Question", "Video":
		return true
	}
	return false
}

// as2Media is the part of go-fed's Document, Image, Video and Audio used for
// attachments (all four carry toot:blurhash in go-fed).
type as2Media interface {
	vocab.Type
	GetActivityStreamsUrl() vocab.ActivityStreamsUrlProperty
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
	GetActivityStreamsMediaType() vocab.ActivityStreamsMediaTypeProperty
	SetActivityStreamsMediaType(vocab.ActivityStreamsMediaTypeProperty)
	GetActivityStreamsName() vocab.ActivityStreamsNameProperty
	SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
	GetTootBlurhash() vocab.TootBlurhashProperty
	SetTootBlurhash(vocab.TootBlurhashProperty)
}

// as2NewMedia maps an attachment type name to a fresh go-fed value.
func as2NewMedia(typ string) (as2Media, error) {
	switch typ {
	case "Document", "":
		return streams.NewActivityStreamsDocument(), nil
	case "Image":
		return streams.NewActivityStreamsImage(), nil
	case "Video":
		return streams.NewActivityStreamsVideo(), nil
	case "Audio":
		return streams.NewActivityStreamsAudio(), nil
	}
	return nil, fmt.Errorf("unsupported attachment type %q", typ)
}

// as2IsMediaType reports whether typ is parsed as a media attachment; Page
// has the same go-fed accessors but is not media.
func as2IsMediaType(typ string) bool {
	switch typ {
	case "Document", "Image", "Video", "Audio":
		return true
	}
	return false
}

// as2BuildNote builds the go-fed value for d, without the terms go-fed lacks
// (see as2PatchNote).
func as2BuildNote(d NoteDoc) (as2NoteLike, error) {
	n, err := as2NewNoteLike(d.Type)
	if err != nil {
		return nil, err
	}
	var b as2Builder
	n.SetJSONLDId(b.id(d.ID))
	if d.URL != "" {
		p := streams.NewActivityStreamsUrlProperty()
		p.AppendIRI(b.iri("url", d.URL))
		n.SetActivityStreamsUrl(p)
	}
	if d.AttributedTo != "" {
		p := streams.NewActivityStreamsAttributedToProperty()
		p.AppendIRI(b.iri("attributedTo", d.AttributedTo))
		n.SetActivityStreamsAttributedTo(p)
	}
	if d.Content != "" {
		p := streams.NewActivityStreamsContentProperty()
		p.AppendXMLSchemaString(d.Content)
		n.SetActivityStreamsContent(p)
	}
	if d.Summary != "" {
		p := streams.NewActivityStreamsSummaryProperty()
		p.AppendXMLSchemaString(d.Summary)
		n.SetActivityStreamsSummary(p)
	}
	if d.InReplyTo != "" {
		p := streams.NewActivityStreamsInReplyToProperty()
		p.AppendIRI(b.iri("inReplyTo", d.InReplyTo))
		n.SetActivityStreamsInReplyTo(p)
	}
	if len(d.To) > 0 {
		p := streams.NewActivityStreamsToProperty()
		for _, s := range d.To {
			p.AppendIRI(b.iri("to", s))
		}
		n.SetActivityStreamsTo(p)
	}
	if len(d.Cc) > 0 {
		p := streams.NewActivityStreamsCcProperty()
		for _, s := range d.Cc {
			p.AppendIRI(b.iri("cc", s))
		}
		n.SetActivityStreamsCc(p)
	}
	if !d.Published.IsZero() {
		p := streams.NewActivityStreamsPublishedProperty()
		p.Set(d.Published.UTC())
		n.SetActivityStreamsPublished(p)
	}
	if d.Updated != nil && !d.Updated.IsZero() {
		p := streams.NewActivityStreamsUpdatedProperty()
		p.Set(d.Updated.UTC())
		n.SetActivityStreamsUpdated(p)
	}
	// Only Mentions have a go-fed type; Hashtags are spliced in afterwards
	// by as2PatchNote, which also restores the original order.
	var mentions vocab.ActivityStreamsTagProperty
	for _, tg := range d.Tags {
		if tg.Type != "Mention" {
			if tg.Href != "" {
				b.iri("tag.href", tg.Href)
			}
			continue
		}
		mt := streams.NewActivityStreamsMention()
		h := streams.NewActivityStreamsHrefProperty()
		h.Set(b.iri("tag.href", tg.Href))
		mt.SetActivityStreamsHref(h)
		if tg.Name != "" {
			nm := streams.NewActivityStreamsNameProperty()
			nm.AppendXMLSchemaString(tg.Name)
			mt.SetActivityStreamsName(nm)
		}
		if mentions == nil {
			mentions = streams.NewActivityStreamsTagProperty()
		}
		mentions.AppendActivityStreamsMention(mt)
	}
	if mentions != nil {
		n.SetActivityStreamsTag(mentions)
	}
	if len(d.Attachments) > 0 {
		p := streams.NewActivityStreamsAttachmentProperty()
		for _, at := range d.Attachments {
			md, err := as2NewMedia(at.Type)
			if err != nil {
				return nil, err
			}
			u := streams.NewActivityStreamsUrlProperty()
			u.AppendIRI(b.iri("attachment.url", at.URL))
			md.SetActivityStreamsUrl(u)
			if at.MediaType != "" {
				mt := streams.NewActivityStreamsMediaTypeProperty()
				mt.Set(at.MediaType)
				md.SetActivityStreamsMediaType(mt)
			}
			if at.Name != "" {
				nm := streams.NewActivityStreamsNameProperty()
				nm.AppendXMLSchemaString(at.Name)
				md.SetActivityStreamsName(nm)
			}
			if at.Blurhash != "" {
				bh := streams.NewTootBlurhashProperty()
				bh.Set(at.Blurhash)
				md.SetTootBlurhash(bh)
			}
			if err := p.AppendType(md); err != nil {
				return nil, fmt.Errorf("attachment: %w", err)
			}
		}
		n.SetActivityStreamsAttachment(p)
	}
	if d.Name != "" {
		if g, ok := n.(interface {
			SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
		}); ok {
			nm := streams.NewActivityStreamsNameProperty()
			nm.AppendXMLSchemaString(d.Name)
			g.SetActivityStreamsName(nm)
		}
	}
	if len(d.PollOptions) > 0 {
		q, ok := n.(vocab.ActivityStreamsQuestion)
		if !ok {
			return nil, fmt.Errorf("poll options on a %s", n.GetTypeName())
		}
		p := streams.NewActivityStreamsOneOfProperty()
		for _, o := range d.PollOptions {
			opt := streams.NewActivityStreamsNote()
			nm := streams.NewActivityStreamsNameProperty()
			nm.AppendXMLSchemaString(o)
			opt.SetActivityStreamsName(nm)
			p.AppendActivityStreamsNote(opt)
		}
		q.SetActivityStreamsOneOf(p)
	}
	if b.err != nil {
		return nil, b.err
	}
	return n, nil
}

// as2PatchNote adds the note terms go-fed v1.0.0 has no type for: sensitive,
// Hashtag tags and attachment width/height (go-fed only models those on
// Image). It also makes to/cc/tag/attachment arrays, as Mastodon emits them.
func as2PatchNote(m map[string]interface{}, d NoteDoc) {
	m["sensitive"] = d.Sensitive
	as2PatchQuote(m, d)
	as2ArrayKeys(m, "to", "cc")
	as2PatchPoll(m, d)

	if len(d.Tags) > 0 {
		mentions := as2List(m["tag"])
		tags := make([]interface{}, 0, len(d.Tags))
		mi := 0
		for _, tg := range d.Tags {
			if tg.Type == "Mention" {
				if mi < len(mentions) {
					tags = append(tags, mentions[mi])
					mi++
				}
				continue
			}
			typ := tg.Type
			if typ == "" {
				typ = "Hashtag"
			}
			t := map[string]interface{}{"type": typ}
			if tg.Href != "" {
				t["href"] = tg.Href
			}
			if tg.Name != "" {
				t["name"] = tg.Name
			}
			tags = append(tags, t)
		}
		m["tag"] = tags
	}

	if len(d.Attachments) > 0 {
		atts := as2List(m["attachment"])
		for i, at := range d.Attachments {
			if i >= len(atts) {
				break
			}
			am, ok := atts[i].(map[string]interface{})
			if !ok {
				continue
			}
			if at.Width > 0 {
				am["width"] = at.Width
			}
			if at.Height > 0 {
				am["height"] = at.Height
			}
		}
		m["attachment"] = atts
	}
}

// as2PatchPoll writes a Question's poll as Mastodon does: anyOf for a
// multiple-choice poll, each option's votes as replies.totalItems, endTime,
// closed and votersCount.
func as2PatchPoll(m map[string]interface{}, d NoteDoc) {
	if len(d.PollOptions) == 0 {
		return
	}
	opts := as2List(m["oneOf"])
	for i, o := range opts {
		om, ok := o.(map[string]interface{})
		if !ok {
			continue
		}
		n := 0
		if i < len(d.PollTallies) {
			n = d.PollTallies[i]
		}
		om["replies"] = map[string]interface{}{"type": "Collection", "totalItems": n}
	}
	delete(m, "oneOf")
	if d.PollMultiple {
		m["anyOf"] = opts
	} else {
		m["oneOf"] = opts
	}
	if d.PollEndTime != nil {
		m["endTime"] = d.PollEndTime.UTC().Format(time.RFC3339)
	}
	if d.PollClosed != nil {
		m["closed"] = d.PollClosed.UTC().Format(time.RFC3339)
	}
	if d.PollVoters != nil {
		m["votersCount"] = *d.PollVoters
	}
}

// as2HasPoll reports whether m, or the object it embeds, has votersCount.
func as2HasPoll(m map[string]interface{}) bool {
	if _, ok := m["votersCount"]; ok {
		return true
	}
	obj, ok := m["object"].(map[string]interface{})
	if !ok {
		return false
	}
	_, ok = obj["votersCount"]
	return ok
}

// as2PollFrom reads what go-fed does not model of a Question's poll from
// its raw map: which kind, the votes of each option, end, closing, voters.
func as2PollFrom(d *NoteDoc, raw map[string]interface{}) {
	key := "oneOf"
	if _, ok := raw["anyOf"]; ok {
		key, d.PollMultiple = "anyOf", true
	}
	for _, o := range as2List(raw[key]) {
		om, ok := o.(map[string]interface{})
		if !ok || as2RawText(as2Lookup(om, "name")) == "" {
			continue
		}
		n := 0
		if rm, ok := om["replies"].(map[string]interface{}); ok {
			n = as2RawInt(rm["totalItems"])
		}
		d.PollTallies = append(d.PollTallies, n)
	}
	if t, err := time.Parse(time.RFC3339, as2RawString(raw["endTime"])); err == nil {
		d.PollEndTime = &t
	}
	switch c := raw["closed"].(type) {
	case string:
		if t, err := time.Parse(time.RFC3339, c); err == nil {
			d.PollClosed = &t
		}
	case bool:
		if c {
			t := time.Now()
			if d.PollEndTime != nil && d.PollEndTime.Before(t) {
				t = *d.PollEndTime
			}
			d.PollClosed = &t
		}
	}
	if _, ok := raw["votersCount"]; ok {
		v := as2RawInt(raw["votersCount"])
		d.PollVoters = &v
	}
}

// as2Activity is the part of go-fed's transitive activity types that we set.
type as2Activity interface {
	vocab.Type
	SetActivityStreamsActor(vocab.ActivityStreamsActorProperty)
	SetActivityStreamsObject(vocab.ActivityStreamsObjectProperty)
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
	SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetActivityStreamsTarget(vocab.ActivityStreamsTargetProperty)
}

// as2NewActivity maps an activity type name to a fresh go-fed value. Only
// transitive activities are listed: every ActivityDoc may carry an object.
func as2NewActivity(typ string) (as2Activity, error) {
	switch typ {
	case "Accept":
		return streams.NewActivityStreamsAccept(), nil
	case "Add":
		return streams.NewActivityStreamsAdd(), nil
	case "Announce":
		return streams.NewActivityStreamsAnnounce(), nil
	case "Block":
		return streams.NewActivityStreamsBlock(), nil
	case "Create":
		return streams.NewActivityStreamsCreate(), nil
	case "Delete":
		return streams.NewActivityStreamsDelete(), nil
	case "Dislike":
		return streams.NewActivityStreamsDislike(), nil
	case "Flag":
		return streams.NewActivityStreamsFlag(), nil
	case "Follow":
		return streams.NewActivityStreamsFollow(), nil
	case "Ignore":
		return streams.NewActivityStreamsIgnore(), nil
	case "Invite":
		return streams.NewActivityStreamsInvite(), nil
	case "Join":
		return streams.NewActivityStreamsJoin(), nil
	case "Leave":
		return streams.NewActivityStreamsLeave(), nil
	case "Like":
		return streams.NewActivityStreamsLike(), nil
	case "Listen":
		return streams.NewActivityStreamsListen(), nil
	case "Move":
		return streams.NewActivityStreamsMove(), nil
	case "Offer":
		return streams.NewActivityStreamsOffer(), nil
	case "Read":
		return streams.NewActivityStreamsRead(), nil
	case "Reject":
		return streams.NewActivityStreamsReject(), nil
	case "Remove":
		return streams.NewActivityStreamsRemove(), nil
	case "TentativeAccept":
		return streams.NewActivityStreamsTentativeAccept(), nil
	case "TentativeReject":
		return streams.NewActivityStreamsTentativeReject(), nil
	case "Undo":
		return streams.NewActivityStreamsUndo(), nil
	case "Update":
		return streams.NewActivityStreamsUpdate(), nil
	case "View":
		return streams.NewActivityStreamsView(), nil
	}
	return nil, fmt.Errorf("unsupported activity type %q", typ)
}

// as2BuildActivity builds the go-fed value for a, embedding its object.
// Embedded activities (depth > 0) may lack an id, since some servers send
// Accept{Follow} with an anonymous Follow.
func as2BuildActivity(a ActivityDoc, depth int) (as2Activity, error) {
	if depth > as2MaxEmbedDepth {
		return nil, errors.New("activities nested too deeply")
	}
	act, err := as2NewActivity(a.Type)
	if err != nil {
		return nil, err
	}
	if a.Actor == "" {
		return nil, fmt.Errorf("%s: missing actor", a.Type)
	}
	var b as2Builder
	if a.ID != "" || depth == 0 {
		act.SetJSONLDId(b.id(a.ID))
	}
	ap := streams.NewActivityStreamsActorProperty()
	ap.AppendIRI(b.iri("actor", a.Actor))
	act.SetActivityStreamsActor(ap)
	if len(a.To) > 0 {
		p := streams.NewActivityStreamsToProperty()
		for _, s := range a.To {
			p.AppendIRI(b.iri("to", s))
		}
		act.SetActivityStreamsTo(p)
	}
	if len(a.Cc) > 0 {
		p := streams.NewActivityStreamsCcProperty()
		for _, s := range a.Cc {
			p.AppendIRI(b.iri("cc", s))
		}
		act.SetActivityStreamsCc(p)
	}
	if !a.Published.IsZero() {
		p := streams.NewActivityStreamsPublishedProperty()
		p.Set(a.Published.UTC())
		act.SetActivityStreamsPublished(p)
	}
	if a.Target != "" {
		p := streams.NewActivityStreamsTargetProperty()
		p.AppendIRI(b.iri("target", a.Target))
		act.SetActivityStreamsTarget(p)
	}
	if b.err != nil {
		return nil, b.err
	}

	embedded := 0
	for _, set := range []bool{a.Note != nil, a.Activity != nil, a.Actor2 != nil} {
		if set {
			embedded++
		}
	}
	if embedded > 1 {
		return nil, errors.New("more than one of Note, Activity and Actor2 set")
	}
	obj := streams.NewActivityStreamsObjectProperty()
	var t vocab.Type
	switch {
	case a.Note != nil:
		t, err = as2BuildNote(*a.Note)
	case a.Activity != nil:
		t, err = as2BuildActivity(*a.Activity, depth+1)
	case a.Actor2 != nil:
		t, err = as2BuildActor(*a.Actor2)
	case a.ObjectID != "":
		obj.AppendIRI(b.iri("object", a.ObjectID))
	}
	if err != nil {
		return nil, fmt.Errorf("object: %w", err)
	}
	if t != nil {
		if err := obj.AppendType(t); err != nil {
			return nil, fmt.Errorf("object: %w", err)
		}
	}
	if b.err != nil {
		return nil, b.err
	}
	if obj.Len() > 0 {
		act.SetActivityStreamsObject(obj)
	}
	return act, nil
}

// as2PatchActivity adds the non-go-fed terms of a and of its embedded object.
func as2PatchActivity(m map[string]interface{}, a ActivityDoc) {
	as2ArrayKeys(m, "to", "cc")
	if len(a.Objects) > 0 {
		list := make([]interface{}, len(a.Objects))
		for i, o := range a.Objects {
			list[i] = o
		}
		m["object"] = list
	}
	if a.Content != "" {
		m["content"] = a.Content
	}
	obj, ok := m["object"].(map[string]interface{})
	if !ok {
		return
	}
	switch {
	case a.Note != nil:
		as2PatchNote(obj, *a.Note)
	case a.Activity != nil:
		as2PatchActivity(obj, *a.Activity)
	case a.Actor2 != nil:
		as2PatchActor(obj, *a.Actor2)
	}
}

// as2ArrayKeys turns single values into one-element arrays; go-fed collapses
// one-element lists, but Mastodon always emits addressing as arrays and some
// implementations only accept that form.
func as2ArrayKeys(m map[string]interface{}, keys ...string) {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			m[k] = as2List(v)
		}
	}
}

// ---------------------------------------------------------------------------
// Parsing

// ParseActor parses an actor document. id, type (one of the AS2 actor
// types), inbox and preferredUsername are required; anything else missing is
// left empty.
func ParseActor(b []byte) (*ActorDoc, error) {
	raw, err := as2Decode(b)
	if err != nil {
		return nil, fmt.Errorf("federation: parse actor: %w", err)
	}
	t, err := as2Resolve(raw)
	if err != nil {
		return nil, fmt.Errorf("federation: parse actor: %w", err)
	}
	a, ok := t.(as2Actor)
	if !ok || !as2IsActorType(t.GetTypeName()) {
		return nil, fmt.Errorf("federation: parse actor: type %.64q is not an actor type", t.GetTypeName())
	}
	d := as2ActorFrom(a, raw)
	switch {
	case d.ID == "":
		return nil, fmt.Errorf("federation: parse actor: %w", as2MissingRef(raw, "id"))
	case d.Inbox == "":
		return nil, fmt.Errorf("federation: parse actor: %w", as2MissingRef(raw, "inbox"))
	case d.PreferredUsername == "":
		return nil, errors.New("federation: parse actor: missing preferredUsername")
	}
	if err := as2CheckIRIs(map[string]string{"id": d.ID, "inbox": d.Inbox}); err != nil {
		return nil, fmt.Errorf("federation: parse actor: %w", err)
	}
	return d, nil
}

// ParseActivity parses an activity. id, type and actor are required. An
// activity type go-fed does not know (EmojiReact, ...) is not an error: ID,
// Type, Actor, To, Cc, Published, ObjectID and Target are then read from the
// raw JSON, so callers can decide to ignore it. Embedded objects are parsed
// leniently (no required fields); validate them before acting on them.
func ParseActivity(b []byte) (*ActivityDoc, error) {
	raw, err := as2Decode(b)
	if err != nil {
		return nil, fmt.Errorf("federation: parse activity: %w", err)
	}
	var d *ActivityDoc
	t, err := as2Resolve(raw)
	switch {
	case errors.Is(err, errAS2UnknownType):
		d = as2ActivityFromRaw(raw)
	case err != nil:
		return nil, fmt.Errorf("federation: parse activity: %w", err)
	default:
		d = as2ActivityFrom(t, raw, 0)
	}
	as2QuoteActivityFrom(d, raw)
	switch {
	case d.ID == "":
		return nil, fmt.Errorf("federation: parse activity: %w", as2MissingRef(raw, "id"))
	case d.Type == "":
		return nil, errors.New("federation: parse activity: missing type")
	case d.Actor == "":
		return nil, fmt.Errorf("federation: parse activity: %w", as2MissingRef(raw, "actor"))
	}
	if err := as2CheckIRIs(map[string]string{"id": d.ID, "actor": d.Actor}); err != nil {
		return nil, fmt.Errorf("federation: parse activity: %w", err)
	}
	return d, nil
}

// ParseNote parses a standalone post (Note, Question, Article, Page), as a
// fetch of a post's id returns it. id and attributedTo are required.
func ParseNote(b []byte) (*NoteDoc, error) {
	raw, err := as2Decode(b)
	if err != nil {
		return nil, fmt.Errorf("federation: parse note: %w", err)
	}
	t, err := as2Resolve(raw)
	if err != nil {
		return nil, fmt.Errorf("federation: parse note: %w", err)
	}
	n, ok := t.(as2NoteLike)
	if !ok || !as2IsNoteType(t.GetTypeName()) {
		return nil, fmt.Errorf("federation: parse note: type %.64q is not a post", t.GetTypeName())
	}
	d := as2NoteFrom(n, raw)
	switch {
	case d.ID == "":
		return nil, fmt.Errorf("federation: parse note: %w", as2MissingRef(raw, "id"))
	case d.AttributedTo == "":
		return nil, fmt.Errorf("federation: parse note: %w", as2MissingRef(raw, "attributedTo"))
	}
	if err := as2CheckIRIs(map[string]string{"id": d.ID, "attributedTo": d.AttributedTo}); err != nil {
		return nil, fmt.Errorf("federation: parse note: %w", err)
	}
	return d, nil
}

// errAS2UnknownType marks a document whose type go-fed has no Go type for.
var errAS2UnknownType = errors.New("unknown ActivityStreams type")

// as2Decode parses b as a JSON object; arrays and scalars are rejected since
// every ActivityStreams document is an object.
func as2Decode(b []byte) (map[string]interface{}, error) {
	var v interface{}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("document is a JSON %s, not an object", as2JSONKind(v))
	}
	return m, nil
}

// as2JSONKind names the JSON kind of a decoded value for error messages.
func as2JSONKind(v interface{}) string {
	switch v.(type) {
	case []interface{}:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}

// as2Resolve turns the raw map into a go-fed value. go-fed refuses documents
// without @context; a few servers omit it, and go-fed only uses it to find
// prefixed aliases, so the plain AS2 context is assumed then (the map is
// ours, from as2Decode, so adding the key is safe).
func as2Resolve(raw map[string]interface{}) (vocab.Type, error) {
	if _, ok := raw["type"]; !ok {
		return nil, errors.New("missing type")
	}
	if _, ok := raw["@context"]; !ok {
		raw["@context"] = as2Namespace
	}
	t, err := streams.ToType(context.Background(), raw)
	if err != nil {
		if streams.IsUnmatchedErr(err) {
			return nil, fmt.Errorf("%w %.64q", errAS2UnknownType, as2RawString(raw["type"]))
		}
		return nil, fmt.Errorf("resolve %.64q: %w", as2RawString(raw["type"]), err)
	}
	if t == nil {
		return nil, fmt.Errorf("%w %.64q", errAS2UnknownType, as2RawString(raw["type"]))
	}
	return t, nil
}

// as2MissingRef explains an empty required reference: absent, or present but
// unusable (go-fed drops scheme-less strings such as "id": "abc").
func as2MissingRef(raw map[string]interface{}, key string) error {
	if v, ok := raw[key]; ok && v != nil {
		return fmt.Errorf("%s is not an absolute IRI: %.100q", key, as2RawRef(v))
	}
	return fmt.Errorf("missing %s", key)
}

// as2CheckIRIs rejects required references that are not absolute IRIs; go-fed
// accepts any string as an xsd:anyURI id, so "id": "abc" would otherwise pass.
func as2CheckIRIs(fields map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if _, err := as2AbsIRI(fields[k]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// as2ActorFrom extracts an ActorDoc from a go-fed actor and its raw map.
func as2ActorFrom(a as2Actor, raw map[string]interface{}) *ActorDoc {
	d := &ActorDoc{
		ID:        as2TypeID(a),
		Type:      a.GetTypeName(),
		Name:      as2NameOf(a, raw),
		Summary:   as2SummaryOf(a, raw),
		URL:       as2URLOf(a),
		Inbox:     as2RefID(a.GetActivityStreamsInbox()),
		Outbox:    as2RefID(a.GetActivityStreamsOutbox()),
		Followers: as2RefID(a.GetActivityStreamsFollowers()),
		Following: as2RefID(a.GetActivityStreamsFollowing()),
		Featured:  as2RefID(a.GetTootFeatured()),
	}
	if p := a.GetActivityStreamsPreferredUsername(); p != nil {
		d.PreferredUsername = as2TextOf(p, as2Lookup(raw, "preferredUsername"))
	}
	if p := a.GetActivityStreamsIcon(); p != nil {
		d.IconURL, d.IconMediaType = as2ImageOf(p.Len(), p.At)
	}
	if p := a.GetActivityStreamsImage(); p != nil {
		d.ImageURL, d.ImageMediaType = as2ImageOf(p.Len(), p.At)
	}
	if p := a.GetActivityStreamsPublished(); p != nil && p.IsXMLSchemaDateTime() {
		d.Published = p.Get()
	}
	if p := a.GetTootDiscoverable(); p != nil && p.IsXMLSchemaBoolean() {
		d.Discoverable = p.Get()
	}
	if p := a.GetW3IDSecurityV1PublicKey(); p != nil {
		d.PublicKeyID, d.PublicKeyOwner, d.PublicKeyPEM = as2PublicKeyOf(p)
	}
	d.ManuallyApprovesFollowers, _ = raw["manuallyApprovesFollowers"].(bool)
	d.Indexable, _ = raw["indexable"].(bool)
	d.FeaturedTags = as2RawRef(raw["featuredTags"])
	if ep, ok := raw["endpoints"].(map[string]interface{}); ok {
		d.SharedInbox = as2RawRef(ep["sharedInbox"])
	}
	for i, it := range as2List(raw["alsoKnownAs"]) {
		if i >= as2MaxObjects {
			break
		}
		if id := as2RawRef(it); id != "" {
			d.AlsoKnownAs = append(d.AlsoKnownAs, id)
		}
	}
	d.MovedTo = as2RawRef(raw["movedTo"])
	for _, it := range as2List(raw["attachment"]) {
		f, ok := it.(map[string]interface{})
		if !ok || as2RawString(f["type"]) != "PropertyValue" {
			continue
		}
		d.Fields = append(d.Fields, PropertyValue{Name: as2RawText(as2Lookup(f, "name")), Value: as2RawText(f["value"])})
	}
	d.Emojis = as2EmojisOf(raw)
	return d
}

// as2PublicKeyOf returns the first key that carries a PEM (servers with
// several keys list the HTTP-signature key first in practice), or the first
// key's id when none is embedded.
func as2PublicKeyOf(p vocab.W3IDSecurityV1PublicKeyProperty) (id, owner, pem string) {
	for i := 0; i < p.Len(); i++ {
		it := p.At(i)
		if it.IsIRI() {
			if id == "" {
				id = as2URLString(it.GetIRI())
			}
			continue
		}
		if !it.IsW3IDSecurityV1PublicKey() {
			continue
		}
		k := it.Get()
		var o string
		if op := k.GetW3IDSecurityV1Owner(); op != nil {
			o = as2URLString(op.Get())
			if o == "" {
				o = as2URLString(op.GetIRI())
			}
		}
		var kp string
		if pp := k.GetW3IDSecurityV1PublicKeyPem(); pp != nil && pp.IsXMLSchemaString() {
			kp = pp.Get()
		}
		if kp != "" {
			return as2TypeID(k), o, kp
		}
		if id == "" {
			id, owner = as2TypeID(k), o
		}
	}
	return id, owner, pem
}

// as2NoteFrom extracts a NoteDoc from a go-fed Note/Article/Page/Question and
// its raw map.
func as2NoteFrom(n as2NoteLike, raw map[string]interface{}) *NoteDoc {
	d := &NoteDoc{
		ID:      as2TypeID(n),
		Type:    n.GetTypeName(),
		URL:     as2URLOf(n),
		Summary: as2SummaryOf(n, raw),
	}
	if p := n.GetActivityStreamsAttributedTo(); p != nil {
		d.AttributedTo = as2FirstID(p.Len(), p.At)
	}
	if p := n.GetActivityStreamsContent(); p != nil {
		d.Content = as2FirstText(p.Len(), p.At, as2Lookup(raw, "content"))
	}
	if p := n.GetActivityStreamsInReplyTo(); p != nil {
		d.InReplyTo = as2FirstID(p.Len(), p.At)
	}
	if p := n.GetActivityStreamsTo(); p != nil {
		d.To = as2Audience(p.Len(), p.At, raw["to"])
	}
	if p := n.GetActivityStreamsCc(); p != nil {
		d.Cc = as2Audience(p.Len(), p.At, raw["cc"])
	}
	if p := n.GetActivityStreamsPublished(); p != nil && p.IsXMLSchemaDateTime() {
		d.Published = p.Get()
	}
	if p := n.GetActivityStreamsUpdated(); p != nil && p.IsXMLSchemaDateTime() {
		u := p.Get()
		d.Updated = &u
	}
	d.Sensitive, _ = raw["sensitive"].(bool)
	if p := n.GetActivityStreamsTag(); p != nil {
		d.Tags = as2TagsOf(p, as2List(raw["tag"]))
	}
	if p := n.GetActivityStreamsAttachment(); p != nil {
		d.Attachments = as2AttachmentsOf(p, as2List(raw["attachment"]))
	}
	d.Name = as2NameOf(n, raw)
	as2QuoteFrom(d, raw)
	if q, ok := n.(vocab.ActivityStreamsQuestion); ok {
		as2PollFrom(d, raw)
		if p := q.GetActivityStreamsOneOf(); p != nil {
			d.PollOptions = append(d.PollOptions, as2OptionNames(p.Len(), p.At, as2List(raw["oneOf"]))...)
		}
		if p := q.GetActivityStreamsAnyOf(); p != nil {
			d.PollOptions = append(d.PollOptions, as2OptionNames(p.Len(), p.At, as2List(raw["anyOf"]))...)
		}
	}
	as2FediverseNote(d, raw)
	return d
}

// as2TagsOf keeps Mentions (a go-fed type) and Hashtags (not one, so go-fed
// leaves them unresolved and they are read from the raw element at the same
// index). Emoji and anything else are ignored.
func as2TagsOf(p vocab.ActivityStreamsTagProperty, rawTags []interface{}) []Tag {
	var tags []Tag
	for i := 0; i < p.Len(); i++ {
		it := p.At(i)
		if it.IsActivityStreamsMention() {
			mt := it.GetActivityStreamsMention()
			var rm map[string]interface{}
			if i < len(rawTags) {
				rm, _ = rawTags[i].(map[string]interface{})
			}
			tags = append(tags, Tag{Type: "Mention", Href: as2HrefOf(mt), Name: as2NameOf(mt, rm)})
			continue
		}
		if it.IsIRI() || it.GetType() != nil || i >= len(rawTags) {
			continue
		}
		rm, ok := rawTags[i].(map[string]interface{})
		if !ok || as2RawString(rm["type"]) != "Hashtag" {
			continue
		}
		tags = append(tags, Tag{Type: "Hashtag", Href: as2RawRef(rm["href"]), Name: as2RawText(as2Lookup(rm, "name"))})
	}
	return tags
}

// as2AttachmentsOf reads media attachments; width/height come from the raw
// element because go-fed only models them on Image. Links, PropertyValues and
// other non-media entries are skipped.
func as2AttachmentsOf(p vocab.ActivityStreamsAttachmentProperty, rawAtts []interface{}) []Attachment {
	var out []Attachment
	for i := 0; i < p.Len(); i++ {
		md, ok := p.At(i).GetType().(as2Media)
		if !ok || !as2IsMediaType(md.GetTypeName()) {
			continue
		}
		var rm map[string]interface{}
		if i < len(rawAtts) {
			rm, _ = rawAtts[i].(map[string]interface{})
		}
		a := Attachment{
			Type:   md.GetTypeName(),
			URL:    as2URLOf(md),
			Name:   as2NameOf(md, rm),
			Width:  as2RawInt(rm["width"]),
			Height: as2RawInt(rm["height"]),
		}
		if mt := md.GetActivityStreamsMediaType(); mt != nil {
			a.MediaType = mt.Get()
		}
		if bh := md.GetTootBlurhash(); bh != nil && bh.IsXMLSchemaString() {
			a.Blurhash = bh.Get()
		}
		out = append(out, a)
	}
	return out
}

// as2OptionNames reads poll option names from oneOf/anyOf.
func as2OptionNames[I as2Ref](n int, at func(int) I, rawOpts []interface{}) []string {
	var out []string
	for i := 0; i < n; i++ {
		t := at(i).GetType()
		if t == nil {
			continue
		}
		var rm map[string]interface{}
		if i < len(rawOpts) {
			rm, _ = rawOpts[i].(map[string]interface{})
		}
		if name := as2NameOf(t, rm); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// Single-purpose accessors: reading an activity through these lets one
// function handle every go-fed activity type (and report a missing actor on
// types that have none).
type (
	as2HasActor interface {
		GetActivityStreamsActor() vocab.ActivityStreamsActorProperty
	}
	as2HasObject interface {
		GetActivityStreamsObject() vocab.ActivityStreamsObjectProperty
	}
	as2HasTarget interface {
		GetActivityStreamsTarget() vocab.ActivityStreamsTargetProperty
	}
	as2HasTo interface {
		GetActivityStreamsTo() vocab.ActivityStreamsToProperty
	}
	as2HasCc interface {
		GetActivityStreamsCc() vocab.ActivityStreamsCcProperty
	}
	as2HasPublished interface {
		GetActivityStreamsPublished() vocab.ActivityStreamsPublishedProperty
	}
)

// as2ActivityFrom extracts an ActivityDoc from any go-fed type; a type
// without actor (a bare Note) simply yields an empty Actor, which
// ParseActivity reports.
func as2ActivityFrom(t vocab.Type, raw map[string]interface{}, depth int) *ActivityDoc {
	d := &ActivityDoc{ID: as2TypeID(t), Type: t.GetTypeName()}
	if g, ok := t.(as2HasActor); ok {
		if p := g.GetActivityStreamsActor(); p != nil {
			d.Actor = as2FirstID(p.Len(), p.At)
		}
	}
	if g, ok := t.(as2HasTo); ok {
		if p := g.GetActivityStreamsTo(); p != nil {
			d.To = as2Audience(p.Len(), p.At, raw["to"])
		}
	}
	if g, ok := t.(as2HasCc); ok {
		if p := g.GetActivityStreamsCc(); p != nil {
			d.Cc = as2Audience(p.Len(), p.At, raw["cc"])
		}
	}
	if g, ok := t.(as2HasPublished); ok {
		if p := g.GetActivityStreamsPublished(); p != nil && p.IsXMLSchemaDateTime() {
			d.Published = p.Get()
		}
	}
	if g, ok := t.(as2HasTarget); ok {
		if p := g.GetActivityStreamsTarget(); p != nil {
			d.Target = as2FirstID(p.Len(), p.At)
		}
	}
	if g, ok := t.(as2HasObject); ok {
		if p := g.GetActivityStreamsObject(); p != nil && p.Len() > 0 {
			as2SetObject(d, p.At(0), as2RawIndex(raw["object"], 0), depth)
			for i := 0; p.Len() > 1 && i < p.Len() && i < as2MaxObjects; i++ {
				if id := as2RefID(p.At(i)); id != "" {
					d.Objects = append(d.Objects, id)
				}
			}
		}
	}
	if c, ok := raw["content"].(string); ok {
		d.Content = c
	}
	return d
}

// as2MaxObjects bounds how many objects of one activity are read.
const as2MaxObjects = 100

// as2SetObject fills ObjectID and, for embedded notes, actors and
// activities, the matching embedded doc. Tombstones and other objects only
// give their id. Objects of unknown type are read from the raw JSON; one with
// an actor is treated as an activity (Undo{EmojiReact}).
func as2SetObject(d *ActivityDoc, it vocab.ActivityStreamsObjectPropertyIterator, rawObj interface{}, depth int) {
	rm, _ := rawObj.(map[string]interface{})
	if it.IsIRI() {
		d.ObjectID = as2URLString(it.GetIRI())
		return
	}
	t := it.GetType()
	if t == nil {
		if rm == nil {
			return
		}
		d.ObjectID = as2RawRef(rm["id"])
		if _, hasActor := rm["actor"]; hasActor && depth < as2MaxEmbedDepth {
			d.Activity = as2ActivityFromRaw(rm)
		}
		return
	}
	d.ObjectID = as2TypeID(t)
	if depth >= as2MaxEmbedDepth {
		return
	}
	name := t.GetTypeName()
	switch {
	case as2IsNoteType(name):
		if n, ok := t.(as2NoteLike); ok {
			d.Note = as2NoteFrom(n, rm)
		}
	case as2IsActorType(name):
		if a, ok := t.(as2Actor); ok {
			d.Actor2 = as2ActorFrom(a, rm)
		}
	case streams.IsOrExtendsActivityStreamsActivity(t):
		d.Activity = as2ActivityFrom(t, rm, depth+1)
	}
}

// as2ActivityFromRaw reads an activity of a type go-fed does not know
// straight from the JSON map.
func as2ActivityFromRaw(raw map[string]interface{}) *ActivityDoc {
	d := &ActivityDoc{
		ID:       as2RawRef(raw["id"]),
		Type:     as2RawString(raw["type"]),
		Actor:    as2RawRef(raw["actor"]),
		To:       as2RawAudience(raw["to"]),
		Cc:       as2RawAudience(raw["cc"]),
		ObjectID: as2RawRef(raw["object"]),
		Target:   as2RawRef(raw["target"]),
	}
	if s, ok := raw["published"].(string); ok {
		if ts, err := time.Parse(time.RFC3339, s); err == nil {
			d.Published = ts
		}
	}
	return d
}

// ---------------------------------------------------------------------------
// go-fed value helpers

// as2Ref is the shape shared by every go-fed property and iterator that may
// hold a bare IRI or an embedded object.
type as2Ref interface {
	IsIRI() bool
	GetIRI() *url.URL
	GetType() vocab.Type
}

// as2RefID returns the IRI or the embedded object's id ("" for nil).
func as2RefID(r as2Ref) string {
	if r == nil {
		return ""
	}
	if r.IsIRI() {
		return as2URLString(r.GetIRI())
	}
	if t := r.GetType(); t != nil {
		return as2TypeID(t)
	}
	return ""
}

// as2Audience reads to/cc. Entries go-fed cannot resolve are taken from the
// raw JSON element at the same index.
func as2Audience[I as2Ref](n int, at func(int) I, raw interface{}) []string {
	rawList := as2List(raw)
	var out []string
	for i := 0; i < n; i++ {
		s := as2RefID(at(i))
		if s == "" && i < len(rawList) {
			s = as2RawRef(rawList[i])
		}
		out = as2AppendAudience(out, s)
	}
	return out
}

// as2AppendAudience appends one addressee, turning the compacted spellings of
// the public collection ("as:Public", "Public") into PublicCollection so that
// callers only need to test one form.
func as2AppendAudience(out []string, s string) []string {
	switch s {
	case "":
		return out
	case "as:Public", "Public":
		s = PublicCollection
	}
	return append(out, s)
}

// as2FirstID returns the first non-empty id of a non-functional property;
// actor and attributedTo may legally be arrays but we model one.
func as2FirstID[I as2Ref](n int, at func(int) I) string {
	for i := 0; i < n; i++ {
		if s := as2RefID(at(i)); s != "" {
			return s
		}
	}
	return ""
}

// as2TypeID returns a value's id, or a Link's href when it has no id.
func as2TypeID(t vocab.Type) string {
	if t == nil {
		return ""
	}
	if p := t.GetJSONLDId(); p != nil {
		if s := as2URLString(p.Get()); s != "" {
			return s
		}
		if s := as2URLString(p.GetIRI()); s != "" {
			return s
		}
	}
	if l, ok := t.(as2Linkish); ok {
		return as2HrefOf(l)
	}
	return ""
}

// as2URLString is u.String() tolerating nil.
func as2URLString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

// as2Linkish is what Link and Mention share.
type as2Linkish interface {
	GetActivityStreamsHref() vocab.ActivityStreamsHrefProperty
	GetActivityStreamsMediaType() vocab.ActivityStreamsMediaTypeProperty
}

// as2HrefOf returns a Link's href.
func as2HrefOf(l as2Linkish) string {
	h := l.GetActivityStreamsHref()
	if h == nil {
		return ""
	}
	if s := as2URLString(h.Get()); s != "" {
		return s
	}
	return as2URLString(h.GetIRI())
}

// as2URLOf reads "url", which Mastodon sends as a string but others send as a
// Link or an array of both; the text/html entry wins, else the first.
func as2URLOf(t vocab.Type) string {
	g, ok := t.(interface {
		GetActivityStreamsUrl() vocab.ActivityStreamsUrlProperty
	})
	if !ok {
		return ""
	}
	p := g.GetActivityStreamsUrl()
	if p == nil {
		return ""
	}
	first := ""
	for i := 0; i < p.Len(); i++ {
		it := p.At(i)
		var s, mediaType string
		switch {
		case it.IsIRI():
			s = as2URLString(it.GetIRI())
		case it.IsXMLSchemaAnyURI():
			s = as2URLString(it.GetXMLSchemaAnyURI())
		default:
			if l, ok := it.GetType().(as2Linkish); ok {
				s = as2HrefOf(l)
				if mt := l.GetActivityStreamsMediaType(); mt != nil {
					mediaType = mt.Get()
				}
			}
		}
		if s == "" {
			continue
		}
		if mediaType == "text/html" {
			return s
		}
		if first == "" {
			first = s
		}
	}
	return first
}

// as2ImageOf reads icon/image: an Image object, a Link, a bare IRI, or an
// array of those (the first usable entry wins).
func as2ImageOf[I as2Ref](n int, at func(int) I) (href, mediaType string) {
	for i := 0; i < n; i++ {
		it := at(i)
		if it.IsIRI() {
			if s := as2URLString(it.GetIRI()); s != "" {
				return s, ""
			}
			continue
		}
		t := it.GetType()
		if t == nil {
			continue
		}
		if l, ok := t.(as2Linkish); ok {
			href = as2HrefOf(l)
		} else {
			href = as2URLOf(t)
		}
		if href == "" {
			continue
		}
		if g, ok := t.(interface {
			GetActivityStreamsMediaType() vocab.ActivityStreamsMediaTypeProperty
		}); ok {
			if mt := g.GetActivityStreamsMediaType(); mt != nil {
				mediaType = mt.Get()
			}
		}
		return href, mediaType
	}
	return "", ""
}

// as2Text is what go-fed's natural-language properties (name, summary,
// content, preferredUsername) and their iterators share.
type as2Text interface {
	IsXMLSchemaString() bool
	GetXMLSchemaString() string
	IsRDFLangString() bool
	GetRDFLangString() map[string]string
}

// as2TextOf reads one text value. go-fed parses any string with a URL scheme
// as an IRI, so "CW: spoilers" would come back as the IRI "cw: spoilers";
// in that case the original raw string is used instead.
func as2TextOf(t as2Text, raw interface{}) string {
	switch {
	case t.IsXMLSchemaString():
		return t.GetXMLSchemaString()
	case t.IsRDFLangString():
		return as2PickLang(t.GetRDFLangString())
	}
	return as2RawText(raw)
}

// as2FirstText reads the first value of a non-functional text property.
func as2FirstText[I as2Text](n int, at func(int) I, raw interface{}) string {
	for i := 0; i < n; i++ {
		if s := as2TextOf(at(i), as2RawIndex(raw, i)); s != "" {
			return s
		}
	}
	return ""
}

// as2NameOf reads "name" (or "nameMap") of any value that has one.
func as2NameOf(t interface{}, raw map[string]interface{}) string {
	g, ok := t.(interface {
		GetActivityStreamsName() vocab.ActivityStreamsNameProperty
	})
	if !ok {
		return ""
	}
	p := g.GetActivityStreamsName()
	if p == nil {
		return ""
	}
	return as2FirstText(p.Len(), p.At, as2Lookup(raw, "name"))
}

// as2SummaryOf reads "summary" (or "summaryMap") of any value that has one.
func as2SummaryOf(t interface{}, raw map[string]interface{}) string {
	g, ok := t.(interface {
		GetActivityStreamsSummary() vocab.ActivityStreamsSummaryProperty
	})
	if !ok {
		return ""
	}
	p := g.GetActivityStreamsSummary()
	if p == nil {
		return ""
	}
	return as2FirstText(p.Len(), p.At, as2Lookup(raw, "summary"))
}

// as2PickLang picks one text from a language map deterministically: the
// undetermined language if present, else the first language tag in order.
func as2PickLang(m map[string]string) string {
	if s, ok := m["und"]; ok {
		return s
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != "" {
			return m[k]
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Raw JSON helpers, for the terms go-fed does not model.

// as2Lookup returns raw[key], or raw[key+"Map"] when only the language map
// form is present, mirroring what go-fed does for natural-language values.
func as2Lookup(raw map[string]interface{}, key string) interface{} {
	if raw == nil {
		return nil
	}
	if v, ok := raw[key]; ok {
		return v
	}
	return raw[key+"Map"]
}

// as2List views a JSON value as a list: arrays as-is, nil as empty, any
// single value as a one-element list.
func as2List(v interface{}) []interface{} {
	switch x := v.(type) {
	case nil:
		return nil
	case []interface{}:
		return x
	}
	return []interface{}{v}
}

// as2RawIndex returns element i of v viewed as a list, or nil.
func as2RawIndex(v interface{}, i int) interface{} {
	l := as2List(v)
	if i < 0 || i >= len(l) {
		return nil
	}
	return l[i]
}

// as2RawString returns a string, or the first string of an array (as for a
// multi-valued "type").
func as2RawString(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case []interface{}:
		for _, e := range x {
			if s, ok := e.(string); ok {
				return s
			}
		}
	}
	return ""
}

// as2RawText returns a string, a language map's chosen value, or the first
// of an array of those.
func as2RawText(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]interface{}:
		m := make(map[string]string, len(x))
		for k, e := range x {
			if s, ok := e.(string); ok {
				m[k] = s
			}
		}
		return as2PickLang(m)
	case []interface{}:
		for _, e := range x {
			if s := as2RawText(e); s != "" {
				return s
			}
		}
	}
	return ""
}

// as2RawRef returns the id of a reference given as a string, an object with
// an id (or a Link's href) or an array of those (first wins).
func as2RawRef(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]interface{}:
		if s, ok := x["id"].(string); ok && s != "" {
			return s
		}
		s, _ := x["href"].(string)
		return s
	case []interface{}:
		for _, e := range x {
			if s := as2RawRef(e); s != "" {
				return s
			}
		}
	}
	return ""
}

// as2RawAudience reads to/cc straight from JSON.
func as2RawAudience(v interface{}) []string {
	var out []string
	for _, e := range as2List(v) {
		out = as2AppendAudience(out, as2RawRef(e))
	}
	return out
}

// as2RawInt reads a non-negative JSON number that fits an int32, else 0; a
// media size outside that range is bogus and not worth an error.
func as2RawInt(v interface{}) int {
	f, ok := v.(float64)
	if !ok || f < 0 || f > 1<<31-1 {
		return 0
	}
	return int(f)
}

// MarshalHashtagCollection renders an account's featured hashtags as
// Mastodon serves its featuredTags: a Collection whose items are Hashtag
// objects ({"type": "Hashtag", "href": ..., "name": "#tag"}), inline.
func MarshalHashtagCollection(id string, tags []Tag) ([]byte, error) {
	if _, err := as2AbsIRI(id); err != nil {
		return nil, fmt.Errorf("federation: marshal hashtag collection: %w", err)
	}
	items := make([]interface{}, 0, len(tags))
	for _, t := range tags {
		items = append(items, map[string]interface{}{"type": "Hashtag", "href": t.Href, "name": t.Name})
	}
	return as2Finish(map[string]interface{}{"id": id, "type": "Collection", "totalItems": len(items), "items": items})
}

// ParseHashtagCollection reads the Hashtag names (without their #) of a
// featuredTags collection: its items or orderedItems, or those of its
// first page when that is embedded. first is the first page's IRI when
// the collection only links to it. Items that are not Hashtags are
// skipped; at most limit names are read.
func ParseHashtagCollection(body []byte, limit int) (id string, names []string, first string, err error) {
	var raw map[string]interface{}
	if err := json.Unmarshal(body, &raw); err != nil {
		return "", nil, "", fmt.Errorf("hashtag collection: %w", err)
	}
	switch as2RawString(raw["type"]) {
	case "Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage":
	default:
		return "", nil, "", fmt.Errorf("hashtag collection: type %.64q is not a collection", as2RawString(raw["type"]))
	}
	id = as2RawRef(raw["id"])
	items := append(as2List(raw["items"]), as2List(raw["orderedItems"])...)
	if len(items) == 0 {
		switch f := raw["first"].(type) {
		case map[string]interface{}:
			items = append(as2List(f["items"]), as2List(f["orderedItems"])...)
		case string:
			first = f
		}
	}
	for _, it := range items {
		m, ok := it.(map[string]interface{})
		if !ok || as2RawString(m["type"]) != "Hashtag" {
			continue
		}
		name := strings.TrimPrefix(strings.TrimSpace(as2RawString(m["name"])), "#")
		if name == "" {
			continue
		}
		names = append(names, name)
		if len(names) == limit {
			break
		}
	}
	return id, names, first, nil
}
