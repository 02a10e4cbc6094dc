package social

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"rounds/storage"
)

// Domain block severities, as Mastodon names them.
const (
	// SeveritySilence limits the domain's accounts: their posts reach
	// only their followers, never the public timelines.
	SeveritySilence = "silence"
	// SeveritySuspend stops federation with the domain both ways and
	// hides its accounts and posts.
	SeveritySuspend = "suspend"
	// SeverityNoop only rejects media or reports, as the block says.
	SeverityNoop = "noop"
)

// maxDomainComment bounds a block's private and public comments.
const maxDomainComment = 1000

// DomainPolicy is how the server treats one remote domain.
type DomainPolicy struct {
	// Suspended: nothing comes in from the domain or goes out to it, and
	// its accounts are suspended.
	Suspended bool
	// Silenced: the domain's accounts are limited.
	Silenced bool
	// RejectMedia: its media are not shown inline, nor its avatars.
	RejectMedia bool
	// RejectReports: its reports (Flags) are dropped.
	RejectReports bool
	// Allowed: the federation mode lets the domain federate (always true
	// in open mode; in allowlist mode only for listed domains).
	Allowed bool
	// BlockedBy is the domain of the block that applies, "" when none.
	BlockedBy string
}

// Federates reports whether activities may go to and come from the domain
// and its documents may be fetched.
func (p DomainPolicy) Federates() bool { return p.Allowed && !p.Suspended }

// DomainBlockInput is a new domain block.
type DomainBlockInput struct {
	Domain         string
	Severity       string // "" means silence, Mastodon's default
	RejectMedia    bool
	RejectReports  bool
	PrivateComment string
	PublicComment  string
	Obfuscate      bool
}

// DomainBlockChange changes an existing block; nil fields stay as they are.
type DomainBlockChange struct {
	Severity       *string
	RejectMedia    *bool
	RejectReports  *bool
	PrivateComment *string
	PublicComment  *string
	Obfuscate      *bool
}

// DomainBlockExistsError refuses a block that an existing block makes
// pointless: the same domain, or a parent domain blocked at least as
// strictly. Existing is that block. It is an ErrConflict.
type DomainBlockExistsError struct {
	Existing *storage.DomainBlock
	msg      string
}

func (e *DomainBlockExistsError) Error() string { return e.msg }

// Unwrap makes the error an ErrConflict for callers that need no more.
func (e *DomainBlockExistsError) Unwrap() error { return ErrConflict }

// PublicDomainBlock is a block as anyone may see it: the domain, obfuscated
// when the block says so, its SHA-256 digest, severity and public comment.
type PublicDomainBlock struct {
	Domain   string
	Digest   string
	Severity string
	Comment  string
}

// NormalizeDomain turns what a person typed into the form domain blocks and
// allows are stored in: lower case, international names in punycode, no
// trailing dot, an explicit port kept ("host:8443"). A URL is taken for its
// host. Anything that is not a host name or IP address is refused.
func NormalizeDomain(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", invalid("domain", "can't be blank")
	}
	bad := invalid("domain", fmt.Sprintf("%q is not a domain name", raw))
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", bad
		}
		s = u.Host
	}
	if strings.ContainsAny(s, "/@?#% \t") {
		return "", bad
	}
	s = strings.ToLower(s)

	var host, port string
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", bad
		}
		host, port = s[1:end], s[end+1:]
		if port != "" && !strings.HasPrefix(port, ":") {
			return "", bad
		}
		port = strings.TrimPrefix(port, ":")
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", bad
		}
	case strings.Count(s, ":") > 1:
		// A bare IPv6 address.
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() {
			return "", bad
		}
		host = s
	default:
		host, port, _ = strings.Cut(s, ":")
		if strings.Contains(s, ":") && port == "" {
			return "", bad
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strings.HasPrefix(port, "+") {
			return "", bad
		}
		port = strconv.Itoa(n)
	}
	withPort := func(h string) string {
		if port != "" {
			return h + ":" + port
		}
		return h
	}
	host = strings.TrimSuffix(host, ".")
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Is6() {
			return withPort("[" + a.String() + "]"), nil
		}
		return withPort(a.String()), nil
	}
	if strings.HasPrefix(host, "*.") {
		return "", invalid("domain", "must not start with *. (a block of example.org covers its subdomains already)")
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil || ascii == "" || len(ascii) > 253 {
		return "", bad
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return "", bad
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", bad // all digits, but not an IPv4 address
	}
	return withPort(ascii), nil
}

