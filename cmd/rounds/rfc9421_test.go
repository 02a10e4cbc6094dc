package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"rounds/federation"
	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// TestRFC9421DoubleKnocking runs three Rounds servers: a and b speak RFC
// 9421 and cavage and require signed fetches, c (ROUNDS_TEST_SIGNATURES=
// cavage) speaks cavage only and serves fetches without checking their
// signatures. Follows and posts go every way; a remembers in its database
// that b takes RFC 9421 and that c, which served a's RFC 9421 signed GET
// but refused its RFC 9421 Follow, takes cavage. Hostile RFC 9421 requests
// to b are refused with 401 and a reason. (The fallback of a signed GET
// refused with 401 is seen against the GoToSocial fake of
// TestGoToSocialLikeServerFederates and in federation's unit tests.)
func TestRFC9421DoubleKnocking(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a := startNodeWith(t, dialect, func(rc *rawConfig) { rc.authorizedFetch = true })
		b := startNodeWith(t, dialect, func(rc *rawConfig) { rc.authorizedFetch = true })
		c := startNodeWith(t, dialect, func(rc *rawConfig) { rc.cavageOnly = true })
		alice, bob, carol := a.user(t, "alice", false), b.user(t, "bob", false), c.user(t, "carol", false)

		style := func(n *node, domain string) string {
			t.Helper()
			s, _, err := n.svc.SignatureStyle(ctx, domain)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}

		followAcross(t, a, alice, b, "bob")
		followAcross(t, a, alice, c, "carol")
		followAcross(t, b, bob, a, "alice")
		followAcross(t, c, carol, a, "alice")
		for _, tc := range []struct {
			n      *node
			domain string
			want   string
		}{
			{a, b.domain, "rfc9421"}, {b, a.domain, "rfc9421"},
			{a, c.domain, "cavage"},
			// A cavage-only server learns nothing: it never tries RFC 9421.
			{c, a.domain, ""},
		} {
			if got := style(tc.n, tc.domain); got != tc.want {
				t.Errorf("%s's stored signature style of %s = %q, want %q", tc.n.domain, tc.domain, got, tc.want)
			}
		}

		// Posts arrive every way, in the style each server takes.
		fromA, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Handover at eight.", Visibility: social.VisibilityPrivate})
		if err != nil {
			t.Fatal(err)
		}
		var back []*storage.Status
		for _, r := range []struct {
			n   *node
			who *storage.Account
		}{{b, bob}, {c, carol}} {
			from, err := r.n.svc.PostStatus(ctx, r.who, social.NewStatus{Text: "Seen, thanks.", Visibility: social.VisibilityPrivate})
			if err != nil {
				t.Fatal(err)
			}
			back = append(back, from)
		}
		waitInHome(t, b, bob, fromA.URI, "alice's post reaching b")
		waitInHome(t, c, carol, fromA.URI, "alice's post reaching c")
		for _, st := range back {
			waitInHome(t, a, alice, st.URI, st.URI+" reaching a")
		}
		if got := style(a, c.domain); got != "cavage" {
			t.Fatalf("a's style of c after the deliveries = %q", got)
		}

		// A signed fetch in RFC 9421: b serves it; b refuses a fetch
		// signed over less than method and target.
		inst, err := a.svc.InstanceActor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		instKey := parseRSAKey(t, inst.PrivateKeyPEM)
		signer := &federation.Signer{KeyID: inst.KeyID, Key: instKey}
		get := func(uri string, rfc bool) (int, string) {
			req, _ := http.NewRequest(http.MethodGet, uri, nil)
			req.Header.Set("Accept", "application/activity+json")
			if rfc {
				err = federation.SignRequestRFC9421(req, nil, signer, time.Now())
			} else {
				err = federation.SignRequest(req, nil, signer)
			}
			if err != nil {
				t.Fatal(err)
			}
			return do(t, req)
		}
		if code, body := get(bob.URI, true); code != http.StatusOK {
			t.Fatalf("RFC 9421 signed GET of bob = %d %s", code, body)
		}
		if code, body := get(bob.URI, false); code != http.StatusOK {
			t.Fatalf("cavage signed GET of bob = %d %s", code, body)
		}
		req, _ := http.NewRequest(http.MethodGet, bob.URI, nil)
		req.Header.Set("Accept", "application/activity+json")
		signByHand(t, req, []string{"@method", "@path"}, time.Now().Unix(), inst.KeyID, instKey)
		if code, body := do(t, req); code != http.StatusUnauthorized || !strings.Contains(body, "covers neither @target-uri") {
			t.Fatalf("GET of bob signed without the authority = %d %s, want 401", code, body)
		}

		// c refuses an RFC 9421 delivery with 401, which is what makes a
		// sender fall back.
		toC := []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/follows/x1","type":"Follow","actor":"%s","object":"%s"}`, a.base, alice.URI, carol.URI))
		req, _ = http.NewRequest(http.MethodPost, carol.URI+"/inbox", bytes.NewReader(toC))
		if err := federation.SignRequestRFC9421(req, toC, &federation.Signer{KeyID: alice.KeyID, Key: parseRSAKey(t, alice.PrivateKeyPEM)}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if code, body := do(t, req); code != http.StatusUnauthorized || !strings.Contains(body, "signature refused") {
			t.Fatalf("RFC 9421 delivery to the cavage-only c = %d %s, want 401", code, body)
		}

		// Hostile RFC 9421 deliveries to b, signed by hand (the signature
		// base written out here, independently of the federation package).
		aliceKey := parseRSAKey(t, alice.PrivateKeyPEM)
		inbox := bob.URI + "/inbox"
		follow := func(actor string) []byte {
			return []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/follows/%d","type":"Follow","actor":"%s","object":"%s"}`,
				a.base, time.Now().UnixNano(), actor, bob.URI))
		}
		now := time.Now().Unix()
		for _, tc := range []struct {
			name       string
			body       []byte
			sent       []byte // the body on the wire, when another
			components []string
			created    int64
			keyID      string
			key        *rsa.PrivateKey
			want       int
			msg        string
		}{
			{"without @method", follow(alice.URI), nil, []string{"@target-uri", "content-digest"}, now, alice.KeyID, aliceKey, 401, "does not cover @method"},
			{"without content-digest", follow(alice.URI), nil, []string{"@method", "@target-uri"}, now, alice.KeyID, aliceKey, 401, "content-digest"},
			{"wrong digest", follow(alice.URI), follow(alice.URI), []string{"@method", "@target-uri", "content-digest"}, now, alice.KeyID, aliceKey, 401, "does not match the body"},
			{"created 13 hours ago", follow(alice.URI), nil, []string{"@method", "@target-uri", "content-digest"}, now - 13*3600, alice.KeyID, aliceKey, 401, "old"},
			{"created in the future", follow(alice.URI), nil, []string{"@method", "@target-uri", "content-digest"}, now + 2*3600, alice.KeyID, aliceKey, 401, "in the future"},
			{"key of another actor", follow(alice.URI), nil, []string{"@method", "@target-uri", "content-digest"}, now, inst.KeyID, instKey, 401, "not the actor's"},
			{"key not the one named", follow(alice.URI), nil, []string{"@method", "@target-uri", "content-digest"}, now, alice.KeyID, instKey, 401, "does not verify"},
			{"valid", follow(alice.URI), nil, []string{"@method", "@path", "@authority", "content-digest"}, now, alice.KeyID, aliceKey, 202, ""},
		} {
			sent := tc.sent
			if sent == nil {
				sent = tc.body
			}
			req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(sent))
			req.Header.Set("Content-Type", "application/activity+json")
			sum := sha256.Sum256(tc.body)
			req.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
			signByHand(t, req, tc.components, tc.created, tc.keyID, tc.key)
			code, body := do(t, req)
			if code != tc.want || !strings.Contains(body, tc.msg) {
				t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, code, body, tc.want, tc.msg)
			}
		}
	})
}

