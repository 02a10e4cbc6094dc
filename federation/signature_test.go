package federation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

const (
	testKeyID = "https://remote.example/users/alice#main-key"
	testOwner = "https://remote.example/users/alice"
)

// RSA key generation takes long enough that the tests generate these once.
var testKeys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return ks, err
		}
		ks[i] = k
	}
	return ks, nil
})

// keys returns the primary test key and an unrelated second one.
func keys(tb testing.TB) (main, other *rsa.PrivateKey) {
	tb.Helper()
	ks, err := testKeys()
	if err != nil {
		tb.Fatalf("generate keys: %v", err)
	}
	return ks[0], ks[1]
}

// fakeResolver serves a cached key and, on refresh, a possibly different
// one, counting how it was asked.
type fakeResolver struct {
	mu        sync.Mutex
	cached    crypto.PublicKey
	refreshed crypto.PublicKey
	err       error
	calls     int
	refreshes int
}

func (f *fakeResolver) PublicKey(_ context.Context, keyID string, refresh bool) (crypto.PublicKey, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, "", f.err
	}
	if keyID != testKeyID {
		return nil, "", errors.New("unknown key")
	}
	if refresh {
		f.refreshes++
		return f.refreshed, testOwner, nil
	}
	return f.cached, testOwner, nil
}

// captured is what a real server saw: the request (body already read) and
// the body bytes.
type captured struct {
	req  *http.Request
	body []byte
}

// sendAndCapture sends req over real HTTP to srv-like httptest server and
// returns the request as the server's handler received it.
func sendAndCapture(t *testing.T, req *http.Request) captured {
	t.Helper()
	got := make(chan captured, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server read body: %v", err)
		}
		if r.Method == http.MethodGet {
			body = nil
		}
		c := r.Clone(context.Background())
		c.Body = http.NoBody
		got <- captured{req: c, body: body}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	// Point the already-built request at the server while keeping the
	// signed Host header, as a reverse proxy in front of us would.
	req.URL.Scheme = "http"
	req.URL.Host = strings.TrimPrefix(srv.URL, "http://")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	resp.Body.Close()
	return <-got
}

