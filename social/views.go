package social

import (
	"context"
	"strings"
	"sync"
	"time"

	"rounds/storage"
)

// LastStatusAt returns when a last posted (zero when never).
func (s *Service) LastStatusAt(ctx context.Context, a *storage.Account) (time.Time, error) {
	return s.db.LastStatusAt(ctx, a.ID)
}

// ViewerState is what the viewer has done to a status.
type ViewerState struct {
	Favourited, Reblogged, Bookmarked, Pinned, Muted bool
}

// ViewerState tells whether me liked or boosted st.
func (s *Service) ViewerState(ctx context.Context, me *storage.Account, st *storage.Status) ViewerState {
	if m, err := s.db.ViewerMarksOf(ctx, me.ID, st.ID, st.AccountID); err == nil {
		// One statement; a post going out on a thousand streams reads
		// this a thousand times.
		return ViewerState{
			Favourited: m.Favourited, Reblogged: m.Reblogged, Bookmarked: m.Bookmarked,
			Pinned: st.AccountID == me.ID && m.Pinned,
			Muted:  m.MutedAuthor || m.MutesThreads && s.db.ThreadMuted(ctx, me.ID, threadOf(ctx, s.db, st)),
		}
	}
	var v ViewerState
	_, err := s.db.FavouriteBetween(ctx, me.ID, st.ID)
	v.Favourited = err == nil
	_, err = s.db.ReblogBetween(ctx, me.ID, st.ID)
	v.Reblogged = err == nil
	v.Bookmarked = s.db.Bookmarked(ctx, me.ID, st.ID)
	v.Pinned = st.AccountID == me.ID && s.db.Pinned(ctx, me.ID, st.ID)
	v.Muted, _ = s.db.Muting(ctx, me.ID, st.AccountID)
	v.Muted = v.Muted || s.ThreadMuted(ctx, me, st)
	return v
}

// Relationship is how me and another account stand.
type Relationship struct {
	Following, ShowingReblogs, Notifying bool
	FollowedBy                           bool
	Blocking, BlockedBy                  bool
	Requested, RequestedBy               bool
	Muting, MutingNotifications          bool
	Endorsed                             bool
	Note                                 string // me's private note on other
	DomainBlocking                       bool
}

// RelationshipWith tells how me and other stand.
func (s *Service) RelationshipWith(ctx context.Context, me, other *storage.Account) (Relationship, error) {
	var r Relationship
	if f, err := s.db.FollowBetween(ctx, me.ID, other.ID); err == nil {
		r.Following = f.AcceptedAt != nil
		r.Requested = f.AcceptedAt == nil
		r.ShowingReblogs = f.ShowReblogs && r.Following
		r.Notifying = f.Notify && r.Following
	}
	if f, err := s.db.FollowBetween(ctx, other.ID, me.ID); err == nil {
		r.FollowedBy = f.AcceptedAt != nil
		r.RequestedBy = f.AcceptedAt == nil
	}
	_, err := s.db.BlockBetween(ctx, me.ID, other.ID)
	r.Blocking = err == nil
	_, err = s.db.BlockBetween(ctx, other.ID, me.ID)
	r.BlockedBy = err == nil
	r.Muting, r.MutingNotifications = s.db.Muting(ctx, me.ID, other.ID)
	if r.Endorsed, err = s.db.Endorsed(ctx, me.ID, other.ID); err != nil {
		return r, err
	}
	if r.Note, err = s.db.AccountNote(ctx, me.ID, other.ID); err != nil {
		return r, err
	}
	r.DomainBlocking = s.BlocksDomain(ctx, me, other)
	return r, nil
}

// MayView reports whether viewer (nil: anonymous) may see st: public and
// unlisted posts are for everyone; followers-only ones for accepted
// followers, the author and those mentioned; direct ones for the author and
// those mentioned. A local-only post is further seen only by signed-in
// accounts of this server. Nobody sees the posts of someone who blocks them, of a
// suspended account, or a post still waiting out its send delay (but its
// author). A boost is seen only by those who may see both the boost and
// the post it boosts: a boost must not carry a post past these rules.
func (s *Service) MayView(ctx context.Context, viewer *storage.Account, st *storage.Status) bool {
	return mayView(ctx, s.db, viewer, st)
}

