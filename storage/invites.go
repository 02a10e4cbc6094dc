package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Invite is an invite link: single or multi-use, optionally expiring.
type Invite struct {
	bun.BaseModel `bun:"table:invites,alias:inv"`

	ID   int64  `bun:",pk"`
	Code string `bun:",notnull"`
	// UserID is the admin who made it; nil when made at the command line.
	UserID *int64
	// MaxUses is nil for no limit.
	MaxUses   *int
	Uses      int `bun:",notnull"`
	ExpiresAt *time.Time
	RevokedAt *time.Time
	Comment   string    `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
}

// InsertInvite stores a new invite.
func (q queries) InsertInvite(ctx context.Context, inv *Invite) error {
	if _, err := q.w.NewInsert().Model(inv).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("invite code: %w", ErrConflict)
		}
		return fmt.Errorf("insert invite: %w", err)
	}
	return nil
}

// Invites returns every invite, newest first.
func (q queries) Invites(ctx context.Context) ([]*Invite, error) {
	var out []*Invite
	if err := q.r.NewSelect().Model(&out).OrderExpr("inv.id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	return out, nil
}

// InviteByCode returns the invite with code, whatever its state.
func (q queries) InviteByCode(ctx context.Context, code string) (*Invite, error) {
	inv := new(Invite)
	if err := q.r.NewSelect().Model(inv).Where("inv.code = ?", code).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return inv, nil
}

// InviteByID returns the invite with id, whatever its state.
func (q queries) InviteByID(ctx context.Context, id int64) (*Invite, error) {
	inv := new(Invite)
	if err := q.r.NewSelect().Model(inv).Where("inv.id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return inv, nil
}

// UseInvite counts one use of invite id, provided that at now it is not
// revoked, not expired and not used up. It returns ErrNotFound otherwise,
// so that of two sign-ups racing for an invite's last use only one gets it:
// the check and the count are one statement.
func (q queries) UseInvite(ctx context.Context, id int64, now time.Time) error {
	res, err := q.w.NewUpdate().Model((*Invite)(nil)).
		Set("uses = uses + 1").
		Where("id = ?", id).
		Where("revoked_at IS NULL").
		Where("expires_at IS NULL OR expires_at > ?", now).
		Where("max_uses IS NULL OR uses < max_uses").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("use invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RevokeInvite marks invite id revoked at now; revoking it again keeps the
// first time. It returns ErrNotFound when there is no such invite.
func (q queries) RevokeInvite(ctx context.Context, id int64, now time.Time) error {
	res, err := q.w.NewUpdate().Model((*Invite)(nil)).
		Set("revoked_at = COALESCE(revoked_at, ?)", now).
		Where("id = ?", id).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