// newReq builds an outgoing request for remote.example with the given body.
func newReq(t *testing.T, method, path string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, "https://local.example"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// signCustom signs r with httpsig directly over the given headers so tests
// can produce signatures SignRequest never would.
func signCustom(t *testing.T, r *http.Request, key *rsa.PrivateKey, headers []string, digestBody []byte) {
	t.Helper()
	if r.Header.Get("Date") == "" {
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	r.Header.Set("Host", r.URL.Host)
	s, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SignRequest(key, testKeyID, r, digestBody); err != nil {
		t.Fatal(err)
	}
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestVerifyRequest(t *testing.T) {
	key, other := keys(t)
	signer := &Signer{KeyID: testKeyID, Key: key}
	activity := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","actor":"https://remote.example/users/alice","object":"https://local.example/users/bob"}`)

	type tc struct {
		name string
		// build returns the signed outgoing request, body attached.
		build func(t *testing.T) *http.Request
		// after tampers with what the server received.
		after    func(c *captured)
		now      time.Time // zero means time.Now()
		resolver *fakeResolver
		want     error
	}
	signedGet := func(t *testing.T) *http.Request {
		r := newReq(t, http.MethodGet, "/users/bob/outbox?page=1", nil)
		if err := SignRequest(r, nil, signer); err != nil {
			t.Fatal(err)
		}
		return r
	}
	signedPost := func(t *testing.T) *http.Request {
		r := newReq(t, http.MethodPost, "/users/bob/inbox", activity)
		if err := SignRequest(r, activity, signer); err != nil {
			t.Fatal(err)
		}
		return r
	}
	datedPost := func(d time.Duration) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := newReq(t, http.MethodPost, "/users/bob/inbox", activity)
			r.Header.Set("Date", time.Now().Add(d).UTC().Format(http.TimeFormat))
			if err := SignRequest(r, activity, signer); err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	relabel := func(label string) func(c *captured) {
		return func(c *captured) {
			s := c.req.Header.Get("Signature")
			if !strings.Contains(s, `algorithm="hs2019"`) {
				t.Fatalf("httpsig no longer labels hs2019: %s", s)
			}
			if label == "" {
				s = strings.Replace(s, `algorithm="hs2019",`, "", 1)
			} else {
				s = strings.Replace(s, `algorithm="hs2019"`, `algorithm="`+label+`"`, 1)
			}
			c.req.Header.Set("Signature", s)
		}
	}
	good := func() *fakeResolver { return &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey} }

	cases := []tc{
		{name: "signed GET", build: signedGet, resolver: good()},
		{name: "signed POST", build: signedPost, resolver: good()},
		{name: "hs2019 label", build: signedPost, after: relabel("hs2019"), resolver: good()},
		{name: "rsa-sha256 label", build: signedPost, after: relabel("rsa-sha256"), resolver: good()},
		{name: "no algorithm label", build: signedPost, after: relabel(""), resolver: good()},
		{name: "hmac label refused", build: signedPost, after: relabel("hmac-sha256"), resolver: good(), want: ErrBadSignature},
		{
			name: "Authorization header", build: signedGet, resolver: good(),
			after: func(c *captured) {
				c.req.Header.Set("Authorization", "Signature "+c.req.Header.Get("Signature"))
				c.req.Header.Del("Signature")
			},
		},
		{
			name: "spaces between parameters", build: signedPost, resolver: good(),
			after: func(c *captured) {
				c.req.Header.Set("Signature", strings.ReplaceAll(c.req.Header.Get("Signature"), `",`, `", `))
			},
		},
		{
			name: "no signature", resolver: good(), want: ErrNoSignature,
			build: func(t *testing.T) *http.Request {
				return newReq(t, http.MethodPost, "/users/bob/inbox", activity)
			},
		},
		{
			name: "bearer authorization is no signature", resolver: good(), want: ErrNoSignature,
			build: func(t *testing.T) *http.Request {
				r := newReq(t, http.MethodGet, "/users/bob", nil)
				r.Header.Set("Authorization", "Bearer abc")
				return r
			},
		},
		{
			name: "garbage signature", build: signedPost, resolver: good(), want: ErrBadSignature,
			after: func(c *captured) { c.req.Header.Set("Signature", "nonsense") },
		},
		{
			name: "duplicate headers parameter", build: signedPost, resolver: good(), want: ErrBadSignature,
			after: func(c *captured) {
				c.req.Header.Set("Signature", c.req.Header.Get("Signature")+`,headers="date"`)
			},
		},
		{
			name: "wrong key", build: signedPost, want: ErrBadSignature,
			resolver: &fakeResolver{cached: &other.PublicKey, refreshed: &other.PublicKey},
		},
		{
			name: "tampered body", build: signedPost, resolver: good(), want: ErrBadDigest,
			after: func(c *captured) { c.body = bytes.Replace(c.body, []byte("Follow"), []byte("Delete"), 1) },
		},
		{
			name: "tampered path", build: signedPost, resolver: good(), want: ErrBadSignature,
			after: func(c *captured) { c.req.URL.Path = "/users/carol/inbox" },
		},
		{name: "date 13h old", build: datedPost(-13 * time.Hour), resolver: good(), want: ErrStaleDate},
		{name: "date 11h old", build: datedPost(-11 * time.Hour), resolver: good()},
		{name: "date 2h in future", build: datedPost(2 * time.Hour), resolver: good(), want: ErrStaleDate},
		{name: "date 30m in future", build: datedPost(30 * time.Minute), resolver: good()},
		{
			name: "verifier clock 13h ahead", build: signedPost, resolver: good(), want: ErrStaleDate,
			now: time.Now().Add(13 * time.Hour),
		},
		{
			name: "no Date header", build: signedGet, resolver: good(), want: ErrStaleDate,
			after: func(c *captured) { c.req.Header.Del("Date") },
		},
		{
			name: "POST without digest signed", resolver: good(), want: ErrBadSignature,
			build: func(t *testing.T) *http.Request {
				r := newReq(t, http.MethodPost, "/users/bob/inbox", activity)
				r.Header.Set("Digest", "SHA-256="+digestOf(activity))
				signCustom(t, r, key, []string{httpsig.RequestTarget, "host", "date"}, nil)
				return r
			},
		},
		{
			name: "POST without digest header", resolver: good(), want: ErrBadDigest,
			build: signedPost,
			after: func(c *captured) {
				c.req.Header.Del("Digest")
			},
		},
		{
			name: "lowercase sha-256 digest", resolver: good(),
			build: func(t *testing.T) *http.Request {
				r := newReq(t, http.MethodPost, "/users/bob/inbox", activity)
				r.Header.Set("Digest", "sha-256="+digestOf(activity))
				signCustom(t, r, key, postSignedHeaders, nil)
				return r
			},
		},
		{
			name: "only SHA-512 digest", resolver: good(), want: ErrBadDigest,
			build: func(t *testing.T) *http.Request {
				r := newReq(t, http.MethodPost, "/users/bob/inbox", activity)
				r.Header.Set("Digest", "SHA-512=AAAA")
				signCustom(t, r, key, postSignedHeaders, nil)
				return r
			},
		},
		{
			name: "GET without host signed", resolver: good(), want: ErrBadSignature,
			build: func(t *testing.T) *http.Request {
				r := newReq(t, http.MethodGet, "/users/bob", nil)
				signCustom(t, r, key, []string{httpsig.RequestTarget, "date"}, nil)
				return r
			},
		},
		{
			name: "GET without (request-target) signed", resolver: good(), want: ErrBadSignature,
			build: func(t *testing.T) *http.Request {
				r := newReq(t, http.MethodGet, "/users/bob", nil)
				signCustom(t, r, key, []string{"host", "date"}, nil)
				return r
			},
		},
		{
			// What the rule above prevents: the same signature replayed
			// to read another path.
			name: "GET without (request-target) replayed elsewhere", resolver: good(), want: ErrBadSignature,
			build: func(t *testing.T) *http.Request {
				r := newReq(t, http.MethodGet, "/users/bob", nil)
				signCustom(t, r, key, []string{"host", "date"}, nil)
				return r
			},
			after: func(c *captured) { c.req.URL.Path = "/users/bob/followers" },
		},
		{
			name: "POST without (request-target) signed", resolver: good(), want: ErrBadSignature,
			build: func(t *testing.T) *http.Request {
				r := newReq(t, http.MethodPost, "/users/bob/inbox", activity)
				r.Header.Set("Digest", "SHA-256="+digestOf(activity))
				signCustom(t, r, key, []string{"host", "date", "digest"}, nil)
				return r
			},
		},
		{
			name: "date not signed", resolver: good(), want: ErrBadSignature,
			build: func(t *testing.T) *http.Request {
				r := newReq(t, http.MethodGet, "/users/bob", nil)
				signCustom(t, r, key, []string{httpsig.RequestTarget, "host"}, nil)
				return r
			},
		},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := c.build(t)
			got := sendAndCapture(t, req)
			if c.after != nil {
				c.after(&got)
			}
			now := c.now
			if now.IsZero() {
				now = time.Now()
			}
			keyID, owner, err := VerifyRequest(context.Background(), got.req, got.body, c.resolver, now)
			if c.want == nil {
				if err != nil {
					t.Fatalf("VerifyRequest: %v", err)
				}
				if keyID != testKeyID || owner != testOwner {
					t.Fatalf("got keyID %q owner %q", keyID, owner)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got error %v, want %v", err, c.want)
			}
			for _, other := range []error{ErrNoSignature, ErrBadSignature, ErrStaleDate, ErrBadDigest} {
				if other != c.want && errors.Is(err, other) {
					t.Fatalf("error %v also matches %v", err, other)
				}
			}
		})
	}
}

func TestVerifyRequestKeyRotation(t *testing.T) {
	oldKey, newKey := keys(t)
	body := []byte(`{"type":"Update"}`)
	r := newReq(t, http.MethodPost, "/inbox", body)
	if err := SignRequest(r, body, &Signer{KeyID: testKeyID, Key: newKey}); err != nil {
		t.Fatal(err)
	}
	got := sendAndCapture(t, r)

	res := &fakeResolver{cached: &oldKey.PublicKey, refreshed: &newKey.PublicKey}
	keyID, owner, err := VerifyRequest(context.Background(), got.req, got.body, res, time.Now())
	if err != nil {
		t.Fatalf("VerifyRequest after rotation: %v", err)
	}
	if keyID != testKeyID || owner != testOwner {
		t.Fatalf("got keyID %q owner %q", keyID, owner)
	}
	if res.refreshes != 1 || res.calls != 2 {
		t.Fatalf("resolver asked %d times, %d with refresh; want 2 and 1", res.calls, res.refreshes)
	}

	// With a key that never verifies, the refresh is still tried only once.
	res = &fakeResolver{cached: &oldKey.PublicKey, refreshed: &oldKey.PublicKey}
	if _, _, err := VerifyRequest(context.Background(), got.req, got.body, res, time.Now()); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("got %v, want ErrBadSignature", err)
	}
	if res.refreshes != 1 || res.calls != 2 {
		t.Fatalf("resolver asked %d times, %d with refresh; want 2 and 1", res.calls, res.refreshes)
	}
}

