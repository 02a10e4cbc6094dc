package federation

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The test request of RFC 9421 Appendix B.2 and the values its examples
// give.
const (
	rfcBody          = `{"hello": "world"}`
	rfcContentDigest = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
	rfcCreated       = 1618884473

	// B.1.4 test-key-ed25519, as the JWK's d (seed) and x (public key).
	rfcEd25519Seed   = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"
	rfcEd25519Public = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"

	b26Input     = `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
	b26Signature = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
	b26Base      = `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`

	b21Input = `sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"`
	b21Base  = `"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"`

	b23Input     = `sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"`
	b23Signature = "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:"
	b23Base      = `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@query": ?param=Value&Pet=dog
"@authority": example.com
"content-type": application/json
"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"`

	// B.1.2 test-key-rsa-pss, public half.
	rfcRSAPSSPublic = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----`
)

// rfcRequest is the test request of RFC 9421 Appendix B.2 as a server
// receives it.
func rfcRequest(t *testing.T) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://example.com/foo?param=Value&Pet=dog", strings.NewReader(rfcBody))
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Digest", rfcContentDigest)
	r.Header.Set("Content-Length", "18")
	return r
}

func rfcInput(t *testing.T, header string) *sigInput {
	t.Helper()
	ms, err := parseDictionary([]string{header})
	if err != nil || len(ms) != 1 {
		t.Fatalf("parse %q: %v (%d members)", header, err, len(ms))
	}
	in, err := newSigInput(ms[0])
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func rfcSignature(t *testing.T, header string) []byte {
	t.Helper()
	ms, err := parseDictionary([]string{header})
	if err != nil || len(ms) != 1 {
		t.Fatalf("parse %q: %v", header, err)
	}
	b, ok := ms[0].val.val.([]byte)
	if !ok {
		t.Fatalf("%q is not a byte sequence", header)
	}
	return b
}

func rfcEd25519Key(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	seed, err := base64.RawURLEncoding.DecodeString(rfcEd25519Seed)
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	pub, _ := base64.RawURLEncoding.DecodeString(rfcEd25519Public)
	if !key.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(pub)) {
		t.Fatal("the seed of test-key-ed25519 does not give its public key")
	}
	return key
}

// TestRFC9421SignatureBases builds the signature bases of the examples of
// RFC 9421 Appendix B.2 that use what Rounds implements, and checks them
// byte for byte; B.2.3's rsa-pss-sha512 signature verifies over ours.
func TestRFC9421SignatureBases(t *testing.T) {
	for _, tc := range []struct{ name, input, want string }{
		{"B.2.1 minimal", b21Input, b21Base},
		{"B.2.3 full coverage", b23Input, b23Base},
		{"B.2.6 ed25519", b26Input, b26Base},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := rfcInput(t, tc.input)
			got, err := incomingMessage(rfcRequest(t), "http").signatureBase(in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("signature base:\n%s\nwant:\n%s", got, tc.want)
			}
			// Signature-Input is serialised back as it was given.
			if s := in.label + "=" + in.serialize(); s != tc.input {
				t.Fatalf("serialised input %q, want %q", s, tc.input)
			}
		})
	}

	block, _ := pem.Decode([]byte(rfcRSAPSSPublic))
	pk, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512([]byte(b23Base))
	if err := rsa.VerifyPSS(pk.(*rsa.PublicKey), crypto.SHA512, sum[:], rfcSignature(t, b23Signature), &rsa.PSSOptions{SaltLength: 64}); err != nil {
		t.Fatalf("B.2.3's signature does not verify over the base: %v", err)
	}
}

// TestRFC9421Ed25519Example signs RFC 9421's B.2.6 example with its test
// key and gets the RFC's headers byte for byte (Ed25519 is deterministic),
// and verifies the RFC's signature over the request.
func TestRFC9421Ed25519Example(t *testing.T) {
	key := rfcEd25519Key(t)
	r, _ := http.NewRequest(http.MethodPost, "http://example.com/foo?param=Value&Pet=dog", strings.NewReader(rfcBody))
	r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Content-Length", "18")
	if err := signMessage(r, rfcInput(t, b26Input), key); err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("Signature-Input"); got != b26Input {
		t.Fatalf("Signature-Input %q, want %q", got, b26Input)
	}
	if got := r.Header.Get("Signature"); got != b26Signature {
		t.Fatalf("Signature %q, want %q", got, b26Signature)
	}

	pub := key.Public()
	if err := verifyBase(pub, "", b26Base, rfcSignature(t, b26Signature)); err != nil {
		t.Fatalf("B.2.6 signature: %v", err)
	}
	if err := verifyBase(pub, algEd25519, b26Base+" ", rfcSignature(t, b26Signature)); err == nil {
		t.Fatal("the B.2.6 signature verified over another base")
	}
	if err := verifyBase(pub, algRSAv15SHA256, b26Base, rfcSignature(t, b26Signature)); err == nil {
		t.Fatal("an rsa-v1_5-sha256 signature verified with an Ed25519 key")
	}

	// As a whole request, B.2.6 is refused under Rounds' rules: it covers
	// neither the body's digest nor the query.
	req := rfcRequest(t)
	req.Header.Set("Signature-Input", b26Input)
	req.Header.Set("Signature", b26Signature)
	res := keyMap{"test-key-ed25519": pub}
	_, _, err := VerifyRequestRFC9421(context.Background(), req, []byte(rfcBody), res, "http", time.Unix(rfcCreated, 0))
	if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "@query") {
		t.Fatalf("B.2.6 as a request: %v, want refused for not covering the query", err)
	}
	req = rfcRequest(t)
	req.URL.RawQuery, req.RequestURI = "", "/foo"
	req.Header.Set("Signature-Input", b26Input)
	req.Header.Set("Signature", b26Signature)
	_, _, err = VerifyRequestRFC9421(context.Background(), req, []byte(rfcBody), res, "http", time.Unix(rfcCreated, 0))
	if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "content-digest") {
		t.Fatalf("B.2.6 without the query: %v, want refused for not covering content-digest", err)
	}
}

// keyMap resolves keys from a map; each key is its own owner.
type keyMap map[string]crypto.PublicKey

func (m keyMap) PublicKey(_ context.Context, keyID string, _ bool) (crypto.PublicKey, string, error) {
	if k, ok := m[keyID]; ok {
		return k, keyID, nil
	}
	return nil, "", errors.New("unknown key")
}

// TestContentDigestRFC9530 checks Content-Digest against RFC 9530's
// examples for the body {"hello": "world"}.
func TestContentDigestRFC9530(t *testing.T) {
	body := []byte(rfcBody)
	if got := ContentDigest(body); got != "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:" {
		t.Fatalf("ContentDigest = %q", got)
	}
	for _, tc := range []struct {
		values []string
		ok     bool
	}{
		{[]string{"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"}, true},
		{[]string{rfcContentDigest}, true},
		{[]string{"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, " + rfcContentDigest}, true},
		{[]string{"md5=:AAAA:", rfcContentDigest}, true},
		{[]string{"sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"}, false}, // another body's
		{[]string{"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:AAAA:"}, false},
		{[]string{"md5=:AAAA:"}, false},
		{[]string{"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="}, false}, // the old Digest syntax
		{nil, false},
	} {
		err := checkContentDigest(tc.values, body)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrBadDigest)) {
			t.Errorf("checkContentDigest(%q) = %v, want ok=%v", tc.values, err, tc.ok)
		}
	}
}

// TestRFC9421RoundTrip: what SignRequestRFC9421 sends verifies, for a POST
// and for a GET with a query, also behind a proxy where the request line
// is all that reaches the server.
func TestRFC9421RoundTrip(t *testing.T) {
	key, _ := keys(t)
	s := &Signer{KeyID: testKeyID, Key: key}
	res := &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey}
	now := time.Now()
	for _, tc := range []struct {
		method, url string
		body        []byte
	}{
		{http.MethodPost, "https://rounds.example/users/bob/inbox", []byte(`{"type":"Follow"}`)},
		{http.MethodGet, "https://rounds.example/users/bob/outbox?page=true&min_id=5", nil},
		{http.MethodGet, "https://rounds.example:8443/users/a%2Fb", nil},
	} {
		out, _ := http.NewRequest(tc.method, tc.url, nil)
		if err := SignRequestRFC9421(out, tc.body, s, now); err != nil {
			t.Fatal(err)
		}
		in := received(out, tc.body)
		keyID, owner, err := VerifyRequestRFC9421(context.Background(), in, tc.body, res, "https", now.Add(time.Minute))
		if err != nil || keyID != testKeyID || owner != testOwner {
			t.Fatalf("%s %s: %q %q %v", tc.method, tc.url, keyID, owner, err)
		}
		if tc.method == http.MethodPost && !strings.Contains(out.Header.Get("Signature-Input"), `"content-digest"`) {
			t.Fatalf("POST signature input %q", out.Header.Get("Signature-Input"))
		}
		// The same request reaching http://, as if the proxy were
		// forgotten, names another target URI.
		if _, _, err := VerifyRequestRFC9421(context.Background(), in, tc.body, res, "http", now); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("verified with the wrong scheme: %v", err)
		}
	}
}

// received turns an outgoing request into the request a server sees.
func received(out *http.Request, body []byte) *http.Request {
	in := httptest.NewRequest(out.Method, out.URL.RequestURI(), strings.NewReader(string(body)))
	in.Host = out.URL.Host
	for k, v := range out.Header {
		in.Header[k] = append([]string(nil), v...)
	}
	return in
}

// TestRFC9421Hostile: requests that must be refused with a clear reason.
func TestRFC9421Hostile(t *testing.T) {
	key, other := keys(t)
	now := time.Now()
	body := []byte(`{"type":"Create"}`)
	const inbox = "https://rounds.example/users/bob/inbox"

	// sign makes a POST signed over components with params, under label.
	sign := func(t *testing.T, label string, components []string, params []sfParam, k crypto.Signer) *http.Request {
		t.Helper()
		out, _ := http.NewRequest(http.MethodPost, inbox, nil)
		out.Header.Set("Content-Digest", ContentDigest(body))
		in := &sigInput{label: label, params: params}
		for _, c := range components {
			in.components = append(in.components, sfItem{val: c})
		}
		if err := signMessage(out, in, k); err != nil {
			t.Fatal(err)
		}
		return out
	}
	std := []string{"@method", "@target-uri", "content-digest"}
	good := []sfParam{{"created", now.Unix()}, {"keyid", testKeyID}}

	for _, tc := range []struct {
		name  string
		build func(t *testing.T) (*http.Request, []byte)
		want  error
		msg   string
	}{
		{"no @method", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", []string{"@target-uri", "content-digest"}, good, key), body
		}, ErrBadSignature, "does not cover @method"},
		{"no target", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", []string{"@method", "content-digest"}, good, key), body
		}, ErrBadSignature, "covers neither @target-uri"},
		{"@path without @authority", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", []string{"@method", "@path", "content-digest"}, good, key), body
		}, ErrBadSignature, "covers neither @target-uri"},
		{"no digest on a body", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", []string{"@method", "@target-uri"}, good, key), body
		}, ErrBadSignature, "does not cover content-digest"},
		{"wrong digest", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", std, good, key), []byte(`{"type":"Delete"}`)
		}, ErrBadDigest, "does not match the body"},
		{"no created", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", std, []sfParam{{"keyid", testKeyID}}, key), body
		}, ErrStaleDate, "no created"},
		{"created 13 hours ago", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", std, []sfParam{{"created", now.Add(-13 * time.Hour).Unix()}, {"keyid", testKeyID}}, key), body
		}, ErrStaleDate, "old"},
		{"created in the future", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", std, []sfParam{{"created", now.Add(2 * time.Hour).Unix()}, {"keyid", testKeyID}}, key), body
		}, ErrStaleDate, "in the future"},
		{"expired", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", std, []sfParam{{"created", now.Add(-time.Hour).Unix()}, {"expires", now.Add(-time.Minute).Unix()}, {"keyid", testKeyID}}, key), body
		}, ErrStaleDate, "expired"},
		{"no keyid", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", std, []sfParam{{"created", now.Unix()}}, key), body
		}, ErrBadSignature, "no keyid"},
		{"another key", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", std, good, other), body
		}, ErrBadSignature, "does not verify"},
		{"rsa-pss-sha512", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", std, append([]sfParam{{"alg", "rsa-pss-sha512"}}, good...), key), body
		}, ErrBadSignature, "unsupported algorithm"},
		{"alg of another key type", func(t *testing.T) (*http.Request, []byte) {
			return sign(t, "sig1", std, append([]sfParam{{"alg", "ed25519"}}, good...), key), body
		}, ErrBadSignature, "does not fit an RSA key"},
		{"label mismatch", func(t *testing.T) (*http.Request, []byte) {
			r := sign(t, "sig1", std, good, key)
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig1=", "sig2=", 1))
			return r, body
		}, ErrBadSignature, `no member labelled "sig1"`},
		{"component changed after signing", func(t *testing.T) (*http.Request, []byte) {
			r := sign(t, "sig1", std, good, key)
			r.URL.Path = "/users/carol/inbox"
			return r, body
		}, ErrBadSignature, "does not verify"},
		{"covered twice", func(t *testing.T) (*http.Request, []byte) {
			r := sign(t, "sig1", std, good, key)
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `("@method"`, `("@method" "@method"`, 1))
			return r, body
		}, ErrBadSignature, "covered twice"},
		{"component parameter", func(t *testing.T) (*http.Request, []byte) {
			r := sign(t, "sig1", std, good, key)
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), `"content-digest"`, `"content-digest";sf`, 1))
			return r, body
		}, ErrBadSignature, "not supported"},
		{"garbage", func(t *testing.T) (*http.Request, []byte) {
			r := sign(t, "sig1", std, good, key)
			r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri"`)
			return r, body
		}, ErrBadSignature, "malformed structured field"},
		{"two signatures, both bad", func(t *testing.T) (*http.Request, []byte) {
			r := sign(t, "sig1", []string{"@target-uri", "content-digest"}, good, key)
			r2 := sign(t, "sig2", std, good, other)
			r.Header.Add("Signature-Input", r2.Header.Get("Signature-Input"))
			r.Header.Add("Signature", r2.Header.Get("Signature"))
			return r, body
		}, ErrBadSignature, "does not cover @method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, b := tc.build(t)
			res := &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey}
			_, owner, err := VerifyRequestRFC9421(context.Background(), received(out, b), b, res, "https", now)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || owner != "" {
				t.Fatalf("got %v (owner %q), want %v mentioning %q", err, owner, tc.want, tc.msg)
			}
		})
	}

	t.Run("several signatures, one valid", func(t *testing.T) {
		r := sign(t, "bad", []string{"@target-uri", "content-digest"}, good, key)
		r2 := sign(t, "good", std, good, key)
		r.Header.Add("Signature-Input", r2.Header.Get("Signature-Input"))
		r.Header.Add("Signature", r2.Header.Get("Signature"))
		res := &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey}
		if _, owner, err := VerifyRequestRFC9421(context.Background(), received(r, body), body, res, "https", now); err != nil || owner != testOwner {
			t.Fatalf("got %q, %v", owner, err)
		}
	})
	t.Run("rotated key refetched once", func(t *testing.T) {
		r := sign(t, "sig1", std, good, key)
		res := &fakeResolver{cached: &other.PublicKey, refreshed: &key.PublicKey}
		if _, owner, err := VerifyRequestRFC9421(context.Background(), received(r, body), body, res, "https", now); err != nil || owner != testOwner || res.refreshes != 1 {
			t.Fatalf("got %q, %v after %d refreshes", owner, err, res.refreshes)
		}
	})
	t.Run("a GET needs no digest", func(t *testing.T) {
		out, _ := http.NewRequest(http.MethodGet, "https://rounds.example/users/bob", nil)
		in := &sigInput{label: "sig1", components: []sfItem{{val: "@method"}, {val: "@authority"}, {val: "@path"}}, params: good}
		if err := signMessage(out, in, key); err != nil {
			t.Fatal(err)
		}
		res := &fakeResolver{cached: &key.PublicKey, refreshed: &key.PublicKey}
		if _, _, err := VerifyRequestRFC9421(context.Background(), received(out, nil), nil, res, "https", now); err != nil {
			t.Fatal(err)
		}
	})
}
