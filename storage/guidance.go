package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// GuidanceVersion is one version of the organisation's social media
// guidance, as admins wrote it (Markdown).
type GuidanceVersion struct {
	bun.BaseModel `bun:"table:guidance_versions,alias:g"`

	Version   int       `bun:",pk"`
	Body      string    `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
}

// GuidanceAcknowledgement records that an account read a version.
type GuidanceAcknowledgement struct {
	bun.BaseModel `bun:"table:guidance_acknowledgements,alias:ga"`

	AccountID      int64     `bun:",pk"`
	Version        int       `bun:",pk"`
	AcknowledgedAt time.Time `bun:",notnull"`
}

// AddGuidanceVersion stores body as the next version and returns it.
// Call it in a transaction, so two admins cannot take the same number.
func (q queries) AddGuidanceVersion(ctx context.Context, body string, t time.Time) (*GuidanceVersion, error) {
	var last []int
	if err := q.w.NewSelect().Model((*GuidanceVersion)(nil)).ColumnExpr("COALESCE(MAX(version), 0)").Scan(ctx, &last); err != nil {
		return nil, fmt.Errorf("guidance version: %w", err)
	}
	v := &GuidanceVersion{Version: 1, Body: body, CreatedAt: t}
	if len(last) > 0 {
		v.Version = last[0] + 1
	}
	if _, err := q.w.NewInsert().Model(v).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store guidance: %w", err)
	}
	return v, nil
}

// LatestGuidance returns the current version of the guidance, or
// ErrNotFound when none was written.
func (q queries) LatestGuidance(ctx context.Context) (*GuidanceVersion, error) {
	v := new(GuidanceVersion)
	if err := q.r.NewSelect().Model(v).OrderExpr("version DESC").Limit(1).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return v, nil
}

// AcknowledgeGuidance records that accountID read version at t; a second
// acknowledgement of the same version keeps the first time.
func (q queries) AcknowledgeGuidance(ctx context.Context, accountID int64, version int, t time.Time) error {
	_, err := q.w.NewInsert().Model(&GuidanceAcknowledgement{AccountID: accountID, Version: version, AcknowledgedAt: t}).
		On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("acknowledge guidance: %w", err)
	}
	return nil
}

// GuidanceAcknowledgement returns when accountID acknowledged version, or
// ErrNotFound.
func (q queries) GuidanceAcknowledgement(ctx context.Context, accountID int64, version int) (*GuidanceAcknowledgement, error) {
	a := new(GuidanceAcknowledgement)
	if err := q.r.NewSelect().Model(a).Where("account_id = ? AND version = ?", accountID, version).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// GuidancePending returns the local users, with their accounts, who may
// post (approved, enabled, not suspended) and have not acknowledged
// version, oldest first.
func (q queries) GuidancePending(ctx context.Context, version int) ([]*User, error) {
	var users []*User
	err := q.r.NewSelect().Model(&users).Relation("Account").
		Where("u.approved = ?", true).Where("u.disabled = ?", false).Where("account.suspended_at IS NULL").
		Where("NOT EXISTS (SELECT 1 FROM guidance_acknowledgements AS ga WHERE ga.account_id = u.account_id AND ga.version = ?)", version).
		OrderExpr("u.id ASC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("guidance pending: %w", err)
	}
	return users, nil
}