func TestVerifyRequestResolverError(t *testing.T) {
	key, _ := keys(t)
	r := newReq(t, http.MethodGet, "/users/bob", nil)
	if err := SignRequest(r, nil, &Signer{KeyID: testKeyID, Key: key}); err != nil {
		t.Fatal(err)
	}
	got := sendAndCapture(t, r)
	boom := errors.New("actor fetch failed")
	_, _, err := VerifyRequest(context.Background(), got.req, nil, &fakeResolver{err: boom}, time.Now())
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the resolver's error", err)
	}
	if errors.Is(err, ErrBadSignature) {
		t.Fatalf("a resolver failure must not look like a forged request: %v", err)
	}
}

func TestSignRequestEscapedPath(t *testing.T) {
	key, _ := keys(t)
	r := newReq(t, http.MethodGet, "/users/a%2Fb", nil)
	if err := SignRequest(r, nil, &Signer{KeyID: testKeyID, Key: key}); err != nil {
		t.Fatal(err)
	}
	got := sendAndCapture(t, r)
	if got.req.URL.RawPath != "/users/a%2Fb" {
		t.Fatalf("server saw raw path %q", got.req.URL.RawPath)
	}
	res := &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey}
	if _, _, err := VerifyRequest(context.Background(), got.req, nil, res, time.Now()); err != nil {
		t.Fatalf("VerifyRequest: %v", err)
	}
}

