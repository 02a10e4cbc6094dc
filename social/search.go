package social

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"rounds/storage"
)

// ObjectResolver fetches what a URL on another server names, a post or a
// profile, and stores it. The federation layer provides it, through the
// same value as the AccountResolver (SetResolver); a resolver without it
// cannot find remote posts by their address.
type ObjectResolver interface {
	ResolveObject(ctx context.Context, uri string) (*storage.Account, *storage.Status, error)
}

// SearchQuery is a search as Mastodon's GET /api/v2/search takes it.
type SearchQuery struct {
	Q string
	// Viewer is who searches; nil for an anonymous search, which never
	// asks other servers.
	Viewer *storage.Account
	// Resolve asks other servers for an @user@domain or a URL not known
	// here.
	Resolve bool
	// Following keeps only accounts the viewer follows.
	Following bool
	// AccountID keeps only statuses by this account.
	AccountID int64
	// ExcludeUnreviewed keeps hashtags to ones in use here; Rounds does
	// not review hashtags, so there is no more to it.
	ExcludeUnreviewed bool
	Limit, Offset     int
	// MaxID and MinID page through the posts full-text search finds:
	// older than MaxID, or the oldest newer than MinID.
	MaxID, MinID int64
}

// isWebAddress reports whether q is an http(s) URL with a host.
func isWebAddress(q string) bool {
	u, err := url.Parse(q)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.ContainsAny(q, " \t\n")
}

// objectResolver returns the resolver for remote URLs, if the server has
// one, and only for a signed-in viewer who asked to resolve.
func (s *Service) objectResolver(q SearchQuery) ObjectResolver {
	if !q.Resolve || q.Viewer == nil {
		return nil
	}
	r, _ := s.resolver.(ObjectResolver)
	return r
}

// FindAccounts finds accounts for a search. A URL finds the profile
// with that id or address (asking its server with Resolve); @user@domain
// finds that account (asking with Resolve), and otherwise the accounts
// whose acct starts so; other text finds accounts whose username, acct or
// a word of whose display name starts with it, exact usernames and local
// accounts first. Accounts that block the viewer are not found.
func (s *Service) FindAccounts(ctx context.Context, q SearchQuery) ([]*storage.Account, error) {
	text := strings.TrimSpace(q.Q)
	if text == "" || q.Following && q.Viewer == nil {
		return nil, nil
	}
	if isWebAddress(text) {
		if q.Offset > 0 {
			return nil, nil
		}
		a, err := s.accountAt(ctx, q, text)
		if err != nil || a == nil {
			return nil, err
		}
		if q.Following && !s.IsFollowing(ctx, q.Viewer, a) || s.blocksViewer(ctx, a, q.Viewer) {
			return nil, nil
		}
		return []*storage.Account{a}, nil
	}
	text = strings.TrimPrefix(text, "@")
	search := storage.AccountSearch{Text: strings.ToLower(text), Limit: q.Limit, Offset: q.Offset}
	if q.Following {
		search.FollowedBy = q.Viewer.ID
	}
	if q.Viewer != nil {
		search.HiddenFrom = q.Viewer.ID
	}
	if user, domain, ok := strings.Cut(text, "@"); ok {
		if !usernameRE.MatchString(user) || domain == "" || strings.ContainsAny(domain, "@/ ") {
			return nil, nil
		}
		domain = strings.ToLower(domain)
		if domain == strings.ToLower(s.domain) {
			search.Text = strings.ToLower(user)
		} else {
			search.Username, search.Domain = user, domain
			if q.Offset == 0 {
				if a, found, err := s.exactAcct(ctx, q, user, domain); err != nil || found {
					if a == nil || q.Following && !s.IsFollowing(ctx, q.Viewer, a) || s.blocksViewer(ctx, a, q.Viewer) {
						return nil, err
					}
					return []*storage.Account{a}, nil
				}
			}
		}
	}
	accts, err := s.db.SearchAccounts(ctx, search)
	if err != nil {
		return nil, err
	}
	// Accounts of the domains the viewer blocks are not suggested, as on
	// Mastodon; an exact address or URL still finds its account.
	if blocked := s.blockedDomainSet(ctx, q.Viewer); blocked != nil {
		kept := accts[:0]
		for _, a := range accts {
			if !blocked[a.Domain] {
				kept = append(kept, a)
			}
		}
		accts = kept
	}
	return accts, nil
}