// viewQueries are the reads MayView needs, from the database or from
// inside a transaction.
type viewQueries interface {
	BlockBetween(ctx context.Context, accountID, targetID int64) (*storage.Block, error)
	MentionedAccounts(ctx context.Context, statusID int64) ([]*storage.Account, error)
	FollowBetween(ctx context.Context, accountID, targetID int64) (*storage.Follow, error)
	StatusByID(ctx context.Context, id int64) (*storage.Status, error)
	AccountByID(ctx context.Context, id int64) (*storage.Account, error)
}

// mayView is MayView reading through q.
func mayView(ctx context.Context, q viewQueries, viewer *storage.Account, st *storage.Status) bool {
	if !mayViewPost(ctx, q, viewer, st) {
		return false
	}
	if st.ReblogOfID == nil {
		return true
	}
	orig, err := q.StatusByID(ctx, *st.ReblogOfID)
	return err == nil && orig.ReblogOfID == nil && mayViewPost(ctx, q, viewer, orig)
}

// maxRefills bounds how many more reads fullPage makes to fill a page.
const maxRefills = 3

// visiblePage reads page p of a timeline with load, whose query keeps only
// posts viewer may see, and drops the boosts of posts viewer may not see
// (withoutHiddenBoosts), filling the page from further on (fullPage).
func (s *Service) visiblePage(ctx context.Context, viewer *storage.Account, p storage.Page, load func(storage.Page) ([]*storage.Status, error)) ([]*storage.Status, error) {
	blocked := s.blockedDomainSet(ctx, viewer) // read once for every refill
	return fullPage(p, load, func(sts []*storage.Status) []*storage.Status {
		return s.withoutBlockedDomains(ctx, blocked, s.withoutHiddenBoosts(ctx, viewer, sts))
	}, func(st *storage.Status) int64 { return st.ID })
}

// fullPage reads page p with load (newest first) and keeps what keep
// keeps. A page thinned that way is filled from further on, so that a short
// page still means the end of the list to the apps and pages that read it
// so.
func fullPage[T any](p storage.Page, load func(storage.Page) ([]T, error), keep func([]T) []T, id func(T) int64) ([]T, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 80) // as storage pages
	var out []T
	for round := 0; ; round++ {
		raw, err := load(p)
		if err != nil {
			return nil, err
		}
		kept := keep(raw)
		if p.MinID > 0 {
			// Pages after min_id are read upwards from it: the next read
			// goes on above this one, and the page keeps the items nearest
			// min_id, newest first.
			out = append(kept, out...)
			if len(out) > limit {
				out = out[len(out)-limit:]
			}
		} else {
			out = append(out, kept...)
			if len(out) > limit {
				out = out[:limit]
			}
		}
		if len(raw) < limit || len(out) == limit || round == maxRefills {
			return out, nil
		}
		if p.MinID > 0 {
			p.MinID = id(raw[0]) // the newest read
		} else {
			p.MaxID = id(raw[len(raw)-1])
		}
	}
}

// withoutHiddenBoosts drops from a timeline, whose query already kept only
// posts viewer may see, the boosts of posts viewer may not see (as
// MayView does); the rest pass without another look.
func (s *Service) withoutHiddenBoosts(ctx context.Context, viewer *storage.Account, sts []*storage.Status) []*storage.Status {
	var ids []int64
	for _, st := range sts {
		if st.ReblogOfID != nil {
			ids = append(ids, *st.ReblogOfID)
		}
	}
	if len(ids) == 0 {
		return sts
	}
	// The boosted posts, and whether their authors block the viewer, in
	// two queries for the page rather than a few for each boost.
	origs, err := s.db.StatusesByIDs(ctx, ids)
	if err != nil {
		origs = map[int64]*storage.Status{}
	}
	q := viewQueries(s.db)
	if viewer != nil {
		var authors []int64
		for _, o := range origs {
			authors = append(authors, o.AccountID)
		}
		if blockers, err := s.db.BlockersAmong(ctx, authors, viewer.ID); err == nil {
			q = pageViewQueries{viewQueries: s.db, viewerID: viewer.ID, blockers: blockers}
		}
	}
	out := sts[:0:0]
	for _, st := range sts {
		if st.ReblogOfID == nil {
			out = append(out, st)
			continue
		}
		orig := origs[*st.ReblogOfID]
		if orig != nil && orig.ReblogOfID == nil && mayViewPost(ctx, q, viewer, orig) {
			st.Reblog = orig
			out = append(out, st)
		}
	}
	return out
}

