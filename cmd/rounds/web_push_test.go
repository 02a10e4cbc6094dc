package main

import (
	"bytes"
	"context"
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
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// pushReceiver is a push service on loopback: it keeps each message it is
// sent, by path, and answers with the statuses set for that path in turn,
// the last one from then on (201 when none is set).
type pushReceiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	status map[string][]int
	got    chan pushMessage
}

type pushMessage struct {
	path   string
	header http.Header
	body   []byte
}

func newPushReceiver(t *testing.T, tls bool) *pushReceiver {
	pr := &pushReceiver{status: map[string][]int{}, got: make(chan pushMessage, 64)}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		pr.got <- pushMessage{path: r.URL.Path, header: r.Header.Clone(), body: body}
		pr.mu.Lock()
		code := http.StatusCreated
		if codes := pr.status[r.URL.Path]; len(codes) > 0 {
			code = codes[0]
			if len(codes) > 1 {
				pr.status[r.URL.Path] = codes[1:]
			}
		}
		pr.mu.Unlock()
		w.WriteHeader(code)
	})
	if tls {
		pr.srv = httptest.NewTLSServer(h)
	} else {
		pr.srv = httptest.NewServer(h)
	}
	t.Cleanup(pr.srv.Close)
	return pr
}

func (pr *pushReceiver) answer(path string, codes ...int) {
	pr.mu.Lock()
	pr.status[path] = codes
	pr.mu.Unlock()
}

// next waits for the next message.
func (pr *pushReceiver) next(t *testing.T, what string) pushMessage {
	t.Helper()
	select {
	case m := <-pr.got:
		return m
	case <-time.After(20 * time.Second):
		t.Fatalf("no push for %s within 20s", what)
	}
	return pushMessage{}
}

// none checks that no further message comes for a while.
func (pr *pushReceiver) none(t *testing.T, what string) {
	t.Helper()
	select {
	case m := <-pr.got:
		t.Errorf("%s: unexpected push to %s", what, m.path)
	case <-time.After(700 * time.Millisecond):
	}
}

// pushDevice is the app's side of a subscription: its key pair and auth
// secret.
type pushDevice struct {
	key  *ecdh.PrivateKey
	auth []byte
}

func newPushDevice(t *testing.T) *pushDevice {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	_, _ = rand.Read(auth)
	return &pushDevice{key: k, auth: auth}
}

func (d *pushDevice) p256dh() string {
	return base64.RawURLEncoding.EncodeToString(d.key.PublicKey().Bytes())
}

// decrypt opens an aes128gcm message as a user agent does, written here
// from RFC 8291 section 3 and RFC 8188 section 2, apart from the server's
// code.
func (d *pushDevice) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if rs < 18 || len(body) < 21+idlen {
		return nil, errors.New("bad header")
	}
	asPublic, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, err
	}
	shared, err := d.key.ECDH(asPublic)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(d.key.PublicKey().Bytes()) + string(asPublic.Bytes())
	prkKey, _ := hkdf.Extract(sha256.New, shared, d.auth)
	ikm, _ := hkdf.Expand(sha256.New, prkKey, info, 32)
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	ciphertext := body[21+idlen:]
	if len(ciphertext) > int(rs) {
		return nil, errors.New("more than one record")
	}
	record, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, err
	}
	record = bytes.TrimRight(record, "\x00")
	if len(record) == 0 || record[len(record)-1] != 0x02 {
		return nil, errors.New("no last-record delimiter")
	}
	return record[:len(record)-1], nil
}

// decryptLegacy opens a message in the "aesgcm" coding of
// draft-ietf-webpush-encryption-04 (draft-ietf-httpbis-encryption-encoding-03),
// which Mastodon sends to subscriptions not marked standard, with the salt
// and the server's key from the Encryption and Crypto-Key headers.
func (d *pushDevice) decryptLegacy(body []byte, dh, saltB64 string) ([]byte, error) {
	asRaw, err1 := base64.RawURLEncoding.DecodeString(dh)
	salt, err2 := base64.RawURLEncoding.DecodeString(saltB64)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	asPublic, err := ecdh.P256().NewPublicKey(asRaw)
	if err != nil {
		return nil, err
	}
	shared, err := d.key.ECDH(asPublic)
	if err != nil {
		return nil, err
	}
	ua := d.key.PublicKey().Bytes()
	context := "P-256\x00" + string([]byte{0, byte(len(ua))}) + string(ua) + string([]byte{0, byte(len(asRaw))}) + string(asRaw)
	prkCombine, _ := hkdf.Extract(sha256.New, shared, d.auth)
	ikm, _ := hkdf.Expand(sha256.New, prkCombine, "Content-Encoding: auth\x00", 32)
	prk, _ := hkdf.Extract(sha256.New, ikm, salt)
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aesgcm\x00"+context, 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00"+context, 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	record, err := gcm.Open(nil, nonce, body, nil)
	if err != nil {
		return nil, err
	}
	if len(record) < 2 {
		return nil, errors.New("record too short")
	}
	pad := int(binary.BigEndian.Uint16(record))
	if len(record) < 2+pad {
		return nil, errors.New("padding longer than the record")
	}
	return record[2+pad:], nil
}