// splitDomain splits a normalised domain into host and port ("" if none).
func splitDomain(d string) (host, port string) {
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 {
			return d, ""
		}
		return d[:end+1], strings.TrimPrefix(d[end+1:], ":")
	}
	host, port, _ = strings.Cut(d, ":")
	return host, port
}

func isIPHost(host string) bool {
	if strings.HasPrefix(host, "[") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// domainCovers reports whether a rule for rule applies to domain: the same
// host or a subdomain of it, on any port unless the rule names one.
func domainCovers(rule, domain string) bool {
	rh, rp := splitDomain(rule)
	dh, dp := splitDomain(domain)
	if rp != "" && rp != dp {
		return false
	}
	return dh == rh || !isIPHost(rh) && strings.HasSuffix(dh, "."+rh)
}

// ruleCandidates lists the rule domains that would cover domain, most
// specific first: a.b.example:8443, a.b.example, b.example:8443 ...
func ruleCandidates(domain string) []string {
	host, port := splitDomain(domain)
	var out []string
	add := func(h string) {
		if port != "" {
			out = append(out, h+":"+port)
		}
		out = append(out, h)
	}
	add(host)
	if isIPHost(host) {
		return out
	}
	for {
		i := strings.IndexByte(host, '.')
		if i < 0 {
			return out
		}
		host = host[i+1:]
		add(host)
	}
}

// looseDomain brings a domain as remote servers give it (an account's
// domain, a URL's host) to the form rules are stored in, without refusing
// anything: a domain that cannot be normalised is compared as it is.
func looseDomain(d string) string {
	if plainDomain(d) {
		return d // the common case, kept off the slower IDNA path
	}
	d = strings.ToLower(strings.TrimSpace(d))
	if n, err := NormalizeDomain(d); err == nil {
		return n
	}
	return d
}

// plainDomain reports whether d is already in normal form as far as a
// cheap look can tell: lower-case ASCII letters, digits, dots, hyphens and
// a port, neither ending in a dot nor holding a punycode label that might
// need checking.
func plainDomain(d string) bool {
	if d == "" || d[len(d)-1] == '.' || strings.Contains(d, "xn--") {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == ':') {
			return false
		}
	}
	return strings.Count(d, ":") <= 1
}

// mostSpecific returns the block that applies to domain among blocks, or
// nil: the one on the longest matching domain, as Mastodon chooses.
func mostSpecific(blocks map[string]*storage.DomainBlock, domain string) *storage.DomainBlock {
	for _, c := range ruleCandidates(domain) {
		if b := blocks[c]; b != nil {
			return b
		}
	}
	return nil
}

func blockMap(blocks []*storage.DomainBlock) map[string]*storage.DomainBlock {
	m := make(map[string]*storage.DomainBlock, len(blocks))
	for _, b := range blocks {
		m[b.Domain] = b
	}
	return m
}

// blockEffect is what a block (or none) does to the accounts of a domain.
type blockEffect struct{ suspend, silence, rejectMedia bool }

func effectOf(b *storage.DomainBlock) blockEffect {
	if b == nil {
		return blockEffect{}
	}
	return blockEffect{
		suspend:     b.Severity == SeveritySuspend,
		silence:     b.Severity == SeveritySilence,
		rejectMedia: b.RejectMedia || b.Severity == SeveritySuspend,
	}
}

func severityRank(s string) int {
	switch s {
	case SeveritySuspend:
		return 2
	case SeveritySilence:
		return 1
	}
	return 0
}

