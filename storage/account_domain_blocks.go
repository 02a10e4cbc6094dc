package storage

import (
	"context"
	"fmt"
	"time"
)

// AccountDomainBlock is a domain one local account blocks for itself.
type AccountDomainBlock struct {
	ID     int64
	Domain string
}

// BlockDomainFor records that accountID blocks domain; blocking it again
// changes nothing.
func (q queries) BlockDomainFor(ctx context.Context, accountID int64, domain string, t time.Time) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO account_domain_blocks (id, account_id, domain, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (account_id, domain) DO NOTHING`, NewID(), accountID, domain, t)
	return err
}

// UnblockDomainFor lifts accountID's block of domain.
func (q queries) UnblockDomainFor(ctx context.Context, accountID int64, domain string) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM account_domain_blocks WHERE account_id = ? AND domain = ?", accountID, domain)
	return err
}

// AccountDomainBlocks pages the domains accountID blocks, newest block
// first, with the blocks' ids as cursors.
func (q queries) AccountDomainBlocks(ctx context.Context, accountID int64, p Page) ([]AccountDomainBlock, error) {
	var rows []AccountDomainBlock
	sel := q.r.NewSelect().ColumnExpr("b.id, b.domain").TableExpr("account_domain_blocks AS b").Where("b.account_id = ?", accountID)
	if err := p.apply(sel, "b.id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("account domain blocks: %w", err)
	}
	reverseIfMin(rows, p)
	return rows, nil
}

// BlockedDomainsOf returns every domain accountID blocks.
func (q queries) BlockedDomainsOf(ctx context.Context, accountID int64) ([]string, error) {
	var out []string
	err := q.r.NewSelect().TableExpr("account_domain_blocks").Column("domain").Where("account_id = ?", accountID).Scan(ctx, &out)
	return out, err
}

// BlocksDomain reports whether accountID blocks domain.
func (q queries) BlocksDomain(ctx context.Context, accountID int64, domain string) bool {
	if domain == "" {
		return false
	}
	ok, err := q.r.NewSelect().TableExpr("account_domain_blocks").Where("account_id = ? AND domain = ?", accountID, domain).Exists(ctx)
	return err == nil && ok
}

// FollowsWithDomain returns the follows, accepted or pending, between
// accountID and the accounts of domain, either way.
func (q queries) FollowsWithDomain(ctx context.Context, accountID int64, domain string) ([]*Follow, error) {
	var fs []*Follow
	err := q.r.NewSelect().Model(&fs).Where(`(f.account_id = ? AND f.target_account_id IN (SELECT id FROM accounts WHERE domain = ?))
OR (f.target_account_id = ? AND f.account_id IN (SELECT id FROM accounts WHERE domain = ?))`, accountID, domain, accountID, domain).
		OrderExpr("f.id").Scan(ctx)
	return fs, err
}

// DeleteNotificationsFromDomain removes accountID's notifications from
// accounts of domain.
func (q queries) DeleteNotificationsFromDomain(ctx context.Context, accountID int64, domain string) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM notifications WHERE account_id = ? AND from_account_id IN (SELECT id FROM accounts WHERE domain = ?)", accountID, domain)
	return err
}

// MuteThread records that accountID muted thread; UnmuteThread lifts it.
func (q queries) MuteThread(ctx context.Context, accountID int64, thread string, t time.Time) error {
	_, err := q.w.ExecContext(ctx, "INSERT INTO thread_mutes (account_id, thread, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", accountID, thread, t)
	return err
}

// UnmuteThread lifts accountID's mute of thread.
func (q queries) UnmuteThread(ctx context.Context, accountID int64, thread string) error {
	_, err := q.w.ExecContext(ctx, "DELETE FROM thread_mutes WHERE account_id = ? AND thread = ?", accountID, thread)
	return err
}

// ThreadMuted reports whether accountID muted thread.
func (q queries) ThreadMuted(ctx context.Context, accountID int64, thread string) bool {
	ok, err := q.r.NewSelect().TableExpr("thread_mutes").Where("account_id = ? AND thread = ?", accountID, thread).Exists(ctx)
	return err == nil && ok
}

// MutesThreads reports whether accountID muted any thread at all.
func (q queries) MutesThreads(ctx context.Context, accountID int64) bool {
	ok, err := q.r.NewSelect().TableExpr("thread_mutes").Where("account_id = ?", accountID).Exists(ctx)
	return err == nil && ok
}
