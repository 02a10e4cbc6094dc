package federation

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTP Message Signatures (RFC 9421), next to the draft-cavage signatures
// of signature.go. A request is signed with RFC 9421 when it carries a
// Signature-Input header; its Signature header is then a dictionary of
// labelled byte sequences. Only what the fediverse uses is implemented:
// derived components for requests, plain header fields, the algorithms
// rsa-v1_5-sha256 and ed25519, and Content-Digest (RFC 9530) for bodies.

// Signature algorithms of RFC 9421 §3.3 that Rounds verifies.
const (
	algRSAv15SHA256 = "rsa-v1_5-sha256"
	algEd25519      = "ed25519"
)

// sigLabel is the label Rounds signs under.
const sigLabel = "sig1"

// maxSignatures bounds how many signatures of one request are tried, since
// each may name another key to fetch.
const maxSignatures = 4

// sfParam is one parameter of a structured field (RFC 8941): a name and a
// bare item (int64, string, sfToken, []byte or bool).
type sfParam struct {
	name string
	val  any
}

// sfToken is a structured-field token, serialised without quotes.
type sfToken string

// sfItem is a bare item with its parameters, or an inner list when list is
// set.
type sfItem struct {
	val    any
	list   []sfItem
	isList bool
	params []sfParam
}

// sigInput is one member of Signature-Input: the covered components and
// the signature parameters.
type sigInput struct {
	label      string
	components []sfItem // each a string naming a component, with parameters
	params     []sfParam
	keyID      string
	alg        string
	created    int64
	expires    int64
	hasCreated bool
	hasExpires bool
}

// message is what a signature base is built from: a request as it was on
// the wire.
type message struct {
	method        string
	scheme        string
	authority     string
	requestTarget string // origin-form: escaped path and query
	header        http.Header
}

// incomingMessage describes a received request; scheme is the server's own
// (behind a proxy the request itself cannot tell).
func incomingMessage(r *http.Request, scheme string) message {
	rt := r.RequestURI
	if rt == "" || !strings.HasPrefix(rt, "/") {
		rt = r.URL.RequestURI()
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return message{method: r.Method, scheme: strings.ToLower(scheme), authority: normalizeAuthority(host, scheme), requestTarget: rt, header: r.Header}
}

// outgoingMessage describes a request about to be sent.
func outgoingMessage(r *http.Request) message {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return message{method: r.Method, scheme: strings.ToLower(r.URL.Scheme), authority: normalizeAuthority(host, r.URL.Scheme), requestTarget: r.URL.RequestURI(), header: r.Header}
}

// normalizeAuthority lower-cases host and drops the scheme's default port,
// as RFC 9421 §2.2.3 asks.
func normalizeAuthority(host, scheme string) string {
	host = strings.ToLower(host)
	switch {
	case strings.EqualFold(scheme, "https") && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case strings.EqualFold(scheme, "http") && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return host
}

// componentValue returns the value of one covered component (RFC 9421 §2).
func (m message) componentValue(c sfItem) (string, error) {
	name, ok := c.val.(string)
	if !ok || name == "" {
		return "", errors.New("a covered component is not a string")
	}
	if len(c.params) > 0 {
		return "", fmt.Errorf("component %q: parameters such as ;%s are not supported", name, c.params[0].name)
	}
	if name != strings.ToLower(name) {
		return "", fmt.Errorf("component %q is not lower case", name)
	}
	path, query, hasQuery := strings.Cut(m.requestTarget, "?")
	switch name {
	case "@method":
		return m.method, nil
	case "@target-uri":
		return m.scheme + "://" + m.authority + m.requestTarget, nil
	case "@authority":
		return m.authority, nil
	case "@scheme":
		return m.scheme, nil
	case "@request-target":
		return m.requestTarget, nil
	case "@path":
		if path == "" {
			path = "/"
		}
		return path, nil
	case "@query":
		if !hasQuery {
			return "?", nil
		}
		return "?" + query, nil
	}
	if strings.HasPrefix(name, "@") {
		return "", fmt.Errorf("component %q is not supported", name)
	}
	vals := append([]string(nil), m.header.Values(name)...)
	if len(vals) == 0 && name == "host" && m.authority != "" {
		// Go moves Host out of the header map.
		vals = []string{m.authority}
	}
	if len(vals) == 0 {
		return "", fmt.Errorf("covered header %q is absent", name)
	}
	for i, v := range vals {
		vals[i] = strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\n", " ").Replace(v))
	}
	return strings.Join(vals, ", "), nil
}

// signatureBase builds the signature base of RFC 9421 §2.5.
func (m message) signatureBase(in *sigInput) (string, error) {
	var b strings.Builder
	seen := map[string]bool{}
	for _, c := range in.components {
		v, err := m.componentValue(c)
		if err != nil {
			return "", err
		}
		id := serializeItem(c)
		if seen[id] {
			return "", fmt.Errorf("component %s is covered twice", id)
		}
		seen[id] = true
		if strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("component %s has a line break", id)
		}
		b.WriteString(id + ": " + v + "\n")
	}
	b.WriteString(`"@signature-params": ` + in.serialize())
	return b.String(), nil
}

// serialize renders the inner list and parameters of in (RFC 8941 §4.1).
func (in *sigInput) serialize() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range in.components {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(serializeItem(c))
	}
	b.WriteByte(')')
	b.WriteString(serializeParams(in.params))
	return b.String()
}