// headerParams reads "a=1;b=2" as the push relays of Mastodon's apps do.
func headerParams(v string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(v, ";") {
		if k, val, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
			out[k] = val
		}
	}
	return out
}

// pushPayload is the message Mastodon's apps read.
type pushPayload struct {
	AccessToken      string `json:"access_token"`
	PreferredLocale  string `json:"preferred_locale"`
	NotificationID   string `json:"notification_id"`
	NotificationType string `json:"notification_type"`
	Icon             string `json:"icon"`
	Title            string `json:"title"`
	Body             string `json:"body"`
}

// openPush checks a message as a push service and the app would: its
// headers, its VAPID token against the server's key (RFC 8292), and reads
// its JSON.
func openPush(t *testing.T, m pushMessage, d *pushDevice, receiver, serverKey string) pushPayload {
	t.Helper()
	if m.header.Get("TTL") == "" {
		t.Error("no TTL header (RFC 8030 section 5.2 requires one)")
	}
	var jwt, k string
	var plain []byte
	var err error
	switch ce := m.header.Get("Content-Encoding"); ce {
	case "aes128gcm":
		rest, ok := strings.CutPrefix(m.header.Get("Authorization"), "vapid t=")
		var ok2 bool
		jwt, k, ok2 = strings.Cut(rest, ", k=")
		if !ok || !ok2 {
			t.Fatalf("Authorization %q is not a VAPID header", m.header.Get("Authorization"))
		}
		plain, err = d.decrypt(m.body)
	case "aesgcm":
		var ok bool
		jwt, ok = strings.CutPrefix(m.header.Get("Authorization"), "WebPush ")
		if !ok {
			t.Fatalf("Authorization %q is not a draft VAPID header", m.header.Get("Authorization"))
		}
		ck := headerParams(m.header.Get("Crypto-Key"))
		k = ck["p256ecdsa"]
		plain, err = d.decryptLegacy(m.body, ck["dh"], headerParams(m.header.Get("Encryption"))["salt"])
	default:
		t.Fatalf("Content-Encoding %q", ce)
	}
	if err != nil {
		t.Fatalf("decrypt %s push to %s: %v", m.header.Get("Content-Encoding"), m.path, err)
	}
	if k != serverKey {
		t.Errorf("VAPID k=%s, the instance advertises %s", k, serverKey)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("VAPID token %q", jwt)
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("VAPID token part %q: %v", s, err)
		}
		return b
	}
	var header struct{ Alg string }
	var claims struct {
		Aud string
		Exp int64
		Sub string
	}
	if err := json.Unmarshal(dec(parts[0]), &header); err != nil || header.Alg != "ES256" {
		t.Errorf("JWT header %s", dec(parts[0]))
	}
	if err := json.Unmarshal(dec(parts[1]), &claims); err != nil {
		t.Fatal(err)
	}
	exp := time.Unix(claims.Exp, 0)
	if claims.Aud != receiver || claims.Sub == "" || exp.Before(time.Now()) || exp.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("JWT claims %+v (receiver %s)", claims, receiver)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), dec(serverKey))
	if err != nil {
		t.Fatal(err)
	}
	sig := dec(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("the VAPID signature does not verify with the instance's key")
	}
	var p pushPayload
	if err := json.Unmarshal(plain, &p); err != nil {
		t.Fatalf("push JSON: %v in %s", err, plain)
	}
	return p
}

