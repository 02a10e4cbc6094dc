package social

import (
	"context"
	"errors"
	"hash/fnv"
	"html"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"rounds/storage"
)

// Trends are drawn from this server's own data over the last TrendDays
// days: hashtags by how many accounts used them in public posts, public
// posts by their favourites and boosts, links by how many accounts shared
// them. Nothing trends in public until staff approve it; rejected items
// stay out. Staff see every candidate, reviewed or not.

// TrendDays is how many days of activity trends look at.
const TrendDays = TagHistoryDays

// Bounds on the candidates trends consider.
const (
	trendCandidates = 200
	linkScanPosts   = 2000
)

// AdminTag is a hashtag as staff see it: its use, review and settings.
type AdminTag struct {
	FoundTag
	DisplayName string
	// Trendable: approved to trend. RequiresReview: nobody reviewed it.
	Trendable, RequiresReview bool
	Usable, Listable          bool
	// Accounts and Uses over the last TrendDays days.
	Accounts, Uses int
}

// TrendLink is a link shared in recent public posts.
type TrendLink struct {
	ID     int64
	URL    string
	Domain string
	// History is TrendDays days of posts sharing it, today first.
	History                   []TagDay
	Accounts, Uses            int
	Trendable, RequiresReview bool
}

// TrendPublisher is a domain whose links are shared here.
type TrendPublisher struct {
	ID                        int64
	Domain                    string
	Trendable, RequiresReview bool
	ReviewedAt                *time.Time
}

// TrendStatus is a post with its favourites and boosts.
type TrendStatus struct {
	Status                    *storage.Status
	Score                     int
	Trendable, RequiresReview bool
}

// TagChange changes a hashtag's settings; nil fields stay.
type TagChange struct {
	DisplayName                 *string
	Trendable, Usable, Listable *bool
}

// trendID is the id of a link or publisher, which Rounds keeps no row of:
// a hash of its URL or domain, positive so that it reads as Mastodon's.
func trendID(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64() >> 1)
}

// review turns a stored decision into trendable and requires-review.
func review(r storage.TrendReview, ok bool) (trendable, requiresReview bool) {
	if !ok {
		return false, true
	}
	return r.Trendable, false
}

// adminTags fills in the settings and review of tags.
func (s *Service) adminTags(ctx context.Context, tags []FoundTag) ([]AdminTag, error) {
	ids := make([]int64, len(tags))
	for i, t := range tags {
		ids[i] = t.ID
	}
	settings, err := s.db.TagSettingsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	reviews, err := s.db.TrendReviews(ctx, storage.TrendTag)
	if err != nil {
		return nil, err
	}
	today, since := tagHistoryDays(s.now())
	if err := s.addTagHistory(ctx, tags, today, since); err != nil {
		return nil, err
	}
	out := make([]AdminTag, len(tags))
	for i, t := range tags {
		a := AdminTag{FoundTag: t, Usable: true, Listable: true}
		if st, ok := settings[t.ID]; ok {
			a.DisplayName, a.Usable, a.Listable = st.DisplayName, st.Usable, st.Listable
		}
		r, ok := reviews[strconv.FormatInt(t.ID, 10)]
		a.Trendable, a.RequiresReview = review(r, ok)
		for _, d := range t.History {
			a.Uses += d.Uses
		}
		out[i] = a
	}
	return out, nil
}

// tagCandidates returns the hashtags used in public posts lately, the ones
// most accounts used first.
func (s *Service) tagCandidates(ctx context.Context) ([]AdminTag, error) {
	_, since := tagHistoryDays(s.now())
	scores, err := s.db.TagScores(ctx, since, trendCandidates)
	if err != nil || len(scores) == 0 {
		return nil, err
	}
	found := make([]FoundTag, len(scores))
	for i, sc := range scores {
		found[i] = FoundTag{ID: sc.ID, Name: sc.Name}
	}
	tags, err := s.adminTags(ctx, found)
	if err != nil {
		return nil, err
	}
	for i := range tags {
		tags[i].Accounts, tags[i].Uses = scores[i].Accounts, scores[i].Uses
	}
	return tags, nil
}

// TrendingTags returns the approved, listed hashtags most used lately,
// from offset, at most limit.
func (s *Service) TrendingTags(ctx context.Context, offset, limit int) ([]AdminTag, error) {
	all, err := s.tagCandidates(ctx)
	if err != nil {
		return nil, err
	}
	var out []AdminTag
	for _, t := range all {
		if t.Trendable && t.Listable {
			out = append(out, t)
		}
	}
	return window(out, offset, limit), nil
}

