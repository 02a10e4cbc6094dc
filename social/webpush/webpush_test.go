package webpush

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// The example of RFC 8291 Appendix A.
const (
	rfcPlaintext = "When I grow up, I want to be a watermelon"
	rfcASPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
	rfcUAPublic  = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcUAPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
	rfcSalt      = "DGv6ra1nlYgDCS1FRnbzlw"
	rfcAuth      = "BTBZMqHH6r4Tts7J_aSIgg"
	rfcBody      = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncryptReproducesRFC8291Example(t *testing.T) {
	as, err := ecdh.P256().NewPrivateKey(b64(t, rfcASPrivate))
	if err != nil {
		t.Fatal(err)
	}
	body, err := encrypt(b64(t, rfcUAPublic), b64(t, rfcAuth), []byte(rfcPlaintext), as, b64(t, rfcSalt))
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(body); got != rfcBody {
		t.Errorf("body\n got %s\nwant %s", got, rfcBody)
	}
}

func TestEncryptWithFreshKeysIsReadByTheUserAgent(t *testing.T) {
	ua, err := ecdh.P256().NewPrivateKey(b64(t, rfcUAPrivate))
	if err != nil {
		t.Fatal(err)
	}
	body, err := Encrypt(ua.PublicKey().Bytes(), b64(t, rfcAuth), []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := decrypt(body, ua, b64(t, rfcAuth))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello" {
		t.Errorf("decrypted %q", got)
	}
	// The RFC's own message decrypts with the RFC's user agent key.
	got, err = decrypt(b64(t, rfcBody), ua, b64(t, rfcAuth))
	if err != nil || string(got) != rfcPlaintext {
		t.Errorf("RFC message: %q, %v", got, err)
	}
	if _, err := Encrypt(ua.PublicKey().Bytes(), b64(t, rfcAuth), make([]byte, MaxPlaintext+1)); err == nil {
		t.Error("a message longer than one record was encrypted")
	}
	if _, err := Encrypt(ua.PublicKey().Bytes()[:33], b64(t, rfcAuth), []byte("x")); err == nil {
		t.Error("a truncated p256dh key was accepted")
	}
}

func TestAuthorizationIsAVerifiableVAPIDToken(t *testing.T) {
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParseKey(k.Private())
	if err != nil || k2.Public() != k.Public() {
		t.Fatalf("stored key does not read back: %v", err)
	}
	exp := time.Now().Add(12 * time.Hour)
	h, err := k2.Authorization("https://push.example.net:8443/send/abc?x=1", "https://rounds.example", exp)
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := strings.CutPrefix(h, "vapid t=")
	jwt, key, ok2 := strings.Cut(rest, ", k=")
	if !ok || !ok2 || key != k.Public() {
		t.Fatalf("header %q", h)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("jwt %q", jwt)
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(b64(t, parts[1]), &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Aud != "https://push.example.net:8443" || claims.Exp != exp.Unix() || claims.Sub != "https://rounds.example" {
		t.Errorf("claims %+v", claims)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b64(t, key))
	if err != nil {
		t.Fatal(err)
	}
	sig := b64(t, parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("the signature does not verify with the public key")
	}
}

// decrypt is the user agent's side of RFC 8291, written from the RFC for
// the test: it reads the header, derives the keys and opens the record.
func decrypt(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, errors.New("bad header")
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, err
	}
	secret, err := ua.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(ua.PublicKey().Bytes()) + string(asPub.Bytes())
	prkKey, _ := hkdf.Extract(sha256.New, secret, auth)
	ikm, _ := hkdf.Expand(sha256.New, prkKey, info, 32)
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	record, err := gcm.Open(nil, nonce, body[21+idlen:], nil)
	if err != nil {
		return nil, err
	}
	record = bytes.TrimRight(record, "\x00")
	if len(record) == 0 || record[len(record)-1] != 0x02 {
		return nil, errors.New("no last-record delimiter")
	}
	return record[:len(record)-1], nil
}

// TestEncryptLegacyIsReadByTheUserAgent opens an aesgcm message as the
// draft's user agent would (draft-ietf-webpush-encryption-04 section 3).
// No published example of this coding is checked; the derivation is the
// draft's, written again here.
func TestEncryptLegacyIsReadByTheUserAgent(t *testing.T) {
	ua, err := ecdh.P256().NewPrivateKey(b64(t, rfcUAPrivate))
	if err != nil {
		t.Fatal(err)
	}
	auth := b64(t, rfcAuth)
	msg, err := EncryptLegacy(ua.PublicKey().Bytes(), auth, []byte(rfcPlaintext))
	if err != nil {
		t.Fatal(err)
	}
	asRaw, salt := b64(t, msg.ServerKey), b64(t, msg.Salt)
	as, err := ecdh.P256().NewPublicKey(asRaw)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := ua.ECDH(as)
	if err != nil {
		t.Fatal(err)
	}
	uaRaw := ua.PublicKey().Bytes()
	context := "P-256\x00\x00\x41" + string(uaRaw) + "\x00\x41" + string(asRaw)
	prkCombine, _ := hkdf.Extract(sha256.New, secret, auth)
	ikm, _ := hkdf.Expand(sha256.New, prkCombine, "Content-Encoding: auth\x00", 32)
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aesgcm\x00"+context, 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00"+context, 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	record, err := gcm.Open(nil, nonce, msg.Body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(record, append([]byte{0, 0}, rfcPlaintext...)) {
		t.Errorf("record %q", record)
	}
}