// atLeastAsStrict reports whether a limits everything b would.
func atLeastAsStrict(a, b *storage.DomainBlock) bool {
	if a.Severity == SeveritySuspend {
		return true
	}
	return severityRank(a.Severity) >= severityRank(b.Severity) &&
		(a.RejectMedia || !b.RejectMedia) && (a.RejectReports || !b.RejectReports)
}

// domainRulesTTL bounds how stale another process's view of the domain
// blocks and allows may be; a change in this process is seen at once.
const domainRulesTTL = 5 * time.Second

// domainRulesCache holds every block and allow in memory: they are few, and
// the inbox, deliveries and fetches consult them on every request.
type domainRulesCache struct {
	mu     sync.Mutex
	blocks map[string]*storage.DomainBlock
	allows map[string]bool
	loaded time.Time
}

func (s *Service) domainRules(ctx context.Context) (map[string]*storage.DomainBlock, map[string]bool, error) {
	c := &s.rules
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded.IsZero() && time.Since(c.loaded) < domainRulesTTL {
		return c.blocks, c.allows, nil
	}
	blocks, err := s.db.AllDomainBlocks(ctx)
	if err != nil {
		return nil, nil, err
	}
	allows, err := s.db.AllDomainAllows(ctx)
	if err != nil {
		return nil, nil, err
	}
	c.blocks = blockMap(blocks)
	c.allows = make(map[string]bool, len(allows))
	for _, a := range allows {
		c.allows[a.Domain] = true
	}
	c.loaded = time.Now()
	return c.blocks, c.allows, nil
}

// forgetDomainRules makes the next policy check read the rules again.
func (s *Service) forgetDomainRules() {
	s.rules.mu.Lock()
	s.rules.loaded = time.Time{}
	s.rules.mu.Unlock()
}

// DomainPolicy tells how the server treats domain (a host, with its port
// when it has one): the most specific block covering it, and whether the
// federation mode lets it federate. It is served from memory, at most a few
// seconds behind changes made by other processes. The server's own domain
// and local accounts ("") are never limited.
func (s *Service) DomainPolicy(ctx context.Context, domain string) (DomainPolicy, error) {
	d := looseDomain(domain)
	if d == "" || d == s.domain {
		return DomainPolicy{Allowed: true}, nil
	}
	blocks, allows, err := s.domainRules(ctx)
	if err != nil {
		return DomainPolicy{}, fmt.Errorf("domain policy of %s: %w", domain, err)
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return DomainPolicy{}, fmt.Errorf("domain policy of %s: %w", domain, err)
	}
	var p DomainPolicy
	if b := mostSpecific(blocks, d); b != nil {
		e := effectOf(b)
		p = DomainPolicy{Suspended: e.suspend, Silenced: e.silence, RejectMedia: e.rejectMedia,
			RejectReports: b.RejectReports || e.suspend, BlockedBy: b.Domain}
	}
	p.Allowed = st.FederationMode != FederationAllowlist
	if !p.Allowed {
		for _, c := range ruleCandidates(d) {
			if allows[c] {
				p.Allowed = true
				break
			}
		}
	}
	return p, nil
}

// MayFederate reports whether the server talks to domain at all: it is not
// suspended and, in allowlist mode, it is listed.
func (s *Service) MayFederate(ctx context.Context, domain string) (bool, error) {
	p, err := s.DomainPolicy(ctx, domain)
	return p.Federates(), err
}

// FederatingInboxes keeps the inboxes on domains the server federates with.
func (s *Service) FederatingInboxes(ctx context.Context, inboxes []string) ([]string, error) {
	out := make([]string, 0, len(inboxes))
	seen := map[string]bool{}
	for _, in := range inboxes {
		u, err := url.Parse(in)
		if err != nil || u.Host == "" {
			continue
		}
		host := strings.ToLower(u.Host)
		ok, known := seen[host]
		if !known {
			if ok, err = s.MayFederate(ctx, host); err != nil {
				return nil, err
			}
			seen[host] = ok
		}
		if ok {
			out = append(out, in)
		}
	}
	return out, nil
}

