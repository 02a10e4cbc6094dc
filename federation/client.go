package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Errors returned by Client, to be checked with errors.Is.
var (
	// ErrTooLarge means the response body exceeded ClientOptions.MaxBody;
	// a remote server must not be able to make us buffer without bound.
	ErrTooLarge = errors.New("federation: response body too large")
	// ErrForbiddenAddress means a URL resolved (or redirected) to an
	// address we refuse to connect to, such as loopback or a private
	// network, so that remote input cannot make us probe our own network.
	ErrForbiddenAddress = errors.New("federation: forbidden destination address")
	// ErrCrossHostRedirect means an ActivityPub fetch was redirected to
	// another host. Every check of a fetched document compares its id with
	// the host that was asked; were the answer allowed to come from
	// elsewhere, an open redirect on a server would let any other server
	// speak for it (the class of Mastodon's CVE-2024-23832).
	ErrCrossHostRedirect = errors.New("federation: redirect to another host")
)

var errTooManyRedirects = errors.New("federation: too many redirects")

const (
	defaultTimeout   = 10 * time.Second
	defaultMaxBody   = 1 << 20
	defaultUserAgent = "Rounds"
	maxRedirects     = 2
	// How much of an unwanted response body we read so the connection can
	// go back to the pool; past this it is cheaper to drop the connection.
	maxDrain = 64 << 10

	acceptActivity = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// acceptJRD is what WebFinger and host-meta are asked for: GoToSocial
	// answers 406 Not Acceptable to a WebFinger request that accepts
	// neither application/jrd+json nor application/json (the ActivityPub
	// types included), so those two and nothing else.
	acceptJRD   = "application/jrd+json, application/json"
	contentType = "application/activity+json"
)

// ClientOptions configures NewClient; zero values get safe defaults.
type ClientOptions struct {
	// AllowPrivate lists prefixes that may be reached even though they are
	// loopback or private, for tests and single-network deployments.
	AllowPrivate []netip.Prefix
	// Timeout bounds a whole request including the body; default 10s.
	Timeout time.Duration
	// MaxBody caps a response body in bytes; default 1 MiB.
	MaxBody int64
	// UserAgent identifies us to remote admins, e.g.
	// "Rounds/0.1.0 (+https://host/)".
	UserAgent string
}

// Client is the single outgoing HTTP client for federation. Every
// connection it opens, redirects included, is checked at dial time, so DNS
// answers cannot steer it to internal addresses. It is safe for concurrent
// use and keeps connections alive, since deliveries cluster on few hosts.
type Client struct {
	hc        *http.Client
	maxBody   int64
	userAgent string
	styles    sigStyles
}

// StatusError reports a non-2xx response; delivery queues use StatusCode
// to tell permanent from transient failures and RetryAfter to back off.
type StatusError struct {
	// StatusCode is the HTTP status the remote server answered with.
	StatusCode int
	// RetryAfter is the server's Retry-After, 0 when absent or unparseable.
	RetryAfter time.Duration
	// URL is the URL as the caller passed it, not where a redirect led.
	URL string
}

// Error describes the response without its body, which is remote input.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("federation: %s answered %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

type signerKey struct{}

// styleKey carries the signature style of a signed GET, for its redirects.
type styleKey struct{}

// crossHostKey marks a request whose redirects may lead to another host.
type crossHostKey struct{}

// NewClient builds a Client from o, filling in defaults.
func NewClient(o ClientOptions) *Client {
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = defaultMaxBody
	}
	if o.UserAgent == "" {
		o.UserAgent = defaultUserAgent
	}
	allow := append([]netip.Prefix(nil), o.AllowPrivate...)
	dialer := &net.Dialer{
		Timeout:   o.Timeout,
		KeepAlive: 30 * time.Second,
		// Control runs on the resolved address of every connection
		// attempt, after DNS, so rebinding tricks cannot get past it.
		Control: func(network, address string, _ syscall.RawConn) error {
			return checkDialAddress(address, allow)
		},
	}
	tr := &http.Transport{
		// No proxy: through a proxy the dial check would only see the
		// proxy's address.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   o.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	c := &Client{maxBody: o.MaxBody, userAgent: o.UserAgent}
	c.hc = &http.Client{
		Transport:     tr,
		Timeout:       o.Timeout,
		CheckRedirect: checkRedirect,
	}
	return c
}

