package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func loopbackClient(o ClientOptions) *Client {
	o.AllowPrivate = loopback
	return NewClient(o)
}

func TestClientRefusesLoopback(t *testing.T) {
	key, _ := keys(t)
	s := &Signer{KeyID: testKeyID, Key: key}
	var hits atomic.Int32
	var gotAccept, gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		gotAccept, gotUA = r.Header.Get("Accept"), r.Header.Get("User-Agent")
		io.WriteString(w, `{"type":"Note"}`)
	}))
	defer srv.Close()
	ctx := context.Background()

	strict := NewClient(ClientOptions{})
	if _, err := strict.Get(ctx, srv.URL+"/note", nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("Get 127.0.0.1 without AllowPrivate: got %v, want ErrForbiddenAddress", err)
	}
	if err := strict.Post(ctx, srv.URL+"/inbox", []byte(`{}`), s); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("Post 127.0.0.1 without AllowPrivate: got %v, want ErrForbiddenAddress", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("server was reached %d times", n)
	}

	c := loopbackClient(ClientOptions{UserAgent: "Rounds/test"})
	body, err := c.Get(ctx, srv.URL+"/note", nil)
	if err != nil {
		t.Fatalf("Get with 127.0.0.0/8 allowed: %v", err)
	}
	if string(body) != `{"type":"Note"}` {
		t.Fatalf("body = %q", body)
	}
	if gotAccept != acceptActivity || gotUA != "Rounds/test" {
		t.Fatalf("server saw Accept %q, User-Agent %q", gotAccept, gotUA)
	}
}

func TestForbiddenAddr(t *testing.T) {
	for _, c := range []struct {
		addr      string
		forbidden bool
	}{
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"::1", true},
		{"::", true},
		{"fc00::1", true},
		{"fd12:3456::1", true},
		{"fe80::1", true},
		{"ff02::1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"64:ff9b::a00:1", true}, // NAT64 of 10.0.0.1
		{"2002:7f00:1::1", true}, // 6to4 of 127.0.0.1
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"100.63.255.255", false},
		{"100.128.0.0", false},
		{"172.32.0.1", false},
		{"2606:4700:4700::1111", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
	} {
		if got := forbiddenAddr(netip.MustParseAddr(c.addr)); got != c.forbidden {
			t.Errorf("forbiddenAddr(%s) = %v, want %v", c.addr, got, c.forbidden)
		}
	}

	allow := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, c := range []struct {
		address string
		ok      bool
	}{
		{"10.2.3.4:443", true},
		{"[::ffff:10.2.3.4]:443", true},
		{"192.168.0.1:443", false},
		{"[fe80::1%eth0]:80", false},
		{"8.8.8.8:443", true},
		{"not-an-address", false},
	} {
		err := checkDialAddress(c.address, allow)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrForbiddenAddress)) {
			t.Errorf("checkDialAddress(%q) = %v, want ok=%v", c.address, err, c.ok)
		}
	}
}

func TestClientRefusesSchemes(t *testing.T) {
	c := loopbackClient(ClientOptions{})
	for _, u := range []string{"ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/", "http:///nohost", "/relative"} {
		if _, err := c.Get(context.Background(), u, nil); err == nil {
			t.Errorf("Get(%q) succeeded", u)
		}
	}
}

func TestClientMaxBody(t *testing.T) {
	const limit = 1024
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") == "1" {
			// Flushing first drops Content-Length, so only the read cap
			// can catch the size.
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
		}
		w.Write(bytes.Repeat([]byte("x"), n))
	}))
	defer srv.Close()
	c := loopbackClient(ClientOptions{MaxBody: limit})

	for _, tc := range []struct {
		n       int
		chunked bool
		tooBig  bool
	}{
		{limit, false, false},
		{limit + 1, false, true},
		{limit, true, false},
		{limit + 1, true, true},
		{10 * limit, true, true},
	} {
		t.Run(fmt.Sprintf("n=%d chunked=%v", tc.n, tc.chunked), func(t *testing.T) {
			u := fmt.Sprintf("%s/?n=%d", srv.URL, tc.n)
			if tc.chunked {
				u += "&chunked=1"
			}
			body, err := c.Get(context.Background(), u, nil)
			if tc.tooBig {
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("got %v, want ErrTooLarge", err)
				}
				return
			}
			if err != nil || len(body) != tc.n {
				t.Fatalf("got %d bytes, err %v", len(body), err)
			}
		})
	}
}

