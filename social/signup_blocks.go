package social

// Sign-up blocks, as Mastodon's admins rule them: email domains nobody may
// sign up with (EmailDomainBlock), email addresses, by the hash of their
// canonical form, nobody may sign up with again (CanonicalEmailBlock), and
// network address ranges (IPBlock) whose sign-ups need approval or are
// refused, or that may not reach the server at all.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"rounds/storage"
)

// IP block severities, as Mastodon names them, from the mildest.
const (
	// IPSignUpRequiresApproval leaves every account signed up from the
	// network waiting for an admin's approval, whatever the registration
	// mode and even with an invite.
	IPSignUpRequiresApproval = "sign_up_requires_approval"
	// IPSignUpBlock refuses sign-ups from the network.
	IPSignUpBlock = "sign_up_block"
	// IPNoAccess refuses every request from the network: sign-in, the
	// API and the pages.
	IPNoAccess = "no_access"
)

// ipSeverityRank orders the severities; 0 is none.
func ipSeverityRank(s string) int {
	switch s {
	case IPSignUpRequiresApproval:
		return 1
	case IPSignUpBlock:
		return 2
	case IPNoAccess:
		return 3
	}
	return 0
}

// Limits on what an admin may enter.
const (
	maxIPBlockComment = 1000
	maxIPBlockExpiry  = 10 * 366 * 24 * time.Hour
)

// emailDomainHistoryDays is how many days an email domain block's history
// covers, as Mastodon's does.
const emailDomainHistoryDays = 7

var (
	// ErrSignUpBlocked refuses a sign-up from a network an IP block
	// closes to sign-ups. It is also ErrForbidden.
	ErrSignUpBlocked error = &refusal{"sign-ups from your network address are blocked on this server"}
	// ErrAddressBlocked refuses every request from a network an IP block
	// closes entirely. It is also ErrForbidden.
	ErrAddressBlocked error = &refusal{"access from your network address is blocked on this server"}
)

// Registration error code of an email at a blocked domain, as Mastodon's
// POST /api/v1/accounts gives it.
const ErrCodeBlocked = "ERR_BLOCKED"

// CanonicalEmail is the form of an email address that Mastodon's canonical
// email blocks compare: lower case, and in the part before the @ no dots
// and nothing from the first +.
func CanonicalEmail(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	local, domain, found := strings.Cut(email, "@")
	local = strings.ReplaceAll(local, ".", "")
	local, _, _ = strings.Cut(local, "+")
	if !found {
		return local
	}
	return local + "@" + domain
}

// CanonicalEmailHash is the hex SHA-256 of CanonicalEmail(email), which a
// canonical email block holds.
func CanonicalEmailHash(email string) string {
	sum := sha256.Sum256([]byte(CanonicalEmail(email)))
	return hex.EncodeToString(sum[:])
}

// emailDomainOf returns the domain of an email address, in the form email
// domain blocks are stored in, or "" when it has none.
func emailDomainOf(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 || i == len(email)-1 {
		return ""
	}
	return looseDomain(strings.ToLower(email[i+1:]))
}

// normalizeEmailDomain is NormalizeDomain for an email domain, which has
// no port.
func normalizeEmailDomain(raw string) (string, error) {
	d, err := NormalizeDomain(strings.TrimPrefix(strings.TrimSpace(raw), "@"))
	if err != nil {
		return "", err
	}
	if _, port := splitDomain(d); port != "" {
		return "", invalid("domain", fmt.Sprintf("%q is not a domain name (an email domain has no port)", raw))
	}
	return d, nil
}

// Email domain blocks

// EmailDomainHistoryDay is one day of an email domain block's history:
// the sign-ups it refused (Uses) and from how many distinct addresses
// (Accounts), as Mastodon counts them.
type EmailDomainHistoryDay struct {
	Day      time.Time // midnight UTC
	Accounts int
	Uses     int
}

// BlockEmailDomain refuses sign-ups with email addresses at domain and its
// subdomains. Only admins may.
func (s *Service) BlockEmailDomain(ctx context.Context, a Actor, domain string) (*storage.EmailDomainBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	d, err := normalizeEmailDomain(domain)
	if err != nil {
		return nil, err
	}
	b := &storage.EmailDomainBlock{ID: storage.NewID(), Domain: d, CreatedAt: s.now()}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertEmailDomainBlock(ctx, b); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return invalid("domain", "has already been taken")
			}
			return err
		}
		return s.appendAudit(ctx, tx, a, blockAudit("block_email_domain", "email_domain_block", b.ID, d, "", nil))
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return b, nil
}