// blocksViewer reports whether a blocks viewer (nil: nobody).
func (s *Service) blocksViewer(ctx context.Context, a, viewer *storage.Account) bool {
	if viewer == nil {
		return false
	}
	_, err := s.db.BlockBetween(ctx, a.ID, viewer.ID)
	return err == nil
}

// exactAcct finds user@domain: known, or asked of its server with Resolve.
// found is false when the search should go on by prefix.
func (s *Service) exactAcct(ctx context.Context, q SearchQuery, user, domain string) (*storage.Account, bool, error) {
	if a, err := s.AccountByAcct(ctx, user, domain); err == nil {
		return a, true, nil
	}
	if !q.Resolve || q.Viewer == nil || s.resolver == nil || !strings.Contains(domain, ".") && !strings.Contains(domain, ":") {
		return nil, false, nil
	}
	a, err := s.resolver.ResolveAccount(ctx, user+"@"+domain)
	if err != nil {
		s.log.Info("search: could not resolve", "acct", user+"@"+domain, "error", err)
		return nil, false, nil
	}
	if a.Suspended() {
		return nil, true, nil
	}
	return a, true, nil
}

// accountAt finds the account whose id or profile address is u.
func (s *Service) accountAt(ctx context.Context, q SearchQuery, u string) (*storage.Account, error) {
	a, err := s.db.AccountByURI(ctx, u)
	if err != nil {
		a, err = s.db.AccountByURL(ctx, u)
	}
	if err == nil {
		if a.Suspended() || a.Username == InstanceActorUsername {
			return nil, nil
		}
		return a, nil
	}
	if r := s.objectResolver(q); r != nil {
		a, _, err := r.ResolveObject(ctx, u)
		if err != nil {
			s.log.Info("search: could not resolve", "url", u, "error", err)
			return nil, nil
		}
		if a != nil && !a.Suspended() {
			return a, nil
		}
	}
	return nil, nil
}

// localPostPath is the path of a local post's page: /@user/123.
var localPostPath = regexp.MustCompile(`^/@([A-Za-z0-9_]{1,30})/(\d{1,19})$`)

// FindStatuses finds the post a URL names (its ActivityPub id or its
// page), fetching a remote one from its server with Resolve; other text
// finds posts by their words (searchWords), for a signed-in viewer only,
// as on Mastodon. The viewer never gets a post they may not see.
func (s *Service) FindStatuses(ctx context.Context, q SearchQuery) ([]*storage.Status, error) {
	text := strings.TrimSpace(q.Q)
	if !isWebAddress(text) {
		return s.searchWords(ctx, q)
	}
	if q.Offset > 0 {
		return nil, nil
	}
	st, err := s.db.StatusByURI(ctx, text)
	if err != nil {
		st, err = s.db.StatusByURL(ctx, text)
	}
	if err != nil && strings.HasPrefix(text, s.base+"/") {
		// A local post's page, whatever the form of its address.
		if m := localPostPath.FindStringSubmatch(strings.TrimPrefix(text, s.base)); m != nil {
			id, _ := strconv.ParseInt(m[2], 10, 64)
			if st, err = s.db.StatusByID(ctx, id); err == nil && (!st.Local || st.Account == nil || st.Account.Username != m[1]) {
				err = storage.ErrNotFound
			}
		}
	}
	if err != nil {
		if r := s.objectResolver(q); r != nil && !strings.HasPrefix(text, s.base+"/") {
			var rerr error
			if _, st, rerr = r.ResolveObject(ctx, text); rerr != nil || st == nil {
				if rerr != nil {
					s.log.Info("search: could not resolve", "url", text, "error", rerr)
				}
				return nil, nil
			}
			if st.Account == nil {
				if st, err = s.db.StatusByID(ctx, st.ID); err != nil {
					return nil, domainErr(err)
				}
			}
		} else {
			return nil, nil
		}
	}
	if st.ReblogOfID != nil || q.AccountID != 0 && st.AccountID != q.AccountID || !s.MayView(ctx, q.Viewer, st) {
		return nil, nil
	}
	return []*storage.Status{st}, nil
}

