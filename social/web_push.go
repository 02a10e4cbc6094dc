package social

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"rounds/social/webpush"
	"rounds/storage"
	"rounds/storage/posttext"
)

// PushAlertTypes are the notification types a Web Push subscription turns
// on or off: Mastodon 4.5's (its notification types, some of which Rounds
// never sends: a client that sets them has them kept), and move.
var PushAlertTypes = []string{
	"mention", "status", "reblog", "follow", "follow_request", "favourite",
	"poll", "update", "admin.sign_up", "admin.report",
	"severed_relationships", "moderation_warning", "annual_report", "quote", "quoted_update",
	NotifyMove,
}

// Push policies: whose notifications are pushed.
const (
	PushPolicyAll      = "all"
	PushPolicyFollowed = "followed" // from accounts the person follows
	PushPolicyFollower = "follower" // from accounts that follow the person
	PushPolicyNone     = "none"
)

// PushSubscription is an app's Web Push subscription, as the API shows it.
type PushSubscription struct {
	ID       int64
	Endpoint string
	Standard bool
	Alerts   map[string]bool // every PushAlertTypes key
	Policy   string
}

// NewPushSubscription is what an app sends to subscribe.
type NewPushSubscription struct {
	Endpoint string
	// P256dh and Auth are the subscription's keys, base64 or base64url.
	P256dh, Auth string
	Standard     bool
	Alerts       map[string]bool // types not given are off
	Policy       string          // "" is all
}

// PushChange changes a subscription: alerts given are set, others kept;
// an empty Policy keeps the policy.
type PushChange struct {
	Alerts map[string]bool
	Policy string
}

// The server secrets of Web Push.
const (
	vapidKeyName     = "web_push_vapid_key"
	pushSealKeyName  = "web_push_token_key"
	pushTTL          = 48 * time.Hour
	pushBodyLength   = 140
	maxEndpointBytes = 2048
)

type vapidCache struct {
	mu  sync.Mutex
	key *webpush.Key
}

// vapidKey returns the server's VAPID key pair, making it the first time
// (the first start of the server calls this); processes that race to make
// it all use the one stored first.
func (s *Service) vapidKey(ctx context.Context) (*webpush.Key, error) {
	s.vapid.mu.Lock()
	defer s.vapid.mu.Unlock()
	if s.vapid.key != nil {
		return s.vapid.key, nil
	}
	fresh, err := webpush.NewKey()
	if err != nil {
		return nil, err
	}
	stored, err := s.db.ServerSecret(ctx, vapidKeyName, fresh.Private(), s.now())
	if err != nil {
		return nil, err
	}
	k, err := webpush.ParseKey(stored)
	if err != nil {
		return nil, err
	}
	s.vapid.key = k
	return k, nil
}

// VAPIDPublicKey is the server's Web Push public key, base64url: apps give
// it to the push service so that it accepts only this server's messages.
func (s *Service) VAPIDPublicKey(ctx context.Context) (string, error) {
	k, err := s.vapidKey(ctx)
	if err != nil {
		return "", err
	}
	return k.Public(), nil
}