func TestWebPushDeliversEncryptedSignedNotifications(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNode(t, dialect)
		aliceAcct := n.user(t, "alice", false)
		n.user(t, "bob", false)
		aliceToken := tokenFor(t, n, "alice", "read write follow push")
		alice := mastodon.NewClient(&mastodon.Config{Server: n.base, AccessToken: aliceToken})
		bob := signIn(t, n, "bob")
		pr := newPushReceiver(t, false)
		receiver := pr.srv.URL

		// The key is there from the start, the same in the instance and
		// app entities.
		var inst struct {
			Configuration struct {
				Vapid struct {
					PublicKey string `json:"public_key"`
				} `json:"vapid"`
			} `json:"configuration"`
		}
		rawGet(t, n, nil, "/api/v2/instance", &inst)
		serverKey := inst.Configuration.Vapid.PublicKey
		if b, err := base64.RawURLEncoding.DecodeString(serverKey); err != nil || len(b) != 65 || b[0] != 4 {
			t.Fatalf("instance vapid.public_key %q is not a P-256 point", serverKey)
		}
		code, app := call(t, n, "", "POST", "/api/v1/apps", url.Values{"client_name": {"phone"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read push"}})
		if code != 200 || app["vapid_key"] != serverKey {
			t.Errorf("POST /api/v1/apps: %d vapid_key %v, want %s", code, app["vapid_key"], serverKey)
		}

		// No subscription yet.
		code, body := call(t, n, aliceToken, "GET", "/api/v1/push/subscription", nil)
		if code != 404 || body["error"] != "Record not found" {
			t.Errorf("GET without a subscription: %d %v", code, body)
		}
		// A token without the push scope may not subscribe.
		if code, _ := call(t, n, tokenFor(t, n, "alice", "read write"), "GET", "/api/v1/push/subscription", nil); code != 403 {
			t.Errorf("GET with a token without push: %d, want 403", code)
		}

		// Subscribe through go-mastodon: mentions and favourites only.
		dev := newPushDevice(t)
		on, off := mastodon.Sbool(true), mastodon.Sbool(false)
		uaKey, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), dev.key.PublicKey().Bytes())
		if err != nil {
			t.Fatal(err)
		}
		sub, err := alice.AddPushSubscription(ctx, receiver+"/push/alice", *uaKey, dev.auth,
			mastodon.PushAlerts{Mention: &on, Favourite: &on, Follow: &off, Reblog: &off})
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		if sub.ServerKey != serverKey || sub.Endpoint != receiver+"/push/alice" || sub.Alerts == nil ||
			!bool(*sub.Alerts.Mention) || !bool(*sub.Alerts.Favourite) || bool(*sub.Alerts.Follow) {
			t.Errorf("subscription %+v alerts %+v", sub, sub.Alerts)
		}
		code, body = call(t, n, aliceToken, "GET", "/api/v1/push/subscription", nil)
		requireKeys(t, "WebPushSubscription", body, "id", "endpoint", "standard", "alerts", "server_key", "policy")
		if alerts, _ := body["alerts"].(map[string]any); code != 200 || body["policy"] != "all" || len(alerts) != len(social.PushAlertTypes) || alerts["admin.sign_up"] != false || alerts["move"] != false {
			t.Errorf("GET subscription: %d %v", code, body)
		}

		// A mention is pushed, encrypted for the device and signed.
		if _, err := bob.PostStatus(ctx, &mastodon.Toot{Status: "@alice the ward round starts at nine"}); err != nil {
			t.Fatal(err)
		}
		m := pr.next(t, "the mention")
		if ce := m.header.Get("Content-Encoding"); ce != "aesgcm" {
			t.Errorf("a subscription not marked standard got %q, not Mastodon's aesgcm", ce)
		}
		p := openPush(t, m, dev, receiver, serverKey)
		ns, err := alice.GetNotifications(ctx, nil)
		if err != nil || len(ns) == 0 {
			t.Fatalf("notifications: %v %v", ns, err)
		}
		if m.path != "/push/alice" || p.NotificationType != "mention" || p.NotificationID != string(ns[0].ID) ||
			p.AccessToken != aliceToken || p.PreferredLocale == "" || !strings.HasPrefix(p.Icon, "http") ||
			!strings.Contains(p.Title, "bob") || !strings.Contains(p.Body, "the ward round starts at nine") {
			t.Errorf("mention push %+v (notification %s)", p, ns[0].ID)
		}

		// A favourite is pushed.
		mine, err := alice.PostStatus(ctx, &mastodon.Toot{Status: "Handover notes are in the usual place."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Favourite(ctx, mine.ID); err != nil {
			t.Fatal(err)
		}
		p = openPush(t, pr.next(t, "the favourite"), dev, receiver, serverKey)
		if p.NotificationType != "favourite" || !strings.Contains(p.Body, "Handover notes") {
			t.Errorf("favourite push %+v", p)
		}

		// Follows and boosts are off: nothing is pushed for them.
		bobAccount, err := bob.GetAccountCurrentUser(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bob.AccountFollow(ctx, mastodon.ID(strconv.FormatInt(aliceAcct.ID, 10))); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.Reblog(ctx, mine.ID); err != nil {
			t.Fatal(err)
		}
		pr.none(t, "a follow and a boost with their alerts off")

		// Policy "followed": only those alice follows reach her phone.
		code, body = call(t, n, aliceToken, "PUT", "/api/v1/push/subscription", url.Values{"data[policy]": {"followed"}, "data[alerts][follow]": {"true"}})
		if alerts, _ := body["alerts"].(map[string]any); code != 200 || body["policy"] != "followed" || alerts["follow"] != true || alerts["mention"] != true {
			t.Errorf("PUT policy: %d %v", code, body)
		}
		if _, err := bob.PostStatus(ctx, &mastodon.Toot{Status: "@alice are you on call?"}); err != nil {
			t.Fatal(err)
		}
		pr.none(t, "a mention from someone alice does not follow, policy followed")
		if _, err := alice.AccountFollow(ctx, bobAccount.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.PostStatus(ctx, &mastodon.Toot{Status: "@alice now you follow me"}); err != nil {
			t.Fatal(err)
		}
		p = openPush(t, pr.next(t, "a mention from someone alice follows"), dev, receiver, serverKey)
		if p.NotificationType != "mention" || !strings.Contains(p.Body, "now you follow me") {
			t.Errorf("push under policy followed %+v", p)
		}

		// Nothing reaches the phone of a person whose sign-in an admin
		// disabled.
		if err := n.svc.TakeAction(ctx, social.CommandLine, aliceAcct.ID, social.AccountAction{Type: social.ActionDisable}); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.PostStatus(ctx, &mastodon.Toot{Status: "@alice hello?"}); err != nil {
			t.Fatal(err)
		}
		pr.none(t, "a mention of a disabled person")
		if err := n.svc.Enable(ctx, social.CommandLine, aliceAcct.ID, ""); err != nil {
			t.Fatal(err)
		}

		// A revoked token's subscription goes with it.
		other := newPushDevice(t)
		clientID, secret := app["client_id"].(string), app["client_secret"].(string)
		code, tok := call(t, n, "", "POST", "/oauth/token", url.Values{
			"grant_type": {"password"}, "client_id": {clientID}, "client_secret": {secret},
			"username": {"alice"}, "password": {"a long password"}, "scope": {"push"},
		})
		otherToken, _ := tok["access_token"].(string)
		if code != 200 || otherToken == "" {
			t.Fatalf("password grant: %d %v", code, tok)
		}
		code, body = call(t, n, otherToken, "POST", "/api/v1/push/subscription", url.Values{
			"subscription[endpoint]": {receiver + "/push/revoked"}, "subscription[keys][p256dh]": {other.p256dh()},
			"subscription[keys][auth]": {base64.StdEncoding.EncodeToString(other.auth)}, "subscription[standard]": {"true"},
			"data[alerts][mention]": {"true"},
		})
		if code != 200 || body["standard"] != true {
			t.Fatalf("second subscription: %d %v", code, body)
		}
		if code, body := call(t, n, "", "POST", "/oauth/revoke", url.Values{"client_id": {clientID}, "client_secret": {secret}, "token": {otherToken}}); code != 200 {
			t.Fatalf("revoke: %d %v", code, body)
		}
		if code, _ := call(t, n, otherToken, "GET", "/api/v1/push/subscription", nil); code != 401 {
			t.Errorf("revoked token still answers %d", code)
		}

		// Subscribing again replaces the token's subscription; this one
		// asks for RFC 8291 messages (Mastodon 4.4's "standard").
		code, body = call(t, n, aliceToken, "POST", "/api/v1/push/subscription", url.Values{
			"subscription[endpoint]": {receiver + "/push/alice-standard"}, "subscription[keys][p256dh]": {dev.p256dh()},
			"subscription[keys][auth]": {base64.RawURLEncoding.EncodeToString(dev.auth)}, "subscription[standard]": {"true"},
			"data[alerts][mention]": {"true"},
		})
		if code != 200 || body["standard"] != true || body["policy"] != "all" || body["endpoint"] != receiver+"/push/alice-standard" {
			t.Fatalf("new subscription: %d %v", code, body)
		}

		// The push service is down for a moment: the job tries again.
		// Then it says the subscription is gone: it is dropped.
		pr.answer("/push/alice-standard", http.StatusServiceUnavailable, http.StatusGone)
		if _, err := bob.PostStatus(ctx, &mastodon.Toot{Status: "@alice one more thing"}); err != nil {
			t.Fatal(err)
		}
		for _, what := range []string{"the mention answered 503", "the mention tried again, answered 410"} {
			m = pr.next(t, what)
			if m.path != "/push/alice-standard" || m.header.Get("Content-Encoding") != "aes128gcm" {
				t.Errorf("%s: push went to %s (%s), not to the token's standard subscription", what, m.path, m.header.Get("Content-Encoding"))
			}
			if p := openPush(t, m, dev, receiver, serverKey); p.NotificationType != "mention" || !strings.Contains(p.Body, "one more thing") {
				t.Errorf("%s: standard push %+v", what, p)
			}
		}
		eventually(t, "the subscription answered 410 dropped", func() bool {
			code, _ := call(t, n, aliceToken, "GET", "/api/v1/push/subscription", nil)
			return code == 404
		})
		pr.none(t, "after the 410 and with the other token revoked")

		// Unsubscribing without a subscription is fine, as on Mastodon.
		if err := alice.RemovePushSubscription(ctx); err != nil {
			t.Errorf("DELETE without a subscription: %v", err)
		}
	})
}

// An endpoint is https, or plain HTTP only inside the networks outgoing
// requests may reach (--allow-private-addresses); keys and policy are
// checked; and the push is dialled with federation's rules, so an https
// endpoint on loopback is not reached from a server that does not allow it.
func TestWebPushEndpointsAreCheckedAndDialledSafely(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		n := startNodeWith(t, dialect, func(rc *rawConfig) { rc.allowPrivate = "" })
		n.user(t, "alice", false)
		n.user(t, "bob", false)
		aliceToken := tokenFor(t, n, "alice", "read push")
		bob := signIn(t, n, "bob")
		dev := newPushDevice(t)
		pr := newPushReceiver(t, true)
		subscribe := func(endpoint, p256dh, auth, policy string) (int, map[string]any) {
			return call(t, n, aliceToken, "POST", "/api/v1/push/subscription", url.Values{
				"subscription[endpoint]": {endpoint}, "subscription[keys][p256dh]": {p256dh},
				"subscription[keys][auth]": {auth}, "data[alerts][mention]": {"true"}, "data[policy]": {policy},
			})
		}
		auth := base64.RawURLEncoding.EncodeToString(dev.auth)
		for _, c := range []struct{ what, endpoint, p256dh, auth, policy, want string }{
			{"plain HTTP on loopback, not allowed here", "http://127.0.0.1:9/push", dev.p256dh(), auth, "all", "Endpoint"},
			{"plain HTTP on the internet", "http://push.example.net/push", dev.p256dh(), auth, "all", "Endpoint"},
			{"no endpoint", "", dev.p256dh(), auth, "all", "Endpoint"},
			{"a key that is not a point", "https://push.example.net/push", base64.RawURLEncoding.EncodeToString(make([]byte, 65)), auth, "all", "P256dh"},
			{"a short auth secret", "https://push.example.net/push", dev.p256dh(), "AAAA", "all", "Auth"},
			{"an unknown policy", "https://push.example.net/push", dev.p256dh(), auth, "everyone", "Policy"},
		} {
			code, body := subscribe(c.endpoint, c.p256dh, c.auth, c.policy)
			if msg, _ := body["error"].(string); code != 422 || !strings.HasPrefix(msg, "Validation failed: "+c.want) {
				t.Errorf("%s: %d %v", c.what, code, body)
			}
		}
		if code, body := call(t, n, aliceToken, "GET", "/api/v1/push/subscription", nil); code != 404 {
			t.Errorf("a refused subscription was stored: %d %v", code, body)
		}

		// https on loopback is accepted, but federation's dial rules keep
		// the push from reaching it.
		if code, body := subscribe(pr.srv.URL+"/push/alice", dev.p256dh(), auth, "all"); code != 200 {
			t.Fatalf("https endpoint: %d %v", code, body)
		}
		if _, err := bob.PostStatus(ctx, &mastodon.Toot{Status: "@alice are you there?"}); err != nil {
			t.Fatal(err)
		}
		db, err := storage.Open(ctx, n.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		eventually(t, "the push refused at dial time", func() bool {
			var errs string
			err := db.SQLDB().QueryRowContext(ctx, "SELECT CAST(errors AS TEXT) FROM river_job WHERE kind = 'web_push'").Scan(&errs)
			return err == nil && strings.Contains(errs, "forbidden destination address")
		})
		pr.none(t, "a loopback endpoint on a server that does not allow it")
	})
}