func TestSignRequestResign(t *testing.T) {
	key, _ := keys(t)
	s := &Signer{KeyID: testKeyID, Key: key}
	body := []byte(`{"type":"Like"}`)
	r := newReq(t, http.MethodPost, "/inbox", body)
	for range 2 {
		if err := SignRequest(r, body, s); err != nil {
			t.Fatalf("SignRequest: %v", err)
		}
	}
	if n := len(r.Header.Values("Signature")); n != 1 {
		t.Fatalf("%d Signature headers after signing twice", n)
	}
	if d := r.Header.Get("Digest"); d != "SHA-256="+digestOf(body) {
		t.Fatalf("Digest = %q", d)
	}
	if err := SignRequest(r, body, &Signer{KeyID: testKeyID}); err == nil {
		t.Fatal("signing without a key succeeded")
	}
}

func TestParseSignature(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{`keyId="k",signature="s"`, true},
		{`keyId="k", algorithm="rsa-sha256", headers="(request-target) host date", signature="s"`, true},
		{`keyId="k",created=1,expires=2,signature="s"`, true},
		{`keyId="k"`, false},
		{`signature="s"`, false},
		{`keyId="k,signature="s"`, false},
		{`keyId="k" signature="s"`, false},
		{`keyId="k",keyId="j",signature="s"`, false},
		{`keyId="k",created=x,signature="s"`, false},
		{``, false},
		{`=`, false},
	} {
		_, err := parseSignature(c.in)
		if (err == nil) != c.ok {
			t.Errorf("parseSignature(%q) error = %v, want ok=%v", c.in, err, c.ok)
		}
	}
}