// normalizeRemoteDomain is NormalizeDomain that also refuses a domain
// covering this server's own.
func (s *Service) normalizeRemoteDomain(raw string) (string, error) {
	d, err := NormalizeDomain(raw)
	if err != nil {
		return "", err
	}
	if d == s.domain {
		return "", invalid("domain", d+" is this server's own domain")
	}
	if domainCovers(d, s.domain) {
		return "", invalid("domain", fmt.Sprintf("%s would cover this server's own domain (%s)", d, s.domain))
	}
	return d, nil
}

func checkSeverity(sev string) error {
	switch sev {
	case SeveritySilence, SeveritySuspend, SeverityNoop:
		return nil
	}
	return invalid("severity", "must be silence, suspend or noop")
}

func checkComments(private, public string) error {
	if utf8.RuneCountInString(private) > maxDomainComment {
		return invalid("private_comment", fmt.Sprintf("is too long (at most %d characters)", maxDomainComment))
	}
	if utf8.RuneCountInString(public) > maxDomainComment {
		return invalid("public_comment", fmt.Sprintf("is too long (at most %d characters)", maxDomainComment))
	}
	return nil
}

// domainBlockDetail is a block as the audit log records it.
func domainBlockDetail(b *storage.DomainBlock) map[string]any {
	return map[string]any{
		"domain": b.Domain, "severity": b.Severity, "reject_media": b.RejectMedia, "reject_reports": b.RejectReports,
		"private_comment": b.PrivateComment, "public_comment": b.PublicComment, "obfuscate": b.Obfuscate,
	}
}

func domainAudit(action string, id int64, domain, reason string, detail any) audit {
	return audit{action: action, targetType: "domain", targetID: strconv.FormatInt(id, 10), target: domain, reason: reason, detail: detail}
}

// BlockDomain blocks a remote domain and its subdomains. Suspending
// suspends the domain's known accounts and removes every follow between
// them and local accounts; silencing limits its accounts; rejecting media
// hides their media and avatars. A block that an existing one makes
// pointless is refused with a *DomainBlockExistsError. Only admins may.
func (s *Service) BlockDomain(ctx context.Context, a Actor, in DomainBlockInput) (*storage.DomainBlock, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	d, err := s.normalizeRemoteDomain(in.Domain)
	if err != nil {
		return nil, err
	}
	if in.Severity == "" {
		in.Severity = SeveritySilence
	}
	if err := checkSeverity(in.Severity); err != nil {
		return nil, err
	}
	if err := checkComments(in.PrivateComment, in.PublicComment); err != nil {
		return nil, err
	}
	now := s.now()
	b := &storage.DomainBlock{
		ID: storage.NewID(), Domain: d, Severity: in.Severity, RejectMedia: in.RejectMedia, RejectReports: in.RejectReports,
		PrivateComment: in.PrivateComment, PublicComment: in.PublicComment, Obfuscate: in.Obfuscate,
		CreatedAt: now, UpdatedAt: now,
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		before, err := tx.AllDomainBlocks(ctx)
		if err != nil {
			return err
		}
		old := blockMap(before)
		if same := old[d]; same != nil {
			return &DomainBlockExistsError{Existing: same, msg: d + " is blocked already; change that block instead"}
		}
		if parent := mostSpecific(old, d); parent != nil && atLeastAsStrict(parent, b) {
			return &DomainBlockExistsError{Existing: parent, msg: "You have already imposed stricter limits on " + parent.Domain + "."}
		}
		if err := tx.InsertDomainBlock(ctx, b); err != nil {
			return err
		}
		if err := s.applyDomainBlocks(ctx, tx, d, before, append(before, b)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, domainAudit("block_domain", b.ID, d, b.PrivateComment, domainBlockDetail(b)))
	})
	s.forgetDomainRules()
	if err != nil {
		return nil, domainErr(err)
	}
	return b, nil
}