// searchWords is full-text search: the posts of the viewer's own and the
// replies to them, the ones they favourited, bookmarked, boosted or were
// mentioned in, and public posts of accounts that let themselves be
// indexed, with every word and "quoted phrase" of the query and none of
// its -excluded ones, and as its operators say (searchTerms), newest
// first.
func (s *Service) searchWords(ctx context.Context, q SearchQuery) ([]*storage.Status, error) {
	if q.Viewer == nil {
		return nil, nil
	}
	t := parseSearch(q.Q)
	if len(t.phrases) == 0 && len(t.from) == 0 {
		return nil, nil
	}
	search := storage.StatusSearch{
		Phrases: t.phrases, Excluded: t.excluded, Viewer: q.Viewer.ID, AccountID: q.AccountID,
		HasMedia: t.hasMedia, HasPoll: t.hasPoll, IsReply: t.isReply, IsSensitive: t.isSensitive,
		Languages: t.languages, NotLanguages: t.notLanguages, Since: t.since, Until: t.until, Library: t.library,
		Page: storage.Page{MaxID: q.MaxID, MinID: q.MinID, Limit: q.Limit}, Offset: q.Offset,
	}
	var err error
	if search.From, err = s.searchAccounts(ctx, q.Viewer, t.from); err != nil || len(t.from) > 0 && len(search.From) == 0 {
		return nil, err // from: someone not known here
	}
	if search.NotFrom, err = s.searchAccounts(ctx, q.Viewer, t.notFrom); err != nil {
		return nil, err
	}
	sts, err := s.db.SearchStatuses(ctx, search)
	if err != nil {
		return nil, err
	}
	out := sts[:0]
	blocked := s.blockedDomainSet(ctx, q.Viewer)
	for _, st := range sts {
		if s.MayView(ctx, q.Viewer, st) && !s.fromBlockedDomain(ctx, blocked, st) {
			out = append(out, st)
		}
	}
	return out, nil
}

// searchAccounts finds the accounts a query's from: operators name: me,
// a local username, or user@domain (with or without a leading @). Names
// not known here are left out.
func (s *Service) searchAccounts(ctx context.Context, viewer *storage.Account, names []string) ([]int64, error) {
	var ids []int64
	for _, n := range names {
		if n == "me" {
			ids = append(ids, viewer.ID)
			continue
		}
		user, domain, _ := strings.Cut(strings.TrimPrefix(n, "@"), "@")
		if strings.EqualFold(domain, s.domain) {
			domain = ""
		}
		a, err := s.AccountByAcct(ctx, user, strings.ToLower(domain))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, a.ID)
	}
	return ids, nil
}

// searchTerms is a full-text query taken apart: what a post must contain
// (words, and "quoted phrases" whose words must stand together), what it
// must not (-word, -"phrase"), and Mastodon's operators, each of which may
// also be negated with a leading -:
//
//	from:me, from:user, from:user@domain   posts of that account
//	has:media, has:poll                     with images, with a poll
//	is:reply, is:sensitive                  replies; behind a content warning
//	language:en                             in that language
//	before:2026-11-01, after:..., during:... posted before, after, on that day (UTC)
//	in:library                              only posts the searcher wrote or touched
//
// An operator with a value it does not know says nothing and is dropped,
// as are pieces with no letter or digit.
type searchTerms struct {
	phrases, excluded       []string
	from, notFrom           []string
	hasMedia, hasPoll       *bool
	isReply, isSensitive    *bool
	languages, notLanguages []string
	since, until            time.Time
	library                 bool
}

// parseSearch takes a full-text query apart (searchTerms).
func parseSearch(q string) searchTerms {
	var t searchTerms
	rest := strings.TrimSpace(q)
	for rest != "" {
		not := false
		if rest[0] == '-' {
			not, rest = true, rest[1:]
		}
		var piece string
		quoted := strings.HasPrefix(rest, `"`)
		if quoted {
			// A phrase runs to the closing quote, or to the end.
			piece, rest, _ = strings.Cut(rest[1:], `"`)
		} else if i := strings.IndexFunc(rest, unicode.IsSpace); i >= 0 {
			piece, rest = rest[:i], rest[i:]
		} else {
			piece, rest = rest, ""
		}
		rest = strings.TrimSpace(rest)
		if !quoted {
			if op, value, ok := strings.Cut(piece, ":"); ok && value != "" {
				if t.operator(strings.ToLower(op), strings.ToLower(value), !not) {
					continue
				}
			}
		}
		piece = strings.Join(strings.Fields(piece), " ")
		if strings.IndexFunc(piece, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
			continue
		}
		if not {
			t.excluded = append(t.excluded, piece)
		} else {
			t.phrases = append(t.phrases, piece)
		}
	}
	return t
}

