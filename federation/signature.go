package federation

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// Sentinel errors of VerifyRequest. They are kept distinct so that an inbox
// can log and count the reasons remote servers fail to authenticate; the
// returned errors wrap them with the details.
var (
	// ErrNoSignature means the request carries neither a Signature header
	// nor an "Authorization: Signature ..." header, so it is anonymous.
	ErrNoSignature = errors.New("federation: request is not signed")
	// ErrBadSignature means the signature is malformed, does not cover the
	// headers we insist on, uses an unsupported algorithm, or does not
	// verify against the owner's current key.
	ErrBadSignature = errors.New("federation: bad signature")
	// ErrStaleDate means the Date header (or the signature's created and
	// expires parameters) is missing or outside the accepted window, which is
	// what stops old signed requests from being replayed.
	ErrStaleDate = errors.New("federation: signature date out of range")
	// ErrBadDigest means the Digest header is missing or does not match the
	// body, so the signature says nothing about what was actually received.
	ErrBadDigest = errors.New("federation: body digest mismatch")
)

// Accepted clock skew, as Mastodon does it: senders may queue deliveries for
// hours, but a date far in the future can only be a broken clock or a
// replay set up in advance.
const (
	maxSignatureAge    = 12 * time.Hour
	maxSignatureFuture = 1 * time.Hour
)

// Signer is one actor's signing identity: the key and the id under which
// remote servers will look up its public half.
type Signer struct {
	// KeyID is the URL of the public key, usually the actor id + "#main-key".
	KeyID string
	// Key is the actor's private key; RSA because that is all Mastodon
	// verifies.
	Key *rsa.PrivateKey
}

var (
	getSignedHeaders  = []string{httpsig.RequestTarget, "host", "date"}
	postSignedHeaders = []string{httpsig.RequestTarget, "host", "date", "digest"}
)