// hopServer redirects /hop/N to /hop/N-1 and answers /hop/0 after checking
// that the request arriving there is still correctly signed.
func hopServer(res KeyResolver) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if n > 0 {
			http.Redirect(w, r, srv.URL+"/hop/"+strconv.Itoa(n-1), http.StatusFound)
			return
		}
		if res != nil {
			if _, _, err := VerifyRequest(r.Context(), r, nil, res, time.Now()); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
		}
		io.WriteString(w, "arrived")
	}))
	return srv
}

func TestClientRedirects(t *testing.T) {
	key, _ := keys(t)
	res := &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey}
	srv := hopServer(res)
	defer srv.Close()
	c := loopbackClient(ClientOptions{})
	s := &Signer{KeyID: testKeyID, Key: key}

	for _, tc := range []struct {
		hops int
		ok   bool
	}{{0, true}, {1, true}, {2, true}, {3, false}, {5, false}} {
		t.Run(strconv.Itoa(tc.hops), func(t *testing.T) {
			body, err := c.Get(context.Background(), srv.URL+"/hop/"+strconv.Itoa(tc.hops), s)
			if !tc.ok {
				if !errors.Is(err, errTooManyRedirects) {
					t.Fatalf("got %v, want too many redirects", err)
				}
				return
			}
			if err != nil || string(body) != "arrived" {
				t.Fatalf("got %q, %v", body, err)
			}
		})
	}
}

func TestClientRedirectToForbiddenAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, port, _ := net.SplitHostPort(r.Host)
		http.Redirect(w, r, "http://127.0.0.2:"+port+"/secret", http.StatusFound)
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	// WebFinger follows redirects to other hosts, so the dial-time check
	// is what stops this one.
	if _, _, err := c.GetWebFinger(context.Background(), srv.URL+"/"); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("got %v, want ErrForbiddenAddress", err)
	}
}