// AdminTrendingTags returns every hashtag used lately, reviewed or not,
// for staff.
func (s *Service) AdminTrendingTags(ctx context.Context, a Actor, offset, limit int) ([]AdminTag, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	all, err := s.tagCandidates(ctx)
	return window(all, offset, limit), err
}

func window[T any](list []T, offset, limit int) []T {
	if offset >= len(list) {
		return nil
	}
	list = list[offset:]
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	return list
}

// statusCandidates returns the public posts favourited or boosted lately,
// with their reviews, not loaded yet; keep picks the ones wanted.
func (s *Service) statusCandidates(ctx context.Context, keep func(TrendStatus) bool, offset, limit int) ([]TrendStatus, error) {
	_, since := tagHistoryDays(s.now())
	scores, err := s.db.StatusScores(ctx, since, trendCandidates)
	if err != nil || len(scores) == 0 {
		return nil, err
	}
	reviews, err := s.db.TrendReviews(ctx, storage.TrendStatus)
	if err != nil {
		return nil, err
	}
	var picked []TrendStatus
	for _, sc := range scores {
		t := TrendStatus{Status: &storage.Status{ID: sc.ID}, Score: sc.Score}
		r, ok := reviews[strconv.FormatInt(sc.ID, 10)]
		t.Trendable, t.RequiresReview = review(r, ok)
		if keep(t) {
			picked = append(picked, t)
		}
	}
	// Only the page asked for is loaded.
	picked = window(picked, offset, limit)
	out := picked[:0]
	for _, t := range picked {
		st, err := s.db.StatusByID(ctx, t.Status.ID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		t.Status = st
		out = append(out, t)
	}
	return out, nil
}

// TrendingStatuses returns the approved public posts most favourited and
// boosted lately, from offset, at most limit.
func (s *Service) TrendingStatuses(ctx context.Context, offset, limit int) ([]*storage.Status, error) {
	list, err := s.statusCandidates(ctx, func(t TrendStatus) bool { return t.Trendable }, offset, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*storage.Status, len(list))
	for i, t := range list {
		out[i] = t.Status
	}
	return out, nil
}

// AdminTrendingStatuses returns every candidate post, for staff.
func (s *Service) AdminTrendingStatuses(ctx context.Context, a Actor, offset, limit int) ([]TrendStatus, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	return s.statusCandidates(ctx, func(TrendStatus) bool { return true }, offset, limit)
}

var (
	anchorRE = regexp.MustCompile(`(?i)<a\s[^>]*>`)
	attrRE   = regexp.MustCompile(`(?i)\s(href|class|rel)\s*=\s*"([^"]*)"`)
)

// postLinks returns the links a post's HTML holds, less mentions and
// hashtags, each once.
func postLinks(content string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range anchorRE.FindAllString(content, -1) {
		var href, class, rel string
		for _, m := range attrRE.FindAllStringSubmatch(a, -1) {
			switch strings.ToLower(m[1]) {
			case "href":
				href = html.UnescapeString(m[2])
			case "class":
				class = m[2]
			case "rel":
				rel = m[2]
			}
		}
		if strings.Contains(class, "mention") || strings.Contains(class, "hashtag") || strings.Contains(rel, "tag") {
			continue
		}
		u, err := url.Parse(href)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || seen[href] {
			continue
		}
		seen[href] = true
		out = append(out, href)
	}
	return out
}

// linkCandidates returns the links shared in public posts lately, the ones
// most accounts shared first, with their publishers' reviews.
func (s *Service) linkCandidates(ctx context.Context) ([]TrendLink, map[string]storage.TrendReview, error) {
	today, since := tagHistoryDays(s.now())
	posts, err := s.db.RecentPublicContent(ctx, since, linkScanPosts)
	if err != nil {
		return nil, nil, err
	}
	type day struct {
		uses     int
		accounts map[int64]bool
	}
	type tally struct {
		link     *TrendLink
		accounts map[int64]bool
		days     map[time.Time]*day
	}
	byURL := map[string]*tally{}
	var order []string
	for _, p := range posts {
		d := p.CreatedAt.UTC()
		k := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		for _, href := range postLinks(p.Content) {
			u, _ := url.Parse(href)
			if strings.EqualFold(u.Host, s.domain) {
				continue // this server's own pages are not news
			}
			t := byURL[href]
			if t == nil {
				t = &tally{link: &TrendLink{ID: trendID(href), URL: href, Domain: strings.ToLower(u.Hostname())}, accounts: map[int64]bool{}, days: map[time.Time]*day{}}
				byURL[href] = t
				order = append(order, href)
			}
			t.link.Uses++
			t.accounts[p.AccountID] = true
			if t.days[k] == nil {
				t.days[k] = &day{accounts: map[int64]bool{}}
			}
			t.days[k].uses++
			t.days[k].accounts[p.AccountID] = true
		}
	}
	links, err := s.db.TrendReviews(ctx, storage.TrendLink)
	if err != nil {
		return nil, nil, err
	}
	publishers, err := s.db.TrendReviews(ctx, storage.TrendPublisher)
	if err != nil {
		return nil, nil, err
	}
	out := make([]TrendLink, 0, len(order))
	for _, href := range order {
		t := byURL[href]
		l := *t.link
		l.Accounts = len(t.accounts)
		l.History = make([]TagDay, TagHistoryDays)
		for j := range TagHistoryDays {
			k := today.AddDate(0, 0, -j)
			l.History[j] = TagDay{Day: k}
			if d := t.days[k]; d != nil {
				l.History[j].Uses, l.History[j].Accounts = d.uses, len(d.accounts)
			}
		}
		// As on Mastodon, a link's own review wins; without one, its
		// publisher's review stands for it.
		if r, ok := links[l.URL]; ok {
			l.Trendable = r.Trendable
		} else if r, ok := publishers[l.Domain]; ok {
			l.Trendable = r.Trendable
		} else {
			l.RequiresReview = true
		}
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Accounts != out[j].Accounts {
			return out[i].Accounts > out[j].Accounts
		}
		return out[i].Uses > out[j].Uses
	})
	if len(out) > trendCandidates {
		out = out[:trendCandidates]
	}
	return out, publishers, nil
}