// signByHand signs req in RFC 9421 over components, which may be @method,
// @target-uri, @path, @authority and content-digest.
func signByHand(t *testing.T, req *http.Request, components []string, created int64, keyID string, key *rsa.PrivateKey) {
	t.Helper()
	var base, list strings.Builder
	for i, c := range components {
		var v string
		switch c {
		case "@method":
			v = req.Method
		case "@target-uri":
			v = req.URL.String()
		case "@path":
			v = req.URL.EscapedPath()
		case "@authority":
			v = req.URL.Host
		case "content-digest":
			v = req.Header.Get("Content-Digest")
		default:
			t.Fatalf("component %q", c)
		}
		fmt.Fprintf(&base, "%q: %s\n", c, v)
		if i > 0 {
			list.WriteByte(' ')
		}
		fmt.Fprintf(&list, "%q", c)
	}
	params := fmt.Sprintf("(%s);created=%d;keyid=%q", list.String(), created, keyID)
	base.WriteString(`"@signature-params": ` + params)
	sum := sha256.Sum256([]byte(base.String()))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Signature-Input", "sig1="+params)
	req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(sig)+":")
}

func parseRSAKey(t *testing.T, pemText string) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		t.Fatal("no PEM key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCavageOnlySetting: the undocumented ROUNDS_TEST_SIGNATURES=cavage
// makes a server speak draft-cavage only; nothing else does.
func TestCavageOnlySetting(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{{"cavage", true}, {"", false}, {"rfc9421", false}, {"1", false}} {
		getenv := func(k string) string {
			if k == "ROUNDS_TEST_SIGNATURES" {
				return tc.env
			}
			return ""
		}
		cfg, err := parseCommand("serve", []string{"--domain", "rounds.example"}, io.Discard, getenv, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CavageOnly != tc.want {
			t.Fatalf("ROUNDS_TEST_SIGNATURES=%q gives CavageOnly %v", tc.env, cfg.CavageOnly)
		}
	}
}
