package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// DomainBlock is a federation policy against a remote domain and its
// subdomains: silence, suspend or noop, with media and report rejection.
type DomainBlock struct {
	bun.BaseModel `bun:"table:domain_blocks"`

	ID             int64     `bun:",pk"`
	Domain         string    `bun:",notnull"`
	Severity       string    `bun:",notnull"`
	RejectMedia    bool      `bun:",notnull"`
	RejectReports  bool      `bun:",notnull"`
	PrivateComment string    `bun:",notnull"`
	PublicComment  string    `bun:",notnull"`
	Obfuscate      bool      `bun:",notnull"`
	CreatedAt      time.Time `bun:",notnull"`
	UpdatedAt      time.Time `bun:",notnull"`
}

// DomainAllow lets a domain federate when the server is in allowlist mode.
type DomainAllow struct {
	bun.BaseModel `bun:"table:domain_allows"`

	ID        int64     `bun:",pk"`
	Domain    string    `bun:",notnull"`
	CreatedAt time.Time `bun:",notnull"`
}

// The marks a domain block puts on the accounts of its domain.
const (
	MarkSuspend = "suspend" // accounts.suspended_at
	MarkSilence = "silence" // accounts.silenced_at
)

// InsertDomainBlock stores b; ErrConflict when its domain is blocked already.
func (q queries) InsertDomainBlock(ctx context.Context, b *DomainBlock) error {
	if b.ID == 0 {
		b.ID = NewID()
	}
	if _, err := q.w.NewInsert().Model(b).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("domain block %s: %w", b.Domain, ErrConflict)
		}
		return fmt.Errorf("insert domain block: %w", err)
	}
	return nil
}