// UnblockEmailDomain lifts the email domain block id. Only admins may.
func (s *Service) UnblockEmailDomain(ctx context.Context, a Actor, id int64) (*storage.EmailDomainBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	var out *storage.EmailDomainBlock
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if out, err = tx.EmailDomainBlockByID(ctx, id); err != nil {
			return err
		}
		if err := tx.DeleteEmailDomainBlock(ctx, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, blockAudit("unblock_email_domain", "email_domain_block", id, out.Domain, "", nil))
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return out, nil
}

// EmailDomainBlocks pages the email domain blocks, newest first, for admins.
func (s *Service) EmailDomainBlocks(ctx context.Context, a Actor, p storage.Page) ([]*storage.EmailDomainBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	return s.db.EmailDomainBlocks(ctx, p, 200)
}

// EmailDomainBlock returns the email domain block id, for admins.
func (s *Service) EmailDomainBlock(ctx context.Context, a Actor, id int64) (*storage.EmailDomainBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	b, err := s.db.EmailDomainBlockByID(ctx, id)
	return b, domainErr(err)
}

// EmailDomainBlockOf returns the block of exactly domain, for admins.
func (s *Service) EmailDomainBlockOf(ctx context.Context, a Actor, domain string) (*storage.EmailDomainBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	d, err := normalizeEmailDomain(domain)
	if err != nil {
		return nil, err
	}
	list, err := s.db.EmailDomainBlocksOf(ctx, []string{d})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return list[0], nil
}

// EmailDomainBlockHistory returns, for each of the blocks ids, the sign-ups
// it refused on each of the last seven days, today first, for admins.
func (s *Service) EmailDomainBlockHistory(ctx context.Context, a Actor, ids []int64) (map[int64][]EmailDomainHistoryDay, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	today := s.now().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, 1-emailDomainHistoryDays)
	attempts, err := s.db.EmailDomainBlockAttempts(ctx, ids, since)
	if err != nil {
		return nil, err
	}
	type key struct {
		id  int64
		day int
	}
	uses := map[key]int{}
	addrs := map[key]map[string]bool{}
	for _, at := range attempts {
		k := key{at.BlockID, int(today.Sub(at.AttemptedAt.UTC().Truncate(24*time.Hour)) / (24 * time.Hour))}
		if k.day < 0 || k.day >= emailDomainHistoryDays {
			continue
		}
		uses[k]++
		if addrs[k] == nil {
			addrs[k] = map[string]bool{}
		}
		addrs[k][at.Address] = true
	}
	out := make(map[int64][]EmailDomainHistoryDay, len(ids))
	for _, id := range ids {
		days := make([]EmailDomainHistoryDay, emailDomainHistoryDays)
		for i := range days {
			k := key{id, i}
			days[i] = EmailDomainHistoryDay{Day: today.AddDate(0, 0, -i), Uses: uses[k], Accounts: len(addrs[k])}
		}
		out[id] = days
	}
	return out, nil
}

// blockedEmailDomains returns the blocks that cover the domain of email:
// its own and its parent domains'.
func (s *Service) blockedEmailDomains(ctx context.Context, email string) ([]*storage.EmailDomainBlock, error) {
	d := emailDomainOf(email)
	if d == "" {
		return nil, nil
	}
	return s.db.EmailDomainBlocksOf(ctx, ruleCandidates(d))
}

// Canonical email blocks

// BlockCanonicalEmail refuses sign-ups with email, or any address of the
// same canonical form, from now on. Without an email, hash (a hex SHA-256
// as CanonicalEmailHash makes) is blocked instead. Only admins may.
func (s *Service) BlockCanonicalEmail(ctx context.Context, a Actor, email, hash string) (*storage.CanonicalEmailBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	h, err := canonicalHashOf(email, hash)
	if err != nil {
		return nil, err
	}
	b := &storage.CanonicalEmailBlock{ID: storage.NewID(), CanonicalEmailHash: h, CreatedAt: s.now()}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertCanonicalEmailBlock(ctx, b); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return invalid("canonical email hash", "has already been taken")
			}
			return err
		}
		// The audit log keeps the hash only: the address is what the
		// block is meant not to keep.
		return s.appendAudit(ctx, tx, a, blockAudit("block_canonical_email", "canonical_email_block", b.ID, h, "", nil))
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return b, nil
}

func canonicalHashOf(email, hash string) (string, error) {
	email, hash = strings.TrimSpace(email), strings.ToLower(strings.TrimSpace(hash))
	switch {
	case email != "":
		if !strings.Contains(email, "@") {
			return "", invalid("email", "is not an email address")
		}
		return CanonicalEmailHash(email), nil
	case hash == "":
		return "", invalid("canonical email hash", "can't be blank")
	case len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "":
		return "", invalid("canonical email hash", "must be a hex SHA-256 (64 characters 0-9, a-f)")
	}
	return hash, nil
}

