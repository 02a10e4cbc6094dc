package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// AuthorizedApp is an app that holds live access tokens of a user: what
// the settings page lists and lets the person revoke.
type AuthorizedApp struct {
	App *OAuthApp
	// Scopes are the scopes of all its live tokens together.
	Scopes []string
	// AuthorizedAt is when its oldest live token was issued; LastUsedAt
	// when any was last used (nil: never).
	AuthorizedAt time.Time
	LastUsedAt   *time.Time
}

// AuthorizedApps lists the apps holding live access tokens of userID,
// most recently authorized first.
func (q queries) AuthorizedApps(ctx context.Context, userID int64) ([]AuthorizedApp, error) {
	var tokens []AccessToken
	if err := q.r.NewSelect().Model(&tokens).
		Where("user_id = ?", userID).Where("revoked_at IS NULL").
		OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("authorized apps: %w", err)
	}
	if len(tokens) == 0 {
		return nil, nil
	}
	byApp := map[int64]*AuthorizedApp{}
	var ids []int64
	for _, t := range tokens {
		a, ok := byApp[t.AppID]
		if !ok {
			a = &AuthorizedApp{AuthorizedAt: t.CreatedAt}
			byApp[t.AppID] = a
			ids = append(ids, t.AppID)
		}
		if t.CreatedAt.Before(a.AuthorizedAt) {
			a.AuthorizedAt = t.CreatedAt
		}
		if t.LastUsedAt != nil && (a.LastUsedAt == nil || t.LastUsedAt.After(*a.LastUsedAt)) {
			used := *t.LastUsedAt
			a.LastUsedAt = &used
		}
		for _, sc := range strings.Fields(t.Scopes) {
			if !containsString(a.Scopes, sc) {
				a.Scopes = append(a.Scopes, sc)
			}
		}
	}
	var apps []*OAuthApp
	if err := q.r.NewSelect().Model(&apps).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("authorized apps: %w", err)
	}
	out := make([]AuthorizedApp, 0, len(apps))
	for _, app := range apps {
		a := byApp[app.ID]
		a.App = app
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AuthorizedAt.After(out[j].AuthorizedAt) })
	return out, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// RevokeAppTokens revokes every live access token appID holds for userID,
// at now, and returns how many there were.
func (q queries) RevokeAppTokens(ctx context.Context, userID, appID int64, now time.Time) (int, error) {
	res, err := q.w.NewUpdate().Model((*AccessToken)(nil)).
		Set("revoked_at = ?", now).
		Where("user_id = ?", userID).Where("app_id = ?", appID).
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("revoke app tokens: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), q.deleteRevokedWebPush(ctx)
}

// EndOtherSessions ends every live browser session of userID except the
// one whose token hash is keepHash ("" ends them all), at now.
func (q queries) EndOtherSessions(ctx context.Context, userID int64, keepHash string, now time.Time) error {
	_, err := q.w.NewUpdate().Model((*Session)(nil)).
		Set("revoked_at = ?", now).
		Where("user_id = ?", userID).Where("token_hash <> ?", keepHash).
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("end other sessions: %w", err)
	}
	return nil
}