// UpdateDomainBlock saves what may change of b.
func (q queries) UpdateDomainBlock(ctx context.Context, b *DomainBlock) error {
	res, err := q.w.NewUpdate().Model(b).
		Column("severity", "reject_media", "reject_reports", "private_comment", "public_comment", "obfuscate", "updated_at").
		WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("update domain block: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteDomainBlock removes the block id.
func (q queries) DeleteDomainBlock(ctx context.Context, id int64) error {
	res, err := q.w.NewDelete().Model((*DomainBlock)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete domain block: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DomainBlockByID returns the block id.
func (q queries) DomainBlockByID(ctx context.Context, id int64) (*DomainBlock, error) {
	b := new(DomainBlock)
	if err := q.r.NewSelect().Model(b).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

// DomainBlockByDomain returns the block of exactly domain.
func (q queries) DomainBlockByDomain(ctx context.Context, domain string) (*DomainBlock, error) {
	b := new(DomainBlock)
	if err := q.r.NewSelect().Model(b).Where("domain = ?", domain).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

// DomainBlocks pages the blocks, newest first.
func (q queries) DomainBlocks(ctx context.Context, p Page, max int) ([]*DomainBlock, error) {
	var out []*DomainBlock
	if err := pageByID(q.r.NewSelect().Model(&out), p, max).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list domain blocks: %w", err)
	}
	reverseIfMin(out, p)
	return out, nil
}

// AllDomainBlocks returns every block, in no particular order.
func (q queries) AllDomainBlocks(ctx context.Context) ([]*DomainBlock, error) {
	var out []*DomainBlock
	if err := q.r.NewSelect().Model(&out).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load domain blocks: %w", err)
	}
	return out, nil
}

// DomainBlocksOf returns the blocks of exactly the given domains.
func (q queries) DomainBlocksOf(ctx context.Context, domains []string) ([]*DomainBlock, error) {
	var out []*DomainBlock
	if len(domains) == 0 {
		return nil, nil
	}
	if err := q.r.NewSelect().Model(&out).Where("domain IN (?)", bun.In(domains)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load domain blocks: %w", err)
	}
	return out, nil
}

// InsertDomainAllow stores a; ErrConflict when its domain is allowed already.
func (q queries) InsertDomainAllow(ctx context.Context, a *DomainAllow) error {
	if a.ID == 0 {
		a.ID = NewID()
	}
	if _, err := q.w.NewInsert().Model(a).Exec(ctx); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("domain allow %s: %w", a.Domain, ErrConflict)
		}
		return fmt.Errorf("insert domain allow: %w", err)
	}
	return nil
}

// DeleteDomainAllow removes the allow id.
func (q queries) DeleteDomainAllow(ctx context.Context, id int64) error {
	res, err := q.w.NewDelete().Model((*DomainAllow)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete domain allow: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DomainAllowByID returns the allow id.
func (q queries) DomainAllowByID(ctx context.Context, id int64) (*DomainAllow, error) {
	a := new(DomainAllow)
	if err := q.r.NewSelect().Model(a).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// DomainAllowByDomain returns the allow of exactly domain.
func (q queries) DomainAllowByDomain(ctx context.Context, domain string) (*DomainAllow, error) {
	a := new(DomainAllow)
	if err := q.r.NewSelect().Model(a).Where("domain = ?", domain).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// DomainAllows pages the allowed domains, newest first.
func (q queries) DomainAllows(ctx context.Context, p Page, max int) ([]*DomainAllow, error) {
	var out []*DomainAllow
	if err := pageByID(q.r.NewSelect().Model(&out), p, max).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list domain allows: %w", err)
	}
	reverseIfMin(out, p)
	return out, nil
}

// AllDomainAllows returns every allowed domain.
func (q queries) AllDomainAllows(ctx context.Context) ([]*DomainAllow, error) {
	var out []*DomainAllow
	if err := q.r.NewSelect().Model(&out).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load domain allows: %w", err)
	}
	return out, nil
}

// pageByID is Page.apply for the admin lists, whose limit goes up to max
// rather than 80.
func pageByID(sel *bun.SelectQuery, p Page, max int) *bun.SelectQuery {
	if p.MaxID > 0 {
		sel = sel.Where("id < ?", p.MaxID)
	}
	if p.SinceID > 0 {
		sel = sel.Where("id > ?", p.SinceID)
	}
	if p.MinID > 0 {
		sel = sel.Where("id > ?", p.MinID).OrderExpr("id ASC")
	} else {
		sel = sel.OrderExpr("id DESC")
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	return sel.Limit(int64(min(limit, max)))
}

// AccountDomainsContaining returns the distinct domains of remote accounts
// that contain s: a superset of those a block of s covers, which the caller
// narrows down.
func (q queries) AccountDomainsContaining(ctx context.Context, s string) ([]string, error) {
	var out []string
	err := q.r.NewSelect().Model((*Account)(nil)).ColumnExpr("DISTINCT domain").
		Where("domain <> ''").Where(`domain LIKE ? ESCAPE '\'`, "%"+domainLikeEscaper.Replace(s)+"%").
		Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("account domains: %w", err)
	}
	return out, nil
}

var domainLikeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// markColumn is the accounts column a domain block mark sets.
func markColumn(mark string) string {
	if mark == MarkSuspend {
		return "suspended_at"
	}
	return "silenced_at"
}

// MarkDomainAccounts sets mark (MarkSuspend or MarkSilence) at t on the
// accounts of exactly domain that do not carry it yet, remembering that the
// domain block set it.
func (q queries) MarkDomainAccounts(ctx context.Context, domain, mark string, t time.Time) error {
	col := markColumn(mark)
	_, err := q.w.ExecContext(ctx, `INSERT INTO domain_block_marks (account_id, mark, marked_at)
SELECT id, ?, ? FROM accounts WHERE domain = ? AND `+col+` IS NULL
ON CONFLICT (account_id, mark) DO UPDATE SET marked_at = excluded.marked_at`, mark, t, domain)
	if err != nil {
		return fmt.Errorf("mark accounts of %s: %w", domain, err)
	}
	if _, err := q.w.ExecContext(ctx, "UPDATE accounts SET "+col+" = ? WHERE domain = ? AND "+col+" IS NULL", t, domain); err != nil {
		return fmt.Errorf("mark accounts of %s: %w", domain, err)
	}
	return nil
}

// MarkAccountForDomain sets mark at t on one account, newly stored from a
// domain that is blocked, remembering that the domain block set it.
func (q queries) MarkAccountForDomain(ctx context.Context, accountID int64, mark string, t time.Time) error {
	col := markColumn(mark)
	if _, err := q.w.ExecContext(ctx, "UPDATE accounts SET "+col+" = ? WHERE id = ?", t, accountID); err != nil {
		return fmt.Errorf("mark account: %w", err)
	}
	_, err := q.w.ExecContext(ctx, `INSERT INTO domain_block_marks (account_id, mark, marked_at) VALUES (?, ?, ?)
ON CONFLICT (account_id, mark) DO UPDATE SET marked_at = excluded.marked_at`, accountID, mark, t)
	if err != nil {
		return fmt.Errorf("mark account: %w", err)
	}
	return nil
}

// UnmarkDomainAccounts lifts mark from the accounts of exactly domain where
// a domain block set it and nobody has set it again since.
func (q queries) UnmarkDomainAccounts(ctx context.Context, domain, mark string) error {
	col := markColumn(mark)
	_, err := q.w.ExecContext(ctx, `UPDATE accounts SET `+col+` = NULL WHERE domain = ? AND id IN (
	SELECT m.account_id FROM domain_block_marks AS m WHERE m.mark = ? AND m.marked_at = accounts.`+col+`)`, domain, mark)
	if err != nil {
		return fmt.Errorf("unmark accounts of %s: %w", domain, err)
	}
	_, err = q.w.ExecContext(ctx, `DELETE FROM domain_block_marks WHERE mark = ? AND account_id IN (SELECT id FROM accounts WHERE domain = ?)`, mark, domain)
	if err != nil {
		return fmt.Errorf("unmark accounts of %s: %w", domain, err)
	}
	return nil
}

// DropDomainFollows removes every follow and follow request between an
// account of exactly domain and anyone, and the followed accounts' posts
// from local followers' home feeds, as an unfollow does.
func (q queries) DropDomainFollows(ctx context.Context, domain string) error {
	_, err := q.w.ExecContext(ctx, `DELETE FROM home_feed WHERE EXISTS (
	SELECT 1 FROM follows AS f JOIN accounts AS a ON a.id = f.target_account_id
	WHERE a.domain = ? AND f.account_id = home_feed.account_id AND f.target_account_id = home_feed.author_id)`, domain)
	if err != nil {
		return fmt.Errorf("drop home feed of %s: %w", domain, err)
	}
	_, err = q.w.ExecContext(ctx, `DELETE FROM follows WHERE account_id IN (SELECT id FROM accounts WHERE domain = ?)
	OR target_account_id IN (SELECT id FROM accounts WHERE domain = ?)`, domain, domain)
	if err != nil {
		return fmt.Errorf("drop follows of %s: %w", domain, err)
	}
	return nil
}

// SetDomainMediaRejected hides (reject) or shows again the media of the
// remote accounts of exactly domain. Hidden attachments become "unknown",
// which apps show as a link to the original rather than inline, and
// avatars and headers are forgotten; showing them again restores each
// attachment's type from its content type, and marks the accounts for a
// fresh fetch, which brings back their avatars and headers.
func (q queries) SetDomainMediaRejected(ctx context.Context, domain string, reject bool) error {
	typ := "'unknown'"
	accounts := "UPDATE accounts SET avatar_url = '', header_url = '' WHERE domain = ?"
	if !reject {
		typ = `CASE WHEN content_type LIKE 'video/%' THEN 'video' WHEN content_type LIKE 'audio/%' THEN 'audio'
	WHEN content_type = '' OR content_type LIKE 'image/%' THEN 'image' ELSE 'unknown' END`
		accounts = "UPDATE accounts SET fetched_at = NULL WHERE domain = ?"
	}
	_, err := q.w.ExecContext(ctx, `UPDATE media_attachments SET type = `+typ+`
WHERE file_name = '' AND remote_url <> '' AND account_id IN (SELECT id FROM accounts WHERE domain = ?)`, domain)
	if err != nil {
		return fmt.Errorf("media of %s: %w", domain, err)
	}
	if _, err := q.w.ExecContext(ctx, accounts, domain); err != nil {
		return fmt.Errorf("media of %s: %w", domain, err)
	}
	return nil
}