// UnblockCanonicalEmail lifts the canonical email block id. Only admins
// may.
func (s *Service) UnblockCanonicalEmail(ctx context.Context, a Actor, id int64) (*storage.CanonicalEmailBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	var out *storage.CanonicalEmailBlock
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if out, err = tx.CanonicalEmailBlockByID(ctx, id); err != nil {
			return err
		}
		if err := tx.DeleteCanonicalEmailBlock(ctx, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, blockAudit("unblock_canonical_email", "canonical_email_block", id, out.CanonicalEmailHash, "", nil))
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return out, nil
}

// CanonicalEmailBlocks pages the canonical email blocks, newest first, for
// admins.
func (s *Service) CanonicalEmailBlocks(ctx context.Context, a Actor, p storage.Page) ([]*storage.CanonicalEmailBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	return s.db.CanonicalEmailBlocks(ctx, p, 200)
}

// CanonicalEmailBlock returns the canonical email block id, for admins.
func (s *Service) CanonicalEmailBlock(ctx context.Context, a Actor, id int64) (*storage.CanonicalEmailBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	b, err := s.db.CanonicalEmailBlockByID(ctx, id)
	return b, domainErr(err)
}

// TestCanonicalEmail returns the canonical email blocks that email meets
// (none or one), for admins.
func (s *Service) TestCanonicalEmail(ctx context.Context, a Actor, email string) ([]*storage.CanonicalEmailBlock, error) {
	if strings.TrimSpace(email) == "" {
		if err := a.require(PermManageBlocks); err != nil {
			return nil, err
		}
		return nil, invalid("email", "can't be blank")
	}
	return s.CanonicalEmailBlocksMatching(ctx, a, email, "")
}

// CanonicalEmailBlocksMatching returns the canonical email blocks of email
// or, without an email, of hash (none or one), for admins.
func (s *Service) CanonicalEmailBlocksMatching(ctx context.Context, a Actor, email, hash string) ([]*storage.CanonicalEmailBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	h, err := canonicalHashOf(email, hash)
	if err != nil {
		return nil, err
	}
	return s.db.CanonicalEmailBlocksByHash(ctx, h)
}

// IP blocks

// IPBlockInput is a new IP block.
type IPBlockInput struct {
	// IP is an address or a network in CIDR form.
	IP       string
	Severity string
	Comment  string
	// ExpiresIn is how long the block lasts; zero for ever.
	ExpiresIn time.Duration
}

// IPBlockChange changes an IP block; nil fields stay as they are.
type IPBlockChange struct {
	IP       *string
	Severity *string
	Comment  *string
	// ExpiresIn, when not nil, restarts the block's lifetime from now;
	// zero makes it last for ever.
	ExpiresIn *time.Duration
}

// ParseIPNetwork reads an address ("192.0.2.7", a /32) or a network
// ("192.0.2.0/24") and returns the network in the form IP blocks are
// stored in, host bits zero.
func ParseIPNetwork(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalid("ip", "can't be blank")
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return "", invalid("ip", fmt.Sprintf("%q is not an IP address or network (such as 192.0.2.0/24)", raw))
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return "", invalid("ip", fmt.Sprintf("%q is not an IP address or network (such as 192.0.2.0/24)", raw))
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	return p.Masked().String(), nil
}

func checkIPSeverity(sev string) error {
	if sev == "" {
		return invalid("severity", "can't be blank")
	}
	if ipSeverityRank(sev) == 0 {
		return invalid("severity", "must be sign_up_requires_approval, sign_up_block or no_access")
	}
	return nil
}

func (s *Service) ipExpiry(in time.Duration) (*time.Time, error) {
	switch {
	case in == 0:
		return nil, nil
	case in < 0:
		return nil, invalid("expires_in", "must be greater than 0")
	case in > maxIPBlockExpiry:
		return nil, invalid("expires_in", "is too long (at most ten years)")
	}
	t := s.now().Add(in)
	return &t, nil
}

func ipBlockDetail(b *storage.IPBlock) map[string]any {
	return map[string]any{"ip": b.IP, "severity": b.Severity, "comment": b.Comment, "expires_at": b.ExpiresAt}
}

