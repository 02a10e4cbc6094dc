package federation

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"rounds/social"
	"rounds/storage"
)

// actorRefreshAfter is how old a cached remote actor may be before it is
// fetched again when needed.
const actorRefreshAfter = 24 * time.Hour

// FetchActor fetches the actor at uri with a signed GET and stores it.
func (f *Federation) FetchActor(ctx context.Context, uri string) (*storage.Account, error) {
	body, err := f.fetchDocument(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("fetch actor %s: %w", uri, err)
	}
	return f.storeActor(ctx, uri, body)
}

// fetchDocument fetches an ActivityPub document of another server with a
// signed GET (GoToSocial, and Mastodon in secure mode, answer only those),
// from a domain the server federates with. The client follows redirects
// only on uri's host, so the body comes from that host.
func (f *Federation) fetchDocument(ctx context.Context, uri string) ([]byte, error) {
	if err := f.checkDomain(ctx, uri); err != nil {
		return nil, err
	}
	signer, err := f.instanceSigner(ctx)
	if err != nil {
		return nil, err
	}
	return f.client.Get(ctx, uri, signer)
}

// storeActor stores the actor document body fetched from uri.
func (f *Federation) storeActor(ctx context.Context, uri string, body []byte) (*storage.Account, error) {
	d, err := ParseActor(body)
	if err != nil {
		return nil, fmt.Errorf("actor %s: %w", uri, err)
	}
	// The document must be on the host asked: a server may not speak for
	// actors elsewhere. The client follows redirects only on that host, so
	// it is also the host that answered (an open redirect cannot hand the
	// answer to another server).
	if !sameHost(d.ID, uri) {
		return nil, fmt.Errorf("actor %s: the document's id %s is on another host", uri, d.ID)
	}
	// Its key must be its own: when an owner is named, owned by it (and,
	// as StoreRemoteAccount requires, on its host).
	if d.PublicKeyID != "" && d.PublicKeyOwner != "" && d.PublicKeyOwner != d.ID {
		return nil, fmt.Errorf("actor %s: its key %.200q is owned by %.200q", uri, d.PublicKeyID, d.PublicKeyOwner)
	}
	a := accountFromDoc(d)
	if err := f.social.StoreRemoteAccount(ctx, a); err != nil {
		return nil, fmt.Errorf("store actor %s: %w", d.ID, err)
	}
	if err := f.social.RemoteFeaturedTagsAt(ctx, a, d.FeaturedTags); err != nil {
		f.log.Warn("featured tags of a remote actor", "actor", d.ID, "error", err)
	}
	f.saveEmojis(ctx, a, d.Emojis)
	return a, nil
}

// RemoteAccount returns the account with ActivityPub id uri, fetching it
// when unknown or stale.
func (f *Federation) RemoteAccount(ctx context.Context, uri string) (*storage.Account, error) {
	a, err := f.social.AccountByURI(ctx, uri)
	if err == nil && (a.Local() || a.FetchedAt != nil && time.Since(*a.FetchedAt) < actorRefreshAfter) {
		return a, nil
	}
	if err != nil && !errors.Is(err, social.ErrNotFound) {
		return nil, err
	}
	fresh, ferr := f.FetchActor(ctx, uri)
	if ferr != nil && a != nil {
		return a, nil // stale beats nothing
	}
	return fresh, ferr
}

// ResolveAccount finds user@domain through WebFinger and fetches its actor.
func (f *Federation) ResolveAccount(ctx context.Context, acct string) (*storage.Account, error) {
	wf, err := webfingerURL(f.scheme(), acct)
	if err != nil {
		return nil, err
	}
	if err := f.checkDomain(ctx, wf); err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	body, final, err := f.client.GetWebFinger(ctx, wf)
	if err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	// A domain may delegate WebFinger to another host, but nothing is
	// taken from a host the server does not federate with.
	if err := f.checkDomain(ctx, final); err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	href, err := actorLinkFromJRD(body)
	if err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	return f.FetchActor(ctx, href)
}

