// Package webpush is the cryptography of Web Push: a message encrypted for
// one subscription (RFC 8291, in the aes128gcm content coding of RFC 8188)
// and the VAPID signature that identifies the server to the push service
// (RFC 8292). It is written on the standard library: crypto/ecdh for the
// key agreement, crypto/hkdf and AES-GCM, crypto/ecdsa for the JWT.
package webpush

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// RecordSize is the record size written in every message: one record of at
// most 4096 octets, the most a push service must accept (RFC 8291 section 4).
const RecordSize = 4096

// MaxPlaintext is the longest message that fits in one record: the record
// less the AES-GCM tag, the padding delimiter and the 86-octet header.
const MaxPlaintext = RecordSize - 16 - 1 - 86

var (
	// ErrBadKey means a subscription's public key is not a P-256 point or
	// its authentication secret is not 16 octets.
	ErrBadKey = errors.New("webpush: invalid subscription key")
	// ErrTooLong means a message does not fit in one record.
	ErrTooLong = errors.New("webpush: message too long")
)

// CheckKeys reports whether uaPublic (the subscription's p256dh) is an
// uncompressed P-256 point and auth a 16-octet secret.
func CheckKeys(uaPublic, auth []byte) error {
	if len(auth) != 16 {
		return fmt.Errorf("%w: the auth secret has %d octets, not 16", ErrBadKey, len(auth))
	}
	if _, err := ecdh.P256().NewPublicKey(uaPublic); err != nil {
		return fmt.Errorf("%w: p256dh: %v", ErrBadKey, err)
	}
	return nil
}

// Encrypt encrypts plaintext for the user agent whose public key is
// uaPublic and whose authentication secret is auth, with a fresh key pair
// and salt, and returns the request body.
func Encrypt(uaPublic, auth, plaintext []byte) ([]byte, error) {
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return encrypt(uaPublic, auth, plaintext, as, salt)
}

// encrypt is Encrypt with the application server's key pair and the salt
// given, so a test can reproduce RFC 8291's example.
func encrypt(uaPublic, auth, plaintext []byte, as *ecdh.PrivateKey, salt []byte) ([]byte, error) {
	if err := CheckKeys(uaPublic, auth); err != nil {
		return nil, err
	}
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: %d octets, at most %d", ErrTooLong, len(plaintext), MaxPlaintext)
	}
	ua, _ := ecdh.P256().NewPublicKey(uaPublic)
	secret, err := as.ECDH(ua)
	if err != nil {
		return nil, err
	}
	asPublic := as.PublicKey().Bytes()

	// RFC 8291 section 3.4: the auth secret and both public keys go into
	// the input keying material, the salt into the content encryption key.
	keyInfo := append(append([]byte("WebPush: info\x00"), uaPublic...), asPublic...)
	prkKey, err := hkdf.Extract(sha256.New, secret, auth)
	if err != nil {
		return nil, err
	}
	ikm, err := hkdf.Expand(sha256.New, prkKey, string(keyInfo), 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}

	// RFC 8188 section 2.1: salt, record size, key id (the server's public
	// key), then the one record: the message and the last-record delimiter.
	body := make([]byte, 0, 86+len(plaintext)+1+gcm.Overhead())
	body = append(body, salt...)
	body = binary.BigEndian.AppendUint32(body, RecordSize)
	body = append(body, byte(len(asPublic)))
	body = append(body, asPublic...)
	record := append(append([]byte(nil), plaintext...), 0x02)
	return gcm.Seal(body, nonce, record, nil), nil
}

// Legacy is a message in the "aesgcm" content coding of the drafts before
// RFC 8291 (draft-ietf-webpush-encryption-04 over
// draft-ietf-httpbis-encryption-encoding-03). Mastodon sends it to every
// subscription not marked "standard", and the push relays of Mastodon's
// iOS apps and of others decrypt only this form.
type Legacy struct {
	Body []byte
	// Salt and ServerKey go in the Encryption and Crypto-Key headers,
	// base64url.
	Salt, ServerKey string
}

// EncryptLegacy encrypts plaintext in the aesgcm coding with a fresh key
// pair and salt.
func EncryptLegacy(uaPublic, auth, plaintext []byte) (*Legacy, error) {
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return encryptLegacy(uaPublic, auth, plaintext, as, salt)
}