// BlockIP puts a network under an IP block. Only admins may.
func (s *Service) BlockIP(ctx context.Context, a Actor, in IPBlockInput) (*storage.IPBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	ip, err := ParseIPNetwork(in.IP)
	if err != nil {
		return nil, err
	}
	if err := checkIPSeverity(in.Severity); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(in.Comment) > maxIPBlockComment {
		return nil, invalid("comment", fmt.Sprintf("is too long (at most %d characters)", maxIPBlockComment))
	}
	exp, err := s.ipExpiry(in.ExpiresIn)
	if err != nil {
		return nil, err
	}
	now := s.now()
	b := &storage.IPBlock{ID: storage.NewID(), IP: ip, Severity: in.Severity, Comment: strings.TrimSpace(in.Comment),
		ExpiresAt: exp, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertIPBlock(ctx, b); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return invalid("ip", "has already been taken")
			}
			return err
		}
		return s.appendAudit(ctx, tx, a, blockAudit("block_ip", "ip_block", b.ID, ip, b.Comment, ipBlockDetail(b)))
	})
	s.forgetIPBlocks()
	if err != nil {
		return nil, domainErr(err)
	}
	return b, nil
}

// UpdateIPBlock changes the IP block id. Only admins may.
func (s *Service) UpdateIPBlock(ctx context.Context, a Actor, id int64, ch IPBlockChange) (*storage.IPBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	var out *storage.IPBlock
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		old, err := tx.IPBlockByID(ctx, id)
		if err != nil {
			return err
		}
		b := *old
		if ch.IP != nil {
			if b.IP, err = ParseIPNetwork(*ch.IP); err != nil {
				return err
			}
		}
		if ch.Severity != nil {
			if err := checkIPSeverity(*ch.Severity); err != nil {
				return err
			}
			b.Severity = *ch.Severity
		}
		if ch.Comment != nil {
			b.Comment = strings.TrimSpace(*ch.Comment)
			if utf8.RuneCountInString(b.Comment) > maxIPBlockComment {
				return invalid("comment", fmt.Sprintf("is too long (at most %d characters)", maxIPBlockComment))
			}
		}
		if ch.ExpiresIn != nil {
			if b.ExpiresAt, err = s.ipExpiry(*ch.ExpiresIn); err != nil {
				return err
			}
		}
		b.UpdatedAt = s.now()
		if err := tx.UpdateIPBlock(ctx, &b); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return invalid("ip", "has already been taken")
			}
			return err
		}
		out = &b
		return s.appendAudit(ctx, tx, a, blockAudit("update_ip_block", "ip_block", id, b.IP, b.Comment,
			map[string]any{"before": ipBlockDetail(old), "after": ipBlockDetail(&b)}))
	})
	s.forgetIPBlocks()
	if err != nil {
		return nil, domainErr(err)
	}
	return out, nil
}

// UnblockIP lifts the IP block id. Only admins may.
func (s *Service) UnblockIP(ctx context.Context, a Actor, id int64) (*storage.IPBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	var out *storage.IPBlock
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if out, err = tx.IPBlockByID(ctx, id); err != nil {
			return err
		}
		if err := tx.DeleteIPBlock(ctx, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, blockAudit("unblock_ip", "ip_block", id, out.IP, "", ipBlockDetail(out)))
	})
	s.forgetIPBlocks()
	if err != nil {
		return nil, domainErr(err)
	}
	return out, nil
}

// IPBlocks pages the IP blocks, newest first, expired ones included, for
// admins.
func (s *Service) IPBlocks(ctx context.Context, a Actor, p storage.Page) ([]*storage.IPBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	return s.db.IPBlocks(ctx, p, 200)
}

// IPBlock returns the IP block id, for admins.
func (s *Service) IPBlock(ctx context.Context, a Actor, id int64) (*storage.IPBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	b, err := s.db.IPBlockByID(ctx, id)
	return b, domainErr(err)
}

// IPBlockOf returns the block of exactly the network ip (an address or
// CIDR, as ParseIPNetwork reads it), for admins.
func (s *Service) IPBlockOf(ctx context.Context, a Actor, ip string) (*storage.IPBlock, error) {
	if err := a.require(PermManageBlocks); err != nil {
		return nil, err
	}
	n, err := ParseIPNetwork(ip)
	if err != nil {
		return nil, err
	}
	b, err := s.db.IPBlockByIP(ctx, n)
	return b, domainErr(err)
}

// ipBlocksTTL bounds how stale another process's view of the IP blocks may
// be; a change in this process is seen at once.
const ipBlocksTTL = 5 * time.Second

// ipBlockCache holds the IP blocks in force in memory: every request is
// checked against them.
type ipBlockCache struct {
	mu     sync.Mutex
	blocks []liveIPBlock
	loaded time.Time
}