// actorLinkFromJRD returns the ActivityPub actor a WebFinger document
// links to as its "self".
func actorLinkFromJRD(body []byte) (string, error) {
	var jrd struct {
		Links []struct {
			Rel, Type, Href string
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		return "", err
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && l.Href != "" && (strings.Contains(l.Type, "activity+json") || strings.Contains(l.Type, "ld+json")) {
			return l.Href, nil
		}
	}
	return "", errors.New("no ActivityPub actor link")
}

func (f *Federation) scheme() string {
	if strings.HasPrefix(f.social.BaseURL(), "http://") {
		return "http"
	}
	return "https"
}

func accountFromDoc(d *ActorDoc) *storage.Account {
	var fields []profileField
	for _, p := range d.Fields {
		fields = append(fields, profileField{Name: p.Name, Value: SanitizeHTML(p.Value)})
	}
	fj, _ := json.Marshal(fields)
	if fields == nil {
		fj = []byte("[]")
	}
	a := &storage.Account{
		Username: d.PreferredUsername, DisplayName: d.Name, Note: SanitizeHTML(d.Summary),
		URI: d.ID, URL: d.URL, InboxURL: d.Inbox, SharedInboxURL: d.SharedInbox, OutboxURL: d.Outbox,
		FollowersURL: d.Followers, FollowingURL: d.Following, FeaturedURL: d.Featured,
		AvatarURL: d.IconURL, HeaderURL: d.ImageURL, KeyID: d.PublicKeyID, PublicKeyPEM: d.PublicKeyPEM,
		Fields: string(fj), Locked: d.ManuallyApprovesFollowers, Discoverable: d.Discoverable,
		Indexable: d.Indexable, ActorType: d.Type, CreatedAt: d.Published,
	}
	if a.URL == "" {
		a.URL = a.URI
	}
	a.AlsoKnownAs = social.AliasesJSON(d.AlsoKnownAs)
	return a
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}

// keyResolver finds public keys for signature checks: from stored accounts,
// and by fetching the keyId when unknown or when refresh is asked. It
// remembers the account it found, so the inbox need not look it up again.
type keyResolver struct {
	f       *Federation
	account *storage.Account
	// suspendedToo returns the keys of suspended accounts as well: the
	// inbox takes one activity from them (an Update that brings back an
	// account its own server had deleted) and refuses the rest itself.
	suspendedToo bool
}

func (k *keyResolver) PublicKey(ctx context.Context, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	// A blocked domain is refused before any key is looked up or fetched.
	if err := k.f.checkDomain(ctx, keyID); err != nil {
		return nil, "", err
	}
	var a *storage.Account
	if !refresh {
		if known, err := k.f.social.AccountByKeyID(ctx, keyID); err == nil && sameHost(known.URI, keyID) {
			a = known
		}
	}
	if a == nil {
		var err error
		if a, err = k.keyOwner(ctx, keyID); err != nil {
			return nil, "", err
		}
	}
	// The signer's own domain is what counts (it is the keyId's, as
	// checked above and in keyOwner, but the rule is stated where it
	// matters): nothing from a domain the server does not federate with.
	if err := k.f.checkDomain(ctx, a.URI); err != nil {
		return nil, "", err
	}
	if a.Suspended() && !k.suspendedToo {
		return nil, "", fmt.Errorf("%s is suspended", a.URI)
	}
	pub, err := parsePublicKey(a.PublicKeyPEM)
	k.account = a
	return pub, a.URI, err
}

// keyOwner fetches keyID and returns the actor that holds it, stored. A
// keyId is usually the actor's id with a fragment (Mastodon:
// https://host/users/NAME#main-key), whose fetch is the actor. GoToSocial's
// keyIds have no fragment (https://host/users/NAME/main-key) and are served
// as documents of their own: a key (id, owner, publicKeyPem) or a stub of
// the actor carrying only its publicKey. Either way the owner is fetched
// and must name keyID as its publicKey, and everything is on keyID's host.
func (k *keyResolver) keyOwner(ctx context.Context, keyID string) (*storage.Account, error) {
	docURL, _, _ := strings.Cut(keyID, "#")
	body, err := k.f.fetchDocument(ctx, docURL)
	if err != nil {
		return nil, fmt.Errorf("fetch key %s: %w", keyID, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("key %s: not a JSON document: %w", keyID, err)
	}
	id := as2RawRef(doc["id"])
	var owner string
	switch _, isKey := doc["publicKeyPem"]; {
	case isKey:
		// A key document: it is the key itself, and names its owner.
		if id != keyID {
			return nil, fmt.Errorf("key %s: the document's id is %.200q", keyID, id)
		}
		owner = as2RawRef(doc["owner"])
	case id == docURL:
		// The actor itself (a keyId with a fragment, or the actor's id).
		a, err := k.f.storeActor(ctx, docURL, body)
		if err != nil {
			return nil, err
		}
		if a.KeyID != keyID && a.URI != keyID {
			return nil, fmt.Errorf("actor %s does not hold key %s", a.URI, keyID)
		}
		return a, nil
	default:
		// Another document naming the actor, such as GoToSocial's stub:
		// the actor is fetched from its own id.
		owner = id
	}
	if owner == "" || !sameHost(owner, keyID) {
		return nil, fmt.Errorf("key %s: its owner %.200q is not on its host", keyID, owner)
	}
	a, err := k.f.FetchActor(ctx, owner)
	if err != nil {
		return nil, err
	}
	if a.URI != owner || a.KeyID != keyID {
		return nil, fmt.Errorf("key %s: the actor %s holds key %.200q instead", keyID, a.URI, a.KeyID)
	}
	return a, nil
}

func parsePublicKey(p string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, errors.New("no PEM public key")
	}
	if pub, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return pub, nil
	}
	// Some servers publish PKCS#1 "RSA PUBLIC KEY" blocks.
	return x509.ParsePKCS1PublicKey(block.Bytes)
}
