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
	if err := f.checkDomain(ctx, uri); err != nil {
		return nil, fmt.Errorf("fetch actor %s: %w", uri, err)
	}
	signer, err := f.instanceSigner(ctx)
	if err != nil {
		return nil, err
	}
	body, err := f.client.Get(ctx, uri, signer)
	if err != nil {
		return nil, fmt.Errorf("fetch actor %s: %w", uri, err)
	}
	d, err := ParseActor(body)
	if err != nil {
		return nil, fmt.Errorf("actor %s: %w", uri, err)
	}
	// The document must be the one asked for, on the host asked: a server
	// may not speak for actors elsewhere.
	if !sameHost(d.ID, uri) {
		return nil, fmt.Errorf("actor %s: the document's id %s is on another host", uri, d.ID)
	}
	return f.storeActor(ctx, d)
}

// storeActor keeps a remote actor, fetched from its own server, and has
// the hashtags it features read from its featuredTags.
func (f *Federation) storeActor(ctx context.Context, d *ActorDoc) (*storage.Account, error) {
	a := accountFromDoc(d)
	if err := f.social.StoreRemoteAccount(ctx, a); err != nil {
		return nil, fmt.Errorf("store actor %s: %w", d.ID, err)
	}
	if err := f.social.RemoteFeaturedTagsAt(ctx, a, d.FeaturedTags); err != nil {
		f.log.Warn("featured tags of a remote actor", "actor", d.ID, "error", err)
	}
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
	body, err := f.client.Get(ctx, wf, nil)
	if err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	var jrd struct {
		Links []struct {
			Rel, Type, Href string
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		return nil, fmt.Errorf("webfinger %s: %w", acct, err)
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && (strings.Contains(l.Type, "activity+json") || strings.Contains(l.Type, "ld+json")) {
			return f.FetchActor(ctx, l.Href)
		}
	}
	return nil, fmt.Errorf("webfinger %s: no ActivityPub actor link", acct)
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
	return a
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}

// keyResolver finds public keys for signature checks: from stored accounts,
// and by fetching the key's actor when unknown or when refresh is asked. It
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
	if !refresh {
		if a, err := k.f.social.AccountByKeyID(ctx, keyID); err == nil {
			if a.Suspended() && !k.suspendedToo {
				return nil, "", fmt.Errorf("%s is suspended", a.URI)
			}
			pub, err := parsePublicKey(a.PublicKeyPEM)
			k.account = a
			return pub, a.URI, err
		}
	}
	actorURL, _, _ := strings.Cut(keyID, "#")
	a, err := k.f.FetchActor(ctx, actorURL)
	if err != nil {
		return nil, "", err
	}
	if a.KeyID != keyID && a.URI != keyID {
		return nil, "", fmt.Errorf("actor %s does not hold key %s", a.URI, keyID)
	}
	pub, err := parsePublicKey(a.PublicKeyPEM)
	k.account = a
	return pub, a.URI, err
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