type liveIPBlock struct {
	net       netip.Prefix
	severity  string
	expiresAt *time.Time
}

func (s *Service) forgetIPBlocks() {
	s.ipBlocks.mu.Lock()
	s.ipBlocks.loaded = time.Time{}
	s.ipBlocks.mu.Unlock()
}

// AddressRule returns the severity of the strictest IP block in force that
// covers addr (a client address as ClientAddress gives it), or "" when
// none does.
func (s *Service) AddressRule(ctx context.Context, addr string) (string, error) {
	ip, err := netip.ParseAddr(strings.Trim(addr, "[]"))
	if err != nil {
		return "", nil // not an address: nothing to match
	}
	ip = ip.WithZone("")
	c := &s.ipBlocks
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.now()
	if c.loaded.IsZero() || time.Since(c.loaded) >= ipBlocksTTL {
		list, err := s.db.LiveIPBlocks(ctx, now)
		if err != nil {
			return "", fmt.Errorf("ip blocks: %w", err)
		}
		c.blocks = c.blocks[:0]
		for _, b := range list {
			p, err := netip.ParsePrefix(b.IP)
			if err != nil {
				continue
			}
			c.blocks = append(c.blocks, liveIPBlock{net: p, severity: b.Severity, expiresAt: b.ExpiresAt})
		}
		c.loaded = time.Now()
	}
	best := ""
	for _, b := range c.blocks {
		if b.expiresAt != nil && !b.expiresAt.After(now) {
			continue
		}
		if (b.net.Contains(ip) || b.net.Contains(ip.Unmap())) && ipSeverityRank(b.severity) > ipSeverityRank(best) {
			best = b.severity
		}
	}
	return best, nil
}

// CheckAddressAccess returns ErrAddressBlocked when an IP block in force
// refuses every request from addr (no_access).
func (s *Service) CheckAddressAccess(ctx context.Context, addr string) error {
	rule, err := s.AddressRule(ctx, addr)
	if err != nil {
		return err
	}
	if rule == IPNoAccess {
		return ErrAddressBlocked
	}
	return nil
}

// checkSignUpBlocks applies the sign-up blocks to in, a registration with
// or without a usable invite: an IP block refusing sign-ups from its
// address refuses it with ErrSignUpBlocked; an email at a blocked domain,
// or whose canonical form is blocked, adds a problem, unless the invite
// vouches for the person, as Mastodon lets it. It reports whether an IP
// block requires an admin's approval of the new account.
func (s *Service) checkSignUpBlocks(ctx context.Context, in Registration, invited bool, problems *RegistrationError) (needsApproval bool, err error) {
	rule, err := s.AddressRule(ctx, in.Address)
	if err != nil {
		return false, err
	}
	if ipSeverityRank(rule) >= ipSeverityRank(IPSignUpBlock) {
		return false, ErrSignUpBlocked
	}
	needsApproval = rule == IPSignUpRequiresApproval
	if invited || in.Email == "" {
		return needsApproval, nil
	}
	for _, f := range problems.Fields {
		if f.Field == "email" {
			return needsApproval, nil // not an address, or taken already
		}
	}
	blocks, err := s.blockedEmailDomains(ctx, in.Email)
	if err != nil {
		return false, err
	}
	if len(blocks) > 0 {
		problems.add("email", ErrCodeBlocked, "uses a disallowed e-mail provider")
		ids := make([]int64, len(blocks))
		for i, b := range blocks {
			ids[i] = b.ID
		}
		now := s.now()
		if err := s.db.RecordEmailDomainBlockAttempts(ctx, ids, in.Address, now, now.AddDate(0, 0, -emailDomainHistoryDays-1)); err != nil {
			s.log.Warn("sign-up: record email domain block attempt", "error", err)
		}
		return needsApproval, nil
	}
	canon, err := s.db.CanonicalEmailBlocksByHash(ctx, CanonicalEmailHash(in.Email))
	if err != nil {
		return false, err
	}
	if len(canon) > 0 {
		// Mastodon words it as a taken address, giving nothing away.
		problems.add("email", ErrCodeTaken, "is already taken")
	}
	return needsApproval, nil
}

func blockAudit(action, targetType string, id int64, target, reason string, detail any) audit {
	return audit{action: action, targetType: targetType, targetID: strconv.FormatInt(id, 10), target: target, reason: reason, detail: detail}
}

// IPSeverities lists the IP block severities, mildest first.
func IPSeverities() []string {
	return []string{IPSignUpRequiresApproval, IPSignUpBlock, IPNoAccess}
}