// SubscribePush makes the push subscription of the access token token,
// replacing the one it had, as Mastodon does.
func (s *Service) SubscribePush(ctx context.Context, token string, in NewPushSubscription) (*PushSubscription, error) {
	t, err := s.accessToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if t.User == nil || t.User.Account == nil {
		return nil, ErrForbidden
	}
	if err := s.checkPushEndpoint(in.Endpoint); err != nil {
		return nil, err
	}
	p256dh, err := webpush.DecodeKey(in.P256dh)
	if err != nil {
		return nil, invalid("p256dh", "is not a valid key")
	}
	auth, err := webpush.DecodeKey(in.Auth)
	if err != nil {
		return nil, invalid("auth", "is not a valid key")
	}
	if err := webpush.CheckKeys(p256dh, auth); err != nil {
		if len(auth) != 16 {
			return nil, invalid("auth", "must be 16 bytes")
		}
		return nil, invalid("p256dh", "is not a P-256 public key")
	}
	policy, err := pushPolicy(in.Policy)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealPushToken(ctx, t.ID, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	row := &storage.WebPushSubscription{
		ID: storage.NewID(), AccessTokenID: t.ID, AccountID: t.User.Account.ID,
		Endpoint: in.Endpoint, KeyP256dh: base64.RawURLEncoding.EncodeToString(p256dh),
		KeyAuth: base64.RawURLEncoding.EncodeToString(auth), Standard: in.Standard,
		Alerts: encodeAlerts(mergeAlerts(nil, in.Alerts)), Policy: policy, SealedToken: sealed,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.db.PutWebPushSubscription(ctx, row); err != nil {
		return nil, err
	}
	return pushView(row), nil
}

// PushSubscription returns the push subscription of the access token.
func (s *Service) PushSubscription(ctx context.Context, token string) (*PushSubscription, error) {
	row, err := s.pushRow(ctx, token)
	if err != nil {
		return nil, err
	}
	return pushView(row), nil
}

// ChangePushSubscription changes the alerts and policy of the access
// token's push subscription.
func (s *Service) ChangePushSubscription(ctx context.Context, token string, c PushChange) (*PushSubscription, error) {
	row, err := s.pushRow(ctx, token)
	if err != nil {
		return nil, err
	}
	if c.Policy != "" {
		if row.Policy, err = pushPolicy(c.Policy); err != nil {
			return nil, err
		}
	}
	row.Alerts = encodeAlerts(mergeAlerts(decodeAlerts(row.Alerts), c.Alerts))
	row.UpdatedAt = s.now()
	if err := s.db.UpdateWebPushSubscription(ctx, row); err != nil {
		return nil, err
	}
	return pushView(row), nil
}

// UnsubscribePush removes the access token's push subscription; having
// none is no error, as on Mastodon.
func (s *Service) UnsubscribePush(ctx context.Context, token string) error {
	row, err := s.pushRow(ctx, token)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.db.DeleteWebPushSubscription(ctx, row.ID)
}

func (s *Service) pushRow(ctx context.Context, token string) (*storage.WebPushSubscription, error) {
	t, err := s.accessToken(ctx, token)
	if err != nil {
		return nil, err
	}
	row, err := s.db.WebPushSubscriptionByToken(ctx, t.ID)
	return row, domainErr(err)
}

// checkPushEndpoint accepts an https URL, and plain http only for an
// address that outgoing requests may reach although it is private
// (PrivateNetworks, as in tests): the push service learns the messages'
// metadata, and a public endpoint must not be reached in the clear. Where
// the request may go at all is checked again when it is dialled.
func (s *Service) checkPushEndpoint(endpoint string) error {
	if endpoint == "" {
		return invalid("endpoint", "can't be blank")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.User != nil || len(endpoint) > maxEndpointBytes {
		return invalid("endpoint", "is not a valid URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if addr, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
			for _, p := range s.privateNetworks {
				if p.Contains(addr.Unmap()) {
					return nil
				}
			}
		}
	}
	return invalid("endpoint", "must be an https URL")
}

func pushPolicy(p string) (string, error) {
	switch p {
	case "":
		return PushPolicyAll, nil
	case PushPolicyAll, PushPolicyFollowed, PushPolicyFollower, PushPolicyNone:
		return p, nil
	}
	return "", invalid("policy", "is not one of all, followed, follower, none")
}

func mergeAlerts(old, set map[string]bool) map[string]bool {
	out := make(map[string]bool, len(PushAlertTypes))
	for _, k := range PushAlertTypes {
		out[k] = old[k]
		if v, ok := set[k]; ok {
			out[k] = v
		}
	}
	return out
}

func encodeAlerts(a map[string]bool) string {
	b, _ := json.Marshal(a)
	return string(b)
}

func decodeAlerts(s string) map[string]bool {
	var a map[string]bool
	_ = json.Unmarshal([]byte(s), &a)
	return a
}

func pushView(row *storage.WebPushSubscription) *PushSubscription {
	return &PushSubscription{
		ID: row.ID, Endpoint: row.Endpoint, Standard: row.Standard,
		Alerts: mergeAlerts(decodeAlerts(row.Alerts), nil), Policy: row.Policy,
	}
}

// sealPushToken encrypts the access token for its subscription row, bound
// to the token's id. Mastodon puts the token in every message, and apps
// (the official iOS app among them) find the signed-in account by it; it is
// sealed so that the table alone does not hand out live tokens.
func (s *Service) sealPushToken(ctx context.Context, tokenID int64, token string) (string, error) {
	gcm, err := s.pushSealer(ctx)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	out := gcm.Seal(nonce, nonce, []byte(token), []byte(strconv.FormatInt(tokenID, 10)))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

func (s *Service) openPushToken(ctx context.Context, row *storage.WebPushSubscription) (string, error) {
	gcm, err := s.pushSealer(ctx)
	if err != nil {
		return "", err
	}
	b, err := base64.RawURLEncoding.DecodeString(row.SealedToken)
	if err != nil || len(b) < gcm.NonceSize() {
		return "", errors.New("push subscription: sealed token unreadable")
	}
	token, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], []byte(strconv.FormatInt(row.AccessTokenID, 10)))
	if err != nil {
		return "", fmt.Errorf("push subscription: open sealed token: %w", err)
	}
	return string(token), nil
}

func (s *Service) pushSealer(ctx context.Context) (cipher.AEAD, error) {
	var fresh [32]byte
	_, _ = rand.Read(fresh[:])
	stored, err := s.db.ServerSecret(ctx, pushSealKeyName, hex.EncodeToString(fresh[:]), s.now())
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(stored)
	if err != nil {
		return nil, fmt.Errorf("server secret %s is not hex: %w", pushSealKeyName, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// enqueuePush adds, inside tx, a job for each live push subscription of
// the recipient that wants this type of notification; the policy is judged
// when the job runs.
func (s *Service) enqueuePush(ctx context.Context, tx storage.Tx, n *storage.Notification) error {
	if n.Filtered {
		return nil // waits in a notification request, unannounced
	}
	subs, err := tx.AccountWebPushSubscriptions(ctx, n.AccountID)
	if err != nil || len(subs) == 0 {
		return err
	}
	var jobs []river.JobArgs
	for _, sub := range subs {
		if decodeAlerts(sub.Alerts)[n.Type] && sub.Policy != PushPolicyNone {
			jobs = append(jobs, WebPushArgs{SubscriptionID: sub.ID, NotificationID: n.ID})
		}
	}
	return s.jobs.InsertManyTx(ctx, tx, jobs)
}

// WebPushArgs is the job that pushes one notification to one subscription.
type WebPushArgs struct {
	SubscriptionID int64 `json:"subscription_id,string"`
	NotificationID int64 `json:"notification_id,string"`
}

// Kind names the job kind.
func (WebPushArgs) Kind() string { return "web_push" }

// InsertOpts retries a few times, as Mastodon does: a notification hours
// late is worth little.
func (WebPushArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

type webPushWorker struct {
	river.WorkerDefaults[WebPushArgs]
	s *Service
}

// pushPayload is the message, as Mastodon's Web::NotificationSerializer
// writes it; apps read these names.
type pushPayload struct {
	AccessToken      string `json:"access_token"`
	PreferredLocale  string `json:"preferred_locale"`
	NotificationID   string `json:"notification_id"`
	NotificationType string `json:"notification_type"`
	Icon             string `json:"icon"`
	Title            string `json:"title"`
	Body             string `json:"body"`
}

// Work sends the message. A subscription the push service says is gone
// (404, 410) is removed; other refusals (4xx) are not retried, and
// everything else (429, 5xx, the network) is.
func (w *webPushWorker) Work(ctx context.Context, job *river.Job[WebPushArgs]) error {
	s := w.s
	if s.pushClient == nil {
		return river.JobCancel(errors.New("web push: this server has no push client"))
	}
	sub, err := s.db.LiveWebPushSubscription(ctx, job.Args.SubscriptionID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := s.db.PushableNotification(ctx, sub.AccountID, job.Args.NotificationID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ok, err := s.pushAllowed(ctx, sub, n); !ok || err != nil {
		return err
	}
	token, err := s.openPushToken(ctx, sub)
	if err != nil {
		return river.JobCancel(err)
	}
	payload, err := json.Marshal(pushPayload{
		AccessToken: token, PreferredLocale: "en",
		NotificationID: strconv.FormatInt(n.ID, 10), NotificationType: n.Type,
		Icon: s.avatarOf(n.FromAccount), Title: pushTitle(n), Body: pushBody(n),
	})
	if err != nil {
		return err
	}
	return s.sendPush(ctx, sub, payload)
}

// pushAllowed applies the subscription's alerts and policy at sending time.
func (s *Service) pushAllowed(ctx context.Context, sub *storage.WebPushSubscription, n *storage.Notification) (bool, error) {
	if !decodeAlerts(sub.Alerts)[n.Type] {
		return false, nil
	}
	follows := func(from, to int64) (bool, error) {
		f, err := s.db.FollowBetween(ctx, from, to)
		if errors.Is(err, storage.ErrNotFound) {
			return false, nil
		}
		return err == nil && f.AcceptedAt != nil, err
	}
	switch sub.Policy {
	case PushPolicyAll:
		return true, nil
	case PushPolicyFollowed:
		return follows(sub.AccountID, n.FromAccountID)
	case PushPolicyFollower:
		return follows(n.FromAccountID, sub.AccountID)
	}
	return false, nil
}

func (s *Service) sendPush(ctx context.Context, sub *storage.WebPushSubscription, payload []byte) error {
	key, err := s.vapidKey(ctx)
	if err != nil {
		return err
	}
	p256dh, err1 := base64.RawURLEncoding.DecodeString(sub.KeyP256dh)
	auth, err2 := base64.RawURLEncoding.DecodeString(sub.KeyAuth)
	if err := errors.Join(err1, err2); err != nil {
		return river.JobCancel(fmt.Errorf("web push: subscription %d keys: %w", sub.ID, err))
	}
	exp := s.now().Add(12 * time.Hour)
	header := http.Header{}
	var body []byte
	if sub.Standard {
		body, err = webpush.Encrypt(p256dh, auth, payload)
		if err != nil {
			return river.JobCancel(err)
		}
		authz, err := key.Authorization(sub.Endpoint, s.base, exp)
		if err != nil {
			return river.JobCancel(err)
		}
		header.Set("Content-Encoding", "aes128gcm")
		header.Set("Authorization", authz)
	} else {
		// A subscription not marked standard gets the draft coding, as
		// Mastodon sends it: the relays of Mastodon's iOS apps, Toot! and
		// others decrypt only that, with the salt and the server's key
		// taken from these headers.
		msg, err := webpush.EncryptLegacy(p256dh, auth, payload)
		if err != nil {
			return river.JobCancel(err)
		}
		authz, cryptoKey, err := key.LegacyAuthorization(sub.Endpoint, s.base, exp)
		if err != nil {
			return river.JobCancel(err)
		}
		body = msg.Body
		header.Set("Content-Encoding", "aesgcm")
		header.Set("Encryption", "salt="+msg.Salt)
		header.Set("Crypto-Key", "dh="+msg.ServerKey+";"+cryptoKey)
		header.Set("Authorization", authz)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return river.JobCancel(err)
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("TTL", strconv.Itoa(int(pushTTL/time.Second)))
	req.Header.Set("Urgency", "normal")
	resp, err := s.pushClient.Do(req)
	if err != nil {
		s.metrics.pushSends.WithLabelValues(pushRetry).Inc()
		return fmt.Errorf("web push to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		s.metrics.pushSends.WithLabelValues(pushSent).Inc()
		return nil
	case code == http.StatusNotFound || code == http.StatusGone:
		// RFC 8030 section 7.3: the subscription has expired or was
		// withdrawn; it will not come back.
		s.metrics.pushSends.WithLabelValues(pushExpired).Inc()
		return s.db.DeleteWebPushSubscription(ctx, sub.ID)
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		s.metrics.pushSends.WithLabelValues(pushRetry).Inc()
		return fmt.Errorf("web push to %s: %s", req.URL.Host, resp.Status)
	default:
		s.metrics.pushSends.WithLabelValues(pushRefused).Inc()
		return river.JobCancel(fmt.Errorf("web push to %s: %s", req.URL.Host, resp.Status))
	}
}

// avatarOf is an account's avatar URL, the server's default when it has
// none, as the API shows it.
func (s *Service) avatarOf(a *storage.Account) string {
	if a != nil && a.AvatarURL != "" {
		return a.AvatarURL
	}
	return s.base + "/static/avatar.png"
}

// pushTitle is Mastodon's English title for the notification.
func pushTitle(n *storage.Notification) string {
	name := ""
	if a := n.FromAccount; a != nil {
		name = a.DisplayName
		if strings.TrimSpace(name) == "" {
			name = a.Username
		}
	}
	switch n.Type {
	case NotifyMention:
		return "You were mentioned by " + name
	case NotifyFavourite:
		return name + " favorited your post"
	case NotifyReblog:
		return name + " boosted your post"
	case NotifyFollow:
		return name + " is now following you"
	case NotifyFollowRequest:
		return "Pending follower: " + name
	case NotifyUpdate:
		return name + " edited a post"
	case NotifyPoll:
		return "A poll by " + name + " has ended"
	case "status":
		return name + " just posted"
	case NotifyMove:
		return name + " has moved to a new account"
	}
	return "New notification from " + name
}

// pushBody is the post's content warning or text, or the sender's bio,
// cut to 140 characters as Mastodon does.
func pushBody(n *storage.Notification) string {
	var text string
	switch {
	case n.Status != nil && n.Status.SpoilerText != "":
		text = n.Status.SpoilerText
	case n.Status != nil:
		text = posttext.Of("", n.Status.Content)
	case n.FromAccount != nil:
		text = posttext.Of("", n.FromAccount.Note)
	}
	text = strings.TrimSpace(text)
	if r := []rune(text); len(r) > pushBodyLength {
		text = string(r[:pushBodyLength-3]) + "..."
	}
	return text
}