// UpdateDomainBlock changes the block id; the domain's accounts follow the
// new severity and media rule. Only admins may.
func (s *Service) UpdateDomainBlock(ctx context.Context, a Actor, id int64, ch DomainBlockChange) (*storage.DomainBlock, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	var out *storage.DomainBlock
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		before, err := tx.AllDomainBlocks(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(before, func(b *storage.DomainBlock) bool { return b.ID == id })
		if i < 0 {
			return ErrNotFound
		}
		old := before[i]
		b := *old
		if ch.Severity != nil {
			b.Severity = *ch.Severity
		}
		if ch.RejectMedia != nil {
			b.RejectMedia = *ch.RejectMedia
		}
		if ch.RejectReports != nil {
			b.RejectReports = *ch.RejectReports
		}
		if ch.PrivateComment != nil {
			b.PrivateComment = *ch.PrivateComment
		}
		if ch.PublicComment != nil {
			b.PublicComment = *ch.PublicComment
		}
		if ch.Obfuscate != nil {
			b.Obfuscate = *ch.Obfuscate
		}
		if err := checkSeverity(b.Severity); err != nil {
			return err
		}
		if err := checkComments(b.PrivateComment, b.PublicComment); err != nil {
			return err
		}
		b.UpdatedAt = s.now()
		if err := tx.UpdateDomainBlock(ctx, &b); err != nil {
			return err
		}
		after := slices.Clone(before)
		after[i] = &b
		if err := s.applyDomainBlocks(ctx, tx, b.Domain, before, after); err != nil {
			return err
		}
		out = &b
		return s.appendAudit(ctx, tx, a, domainAudit("update_domain_block", b.ID, b.Domain, b.PrivateComment,
			map[string]any{"before": domainBlockDetail(old), "after": domainBlockDetail(&b)}))
	})
	s.forgetDomainRules()
	if err != nil {
		return nil, domainErr(err)
	}
	return out, nil
}

// UnblockDomain lifts the block id. What the block did to the domain's
// accounts is undone (a suspension or limit a moderator set stays), unless a
// block of a parent domain still applies; follows it removed stay removed.
// Only admins may.
func (s *Service) UnblockDomain(ctx context.Context, a Actor, id int64) (*storage.DomainBlock, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	var out *storage.DomainBlock
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		before, err := tx.AllDomainBlocks(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(before, func(b *storage.DomainBlock) bool { return b.ID == id })
		if i < 0 {
			return ErrNotFound
		}
		out = before[i]
		if err := tx.DeleteDomainBlock(ctx, id); err != nil {
			return err
		}
		if err := s.applyDomainBlocks(ctx, tx, out.Domain, before, slices.Delete(slices.Clone(before), i, i+1)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, domainAudit("unblock_domain", out.ID, out.Domain, "", domainBlockDetail(out)))
	})
	s.forgetDomainRules()
	if err != nil {
		return nil, domainErr(err)
	}
	return out, nil
}

// applyDomainBlocks brings the accounts under changed (a domain whose block
// was added, changed or removed) from what the blocks before did to what
// the blocks after do, domain by domain: each account domain follows the
// most specific block covering it.
func (s *Service) applyDomainBlocks(ctx context.Context, tx storage.Tx, changed string, before, after []*storage.DomainBlock) error {
	host, _ := splitDomain(changed)
	domains, err := tx.AccountDomainsContaining(ctx, strings.Trim(host, "[]"))
	if err != nil {
		return err
	}
	was, now := blockMap(before), blockMap(after)
	t := s.now().Truncate(time.Microsecond)
	for _, ad := range domains {
		d := looseDomain(ad)
		if !domainCovers(changed, d) {
			continue
		}
		from, to := effectOf(mostSpecific(was, d)), effectOf(mostSpecific(now, d))
		if to.suspend != from.suspend {
			if to.suspend {
				err = tx.MarkDomainAccounts(ctx, ad, storage.MarkSuspend, t)
				if err == nil {
					err = tx.DropDomainFollows(ctx, ad)
				}
			} else {
				err = tx.UnmarkDomainAccounts(ctx, ad, storage.MarkSuspend)
			}
			if err != nil {
				return err
			}
		}
		if to.silence != from.silence {
			if to.silence {
				err = tx.MarkDomainAccounts(ctx, ad, storage.MarkSilence, t)
			} else {
				err = tx.UnmarkDomainAccounts(ctx, ad, storage.MarkSilence)
			}
			if err != nil {
				return err
			}
		}
		if to.rejectMedia != from.rejectMedia {
			if err := tx.SetDomainMediaRejected(ctx, ad, to.rejectMedia); err != nil {
				return err
			}
		}
	}
	return nil
}