// HTTPClient is the client under c, for outgoing requests that are not
// ActivityPub (Web Push): they dial only where federation may, and a POST
// is never redirected.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// checkRedirect limits redirects, never follows one for a POST (the
// delivery must reach the inbox it was addressed to), follows one of an
// ActivityPub fetch only on the same host (see ErrCrossHostRedirect), and
// re-signs a signed GET for its new target instead of forwarding a
// signature made for the first URL to a host that could replay it.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if via[0].Method != http.MethodGet && via[0].Method != http.MethodHead {
		return http.ErrUseLastResponse
	}
	if len(via) > maxRedirects {
		return fmt.Errorf("%w: more than %d", errTooManyRedirects, maxRedirects)
	}
	if err := checkScheme(req.URL); err != nil {
		return err
	}
	if cross, _ := req.Context().Value(crossHostKey{}).(bool); !cross && !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
		return fmt.Errorf("%w: %s to %s", ErrCrossHostRedirect, via[0].URL.Host, req.URL.Host)
	}
	req.Header.Del("Signature")
	req.Header.Del("Signature-Input")
	req.Header.Del("Host")
	req.Header.Del("Date")
	if s, ok := req.Context().Value(signerKey{}).(*Signer); ok && s != nil {
		style, _ := req.Context().Value(styleKey{}).(string)
		if err := signAs(req, nil, s, style); err != nil {
			return fmt.Errorf("re-sign redirect: %w", err)
		}
	}
	return nil
}

func checkScheme(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("federation: unsupported URL scheme %q", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("federation: URL has no host")
	}
	return nil
}

// Get fetches an ActivityStreams document, signed with s when s is not nil
// (authorized fetch). It follows redirects only on the host of rawURL, so
// the body always comes from that host, which is what a caller checks the
// document's id against. It returns the body, ErrTooLarge past MaxBody,
// ErrCrossHostRedirect, or a *StatusError for a non-2xx answer.
func (c *Client) Get(ctx context.Context, rawURL string, s *Signer) ([]byte, error) {
	body, _, err := c.get(ctx, rawURL, s, acceptActivity, false)
	return body, err
}

// GetWebFinger fetches a WebFinger (or host-meta) document, unsigned, and
// returns it with the URL that finally answered. It follows redirects to
// other hosts, as a domain may delegate WebFinger to the host of its
// server: the answer is only a pointer to an actor, which is then fetched
// from its own host and checked there, never an identity by itself.
func (c *Client) GetWebFinger(ctx context.Context, rawURL string) (body []byte, finalURL string, err error) {
	return c.get(ctx, rawURL, nil, acceptJRD, true)
}

func (c *Client) get(ctx context.Context, rawURL string, s *Signer, accept string, crossHost bool) ([]byte, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("federation: get: %w", err)
	}
	if err := checkScheme(u); err != nil {
		return nil, "", err
	}
	if s != nil {
		ctx = context.WithValue(ctx, signerKey{}, s)
	}
	ctx = context.WithValue(ctx, crossHostKey{}, crossHost)
	do := func(style string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(context.WithValue(ctx, styleKey{}, style), http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("federation: get: %w", err)
		}
		req.Header.Set("Accept", accept)
		req.Header.Set("User-Agent", c.userAgent)
		if s != nil {
			if err := signAs(req, nil, s, style); err != nil {
				return nil, err
			}
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("federation: get %s: %w", rawURL, err)
		}
		return resp, nil
	}
	var resp *http.Response
	if s == nil {
		resp, err = do("")
	} else {
		resp, err = c.doubleKnock(ctx, strings.ToLower(u.Host), do)
	}
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	finalURL := resp.Request.URL.String()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		drain(resp.Body)
		return nil, finalURL, newStatusError(resp, rawURL, time.Now())
	}
	if resp.ContentLength > c.maxBody {
		return nil, finalURL, fmt.Errorf("%w: %s declares %d bytes, limit %d", ErrTooLarge, rawURL, resp.ContentLength, c.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, finalURL, fmt.Errorf("federation: get %s: read body: %w", rawURL, err)
	}
	if int64(len(body)) > c.maxBody {
		return nil, finalURL, fmt.Errorf("%w: %s exceeds %d bytes", ErrTooLarge, rawURL, c.maxBody)
	}
	return body, finalURL, nil
}