func encryptLegacy(uaPublic, auth, plaintext []byte, as *ecdh.PrivateKey, salt []byte) (*Legacy, error) {
	if err := CheckKeys(uaPublic, auth); err != nil {
		return nil, err
	}
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: %d octets, at most %d", ErrTooLong, len(plaintext), MaxPlaintext)
	}
	ua, _ := ecdh.P256().NewPublicKey(uaPublic)
	secret, err := as.ECDH(ua)
	if err != nil {
		return nil, err
	}
	asPublic := as.PublicKey().Bytes()
	prkCombine, err := hkdf.Extract(sha256.New, secret, auth)
	if err != nil {
		return nil, err
	}
	ikm, err := hkdf.Expand(sha256.New, prkCombine, "Content-Encoding: auth\x00", 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	// The context names the curve and both public keys, each after its
	// length in two octets.
	context := []byte("P-256\x00")
	context = binary.BigEndian.AppendUint16(context, uint16(len(uaPublic)))
	context = append(context, uaPublic...)
	context = binary.BigEndian.AppendUint16(context, uint16(len(asPublic)))
	context = append(context, asPublic...)
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aesgcm\x00"+string(context), 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00"+string(context), 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// One record: two octets of padding length (none), then the message.
	record := append([]byte{0, 0}, plaintext...)
	return &Legacy{
		Body:      gcm.Seal(nil, nonce, record, nil),
		Salt:      base64.RawURLEncoding.EncodeToString(salt),
		ServerKey: base64.RawURLEncoding.EncodeToString(asPublic),
	}, nil
}

// Key is the server's VAPID key pair (RFC 8292).
type Key struct {
	private *ecdsa.PrivateKey
}

// NewKey makes a new VAPID key pair.
func NewKey() (*Key, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Key{private: k}, nil
}

// ParseKey reads a key written by Key.Private.
func ParseKey(private string) (*Key, error) {
	b, err := base64.RawURLEncoding.DecodeString(private)
	if err != nil {
		return nil, fmt.Errorf("webpush: VAPID key: %w", err)
	}
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b)
	if err != nil {
		return nil, fmt.Errorf("webpush: VAPID key: %w", err)
	}
	return &Key{private: k}, nil
}

// Private is the private key, base64url without padding, to be stored.
func (k *Key) Private() string {
	b, _ := k.private.Bytes()
	return base64.RawURLEncoding.EncodeToString(b)
}

// Public is the public key as apps want it (the instance's vapid key, the
// applicationServerKey of a subscription): the uncompressed point,
// base64url without padding.
func (k *Key) Public() string {
	b, _ := k.private.PublicKey.Bytes()
	return base64.RawURLEncoding.EncodeToString(b)
}

// Authorization is the Authorization header for a message to endpoint: a
// JWT for the push service's origin, valid until exp (at most 24 hours
// away, RFC 8292 section 2), signed with ES256, and the public key.
// subject is how the push service may reach the operator (a mailto: or
// https: URI).
func (k *Key) Authorization(endpoint, subject string, exp time.Time) (string, error) {
	jwt, err := k.token(endpoint, subject, exp)
	if err != nil {
		return "", err
	}
	return "vapid t=" + jwt + ", k=" + k.Public(), nil
}

// LegacyAuthorization is the Authorization header of the VAPID drafts that
// goes with an aesgcm message ("WebPush" and the JWT), and the p256ecdsa
// parameter for its Crypto-Key header.
func (k *Key) LegacyAuthorization(endpoint, subject string, exp time.Time) (authorization, cryptoKey string, err error) {
	jwt, err := k.token(endpoint, subject, exp)
	if err != nil {
		return "", "", err
	}
	return "WebPush " + jwt, "p256ecdsa=" + k.Public(), nil
}

func (k *Key) token(endpoint, subject string, exp time.Time) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("webpush: endpoint %q is not a URL", endpoint)
	}
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"ES256"}`))
	claims, err := json.Marshal(map[string]any{
		"aud": u.Scheme + "://" + u.Host,
		"exp": exp.Unix(),
		"sub": subject,
	})
	if err != nil {
		return "", err
	}
	input := header + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k.private, digest[:])
	if err != nil {
		return "", err
	}
	// JWS ES256 is the two integers side by side, 32 octets each (RFC 7518
	// section 3.4), not the ASN.1 form.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// DecodeKey reads a key or secret from a subscription: base64url, or the
// standard alphabet, with or without padding, as apps send either.
func DecodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: not base64", ErrBadKey)
}