// limitNewRemoteAccount applies the domain blocks to a remote account about
// to be stored: no avatar or header from a domain whose media are
// rejected and, when the account is new, the suspension or limit of its
// domain. It returns the mark to record once the account is stored.
func (s *Service) limitNewRemoteAccount(ctx context.Context, tx storage.Tx, a *storage.Account, isNew bool) (string, time.Time, error) {
	// Read in the transaction, not from the cache: an account stored just
	// after a block must not slip through a few seconds of staleness.
	blocks, err := tx.DomainBlocksOf(ctx, ruleCandidates(looseDomain(a.Domain)))
	if err != nil {
		return "", time.Time{}, err
	}
	e := effectOf(mostSpecific(blockMap(blocks), looseDomain(a.Domain)))
	if e.rejectMedia {
		a.AvatarURL, a.HeaderURL = "", ""
	}
	if !isNew {
		return "", time.Time{}, nil
	}
	t := s.now().Truncate(time.Microsecond)
	switch {
	case e.suspend:
		a.SuspendedAt = &t
		return storage.MarkSuspend, t, nil
	case e.silence:
		a.SilencedAt = &t
		return storage.MarkSilence, t, nil
	}
	return "", time.Time{}, nil
}

// rejectsMediaOf reports whether the media of accountID's posts are
// rejected by a domain block.
func (s *Service) rejectsMediaOf(ctx context.Context, tx storage.Tx, accountID int64) (bool, error) {
	author, err := tx.AccountByID(ctx, accountID)
	if err != nil || author.Local() {
		return false, err
	}
	p, err := s.DomainPolicy(ctx, author.Domain)
	return p.RejectMedia, err
}

// DomainBlocks pages the domain blocks, newest first, for admins.
func (s *Service) DomainBlocks(ctx context.Context, a Actor, p storage.Page) ([]*storage.DomainBlock, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	return s.db.DomainBlocks(ctx, p, 200)
}

// DomainBlock returns the domain block id, for admins.
func (s *Service) DomainBlock(ctx context.Context, a Actor, id int64) (*storage.DomainBlock, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	b, err := s.db.DomainBlockByID(ctx, id)
	return b, domainErr(err)
}

// DomainBlockOf returns the block of exactly domain (as NormalizeDomain
// writes it), for admins.
func (s *Service) DomainBlockOf(ctx context.Context, a Actor, domain string) (*storage.DomainBlock, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	b, err := s.db.DomainBlockByDomain(ctx, d)
	return b, domainErr(err)
}

// AllowDomain lets domain (and its subdomains) federate in allowlist mode.
// An allowed domain is returned as it is, with created false. Only admins
// may.
func (s *Service) AllowDomain(ctx context.Context, a Actor, domain string) (allow *storage.DomainAllow, created bool, err error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, false, err
	}
	d, err := s.normalizeRemoteDomain(domain)
	if err != nil {
		return nil, false, err
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		existing, err := tx.DomainAllowByDomain(ctx, d)
		if err == nil {
			allow = existing
			return nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		allow = &storage.DomainAllow{ID: storage.NewID(), Domain: d, CreatedAt: s.now()}
		if err := tx.InsertDomainAllow(ctx, allow); err != nil {
			return err
		}
		created = true
		return s.appendAudit(ctx, tx, a, domainAudit("allow_domain", allow.ID, d, "", nil))
	})
	s.forgetDomainRules()
	if err != nil {
		return nil, false, domainErr(err)
	}
	return allow, created, nil
}