func serializeItem(it sfItem) string {
	return serializeBare(it.val) + serializeParams(it.params)
}

func serializeParams(ps []sfParam) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(";" + p.name)
		if v, ok := p.val.(bool); ok && v {
			continue
		}
		b.WriteString("=" + serializeBare(p.val))
	}
	return b.String()
}

func serializeBare(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
	case sfToken:
		return string(v)
	case []byte:
		return ":" + base64.StdEncoding.EncodeToString(v) + ":"
	case bool:
		if v {
			return "?1"
		}
		return "?0"
	}
	return ""
}

// sfParser reads the subset of RFC 8941 that signatures use: dictionaries
// whose members are items or inner lists of items, with parameters.
type sfParser struct {
	s string
	i int
}

func (p *sfParser) errorf(format string, a ...any) error {
	return fmt.Errorf("malformed structured field at byte %d: %s", p.i, fmt.Sprintf(format, a...))
}

func (p *sfParser) skipSP() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *sfParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// key reads a dictionary or parameter key.
func (p *sfParser) key() (string, error) {
	start := p.i
	c := p.peek()
	if !(c >= 'a' && c <= 'z') && c != '*' {
		return "", p.errorf("a key must start with a lower-case letter or '*'")
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) params() ([]sfParam, error) {
	var out []sfParam
	for p.peek() == ';' {
		p.i++
		p.skipSP()
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		var v any = true
		if p.peek() == '=' {
			p.i++
			if v, err = p.bare(); err != nil {
				return nil, err
			}
		}
		for _, q := range out {
			if q.name == k {
				return nil, p.errorf("parameter %q given twice", k)
			}
		}
		out = append(out, sfParam{k, v})
	}
	return out, nil
}

func (p *sfParser) bare() (any, error) {
	c := p.peek()
	switch {
	case c == '"':
		p.i++
		var b strings.Builder
		for p.i < len(p.s) {
			c := p.s[p.i]
			p.i++
			switch {
			case c == '\\':
				if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
					return nil, p.errorf("bad escape in a string")
				}
				b.WriteByte(p.s[p.i])
				p.i++
			case c == '"':
				return b.String(), nil
			case c < 0x20 || c > 0x7e:
				return nil, p.errorf("bad character in a string")
			default:
				b.WriteByte(c)
			}
		}
		return nil, p.errorf("unterminated string")
	case c == ':':
		end := strings.IndexByte(p.s[p.i+1:], ':')
		if end < 0 {
			return nil, p.errorf("unterminated byte sequence")
		}
		raw := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return nil, p.errorf("byte sequence is not base64")
		}
		return b, nil
	case c == '?':
		if p.i+1 < len(p.s) && (p.s[p.i+1] == '0' || p.s[p.i+1] == '1') {
			p.i += 2
			return p.s[p.i-1] == '1', nil
		}
		return nil, p.errorf("bad boolean")
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		p.i++
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i-start > 16 {
			return nil, p.errorf("integer too long")
		}
		if p.peek() == '.' {
			return nil, p.errorf("decimals are not supported")
		}
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil {
			return nil, p.errorf("bad integer")
		}
		return n, nil
	case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*':
		start := p.i
		for p.i < len(p.s) && strings.IndexByte(" ,;=()\t\"", p.s[p.i]) < 0 {
			p.i++
		}
		return sfToken(p.s[start:p.i]), nil
	}
	return nil, p.errorf("unexpected %q", c)
}