// TestClientRefusesCrossHostRedirects: a server with an open redirect must
// not be able to hand an ActivityPub fetch to another host, whose answer
// would then pass for its own (Mastodon's CVE-2024-23832).
func TestClientRefusesCrossHostRedirects(t *testing.T) {
	key, _ := keys(t)
	s := &Signer{KeyID: testKeyID, Key: key}
	var evilHits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		io.WriteString(w, `{"id":"forged"}`)
	}))
	defer evil.Close()
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect": // the open redirect
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		case "/old":
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
		case "/new":
			io.WriteString(w, `{"id":"here"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer victim.Close()
	c := loopbackClient(ClientOptions{})
	ctx := context.Background()

	open := victim.URL + "/redirect?to=" + evil.URL + "/users/admin"
	for _, signer := range []*Signer{nil, s} {
		if body, err := c.Get(ctx, open, signer); !errors.Is(err, ErrCrossHostRedirect) {
			t.Fatalf("Get through an open redirect (signed: %v) = %q, %v; want ErrCrossHostRedirect", signer != nil, body, err)
		}
	}
	if n := evilHits.Load(); n != 0 {
		t.Fatalf("the other host was fetched %d times", n)
	}
	// A redirect on the same host is still followed.
	if body, err := c.Get(ctx, victim.URL+"/old", s); err != nil || string(body) != `{"id":"here"}` {
		t.Fatalf("same-host redirect: %q, %v", body, err)
	}
	// WebFinger may be delegated to another host, and says where it ended.
	body, final, err := c.GetWebFinger(ctx, open)
	if err != nil || string(body) != `{"id":"forged"}` || final != evil.URL+"/users/admin" {
		t.Fatalf("GetWebFinger through a redirect = %q from %q, %v", body, final, err)
	}
}

// TestClientWebFingerAcceptsJRD: GoToSocial answers 406 to a WebFinger
// request that does not accept application/jrd+json or application/json.
func TestClientWebFingerAcceptsJRD(t *testing.T) {
	var gotAccept string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAccept = r.Header.Get("Accept")
		ok := false
		for _, part := range strings.Split(gotAccept, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			if mt == "application/jrd+json" || mt == "application/json" {
				ok = true
			}
		}
		if !ok {
			w.WriteHeader(http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		io.WriteString(w, `{"subject":"acct:a@b"}`)
	}))
	defer srv.Close()
	c := loopbackClient(ClientOptions{})
	body, _, err := c.GetWebFinger(context.Background(), srv.URL+"/.well-known/webfinger?resource=acct:a@b")
	if err != nil || string(body) != `{"subject":"acct:a@b"}` {
		t.Fatalf("GetWebFinger = %q, %v (sent Accept %q)", body, err, gotAccept)
	}
	if strings.Contains(gotAccept, "activity+json") {
		t.Fatalf("WebFinger sent Accept %q", gotAccept)
	}
}

func TestClientStatusErrors(t *testing.T) {
	key, _ := keys(t)
	s := &Signer{KeyID: testKeyID, Key: key}
	var redirectedTo atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/busy":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "/elsewhere":
			redirectedTo.Add(1)
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer srv.Close()
	c := loopbackClient(ClientOptions{})
	ctx := context.Background()

	for _, tc := range []struct {
		name  string
		do    func() error
		code  int
		retry time.Duration
	}{
		{"post 429", func() error { return c.Post(ctx, srv.URL+"/busy", []byte(`{}`), s) }, 429, 7 * time.Second},
		{"post 410", func() error { return c.Post(ctx, srv.URL+"/gone", []byte(`{}`), s) }, 410, 0},
		{"post redirect not followed", func() error { return c.Post(ctx, srv.URL+"/moved", []byte(`{}`), s) }, 307, 0},
		{"get 429", func() error { _, err := c.Get(ctx, srv.URL+"/busy", nil); return err }, 429, 7 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want *StatusError", err)
			}
			if se.StatusCode != tc.code || se.RetryAfter != tc.retry || !strings.HasPrefix(se.URL, srv.URL) {
				t.Fatalf("got %+v, want code %d retry %s", se, tc.code, tc.retry)
			}
		})
	}
	if n := redirectedTo.Load(); n != 0 {
		t.Fatalf("a POST redirect was followed %d times", n)
	}
	if err := c.Post(ctx, srv.URL+"/elsewhere", []byte(`{}`), nil); err == nil {
		t.Fatal("unsigned Post succeeded")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"99999999999999", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(time.Hour).Format(time.RFC850), time.Hour},
	} {
		if got := parseRetryAfter(c.in, now); got != c.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestClientSignedEndToEnd checks that what a real server receives from
// Post and a signed Get passes verification: RFC 9421 first, and against a
// server that verifies draft-cavage only, a cavage retry of the refused
// POST, after which the domain gets cavage at once (double-knocking).
func TestClientSignedEndToEnd(t *testing.T) {
	key, _ := keys(t)
	s := &Signer{KeyID: testKeyID, Key: key}
	res := &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey}
	activity := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","actor":"` + testOwner + `"}`)

	for _, tc := range []struct {
		name       string
		cavageOnly bool
		// styles the server saw, in order, and whether each verified
		want      []string
		wantOK    []bool
		wantStyle string
	}{
		{"server accepting RFC 9421", false, []string{styleRFC9421, styleRFC9421}, []bool{true, true}, styleRFC9421},
		{"server accepting cavage only", true, []string{styleRFC9421, styleCavage, styleCavage}, []bool{false, true, true}, styleCavage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var seen []string
			var verifyErrs []error
			var contentType string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body []byte
				if r.Method == http.MethodPost {
					body, _ = io.ReadAll(r.Body)
					if !bytes.Equal(body, activity) {
						t.Errorf("server got body %q", body)
					}
				}
				style := styleCavage
				var keyID, owner string
				var err error
				if r.Header.Get("Signature-Input") != "" {
					style = styleRFC9421
				}
				if style == styleRFC9421 && !tc.cavageOnly {
					keyID, owner, err = VerifyRequestRFC9421(r.Context(), r, body, res, "http", time.Now())
				} else {
					keyID, owner, err = VerifyRequest(r.Context(), r, body, res, time.Now())
				}
				if err == nil && (keyID != testKeyID || owner != testOwner) {
					err = fmt.Errorf("got keyID %q owner %q", keyID, owner)
				}
				mu.Lock()
				seen = append(seen, style)
				verifyErrs = append(verifyErrs, err)
				if r.Method == http.MethodPost {
					contentType = r.Header.Get("Content-Type")
				}
				mu.Unlock()
				if err != nil {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()
			c := loopbackClient(ClientOptions{})

			if err := c.Post(context.Background(), srv.URL+"/users/bob/inbox", activity, s); err != nil {
				t.Fatalf("Post: %v", err)
			}
			if _, err := c.Get(context.Background(), srv.URL+"/users/bob?x=1", s); err != nil {
				t.Fatalf("signed Get: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(seen) != fmt.Sprint(tc.want) {
				t.Fatalf("server saw styles %v, want %v", seen, tc.want)
			}
			for i, err := range verifyErrs {
				if (err == nil) != tc.wantOK[i] {
					t.Fatalf("request %d (%s): verification error %v, want ok=%v", i, seen[i], err, tc.wantOK[i])
				}
			}
			if contentType != "application/activity+json" {
				t.Fatalf("Content-Type = %q", contentType)
			}
			u, _ := url.Parse(srv.URL)
			if got := c.SignatureStyleOf(context.Background(), u.Host); got != tc.wantStyle {
				t.Fatalf("remembered style %q, want %q", got, tc.wantStyle)
			}
		})
	}
}

