package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// AuditEntry is one line of the append-only audit log: who did what, to
// whom, when and why. The database refuses to change or delete an entry.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID             int64 `bun:",pk"`
	ActorAccountID *int64
	Actor          string    `bun:",notnull"` // "@alice" or "command line"
	Action         string    `bun:",notnull"`
	TargetType     string    `bun:",notnull"` // "account", "report", "domain", "setting" ...
	TargetID       string    `bun:",notnull"`
	Target         string    `bun:",notnull"` // readable: "@bob", "spam.example"
	Reason         string    `bun:",notnull"`
	Detail         string    `bun:",notnull"`
	CreatedAt      time.Time `bun:",notnull"`
}

// AppendAudit adds e to the audit log.
func (q queries) AppendAudit(ctx context.Context, e *AuditEntry) error {
	if e.ID == 0 {
		e.ID = NewID()
	}
	if _, err := q.w.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("append audit log: %w", err)
	}
	return nil
}

// AuditFilter narrows AuditLog.
type AuditFilter struct {
	Action     string
	TargetType string
	TargetID   string
	ActorID    int64
}

// AuditLog returns entries newest first, a page at a time.
func (q queries) AuditLog(ctx context.Context, f AuditFilter, p Page) ([]*AuditEntry, error) {
	var out []*AuditEntry
	sel := q.r.NewSelect().Model(&out)
	if f.Action != "" {
		sel = sel.Where("action = ?", f.Action)
	}
	if f.TargetType != "" {
		sel = sel.Where("target_type = ?", f.TargetType)
	}
	if f.TargetID != "" {
		sel = sel.Where("target_id = ?", f.TargetID)
	}
	if f.ActorID != 0 {
		sel = sel.Where("actor_account_id = ?", f.ActorID)
	}
	sel = p.apply(sel, "id")
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	reverseIfMin(out, p)
	return out, nil
}