func (p *sfParser) item() (sfItem, error) {
	v, err := p.bare()
	if err != nil {
		return sfItem{}, err
	}
	ps, err := p.params()
	return sfItem{val: v, params: ps}, err
}

func (p *sfParser) itemOrList() (sfItem, error) {
	if p.peek() != '(' {
		return p.item()
	}
	p.i++
	list := sfItem{isList: true, list: []sfItem{}}
	for {
		p.skipSP()
		if p.peek() == ')' {
			p.i++
			ps, err := p.params()
			list.params = ps
			return list, err
		}
		if p.i >= len(p.s) {
			return sfItem{}, p.errorf("unterminated inner list")
		}
		it, err := p.item()
		if err != nil {
			return sfItem{}, err
		}
		list.list = append(list.list, it)
		if c := p.peek(); c != ' ' && c != ')' {
			return sfItem{}, p.errorf("expected ' ' or ')' in an inner list")
		}
	}
}

type sfMember struct {
	key string
	val sfItem
}

// parseDictionary parses the combined values of a dictionary field; a key
// given twice is refused rather than resolved.
func parseDictionary(values []string) ([]sfMember, error) {
	p := &sfParser{s: strings.Join(values, ", ")}
	var out []sfMember
	seen := map[string]bool{}
	p.skipSP()
	for p.i < len(p.s) {
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		var it sfItem
		if p.peek() == '=' {
			p.i++
			if it, err = p.itemOrList(); err != nil {
				return nil, err
			}
		} else {
			ps, err := p.params()
			if err != nil {
				return nil, err
			}
			it = sfItem{val: true, params: ps}
		}
		if seen[k] {
			return nil, fmt.Errorf("label %q given twice", k)
		}
		seen[k] = true
		out = append(out, sfMember{k, it})
		p.skipOWS()
		if p.i >= len(p.s) {
			break
		}
		if p.s[p.i] != ',' {
			return nil, p.errorf("expected ',' between members")
		}
		p.i++
		p.skipOWS()
		if p.i >= len(p.s) {
			return nil, p.errorf("trailing ','")
		}
	}
	return out, nil
}

// newSigInput reads one Signature-Input member.
func newSigInput(m sfMember) (*sigInput, error) {
	if !m.val.isList {
		return nil, fmt.Errorf("signature %q: its input is not an inner list", m.key)
	}
	in := &sigInput{label: m.key, components: m.val.list, params: m.val.params}
	for _, c := range in.components {
		if _, ok := c.val.(string); !ok {
			return nil, fmt.Errorf("signature %q: a covered component is not a string", m.key)
		}
	}
	for _, p := range in.params {
		bad := false
		switch p.name {
		case "keyid":
			in.keyID, bad = p.val.(string)
			bad = !bad
		case "alg":
			in.alg, bad = p.val.(string)
			bad = !bad
		case "created":
			in.created, in.hasCreated = p.val.(int64)
			bad = !in.hasCreated
		case "expires":
			in.expires, in.hasExpires = p.val.(int64)
			bad = !in.hasExpires
		case "nonce", "tag":
			_, ok := p.val.(string)
			bad = !ok
		}
		if bad {
			return nil, fmt.Errorf("signature %q: parameter %q has the wrong type", m.key, p.name)
		}
	}
	return in, nil
}