// RemoveDomainAllow takes the allow id off the list. Only admins may.
func (s *Service) RemoveDomainAllow(ctx context.Context, a Actor, id int64) (*storage.DomainAllow, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	var out *storage.DomainAllow
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		var err error
		if out, err = tx.DomainAllowByID(ctx, id); err != nil {
			return err
		}
		if err := tx.DeleteDomainAllow(ctx, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, domainAudit("disallow_domain", out.ID, out.Domain, "", nil))
	})
	s.forgetDomainRules()
	if err != nil {
		return nil, domainErr(err)
	}
	return out, nil
}

// DomainAllows pages the allowed domains, newest first, for admins.
func (s *Service) DomainAllows(ctx context.Context, a Actor, p storage.Page) ([]*storage.DomainAllow, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	return s.db.DomainAllows(ctx, p, 200)
}

// DomainAllow returns the allow id, for admins.
func (s *Service) DomainAllow(ctx context.Context, a Actor, id int64) (*storage.DomainAllow, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	al, err := s.db.DomainAllowByID(ctx, id)
	return al, domainErr(err)
}

// DomainAllowOf returns the allow of exactly domain, for admins.
func (s *Service) DomainAllowOf(ctx context.Context, a Actor, domain string) (*storage.DomainAllow, error) {
	if err := a.require(PermManageFederation); err != nil {
		return nil, err
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	al, err := s.db.DomainAllowByDomain(ctx, d)
	return al, domainErr(err)
}

// SetFederationMode switches between open federation and the allowlist
// (FederationOpen, FederationAllowlist), leaving an audit entry. Only admins
// may.
func (s *Service) SetFederationMode(ctx context.Context, a Actor, mode string) (Settings, error) {
	if err := a.require(PermManageFederation); err != nil {
		return Settings{}, err
	}
	if mode != FederationOpen && mode != FederationAllowlist {
		return Settings{}, invalid("federation_mode", "must be open or allowlist")
	}
	return s.UpdateSettings(ctx, a, func(st *Settings) { st.FederationMode = mode })
}

// PublicDomainBlocks lists the silenced and suspended domains as anyone may
// see them (GET /api/v1/instance/domain_blocks), by domain.
func (s *Service) PublicDomainBlocks(ctx context.Context) ([]PublicDomainBlock, error) {
	blocks, err := s.db.AllDomainBlocks(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(blocks, func(a, b *storage.DomainBlock) int { return strings.Compare(a.Domain, b.Domain) })
	out := []PublicDomainBlock{}
	for _, b := range blocks {
		if b.Severity == SeverityNoop {
			continue
		}
		d := b.Domain
		if b.Obfuscate {
			d = ObfuscateDomain(d)
		}
		out = append(out, PublicDomainBlock{Domain: d, Digest: DomainDigest(b.Domain), Severity: b.Severity, Comment: b.PublicComment})
	}
	return out, nil
}

// DomainDigest is the hex SHA-256 of domain, which Mastodon publishes with
// each block so that a server can check its own name against an
// obfuscated entry.
func DomainDigest(domain string) string {
	sum := sha256.Sum256([]byte(domain))
	return hex.EncodeToString(sum[:])
}

// ObfuscateDomain hides the middle of a domain behind asterisks, keeping
// its first and last quarter and the dots, as Mastodon shows an obfuscated
// block: "spam.example.com" becomes "spam.*******.com".
func ObfuscateDomain(d string) string {
	r := []rune(d)
	keep := len(r) / 4
	for i := range r {
		if i >= keep && i < len(r)-keep && r[i] != '.' {
			r[i] = '*'
		}
	}
	return string(r)
}
