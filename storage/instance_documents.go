package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// InstanceDocument is one version of a document admins write for the
// instance: its extended description, privacy policy or terms of service.
// Body is what the admin wrote (Markdown); EffectiveDate (YYYY-MM-DD) is
// set for terms of service only.
type InstanceDocument struct {
	bun.BaseModel `bun:"table:instance_documents"`

	Kind          string    `bun:",pk"`
	EffectiveDate string    `bun:",pk"`
	Body          string    `bun:",notnull"`
	UpdatedAt     time.Time `bun:",notnull"`
}

// PutInstanceDocument stores d, replacing the version of the same kind and
// effective date.
func (q queries) PutInstanceDocument(ctx context.Context, d *InstanceDocument) error {
	_, err := q.w.NewInsert().Model(d).
		On("CONFLICT (kind, effective_date) DO UPDATE").
		Set("body = EXCLUDED.body").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store instance document %s: %w", d.Kind, err)
	}
	return nil
}

// InstanceDocument returns the version of kind with effectiveDate, or
// ErrNotFound.
func (q queries) InstanceDocument(ctx context.Context, kind, effectiveDate string) (*InstanceDocument, error) {
	d := new(InstanceDocument)
	err := q.r.NewSelect().Model(d).Where("kind = ?", kind).Where("effective_date = ?", effectiveDate).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return d, nil
}

// InstanceDocumentVersions returns every version of kind, oldest effective
// date first.
func (q queries) InstanceDocumentVersions(ctx context.Context, kind string) ([]*InstanceDocument, error) {
	var out []*InstanceDocument
	if err := q.r.NewSelect().Model(&out).Where("kind = ?", kind).Order("effective_date ASC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load instance documents %s: %w", kind, err)
	}
	return out, nil
}