// signatureStyle names how a request is signed.
const (
	styleRFC9421 = "rfc9421"
	styleCavage  = "cavage"
)

// SignRequestRFC9421 signs r with an HTTP Message Signature (RFC 9421) under
// the label sig1: rsa-v1_5-sha256 over @method and @target-uri, plus
// content-digest (a SHA-256 Content-Digest of body, RFC 9530) for anything
// but GET and HEAD, with created and keyid parameters, as Mastodon 4.5
// verifies them. Earlier signatures and digests, of either style, are
// replaced.
func SignRequestRFC9421(r *http.Request, body []byte, s *Signer, now time.Time) error {
	if s == nil || s.Key == nil || s.KeyID == "" {
		return errors.New("federation: sign request: signer needs a key and a key id")
	}
	if r.URL == nil || (r.Host == "" && r.URL.Host == "") {
		return errors.New("federation: sign request: request has no URL or host")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	r.Header.Del("Host")
	r.Header.Del("Signature")
	r.Header.Del("Signature-Input")
	r.Header.Del("Digest")
	r.Header.Del("Content-Digest")
	if r.Header.Get("Date") == "" {
		r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	}
	components := []string{"@method", "@target-uri"}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		r.Header.Set("Content-Digest", ContentDigest(body))
		components = append(components, "content-digest")
	}
	in := &sigInput{label: sigLabel}
	for _, c := range components {
		in.components = append(in.components, sfItem{val: c})
	}
	in.params = []sfParam{{"created", now.Unix()}, {"keyid", s.KeyID}}
	return signMessage(r, in, s.Key)
}

// signMessage computes the signature of in over r and sets the two
// headers.
func signMessage(r *http.Request, in *sigInput, key crypto.Signer) error {
	base, err := outgoingMessage(r).signatureBase(in)
	if err != nil {
		return fmt.Errorf("federation: sign request: %w", err)
	}
	sig, err := signBase(key, base)
	if err != nil {
		return fmt.Errorf("federation: sign request: %w", err)
	}
	r.Header.Set("Signature-Input", in.label+"="+in.serialize())
	r.Header.Set("Signature", in.label+"="+serializeBare(sig))
	return nil
}

func signBase(key crypto.Signer, base string) ([]byte, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sum := sha256.Sum256([]byte(base))
		return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	case ed25519.PrivateKey:
		return ed25519.Sign(k, []byte(base)), nil
	}
	return nil, fmt.Errorf("unsupported key type %T", key)
}

// verifyBase checks sig over base with pub, under alg when the signature
// names one (it must fit the key) or else the key's own algorithm.
func verifyBase(pub crypto.PublicKey, alg, base string, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if alg != "" && alg != algRSAv15SHA256 {
			return fmt.Errorf("algorithm %q does not fit an RSA key (only %s is accepted)", alg, algRSAv15SHA256)
		}
		sum := sha256.Sum256([]byte(base))
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig); err != nil {
			return errors.New("the signature does not verify")
		}
		return nil
	case ed25519.PublicKey:
		if alg != "" && alg != algEd25519 {
			return fmt.Errorf("algorithm %q does not fit an Ed25519 key", alg)
		}
		if !ed25519.Verify(k, []byte(base), sig) {
			return errors.New("the signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unsupported public key type %T", pub)
}

// ContentDigest returns a Content-Digest field value (RFC 9530) holding the
// SHA-256 of body.
func ContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=" + serializeBare(sum[:])
}

