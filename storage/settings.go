package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Setting is one server setting an admin changes at run time; Value is JSON.
type Setting struct {
	bun.BaseModel `bun:"table:instance_settings"`

	Key       string    `bun:",pk"`
	Value     string    `bun:",notnull"`
	UpdatedAt time.Time `bun:",notnull"`
}

// Settings returns every stored setting, keyed by name.
func (q queries) Settings(ctx context.Context) (map[string]string, error) {
	var rows []Setting
	if err := q.r.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.Key] = r.Value
	}
	return m, nil
}

// PutSetting stores value under key, replacing what was there.
func (q queries) PutSetting(ctx context.Context, key, value string, now time.Time) error {
	_, err := q.w.NewInsert().Model(&Setting{Key: key, Value: value, UpdatedAt: now}).
		On("CONFLICT (key) DO UPDATE").
		Set("value = EXCLUDED.value").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", key, err)
	}
	return nil
}