// pageViewQueries answers BlockBetween(author, viewer) from the blocks of
// a page's authors read at once; the rest it asks the database.
type pageViewQueries struct {
	viewQueries
	viewerID int64
	blockers map[int64]bool
}

func (q pageViewQueries) BlockBetween(ctx context.Context, accountID, targetID int64) (*storage.Block, error) {
	if targetID != q.viewerID {
		return q.viewQueries.BlockBetween(ctx, accountID, targetID)
	}
	if q.blockers[accountID] {
		return &storage.Block{AccountID: accountID, TargetAccountID: targetID}, nil
	}
	return nil, storage.ErrNotFound
}

// mayViewPost is MayView of one status, leaving aside what it boosts.
func mayViewPost(ctx context.Context, q viewQueries, viewer *storage.Account, st *storage.Status) bool {
	if viewer != nil && viewer.ID == st.AccountID {
		return !viewer.Suspended()
	}
	author := st.Account
	if author == nil {
		a, err := q.AccountByID(ctx, st.AccountID)
		if err != nil {
			return false
		}
		author = a
	}
	if author.Suspended() {
		return false
	}
	if viewer != nil {
		if st.Pending() {
			return false // only its author sees a post waiting to be sent
		}
		if _, err := q.BlockBetween(ctx, st.AccountID, viewer.ID); err == nil {
			return false
		}
	}
	// Local-only: for the signed-in accounts of this server alone, even
	// those a remote post mentions.
	if st.LocalOnly && (viewer == nil || !viewer.Local()) {
		return false
	}
	if OpenVisibility(st) {
		return true
	}
	if viewer == nil {
		return false
	}
	mentioned, err := q.MentionedAccounts(ctx, st.ID)
	if err == nil {
		for _, m := range mentioned {
			if m.ID == viewer.ID {
				return true
			}
		}
	}
	if st.Visibility == VisibilityPrivate {
		if f, err := q.FollowBetween(ctx, viewer.ID, st.AccountID); err == nil && f.AcceptedAt != nil {
			return true
		}
	}
	return false
}

// AccountByAcct returns a known account by username and domain ("" for
// local), hiding suspended ones.
func (s *Service) AccountByAcct(ctx context.Context, username, domain string) (*storage.Account, error) {
	a, err := s.db.AccountByUsername(ctx, username, domain)
	if err != nil {
		return nil, domainErr(err)
	}
	if a.Suspended() || a.Username == InstanceActorUsername {
		return nil, ErrNotFound
	}
	return a, nil
}

// AccountTimelineOptions filter an account's statuses.
type AccountTimelineOptions struct {
	Page           storage.Page
	ExcludeReplies bool
	ExcludeReblogs bool
	Tagged         string
}

// AccountTimeline returns a's statuses that viewer (nil: anonymous) may
// see, newest first.
func (s *Service) AccountTimeline(ctx context.Context, viewer, a *storage.Account, o AccountTimelineOptions) ([]*storage.Status, error) {
	vis := []string{VisibilityPublic, VisibilityUnlisted}
	if viewer != nil {
		if viewer.ID == a.ID {
			vis = append(vis, VisibilityPrivate, VisibilityDirect)
		} else if f, err := s.db.FollowBetween(ctx, viewer.ID, a.ID); err == nil && f.AcceptedAt != nil {
			vis = append(vis, VisibilityPrivate)
		}
		if _, err := s.db.BlockBetween(ctx, a.ID, viewer.ID); err == nil {
			return nil, nil
		}
	}
	f := storage.StatusFilter{
		Visibilities: vis, ExcludeReplies: o.ExcludeReplies, ExcludeReblogs: o.ExcludeReblogs, Tag: o.Tagged,
		Own: viewer != nil && viewer.ID == a.ID, LocalOnly: viewer != nil && viewer.Local(),
	}
	return s.visiblePage(ctx, viewer, o.Page, func(p storage.Page) ([]*storage.Status, error) {
		return s.db.AccountStatusesFiltered(ctx, a.ID, f, p)
	})
}