// SignRequest signs r the way Mastodon and most of the fediverse expect:
// rsa-sha256 over (request-target), host and date, plus a SHA-256 Digest of
// body for anything but GET and HEAD so that the body is covered too. Date
// and Host are filled in when absent; an earlier Signature or Digest header is
// replaced so that a request can be signed again before a retry.
func SignRequest(r *http.Request, body []byte, s *Signer) error {
	if s == nil || s.Key == nil || s.KeyID == "" {
		return errors.New("federation: sign request: signer needs a key and a key id")
	}
	if r.URL == nil {
		return errors.New("federation: sign request: request has no URL")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	if r.Header.Get("Date") == "" {
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	// The Transport writes r.Host (or URL.Host) on the wire and ignores a
	// Host header, while httpsig reads the header; keep the two identical.
	if h := r.Header.Get("Host"); h != "" {
		r.Host = h
	} else {
		h = r.Host
		if h == "" {
			h = r.URL.Host
		}
		if h == "" {
			return errors.New("federation: sign request: request has no host")
		}
		r.Header.Set("Host", h)
	}
	r.Header.Del("Signature")
	r.Header.Del("Digest")

	headers := getSignedHeaders
	var digestBody []byte // nil tells httpsig not to add a Digest
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		headers = postSignedHeaders
		digestBody = body
		if digestBody == nil {
			digestBody = []byte{}
		}
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("federation: sign request: %w", err)
	}
	if err := signer.SignRequest(s.Key, s.KeyID, withWirePath(r), digestBody); err != nil {
		return fmt.Errorf("federation: sign request: %w", err)
	}
	return nil
}

// withWirePath returns a shallow copy of r, sharing its Header map, whose
// URL.Path is the escaped path. httpsig builds (request-target) from
// URL.Path, which is the decoded form, while peers sign and verify the path
// as it appears on the request line; they differ for paths like /users/a%2Fb.
func withWirePath(r *http.Request) *http.Request {
	u := *r.URL
	u.Path = r.URL.EscapedPath()
	u.RawPath = ""
	c := r.WithContext(r.Context())
	c.URL = &u
	return c
}

// KeyResolver finds the public key for a keyId, usually from a cache backed
// by fetching the actor document. refresh=true asks it to bypass the cache
// and fetch again, which is how a key rotation is noticed.
type KeyResolver interface {
	PublicKey(ctx context.Context, keyID string, refresh bool) (pub crypto.PublicKey, ownerActorID string, err error)
}

// sigParams is a parsed draft-cavage signature header.
type sigParams struct {
	keyID     string
	algorithm string
	headers   []string // lower-cased, in signing order
	signature string
	created   int64
	expires   int64
	hasCreate bool
	hasExpire bool
}

// VerifyRequest checks an incoming request's HTTP signature under
// Mastodon's rules and returns the keyId and the key owner's actor id, which
// the caller must still match against the activity's actor. body is the
// already-read request body (nil for GET). A key resolver failure is returned
// wrapped but without a sentinel, so that a network problem fetching the key
// can be told apart from a forged request.
func VerifyRequest(ctx context.Context, r *http.Request, body []byte, keys KeyResolver, now time.Time) (keyID, owner string, err error) {
	if r.URL == nil {
		return "", "", fmt.Errorf("%w: request has no URL", ErrBadSignature)
	}
	raw, err := signatureHeader(r.Header)
	if err != nil {
		return "", "", err
	}
	p, err := parseSignature(raw)
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if p.algorithm != "hs2019" && p.algorithm != "rsa-sha256" {
		return p.keyID, "", fmt.Errorf("%w: unsupported algorithm %q", ErrBadSignature, p.algorithm)
	}

	signed := make(map[string]bool, len(p.headers))
	for _, h := range p.headers {
		signed[h] = true
	}
	if !signed["date"] && !signed["(created)"] {
		return p.keyID, "", fmt.Errorf("%w: neither date nor (created) is signed", ErrBadSignature)
	}
	// Without (request-target) a signature says nothing about the method
	// and path: one made for a GET of a public document could be replayed,
	// for its 12 hours, to read any other path as that signer (under
	// authorized fetch, followers' collections or a private post), and a
	// POST to another inbox. Mastodon, GoToSocial and Pleroma all sign it.
	if !signed[httpsig.RequestTarget] {
		return p.keyID, "", fmt.Errorf("%w: (request-target) is not signed", ErrBadSignature)
	}
	needDigest := len(body) > 0 || (r.Method != http.MethodGet && r.Method != http.MethodHead)
	if needDigest && !signed["digest"] {
		return p.keyID, "", fmt.Errorf("%w: digest is not signed on a request with a body", ErrBadSignature)
	}
	if r.Method == http.MethodGet && !signed["host"] {
		return p.keyID, "", fmt.Errorf("%w: host is not signed", ErrBadSignature)
	}

	if err := checkDates(r.Header, p, now); err != nil {
		return p.keyID, "", err
	}
	if needDigest || signed["digest"] {
		if err := checkDigest(r.Header.Values("Digest"), body); err != nil {
			return p.keyID, "", err
		}
	}

	// httpsig reads the Host from the header map and mutates it, and its
	// own parser is naive about whitespace; hand it a private copy holding
	// the canonical form of exactly what we checked above.
	canonical, err := p.canonical()
	if err != nil {
		return p.keyID, "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	vr := withWirePath(r)
	vr.Header = r.Header.Clone()
	vr.Header.Del("Authorization")
	vr.Header.Set("Signature", canonical)
	if vr.Header.Get("Host") == "" {
		host := r.Host
		if host == "" && r.URL != nil {
			host = r.URL.Host
		}
		vr.Header.Set("Host", host)
	}
	v, err := httpsig.NewVerifier(vr)
	if err != nil {
		return p.keyID, "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if v.KeyId() != p.keyID {
		return p.keyID, "", fmt.Errorf("%w: inconsistent keyId parse", ErrBadSignature)
	}

	pub, owner, err := keys.PublicKey(ctx, p.keyID, false)
	if err != nil {
		return p.keyID, "", fmt.Errorf("federation: resolve key %q: %w", p.keyID, err)
	}
	firstErr := verifyWith(v, pub)
	if firstErr == nil {
		return p.keyID, owner, nil
	}
	// The owner may have rotated its key since we cached it; look once more.
	pub, owner, err = keys.PublicKey(ctx, p.keyID, true)
	if err != nil {
		return p.keyID, "", fmt.Errorf("%w: %w (refreshing key %q: %w)", ErrBadSignature, firstErr, p.keyID, err)
	}
	if err := verifyWith(v, pub); err != nil {
		return p.keyID, "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return p.keyID, owner, nil
}

// verifyWith checks the signature as RSASSA-PKCS1-v1_5 with SHA-256, which
// is what both accepted labels mean for an RSA key.
func verifyWith(v httpsig.Verifier, pub crypto.PublicKey) error {
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("unsupported public key type %T", pub)
	}
	if err := v.Verify(rk, httpsig.RSA_SHA256); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}

// signatureHeader returns the signature parameters from either the
// Signature header or an Authorization header with the Signature scheme,
// preferring the former as Mastodon does.
func signatureHeader(h http.Header) (string, error) {
	if s := strings.TrimSpace(h.Get("Signature")); s != "" {
		return s, nil
	}
	a := strings.TrimSpace(h.Get("Authorization"))
	const scheme = "signature "
	if len(a) > len(scheme) && strings.EqualFold(a[:len(scheme)], scheme) {
		return strings.TrimSpace(a[len(scheme):]), nil
	}
	return "", ErrNoSignature
}

// parseSignature parses draft-cavage parameters: comma-separated name=value
// pairs with optional whitespace, values quoted or bare. Duplicates are
// refused rather than resolved, so no two parsers can disagree about them.
func parseSignature(s string) (sigParams, error) {
	var p sigParams
	seen := map[string]bool{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return p, fmt.Errorf("malformed signature parameter near %q", truncate(s))
		}
		name := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return p, fmt.Errorf("unterminated value of %q", name)
			}
			val = s[1 : 1+end]
			s = s[end+2:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		s = strings.TrimLeft(s, " \t")
		if len(s) > 0 {
			if s[0] != ',' {
				return p, fmt.Errorf("expected ',' after %q", name)
			}
			s = s[1:]
		}
		if seen[name] {
			return p, fmt.Errorf("duplicate parameter %q", name)
		}
		seen[name] = true
		var err error
		switch name {
		case "keyId":
			p.keyID = val
		case "algorithm":
			p.algorithm = strings.ToLower(val)
		case "headers":
			p.headers = strings.Fields(strings.ToLower(val))
		case "signature":
			p.signature = val
		case "created":
			p.hasCreate = true
			p.created, err = strconv.ParseInt(val, 10, 64)
		case "expires":
			p.hasExpire = true
			p.expires, err = strconv.ParseInt(val, 10, 64)
		}
		if err != nil {
			return p, fmt.Errorf("parameter %q: %w", name, err)
		}
	}
	if p.keyID == "" {
		return p, errors.New("missing keyId")
	}
	if p.signature == "" {
		return p, errors.New("missing signature")
	}
	if p.algorithm == "" {
		// Newer drafts hide the algorithm; the key decides.
		p.algorithm = "hs2019"
	}
	if len(p.headers) == 0 {
		p.headers = []string{"date"}
	}
	return p, nil
}

// canonical renders p in the plain form httpsig's parser handles reliably.
func (p sigParams) canonical() (string, error) {
	// A quote or comma in any value would make the canonical form say
	// something else than what was checked (headers="date\"" ...).
	for _, v := range append([]string{p.keyID, p.signature, p.algorithm}, p.headers...) {
		if strings.ContainsAny(v, `",`) {
			return "", errors.New(`a signature parameter contains '"' or ','`)
		}
	}
	var b strings.Builder
	b.WriteString(`keyId="` + p.keyID + `",algorithm="` + p.algorithm + `",`)
	if p.hasCreate {
		b.WriteString("created=" + strconv.FormatInt(p.created, 10) + ",")
	}
	if p.hasExpire {
		b.WriteString("expires=" + strconv.FormatInt(p.expires, 10) + ",")
	}
	b.WriteString(`headers="` + strings.Join(p.headers, " ") + `",signature="` + p.signature + `"`)
	return b.String(), nil
}

// checkDates enforces the replay window on the Date header and, when
// present, on the created and expires parameters.
func checkDates(h http.Header, p sigParams, now time.Time) error {
	d := h.Get("Date")
	if d == "" {
		return fmt.Errorf("%w: no Date header", ErrStaleDate)
	}
	t, err := http.ParseTime(d)
	if err != nil {
		return fmt.Errorf("%w: unparseable Date %q", ErrStaleDate, truncate(d))
	}
	if err := inWindow(t, now); err != nil {
		return fmt.Errorf("%w: Date %w", ErrStaleDate, err)
	}
	if p.hasCreate {
		if err := inWindow(time.Unix(p.created, 0), now); err != nil {
			return fmt.Errorf("%w: created %w", ErrStaleDate, err)
		}
	}
	if p.hasExpire && now.After(time.Unix(p.expires, 0)) {
		return fmt.Errorf("%w: signature expired at %d", ErrStaleDate, p.expires)
	}
	return nil
}

func inWindow(t, now time.Time) error {
	switch age := now.Sub(t); {
	case age > maxSignatureAge:
		return fmt.Errorf("is %s old", age.Round(time.Second))
	case -age > maxSignatureFuture:
		return fmt.Errorf("is %s in the future", (-age).Round(time.Second))
	}
	return nil
}

// checkDigest requires a SHA-256 entry in the Digest header(s) that matches
// body. Other algorithms in the same header are ignored.
func checkDigest(values []string, body []byte) error {
	sum := sha256.Sum256(body)
	want := base64.StdEncoding.EncodeToString(sum[:])
	found := false
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(alg), "sha-256") {
				continue
			}
			found = true
			if strings.TrimSpace(val) == want {
				return nil
			}
		}
	}
	if !found {
		return fmt.Errorf("%w: no SHA-256 digest", ErrBadDigest)
	}
	return fmt.Errorf("%w: SHA-256 does not match the body", ErrBadDigest)
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
