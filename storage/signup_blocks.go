package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// EmailDomainBlock refuses sign-ups with an email address at a domain or
// any of its subdomains.
type EmailDomainBlock struct {
	bun.BaseModel `bun:"table:email_domain_blocks"`

	ID        int64     `bun:",pk"`
	Domain    string    `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
}

// EmailDomainBlockAttempt is one sign-up an email domain block refused.
type EmailDomainBlockAttempt struct {
	bun.BaseModel `bun:"table:email_domain_block_attempts"`

	BlockID     int64     `bun:",notnull"`
	AttemptedAt time.Time `bun:",notnull"`
	Address     string    `bun:",notnull"`
}

// CanonicalEmailBlock refuses sign-ups with any email address whose
// canonical form hashes to CanonicalEmailHash.
type CanonicalEmailBlock struct {
	bun.BaseModel `bun:"table:canonical_email_blocks"`

	ID                 int64     `bun:",pk"`
	CanonicalEmailHash string    `bun:",notnull"`
	CreatedAt          time.Time `bun:",notnull"`
}

// IPBlock rules the sign-ups from, or all access from, a network.
type IPBlock struct {
	bun.BaseModel `bun:"table:ip_blocks"`

	ID        int64  `bun:",pk"`
	IP        string `bun:",notnull"` // CIDR, host bits zero
	Severity  string `bun:",notnull"`
	Comment   string `bun:",notnull"`
	ExpiresAt *time.Time
	CreatedAt time.Time `bun:",notnull"`
	UpdatedAt time.Time `bun:",notnull"`
}

// InsertEmailDomainBlock stores b; ErrConflict when its domain is blocked
// already.
func (q queries) InsertEmailDomainBlock(ctx context.Context, b *EmailDomainBlock) error {
	if b.ID == 0 {
		b.ID = NewID()
	}
	if _, err := q.w.NewInsert().Model(b).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("email domain block %s: %w", b.Domain, ErrConflict)
		}
		return fmt.Errorf("insert email domain block: %w", err)
	}
	return nil
}

// DeleteEmailDomainBlock removes the block id and its attempts.
func (q queries) DeleteEmailDomainBlock(ctx context.Context, id int64) error {
	if _, err := q.w.NewDelete().Model((*EmailDomainBlockAttempt)(nil)).Where("block_id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("delete email domain block attempts: %w", err)
	}
	res, err := q.w.NewDelete().Model((*EmailDomainBlock)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete email domain block: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// EmailDomainBlockByID returns the block id.
func (q queries) EmailDomainBlockByID(ctx context.Context, id int64) (*EmailDomainBlock, error) {
	b := new(EmailDomainBlock)
	if err := q.r.NewSelect().Model(b).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

// EmailDomainBlocks pages the blocks, newest first.
func (q queries) EmailDomainBlocks(ctx context.Context, p Page, max int) ([]*EmailDomainBlock, error) {
	var out []*EmailDomainBlock
	if err := pageByID(q.r.NewSelect().Model(&out), p, max).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list email domain blocks: %w", err)
	}
	reverseIfMin(out, p)
	return out, nil
}

// EmailDomainBlocksOf returns the blocks of exactly the given domains.
func (q queries) EmailDomainBlocksOf(ctx context.Context, domains []string) ([]*EmailDomainBlock, error) {
	var out []*EmailDomainBlock
	if len(domains) == 0 {
		return nil, nil
	}
	if err := q.r.NewSelect().Model(&out).Where("domain IN (?)", bun.In(domains)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load email domain blocks: %w", err)
	}
	return out, nil
}

// RecordEmailDomainBlockAttempts remembers that the blocks ids refused a
// sign-up from address at t, and forgets attempts older than before.
func (q queries) RecordEmailDomainBlockAttempts(ctx context.Context, ids []int64, address string, t, before time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	rows := make([]*EmailDomainBlockAttempt, len(ids))
	for i, id := range ids {
		rows[i] = &EmailDomainBlockAttempt{BlockID: id, AttemptedAt: t, Address: address}
	}
	if _, err := q.w.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("record email domain block attempt: %w", err)
	}
	if _, err := q.w.NewDelete().Model((*EmailDomainBlockAttempt)(nil)).Where("attempted_at < ?", before).Exec(ctx); err != nil {
		return fmt.Errorf("forget email domain block attempts: %w", err)
	}
	return nil
}

// EmailDomainBlockAttempts returns the attempts on the blocks ids since t.
func (q queries) EmailDomainBlockAttempts(ctx context.Context, ids []int64, since time.Time) ([]*EmailDomainBlockAttempt, error) {
	var out []*EmailDomainBlockAttempt
	if len(ids) == 0 {
		return nil, nil
	}
	err := q.r.NewSelect().Model(&out).Where("block_id IN (?)", bun.In(ids)).Where("attempted_at >= ?", since).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load email domain block attempts: %w", err)
	}
	return out, nil
}

// InsertCanonicalEmailBlock stores b; ErrConflict when its hash is blocked
// already.
func (q queries) InsertCanonicalEmailBlock(ctx context.Context, b *CanonicalEmailBlock) error {
	if b.ID == 0 {
		b.ID = NewID()
	}
	if _, err := q.w.NewInsert().Model(b).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("canonical email block: %w", ErrConflict)
		}
		return fmt.Errorf("insert canonical email block: %w", err)
	}
	return nil
}

// DeleteCanonicalEmailBlock removes the block id.
func (q queries) DeleteCanonicalEmailBlock(ctx context.Context, id int64) error {
	res, err := q.w.NewDelete().Model((*CanonicalEmailBlock)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete canonical email block: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// CanonicalEmailBlockByID returns the block id.
func (q queries) CanonicalEmailBlockByID(ctx context.Context, id int64) (*CanonicalEmailBlock, error) {
	b := new(CanonicalEmailBlock)
	if err := q.r.NewSelect().Model(b).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

// CanonicalEmailBlocksByHash returns the blocks of hash (none or one).
func (q queries) CanonicalEmailBlocksByHash(ctx context.Context, hash string) ([]*CanonicalEmailBlock, error) {
	out := []*CanonicalEmailBlock{}
	if err := q.r.NewSelect().Model(&out).Where("canonical_email_hash = ?", hash).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load canonical email blocks: %w", err)
	}
	return out, nil
}

// CanonicalEmailBlocks pages the blocks, newest first.
func (q queries) CanonicalEmailBlocks(ctx context.Context, p Page, max int) ([]*CanonicalEmailBlock, error) {
	var out []*CanonicalEmailBlock
	if err := pageByID(q.r.NewSelect().Model(&out), p, max).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list canonical email blocks: %w", err)
	}
	reverseIfMin(out, p)
	return out, nil
}

// InsertIPBlock stores b; ErrConflict when its network is blocked already.
func (q queries) InsertIPBlock(ctx context.Context, b *IPBlock) error {
	if b.ID == 0 {
		b.ID = NewID()
	}
	if _, err := q.w.NewInsert().Model(b).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("ip block %s: %w", b.IP, ErrConflict)
		}
		return fmt.Errorf("insert ip block: %w", err)
	}
	return nil
}

// UpdateIPBlock saves what may change of b; ErrConflict when its new
// network is blocked by another block.
func (q queries) UpdateIPBlock(ctx context.Context, b *IPBlock) error {
	res, err := q.w.NewUpdate().Model(b).Column("ip", "severity", "comment", "expires_at", "updated_at").WherePK().Exec(ctx)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("ip block %s: %w", b.IP, ErrConflict)
		}
		return fmt.Errorf("update ip block: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteIPBlock removes the block id.
func (q queries) DeleteIPBlock(ctx context.Context, id int64) error {
	res, err := q.w.NewDelete().Model((*IPBlock)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete ip block: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// IPBlockByID returns the block id.
func (q queries) IPBlockByID(ctx context.Context, id int64) (*IPBlock, error) {
	b := new(IPBlock)
	if err := q.r.NewSelect().Model(b).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

// IPBlockByIP returns the block of exactly the network ip (as stored).
func (q queries) IPBlockByIP(ctx context.Context, ip string) (*IPBlock, error) {
	b := new(IPBlock)
	if err := q.r.NewSelect().Model(b).Where("ip = ?", ip).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

// IPBlocks pages the blocks, newest first, expired ones included.
func (q queries) IPBlocks(ctx context.Context, p Page, max int) ([]*IPBlock, error) {
	var out []*IPBlock
	if err := pageByID(q.r.NewSelect().Model(&out), p, max).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list ip blocks: %w", err)
	}
	reverseIfMin(out, p)
	return out, nil
}

// LiveIPBlocks returns every block that has not expired at now.
func (q queries) LiveIPBlocks(ctx context.Context, now time.Time) ([]*IPBlock, error) {
	var out []*IPBlock
	err := q.r.NewSelect().Model(&out).WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
		return s.Where("expires_at IS NULL").WhereOr("expires_at > ?", now)
	}).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load ip blocks: %w", err)
	}
	return out, nil
}