// checkContentDigest requires a sha-256 or sha-512 member of the
// Content-Digest field(s) that matches body; other algorithms are ignored,
// and every supported one given must match.
func checkContentDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return fmt.Errorf("%w: no Content-Digest header", ErrBadDigest)
	}
	members, err := parseDictionary(values)
	if err != nil {
		return fmt.Errorf("%w: Content-Digest: %w", ErrBadDigest, err)
	}
	found := false
	for _, m := range members {
		var want []byte
		switch m.key {
		case "sha-256":
			s := sha256.Sum256(body)
			want = s[:]
		case "sha-512":
			s := sha512.Sum512(body)
			want = s[:]
		default:
			continue
		}
		got, ok := m.val.val.([]byte)
		if !ok || m.val.isList {
			return fmt.Errorf("%w: Content-Digest %s is not a byte sequence", ErrBadDigest, m.key)
		}
		if string(got) != string(want) {
			return fmt.Errorf("%w: Content-Digest %s does not match the body", ErrBadDigest, m.key)
		}
		found = true
	}
	if !found {
		return fmt.Errorf("%w: Content-Digest has neither sha-256 nor sha-512", ErrBadDigest)
	}
	return nil
}

// VerifyRequestRFC9421 checks an incoming request's HTTP Message Signature
// under the same rules as VerifyRequest's draft-cavage ones: the signature
// must cover @method and either @target-uri or @authority with @path (and
// @query when there is one), and content-digest on a request with a body,
// whose Content-Digest must match it; created is required and must lie in
// the window, expires must not have passed. scheme is the server's own
// ("https" behind a proxy), for @target-uri. Of several signatures, each is
// tried in turn (at most four) and the first that verifies is taken; the
// error of the first one tried is returned when none does. A failed
// verification fetches the key once more, in case it was rotated.
func VerifyRequestRFC9421(ctx context.Context, r *http.Request, body []byte, keys KeyResolver, scheme string, now time.Time) (keyID, owner string, err error) {
	if r.URL == nil {
		return "", "", fmt.Errorf("%w: request has no URL", ErrBadSignature)
	}
	inputs := r.Header.Values("Signature-Input")
	if len(inputs) == 0 {
		return "", "", ErrNoSignature
	}
	inMembers, err := parseDictionary(inputs)
	if err != nil {
		return "", "", fmt.Errorf("%w: Signature-Input: %w", ErrBadSignature, err)
	}
	sigMembers, err := parseDictionary(r.Header.Values("Signature"))
	if err != nil {
		return "", "", fmt.Errorf("%w: Signature: %w", ErrBadSignature, err)
	}
	if len(inMembers) == 0 {
		return "", "", fmt.Errorf("%w: Signature-Input is empty", ErrBadSignature)
	}
	sigs := map[string]sfItem{}
	for _, m := range sigMembers {
		sigs[m.key] = m.val
	}
	msg := incomingMessage(r, scheme)
	var firstErr error
	firstKey := ""
	for i, m := range inMembers {
		if i == maxSignatures {
			break
		}
		kid, owner, err := verifyOne(ctx, msg, m, sigs, body, keys, now)
		if err == nil {
			return kid, owner, nil
		}
		if firstErr == nil {
			firstErr, firstKey = err, kid
		}
	}
	return firstKey, "", firstErr
}

