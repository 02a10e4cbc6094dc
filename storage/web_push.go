package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// WebPushSubscription is where an app wants a signed-in person's
// notifications pushed: one per access token.
type WebPushSubscription struct {
	bun.BaseModel `bun:"table:web_push_subscriptions,alias:wps"`

	ID            int64  `bun:",pk"`
	AccessTokenID int64  `bun:",notnull"`
	AccountID     int64  `bun:",notnull"`
	Endpoint      string `bun:",notnull"`
	KeyP256dh     string `bun:"key_p256dh,notnull"`
	KeyAuth       string `bun:",notnull"`
	Standard      bool   `bun:",notnull"`
	// Alerts is a JSON object of notification type to true or false.
	Alerts      string    `bun:",notnull"`
	Policy      string    `bun:",notnull"`
	SealedToken string    `bun:",notnull"`
	CreatedAt   time.Time `bun:",notnull"`
	UpdatedAt   time.Time `bun:",notnull"`
}

// PutWebPushSubscription stores s as its token's subscription, replacing
// the one the token had.
func (q queries) PutWebPushSubscription(ctx context.Context, s *WebPushSubscription) error {
	_, err := q.w.NewInsert().Model(s).On("CONFLICT (access_token_id) DO UPDATE").
		Set("id = EXCLUDED.id").
		Set("account_id = EXCLUDED.account_id").
		Set("endpoint = EXCLUDED.endpoint").
		Set("key_p256dh = EXCLUDED.key_p256dh").
		Set("key_auth = EXCLUDED.key_auth").
		Set("standard = EXCLUDED.standard").
		Set("alerts = EXCLUDED.alerts").
		Set("policy = EXCLUDED.policy").
		Set("sealed_token = EXCLUDED.sealed_token").
		Set("created_at = EXCLUDED.created_at").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store push subscription: %w", err)
	}
	return nil
}

// UpdateWebPushSubscription writes s's alerts and policy.
func (q queries) UpdateWebPushSubscription(ctx context.Context, s *WebPushSubscription) error {
	_, err := q.w.NewUpdate().Model(s).Column("alerts", "policy", "updated_at").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update push subscription: %w", err)
	}
	return nil
}

// WebPushSubscriptionByToken returns the subscription of access token
// tokenID.
func (q queries) WebPushSubscriptionByToken(ctx context.Context, tokenID int64) (*WebPushSubscription, error) {
	s := new(WebPushSubscription)
	if err := q.r.NewSelect().Model(s).Where("access_token_id = ?", tokenID).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return s, nil
}

// liveToken keeps subscriptions whose access token is not revoked (a
// revoked token's subscription is gone, however the token was revoked) and
// whose person may sign in: nothing is pushed to the phone of a suspended
// or disabled account.
const liveToken = `EXISTS (SELECT 1 FROM oauth_tokens t JOIN users u ON u.id = t.user_id JOIN accounts a ON a.id = u.account_id
	WHERE t.id = wps.access_token_id AND t.revoked_at IS NULL AND NOT u.disabled AND a.suspended_at IS NULL)`

// LiveWebPushSubscription returns subscription id while its token is live.
func (q queries) LiveWebPushSubscription(ctx context.Context, id int64) (*WebPushSubscription, error) {
	s := new(WebPushSubscription)
	if err := q.r.NewSelect().Model(s).Where("wps.id = ?", id).Where(liveToken).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return s, nil
}

// AccountWebPushSubscriptions returns accountID's subscriptions whose
// tokens are live.
func (q queries) AccountWebPushSubscriptions(ctx context.Context, accountID int64) ([]*WebPushSubscription, error) {
	var subs []*WebPushSubscription
	if err := q.r.NewSelect().Model(&subs).Where("wps.account_id = ?", accountID).Where(liveToken).Scan(ctx); err != nil {
		return nil, fmt.Errorf("push subscriptions: %w", err)
	}
	return subs, nil
}

// DeleteWebPushSubscription removes subscription id.
func (q queries) DeleteWebPushSubscription(ctx context.Context, id int64) error {
	if _, err := q.w.NewDelete().Model((*WebPushSubscription)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("delete push subscription: %w", err)
	}
	return nil
}

// deleteRevokedWebPush removes the subscriptions of revoked tokens; every
// function that revokes tokens calls it, so that no endpoint or sealed token
// outlives its token.
func (q queries) deleteRevokedWebPush(ctx context.Context) error {
	_, err := q.w.NewDelete().Model((*WebPushSubscription)(nil)).
		Where("access_token_id IN (SELECT id FROM oauth_tokens WHERE revoked_at IS NOT NULL)").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete push subscriptions of revoked tokens: %w", err)
	}
	return nil
}

// PushableNotification returns accountID's notification id, with its
// sender and status, unless the list of notifications would hide it (a
// suspended sender, one muted with their notifications, or a notification
// filtered into a notification request).
func (q queries) PushableNotification(ctx context.Context, accountID, id int64) (*Notification, error) {
	n := new(Notification)
	err := q.r.NewSelect().Model(n).Relation("FromAccount").Relation("Status").
		Where("n.account_id = ? AND n.id = ?", accountID, id).
		Where("from_account.suspended_at IS NULL").Where("n.filtered = ?", false).
		Where("n.from_account_id NOT IN (SELECT target_account_id FROM mutes WHERE account_id = ? AND notifications = ?)", accountID, true).
		Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return n, nil
}