// Post delivers an activity to an inbox, signed with s, which is required
// because inboxes refuse unsigned deliveries. Redirects are not followed.
// It returns nil on 2xx and a *StatusError otherwise.
func (c *Client) Post(ctx context.Context, rawURL string, body []byte, s *Signer) error {
	if s == nil {
		return errors.New("federation: post: a signer is required")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("federation: post: %w", err)
	}
	if err := checkScheme(u); err != nil {
		return err
	}
	resp, err := c.doubleKnock(ctx, strings.ToLower(u.Host), func(style string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("federation: post: %w", err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", acceptActivity)
		req.Header.Set("User-Agent", c.userAgent)
		if err := signAs(req, body, s, style); err != nil {
			return nil, err
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("federation: post %s: %w", rawURL, err)
		}
		return resp, nil
	})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	drain(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newStatusError(resp, rawURL, time.Now())
	}
	return nil
}

// doubleKnock sends a signed request with do, in the style domain is
// known to accept (RFC 9421 for a domain not known yet); a request refused
// with 401 or 400 is sent again at once in the other style, and the style
// that got through is remembered for domain.
func (c *Client) doubleKnock(ctx context.Context, domain string, do func(style string) (*http.Response, error)) (*http.Response, error) {
	style := c.styles.first(ctx, domain, time.Now())
	resp, err := do(style)
	if err != nil {
		return nil, err
	}
	if !refusedSignature(resp.StatusCode) {
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			c.styles.learn(ctx, domain, style, time.Now())
		}
		return resp, nil
	}
	other := styleCavage
	if style == styleCavage {
		if c.styles.onlyCavage() {
			return resp, nil
		}
		other = styleRFC9421
	}
	drain(resp.Body)
	resp.Body.Close()
	resp, err = do(other)
	if err == nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		c.styles.learn(ctx, domain, other, time.Now())
	}
	return resp, err
}

func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, maxDrain))
}

func newStatusError(resp *http.Response, rawURL string, now time.Time) *StatusError {
	return &StatusError{
		StatusCode: resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
		URL:        rawURL,
	}
}

// parseRetryAfter reads delay-seconds or an HTTP date; anything else, or a
// date in the past, yields 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 || n > int64(365*24*time.Hour/time.Second) {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}

// Blocked ranges that the netip predicates do not cover.
var forbiddenPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, includes broadcast
	netip.MustParsePrefix("::/96"),          // deprecated IPv4-compatible
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
}

var (
	nat64Prefix  = netip.MustParsePrefix("64:ff9b::/96")
	sixToFourNet = netip.MustParsePrefix("2002::/16")
)

// checkDialAddress is the dial-time guard: address is the resolved
// "ip:port" about to be connected to.
func checkDialAddress(address string, allow []netip.Prefix) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparseable address %q", ErrForbiddenAddress, address)
	}
	addr := ap.Addr().WithZone("")
	for _, p := range allow {
		if p.Contains(addr) || p.Contains(addr.Unmap()) {
			return nil
		}
	}
	if forbiddenAddr(addr) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, addr)
	}
	return nil
}

// forbiddenAddr reports whether a connection to a would reach something
// other than the public internet. IPv6 forms that embed an IPv4 address
// (mapped, NAT64, 6to4) are judged by the embedded address.
func forbiddenAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64Prefix.Contains(a):
			return forbiddenAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFourNet.Contains(a):
			return forbiddenAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return true
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