// TrendingLinks returns the approved links shared most lately, from
// offset, at most limit.
func (s *Service) TrendingLinks(ctx context.Context, offset, limit int) ([]TrendLink, error) {
	all, _, err := s.linkCandidates(ctx)
	if err != nil {
		return nil, err
	}
	var out []TrendLink
	for _, l := range all {
		if l.Trendable {
			out = append(out, l)
		}
	}
	return window(out, offset, limit), nil
}

// AdminTrendingLinks returns every link shared lately, for staff.
func (s *Service) AdminTrendingLinks(ctx context.Context, a Actor, offset, limit int) ([]TrendLink, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	all, _, err := s.linkCandidates(ctx)
	return window(all, offset, limit), err
}

// AdminTrendPublishers returns the domains of the links shared lately, for
// staff.
func (s *Service) AdminTrendPublishers(ctx context.Context, a Actor, offset, limit int) ([]TrendPublisher, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	links, reviews, err := s.linkCandidates(ctx)
	if err != nil {
		return nil, err
	}
	var out []TrendPublisher
	seen := map[string]bool{}
	for _, l := range links {
		if seen[l.Domain] {
			continue
		}
		seen[l.Domain] = true
		p := TrendPublisher{ID: trendID(l.Domain), Domain: l.Domain}
		r, ok := reviews[l.Domain]
		p.Trendable, p.RequiresReview = review(r, ok)
		if ok {
			at := r.ReviewedAt
			p.ReviewedAt = &at
		}
		out = append(out, p)
	}
	return window(out, offset, limit), nil
}

// Trend kinds as the admin API, pages and command line name them.
var trendKinds = map[string]string{
	"tags": storage.TrendTag, "statuses": storage.TrendStatus, "links": storage.TrendLink, "publishers": storage.TrendPublisher,
}