// verifyOne checks the signature labelled m.key.
func verifyOne(ctx context.Context, msg message, m sfMember, sigs map[string]sfItem, body []byte, keys KeyResolver, now time.Time) (keyID, owner string, err error) {
	in, err := newSigInput(m)
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	sv, ok := sigs[in.label]
	if !ok {
		return in.keyID, "", fmt.Errorf("%w: Signature has no member labelled %q, as Signature-Input does", ErrBadSignature, in.label)
	}
	sig, ok := sv.val.([]byte)
	if !ok || sv.isList {
		return in.keyID, "", fmt.Errorf("%w: signature %q is not a byte sequence", ErrBadSignature, in.label)
	}
	if in.keyID == "" {
		return "", "", fmt.Errorf("%w: signature %q has no keyid", ErrBadSignature, in.label)
	}
	covered := map[string]bool{}
	for _, c := range in.components {
		covered[c.val.(string)] = true
	}
	if !covered["@method"] {
		return in.keyID, "", fmt.Errorf("%w: signature %q does not cover @method", ErrBadSignature, in.label)
	}
	_, _, hasQuery := strings.Cut(msg.requestTarget, "?")
	if !covered["@target-uri"] && !covered["@request-target"] &&
		!(covered["@path"] && covered["@authority"] && (!hasQuery || covered["@query"])) {
		return in.keyID, "", fmt.Errorf("%w: signature %q covers neither @target-uri nor @authority, @path (and @query)", ErrBadSignature, in.label)
	}
	if covered["@request-target"] && !covered["@target-uri"] && !covered["@authority"] && !covered["host"] {
		return in.keyID, "", fmt.Errorf("%w: signature %q does not cover the authority", ErrBadSignature, in.label)
	}
	needDigest := len(body) > 0 || (msg.method != http.MethodGet && msg.method != http.MethodHead)
	if needDigest && !covered["content-digest"] {
		return in.keyID, "", fmt.Errorf("%w: signature %q does not cover content-digest on a request with a body", ErrBadSignature, in.label)
	}
	if !in.hasCreated {
		return in.keyID, "", fmt.Errorf("%w: signature %q has no created parameter", ErrStaleDate, in.label)
	}
	if err := inWindow(time.Unix(in.created, 0), now); err != nil {
		return in.keyID, "", fmt.Errorf("%w: signature %q created %w", ErrStaleDate, in.label, err)
	}
	if in.hasExpires && now.After(time.Unix(in.expires, 0)) {
		return in.keyID, "", fmt.Errorf("%w: signature %q expired at %d", ErrStaleDate, in.label, in.expires)
	}
	if in.alg != "" && in.alg != algRSAv15SHA256 && in.alg != algEd25519 {
		return in.keyID, "", fmt.Errorf("%w: unsupported algorithm %q", ErrBadSignature, in.alg)
	}
	if covered["content-digest"] {
		if err := checkContentDigest(msg.header.Values("Content-Digest"), body); err != nil {
			return in.keyID, "", err
		}
	}
	base, err := msg.signatureBase(in)
	if err != nil {
		return in.keyID, "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	pub, owner, err := keys.PublicKey(ctx, in.keyID, false)
	if err != nil {
		return in.keyID, "", fmt.Errorf("federation: resolve key %q: %w", in.keyID, err)
	}
	firstErr := verifyBase(pub, in.alg, base, sig)
	if firstErr == nil {
		return in.keyID, owner, nil
	}
	pub, owner, err = keys.PublicKey(ctx, in.keyID, true)
	if err != nil {
		return in.keyID, "", fmt.Errorf("%w: %w (refreshing key %q: %w)", ErrBadSignature, firstErr, in.keyID, err)
	}
	if err := verifyBase(pub, in.alg, base, sig); err != nil {
		return in.keyID, "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return in.keyID, owner, nil
}

// VerifyAnyRequest checks r's signature in whichever style it carries: RFC
// 9421 when there is a Signature-Input header (see VerifyRequestRFC9421),
// draft-cavage otherwise (see VerifyRequest).
func VerifyAnyRequest(ctx context.Context, r *http.Request, body []byte, keys KeyResolver, scheme string, now time.Time) (keyID, owner string, err error) {
	if len(r.Header.Values("Signature-Input")) > 0 {
		return VerifyRequestRFC9421(ctx, r, body, keys, scheme, now)
	}
	return VerifyRequest(ctx, r, body, keys, now)
}
