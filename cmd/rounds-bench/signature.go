package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// HTTP signatures as Mastodon makes and checks them (draft-cavage-12):
// rsa-sha256 over (request-target), host and date, and digest for a body,
// with the body's SHA-256 in a Digest header.

// newKey makes the RSA-2048 key the simulated actors sign with. One key
// serves all of them (each under its own key id): making a thousand keys
// would take longer than the measurement.
func newKey() (*rsa.PrivateKey, string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, "", err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, "", err
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// signRequest signs r, whose body is body (nil for a GET), as keyID.
func signRequest(r *http.Request, body []byte, key *rsa.PrivateKey, keyID string) error {
	r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	r.Header.Set("Host", r.URL.Host)
	headers := []string{httpsig.RequestTarget, "host", "date"}
	if body != nil {
		headers = append(headers, "digest")
	}
	// Signers are not safe for concurrent use; one per request is cheap.
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return err
	}
	return signer.SignRequest(key, keyID, r, body)
}

var signedHeadersRE = regexp.MustCompile(`headers="([^"]*)"`)

// signatureKeyID returns the key id a request is signed with.
func signatureKeyID(r *http.Request) (string, error) {
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return "", err
	}
	return v.KeyId(), nil
}

// verifyRequest checks that r (with body) is signed by pub over
// (request-target), host, date and, for a body, a Digest that matches it.
func verifyRequest(r *http.Request, body []byte, pub crypto.PublicKey) error {
	sig := r.Header.Get("Signature")
	if sig == "" {
		return errors.New("no Signature header")
	}
	m := signedHeadersRE.FindStringSubmatch(sig)
	if m == nil {
		return errors.New("the signature does not list its headers")
	}
	covered := strings.Fields(strings.ToLower(m[1]))
	need := []string{httpsig.RequestTarget, "host", "date"}
	if r.Method == http.MethodPost {
		need = append(need, "digest")
		sum := sha256.Sum256(body)
		want := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
		if got := r.Header.Get("Digest"); got != want {
			return fmt.Errorf("Digest %q does not match the body", got)
		}
	}
	for _, h := range need {
		if !contains(covered, h) {
			return fmt.Errorf("the signature does not cover %s", h)
		}
	}
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return err
	}
	return v.Verify(pub, httpsig.RSA_SHA256)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parsePublicKey(p string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, errors.New("no PEM block in publicKeyPem")
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return k, nil
	}
	return x509.ParsePKCS1PublicKey(block.Bytes)
}