// operator applies op:value (yes is false when it was negated) and
// reports whether op is an operator at all; a piece that is not is
// searched as words.
func (t *searchTerms) operator(op, value string, yes bool) bool {
	switch op {
	case "from":
		if yes {
			t.from = append(t.from, value)
		} else {
			t.notFrom = append(t.notFrom, value)
		}
	case "has", "is":
		flags := map[string]**bool{"has:media": &t.hasMedia, "has:poll": &t.hasPoll, "is:reply": &t.isReply, "is:sensitive": &t.isSensitive}
		if f := flags[op+":"+value]; f != nil {
			*f = &yes
		}
	case "language", "lang":
		if yes {
			t.languages = append(t.languages, value)
		} else {
			t.notLanguages = append(t.notLanguages, value)
		}
	case "before", "after", "during":
		d, err := time.Parse("2006-01-02", value)
		if err != nil || !yes {
			break
		}
		switch op {
		case "before":
			t.until = d
		case "after":
			t.since = d.AddDate(0, 0, 1)
		default:
			t.since, t.until = d, d.AddDate(0, 0, 1)
		}
	case "in":
		t.library = t.library || value == "library" && yes
	default:
		return false
	}
	return true
}

// TagHistoryDays is how many days of use a hashtag's history shows.
const TagHistoryDays = 7

// TagDay is one day of a hashtag's use: the posts that carried it and how
// many accounts wrote them.
type TagDay struct {
	Day            time.Time
	Uses, Accounts int
}

// FoundTag is a hashtag found by FindTags, with its use over the last
// TagHistoryDays days, today first.
type FoundTag struct {
	ID      int64
	Name    string
	History []TagDay
}

// tagNameRE is what may follow the # of a hashtag.
var tagNameRE = regexp.MustCompile(`^[\p{L}\p{N}_]+$`)

// FindTags finds the hashtags in use here whose name starts with the
// query (with or without its #): the exact one first, then the most used
// this week, then by name.
func (s *Service) FindTags(ctx context.Context, q SearchQuery) ([]FoundTag, error) {
	name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q.Q), "#"))
	if !tagNameRE.MatchString(name) {
		return nil, nil
	}
	today, since := tagHistoryDays(s.now())
	tags, err := s.db.SearchTags(ctx, name, since, q.Limit, q.Offset)
	if err != nil || len(tags) == 0 {
		return nil, err
	}
	found := make([]FoundTag, len(tags))
	for i, t := range tags {
		found[i] = FoundTag{ID: t.ID, Name: t.Name}
	}
	return found, s.addTagHistory(ctx, found, today, since)
}

// tagHistoryDays returns the first hour of today (UTC) and of the first
// day of a tag's history.
func tagHistoryDays(now time.Time) (today, since time.Time) {
	now = now.UTC()
	today = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return today, today.AddDate(0, 0, -(TagHistoryDays - 1))
}

// addTagHistory fills in the History of each of tags: TagHistoryDays days,
// today first.
func (s *Service) addTagHistory(ctx context.Context, tags []FoundTag, today, since time.Time) error {
	if len(tags) == 0 {
		return nil
	}
	ids := make([]int64, len(tags))
	for i, t := range tags {
		ids[i] = t.ID
	}
	days, err := s.db.TagHistory(ctx, ids, since)
	if err != nil {
		return err
	}
	type key struct {
		tag int64
		day time.Time
	}
	byDay := map[key]storage.TagDay{}
	for _, d := range days {
		byDay[key{d.TagID, d.Day}] = d
	}
	for i, t := range tags {
		tags[i].History = make([]TagDay, TagHistoryDays)
		for j := range TagHistoryDays {
			day := today.AddDate(0, 0, -j)
			d := byDay[key{t.ID, day}]
			tags[i].History[j] = TagDay{Day: day, Uses: d.Uses, Accounts: d.Accounts}
		}
	}
	return nil
}