func TestClientReusesConnections(t *testing.T) {
	key, _ := keys(t)
	s := &Signer{KeyID: testKeyID, Key: key}
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := loopbackClient(ClientOptions{})
	for range 10 {
		if err := c.Post(context.Background(), srv.URL+"/inbox", []byte(`{}`), s); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("10 sequential posts used %d connections", n)
	}
}

// BenchmarkSignAndPost measures one delivery: signing a ~1KB activity and
// posting it over a pooled loopback connection.
func BenchmarkSignAndPost(b *testing.B) {
	key, _ := keys(b)
	s := &Signer{KeyID: testKeyID, Key: key}
	activity := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","actor":"` + testOwner +
		`","object":{"type":"Note","content":"` + strings.Repeat("lorem ipsum ", 80) + `"}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	c := loopbackClient(ClientOptions{})
	url := srv.URL + "/users/bob/inbox"
	b.SetBytes(int64(len(activity)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Post(context.Background(), url, activity, s); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerify measures VerifyRequest on a signed POST with the key
// already cached by the resolver.
func BenchmarkVerify(b *testing.B) {
	key, _ := keys(b)
	body := []byte(`{"type":"Create","content":"` + strings.Repeat("x", 1000) + `"}`)
	r, err := http.NewRequest(http.MethodPost, "https://local.example/users/bob/inbox", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	if err := SignRequest(r, body, &Signer{KeyID: testKeyID, Key: key}); err != nil {
		b.Fatal(err)
	}
	res := &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey}
	ctx := context.Background()
	now := time.Now()
	for b.Loop() {
		if _, _, err := VerifyRequest(ctx, r, body, res, now); err != nil {
			b.Fatal(err)
		}
	}
}