// ReviewTrend approves (or rejects) the trend candidate id of kind
// ("tags", "statuses", "links" or "publishers"), as staff, and notes it in
// the audit log. A tag or status id must name a stored one; a link or
// publisher id one of the current candidates.
func (s *Service) ReviewTrend(ctx context.Context, a Actor, kind, id string, approve bool) error {
	if err := a.require(PermModerate); err != nil {
		return err
	}
	k, ok := trendKinds[kind]
	if !ok {
		return invalid("kind", "must be tags, statuses, links or publishers")
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return ErrNotFound
	}
	var target, label string
	switch k {
	case storage.TrendTag:
		t, err := s.db.TagByID(ctx, n)
		if err != nil {
			return notFoundErr(err)
		}
		target, label = id, "#"+t.Name
	case storage.TrendStatus:
		st, err := s.db.StatusByID(ctx, n)
		if err != nil {
			return notFoundErr(err)
		}
		target, label = id, st.URI
	case storage.TrendLink, storage.TrendPublisher:
		links, _, err := s.linkCandidates(ctx)
		if err != nil {
			return err
		}
		for _, l := range links {
			if k == storage.TrendLink && l.ID == n {
				target, label = l.URL, l.URL
			}
			if k == storage.TrendPublisher && trendID(l.Domain) == n {
				target, label = l.Domain, l.Domain
			}
		}
		if target == "" {
			return ErrNotFound
		}
	}
	action := "reject_trend"
	if approve {
		action = "approve_trend"
	}
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.PutTrendReview(ctx, &storage.TrendReview{Kind: k, Target: target, Trendable: approve, ReviewedAt: s.now()}); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a, audit{action: action, targetType: k, targetID: id, target: label})
	})
}

func notFoundErr(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// AdminTagList returns a page of every hashtag, for staff.
func (s *Service) AdminTagList(ctx context.Context, a Actor, p storage.Page) ([]AdminTag, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	tags, err := s.db.Tags(ctx, p)
	if err != nil || len(tags) == 0 {
		return nil, err
	}
	found := make([]FoundTag, len(tags))
	for i, t := range tags {
		found[i] = FoundTag{ID: t.ID, Name: t.Name}
	}
	return s.adminTags(ctx, found)
}

// AdminTag returns the hashtag id, for staff.
func (s *Service) AdminTag(ctx context.Context, a Actor, id int64) (*AdminTag, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	t, err := s.db.TagByID(ctx, id)
	if err != nil {
		return nil, notFoundErr(err)
	}
	tags, err := s.adminTags(ctx, []FoundTag{{ID: t.ID, Name: t.Name}})
	if err != nil {
		return nil, err
	}
	return &tags[0], nil
}

// UpdateTag changes the hashtag id's settings, as staff. A display name
// must be the tag's own name in other capitals, as on Mastodon.
func (s *Service) UpdateTag(ctx context.Context, a Actor, id int64, ch TagChange) (*AdminTag, error) {
	cur, err := s.AdminTag(ctx, a, id)
	if err != nil {
		return nil, err
	}
	st := storage.TagSettings{TagID: id, DisplayName: cur.DisplayName, Usable: cur.Usable, Listable: cur.Listable, UpdatedAt: s.now()}
	if ch.DisplayName != nil {
		if *ch.DisplayName != "" && !strings.EqualFold(*ch.DisplayName, cur.Name) {
			return nil, invalid("display_name", "must match the hashtag's name")
		}
		st.DisplayName = *ch.DisplayName
	}
	if ch.Usable != nil {
		st.Usable = *ch.Usable
	}
	if ch.Listable != nil {
		st.Listable = *ch.Listable
	}
	idStr := strconv.FormatInt(id, 10)
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.PutTagSettings(ctx, &st); err != nil {
			return err
		}
		if ch.Trendable != nil {
			if err := tx.PutTrendReview(ctx, &storage.TrendReview{Kind: storage.TrendTag, Target: idStr, Trendable: *ch.Trendable, ReviewedAt: s.now()}); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, a, audit{action: "update_tag", targetType: "tag", targetID: idStr, target: "#" + cur.Name, detail: map[string]any{
			"display_name": st.DisplayName, "usable": st.Usable, "listable": st.Listable, "trendable": ch.Trendable,
		}})
	})
	if err != nil {
		return nil, err
	}
	return s.AdminTag(ctx, a, id)
}

// LinkTimeline returns a page of public posts linking to rawURL, which
// must be a link trending now (approved); ErrNotFound otherwise, as
// Mastodon answers.
func (s *Service) LinkTimeline(ctx context.Context, rawURL string, p storage.Page) ([]*storage.Status, error) {
	links, err := s.TrendingLinks(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	found := false
	for _, l := range links {
		found = found || l.URL == rawURL
	}
	if !found {
		return nil, ErrNotFound
	}
	sts, err := s.db.PublicStatusesMentioning(ctx, html.EscapeString(rawURL), p)
	if err != nil {
		return nil, err
	}
	out := sts[:0]
	for _, st := range sts {
		for _, l := range postLinks(st.Content) {
			if l == rawURL {
				out = append(out, st)
				break
			}
		}
	}
	return out, nil
}
