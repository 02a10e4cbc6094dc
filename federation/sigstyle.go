package federation

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Double-knocking: outgoing signed requests are signed with RFC 9421 where
// the receiving server is known to accept it, and with draft-cavage where
// it is known not to. A server not known yet gets unknownStyle first; a 401
// or 400 answer is retried at once in the other style, and the style that
// got through is remembered for the domain. A cavage domain is tried with
// RFC 9421 again after cavageRecheck, in case it has been upgraded since.
//
// RFC 9421 first is what finds out soonest; its known cost is servers that
// answer 2xx to a signature they cannot verify and drop the request later
// (see README), which is why Mastodon knocks with cavage first.

// unknownStyle is the style a domain not known yet is signed with first.
const unknownStyle = styleRFC9421

// cavageRecheck is how long a domain that wanted cavage is left alone.
const cavageRecheck = 30 * 24 * time.Hour

// SignatureStyleStore keeps what each domain accepted ("rfc9421" or
// "cavage") and when that was learned; "" for a domain not known.
type SignatureStyleStore interface {
	SignatureStyle(ctx context.Context, domain string) (string, time.Time, error)
	SetSignatureStyle(ctx context.Context, domain, style string) error
}

type styleEntry struct {
	style string
	at    time.Time
}

// sigStyles is the in-memory cache in front of a SignatureStyleStore.
type sigStyles struct {
	mu         sync.Mutex
	store      SignatureStyleStore
	cache      map[string]styleEntry
	cavageOnly bool
}

// SetSignatureStyles makes c remember in store which signature style each
// domain accepts. With cavageOnly, c signs with draft-cavage only, as a
// server that has not adopted RFC 9421 does (for interoperability tests).
func (c *Client) SetSignatureStyles(store SignatureStyleStore, cavageOnly bool) {
	c.styles.mu.Lock()
	defer c.styles.mu.Unlock()
	c.styles.store = store
	c.styles.cavageOnly = cavageOnly
	c.styles.cache = nil
}

// SignatureStyleOf returns the style c will sign a request to domain with
// first: "rfc9421" or "cavage".
func (c *Client) SignatureStyleOf(ctx context.Context, domain string) string {
	return c.styles.first(ctx, strings.ToLower(domain), time.Now())
}

func (s *sigStyles) first(ctx context.Context, domain string, now time.Time) string {
	s.mu.Lock()
	if s.cavageOnly {
		s.mu.Unlock()
		return styleCavage
	}
	e, ok := s.cache[domain]
	store := s.store
	s.mu.Unlock()
	if !ok {
		if store != nil {
			// A database error leaves the domain unknown: RFC 9421 first,
			// cavage on refusal, which always gets through.
			e.style, e.at, _ = store.SignatureStyle(ctx, domain)
		}
		s.put(domain, e)
	}
	switch {
	case e.style == styleCavage && now.Sub(e.at) < cavageRecheck:
		return styleCavage
	case e.style == styleCavage, e.style == styleRFC9421:
		return styleRFC9421
	}
	return unknownStyle
}

func (s *sigStyles) onlyCavage() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cavageOnly
}

func (s *sigStyles) put(domain string, e styleEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		s.cache = map[string]styleEntry{}
	}
	if len(s.cache) > 10000 {
		clear(s.cache)
	}
	s.cache[domain] = e
}

// learn records that domain accepted style, writing through to the store
// only when that changes what is known.
func (s *sigStyles) learn(ctx context.Context, domain, style string, now time.Time) {
	s.mu.Lock()
	e, ok := s.cache[domain]
	store, only := s.store, s.cavageOnly
	s.mu.Unlock()
	if only || (ok && e.style == style && (style != styleCavage || now.Sub(e.at) < cavageRecheck)) {
		return
	}
	s.put(domain, styleEntry{style, now})
	if store != nil {
		_ = store.SetSignatureStyle(ctx, domain, style)
	}
}

// refusedSignature reports whether an answer may mean that the signature
// style was not understood.
func refusedSignature(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusBadRequest
}

// signAs signs r in style.
func signAs(r *http.Request, body []byte, s *Signer, style string) error {
	if style == styleRFC9421 {
		return SignRequestRFC9421(r, body, s, time.Now())
	}
	return SignRequest(r, body, s)
}

// isRFC9421 reports whether r carries an RFC 9421 signature that this
// server verifies as such.
func (f *Federation) isRFC9421(r *http.Request) bool {
	return !f.cavageOnly && len(r.Header.Values("Signature-Input")) > 0
}

// verifySignature checks r's signature, an RFC 9421 one when it carries
// Signature-Input (unless the server accepts cavage only), a draft-cavage
// one otherwise.
func (f *Federation) verifySignature(ctx context.Context, r *http.Request, body []byte, keys KeyResolver) (keyID, owner string, err error) {
	if f.cavageOnly {
		return VerifyRequest(ctx, r, body, keys, time.Now())
	}
	scheme := "https"
	if strings.HasPrefix(f.social.BaseURL(), "http://") {
		scheme = "http"
	}
	return VerifyAnyRequest(ctx, r, body, keys, scheme, time.Now())
}