// FollowAccounts pages a's followers (or the accounts a follows), newest
// follow first, with each follow's id as the paging cursor.
func (s *Service) FollowAccounts(ctx context.Context, a *storage.Account, following bool, p storage.Page) ([]*storage.Account, []int64, error) {
	return s.db.FollowAccounts(ctx, a.ID, following, p)
}

// PublicTimeline returns public posts: local, remote or both, optionally
// with a hashtag.
func (s *Service) PublicTimeline(ctx context.Context, local, remote bool, tag string, p storage.Page) ([]*storage.Status, error) {
	return s.db.PublicTimeline(ctx, local, remote, tag, false, p)
}

// PublicTimelineFor is PublicTimeline as viewer (nil: anonymous) reads
// it: less the posts of the domains viewer blocks, and, as on Mastodon, of
// the accounts viewer blocks or mutes and of those that block viewer (a
// public post is still one its author chose not to show this reader).
func (s *Service) PublicTimelineFor(ctx context.Context, viewer *storage.Account, local, remote bool, tag string, p storage.Page) ([]*storage.Status, error) {
	load := func(p storage.Page) ([]*storage.Status, error) {
		return s.db.PublicTimeline(ctx, local, remote, tag, viewer != nil && viewer.Local(), p)
	}
	if viewer == nil {
		return load(p)
	}
	blocked := s.blockedDomainSet(ctx, viewer)
	ids, err := s.db.HiddenAccountIDs(ctx, viewer.ID)
	if err != nil {
		return nil, err
	}
	if blocked == nil && len(ids) == 0 {
		return load(p)
	}
	hidden := make(map[int64]bool, len(ids))
	for _, id := range ids {
		hidden[id] = true
	}
	keep := func(sts []*storage.Status) []*storage.Status {
		sts = s.withoutBlockedDomains(ctx, blocked, sts)
		out := sts[:0:0]
		for _, st := range sts {
			if !hidden[st.AccountID] {
				out = append(out, st)
			}
		}
		return out
	}
	return fullPage(p, load, keep, func(st *storage.Status) int64 { return st.ID })
}

// StatusContext returns the ancestors and descendants of st that viewer
// may see, less those of the domains viewer blocks.
func (s *Service) StatusContext(ctx context.Context, viewer *storage.Account, st *storage.Status) (ancestors, descendants []*storage.Status, err error) {
	anc, desc, err := s.db.StatusContext(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	blocked := s.blockedDomainSet(ctx, viewer)
	for _, a := range anc {
		if s.MayView(ctx, viewer, a) && !s.fromBlockedDomain(ctx, blocked, a) {
			ancestors = append(ancestors, a)
		}
	}
	for _, d := range desc {
		if s.MayView(ctx, viewer, d) && !s.fromBlockedDomain(ctx, blocked, d) {
			descendants = append(descendants, d)
		}
	}
	return ancestors, descendants, nil
}

// SearchAccounts finds accounts for a query: "user" (local first, then any
// known with that username), "@user@domain" or a profile URL. With resolve,
// an unknown remote account is looked up on its server.
func (s *Service) SearchAccounts(ctx context.Context, q string, resolve bool, limit int) ([]*storage.Account, error) {
	q = strings.TrimPrefix(strings.TrimSpace(q), "@")
	user, domain, remote := strings.Cut(q, "@")
	if strings.EqualFold(domain, s.domain) {
		domain, remote = "", false
	}
	if !usernameRE.MatchString(user) {
		return nil, nil
	}
	if a, err := s.AccountByAcct(ctx, user, strings.ToLower(domain)); err == nil {
		return []*storage.Account{a}, nil
	}
	if remote && resolve && s.resolver != nil {
		a, err := s.resolver.ResolveAccount(ctx, user+"@"+domain)
		if err != nil {
			s.log.Info("search: could not resolve", "acct", q, "error", err)
			return nil, nil
		}
		return []*storage.Account{a}, nil
	}
	if remote {
		return nil, nil
	}
	return s.db.AccountsByUsernamePrefix(ctx, user, limit)
}

// IsFollowing reports whether a follows b (accepted).
func (s *Service) IsFollowing(ctx context.Context, a, b *storage.Account) bool {
	f, err := s.db.FollowBetween(ctx, a.ID, b.ID)
	return err == nil && f.AcceptedAt != nil
}

// Mentions reports whether st mentions a.
func (s *Service) Mentions(ctx context.Context, st *storage.Status, a *storage.Account) bool {
	mentioned, err := s.db.MentionedAccounts(ctx, st.ID)
	if err != nil {
		return false
	}
	for _, m := range mentioned {
		if m.ID == a.ID {
			return true
		}
	}
	return false
}

// StatusExtras loads what rendering sts needs, for all of them at once.
func (s *Service) StatusExtras(ctx context.Context, viewer *storage.Account, sts []*storage.Status) (*storage.StatusExtras, error) {
	ids := make([]int64, 0, len(sts))
	authors := make([]int64, 0, len(sts))
	for _, st := range sts {
		ids = append(ids, st.ID)
		authors = append(authors, st.AccountID)
	}
	var viewerID int64
	if viewer != nil {
		viewerID = viewer.ID
	}
	return s.db.LoadStatusExtras(ctx, ids, authors, viewerID)
}

// accountCountsTTL is how long the counts shown beside posts in a list may
// be out of date; an account's own page counts afresh.
const accountCountsTTL = 30 * time.Second

type cachedCounts struct {
	followers, following, statuses int
	last                           int64
	at                             time.Time
}

// countCache keeps recent account counts, so that paging a timeline does
// not count every author's posts again for each page.
type countCache struct {
	mu sync.Mutex
	m  map[int64]cachedCounts
}

// AccountExtras loads the counts of several accounts at once, from a
// cache at most accountCountsTTL old.
func (s *Service) AccountExtras(ctx context.Context, ids []int64) (*storage.AccountExtras, error) {
	now := s.now()
	out := &storage.AccountExtras{Followers: map[int64]int{}, Following: map[int64]int{}, Statuses: map[int64]int{}, LastStatusID: map[int64]int64{}}
	var missing []int64
	s.counts.mu.Lock()
	for _, id := range ids {
		c, ok := s.counts.m[id]
		if !ok || now.Sub(c.at) > accountCountsTTL {
			missing = append(missing, id)
			continue
		}
		out.Followers[id], out.Following[id], out.Statuses[id], out.LastStatusID[id] = c.followers, c.following, c.statuses, c.last
	}
	s.counts.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	loaded, err := s.db.LoadAccountExtras(ctx, missing)
	if err != nil {
		return nil, err
	}
	s.counts.mu.Lock()
	defer s.counts.mu.Unlock()
	if s.counts.m == nil || len(s.counts.m) > 100_000 {
		s.counts.m = map[int64]cachedCounts{}
	}
	for _, id := range missing {
		c := cachedCounts{loaded.Followers[id], loaded.Following[id], loaded.Statuses[id], loaded.LastStatusID[id], now}
		s.counts.m[id] = c
		out.Followers[id], out.Following[id], out.Statuses[id], out.LastStatusID[id] = c.followers, c.following, c.statuses, c.last
	}
	return out, nil
}

// HiddenAuthor reports whether viewer (nil: anonymous) blocks or mutes the
// author of st, or of the post st boosts: live streams leave such posts
// out, as the timelines do.
func (s *Service) HiddenAuthor(ctx context.Context, viewer *storage.Account, st *storage.Status) bool {
	if viewer == nil {
		return false
	}
	authors := []int64{st.AccountID}
	if st.ReblogOfID != nil {
		if orig, err := s.db.StatusByID(ctx, *st.ReblogOfID); err == nil {
			authors = append(authors, orig.AccountID)
		}
	}
	for _, id := range authors {
		if id == viewer.ID {
			continue
		}
		if _, err := s.db.BlockBetween(ctx, viewer.ID, id); err == nil {
			return true
		}
		if muting, _ := s.db.Muting(ctx, viewer.ID, id); muting {
			return true
		}
	}
	return false
}
