package social

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"rounds/storage"
	"rounds/storage/posttext"
)

// Filter contexts and actions, as Mastodon names them.
var (
	FilterContexts = []string{"home", "notifications", "public", "thread", "account"}
	filterActions  = []string{"warn", "hide"}
)

// Limits on filters, so that matching a page of statuses stays cheap.
const (
	maxFilters         = 100
	maxFilterKeywords  = 100
	maxFilterTitle     = 256
	maxFilterKeyword   = 256
	maxFilterExpiresIn = 10 * 365 * 24 * 60 * 60
)

// FilterInput is a filter as a client creates or changes it. Nil fields
// are left as they are on update.
type FilterInput struct {
	Title   *string
	Context []string // nil: unchanged
	Action  *string
	// ExpiresIn is seconds from now; a pointer to 0 clears the expiry.
	ExpiresIn *int
	Keywords  []KeywordInput
}

// KeywordInput adds (ID 0), changes or, with Destroy, removes a keyword.
type KeywordInput struct {
	ID        int64
	Keyword   string
	WholeWord bool
	Destroy   bool
}

// FilterContextList splits a stored filter's contexts.
func FilterContextList(f *storage.Filter) []string {
	if f.Context == "" {
		return []string{}
	}
	return strings.Split(f.Context, ",")
}

// Filters returns me's filters, expired ones included, oldest first.
func (s *Service) Filters(ctx context.Context, me *storage.Account) ([]*storage.Filter, error) {
	return s.db.Filters(ctx, me.ID)
}

// Filter returns one of me's filters; another account's is ErrNotFound.
func (s *Service) Filter(ctx context.Context, me *storage.Account, id int64) (*storage.Filter, error) {
	f, err := s.db.Filter(ctx, me.ID, id)
	return f, domainErr(err)
}

func (s *Service) applyFilterInput(f *storage.Filter, in FilterInput) error {
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		if t == "" {
			return invalid("title", "can't be blank")
		}
		if utf8.RuneCountInString(t) > maxFilterTitle {
			return invalid("title", "is too long")
		}
		f.Title = t
	}
	if in.Context != nil {
		var cs []string
		for _, c := range in.Context {
			if !slices.Contains(FilterContexts, c) {
				return invalid("context", "contains an invalid value: "+c)
			}
			if !slices.Contains(cs, c) {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			return invalid("context", "can't be blank")
		}
		f.Context = strings.Join(cs, ",")
	}
	if in.Action != nil {
		a := *in.Action
		if a == "" {
			a = "warn"
		}
		if !slices.Contains(filterActions, a) {
			return invalid("filter_action", "is not warn or hide")
		}
		f.Action = a
	}
	if in.ExpiresIn != nil {
		switch n := *in.ExpiresIn; {
		case n == 0:
			f.ExpiresAt = nil
		case n < 0 || n > maxFilterExpiresIn:
			return invalid("expires_in", "is out of range")
		default:
			t := s.now().Add(time.Duration(n) * time.Second)
			f.ExpiresAt = &t
		}
	}
	return nil
}

func checkKeyword(k string) error {
	if strings.TrimSpace(k) == "" {
		return invalid("keyword", "can't be blank")
	}
	if utf8.RuneCountInString(k) > maxFilterKeyword {
		return invalid("keyword", "is too long")
	}
	return nil
}

// CreateFilter stores a new filter of me's with its keywords.
func (s *Service) CreateFilter(ctx context.Context, me *storage.Account, in FilterInput) (*storage.Filter, error) {
	if in.Title == nil {
		in.Title = new(string)
	}
	if in.Context == nil {
		in.Context = []string{}
	}
	if in.Action == nil {
		in.Action = new(string)
	}
	f := &storage.Filter{ID: storage.NewID(), AccountID: me.ID, CreatedAt: s.now()}
	if err := s.applyFilterInput(f, in); err != nil {
		return nil, err
	}
	if len(in.Keywords) > maxFilterKeywords {
		return nil, invalid("keywords", "are too many")
	}
	existing, err := s.db.Filters(ctx, me.ID)
	if err != nil {
		return nil, err
	}
	if len(existing) >= maxFilters {
		return nil, invalid("", "you have too many filters")
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.InsertFilter(ctx, f); err != nil {
			return err
		}
		for _, k := range in.Keywords {
			if k.Destroy {
				continue
			}
			if err := checkKeyword(k.Keyword); err != nil {
				return err
			}
			if err := tx.InsertFilterKeyword(ctx, &storage.FilterKeyword{ID: storage.NewID(), FilterID: f.ID, Keyword: k.Keyword, WholeWord: k.WholeWord}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Filter(ctx, me, f.ID)
}

// UpdateFilter changes one of me's filters: the fields given, and the
// keywords added, changed (by id) or destroyed.
func (s *Service) UpdateFilter(ctx context.Context, me *storage.Account, id int64, in FilterInput) (*storage.Filter, error) {
	f, err := s.Filter(ctx, me, id)
	if err != nil {
		return nil, err
	}
	if err := s.applyFilterInput(f, in); err != nil {
		return nil, err
	}
	owned := map[int64]*storage.FilterKeyword{}
	for _, k := range f.Keywords {
		owned[k.ID] = k
	}
	added := 0
	for _, k := range in.Keywords {
		if k.ID == 0 && !k.Destroy {
			added++
		}
	}
	if len(f.Keywords)+added > maxFilterKeywords {
		return nil, invalid("keywords", "are too many")
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.UpdateFilter(ctx, f); err != nil {
			return err
		}
		for _, k := range in.Keywords {
			switch old := owned[k.ID]; {
			case k.ID != 0 && old == nil:
				return ErrNotFound
			case k.Destroy && old != nil:
				if err := tx.DeleteFilterKeyword(ctx, old.ID); err != nil {
					return err
				}
			case k.Destroy:
			case old != nil:
				if err := checkKeyword(k.Keyword); err != nil {
					return err
				}
				old.Keyword, old.WholeWord = k.Keyword, k.WholeWord
				if err := tx.UpdateFilterKeyword(ctx, old); err != nil {
					return err
				}
			default:
				if err := checkKeyword(k.Keyword); err != nil {
					return err
				}
				if err := tx.InsertFilterKeyword(ctx, &storage.FilterKeyword{ID: storage.NewID(), FilterID: f.ID, Keyword: k.Keyword, WholeWord: k.WholeWord}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Filter(ctx, me, f.ID)
}

// DeleteFilter removes one of me's filters.
func (s *Service) DeleteFilter(ctx context.Context, me *storage.Account, id int64) error {
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error { return tx.DeleteFilter(ctx, me.ID, id) }))
}

// AddFilterKeyword adds a keyword to one of me's filters.
func (s *Service) AddFilterKeyword(ctx context.Context, me *storage.Account, filterID int64, in KeywordInput) (*storage.FilterKeyword, error) {
	f, err := s.Filter(ctx, me, filterID)
	if err != nil {
		return nil, err
	}
	if err := checkKeyword(in.Keyword); err != nil {
		return nil, err
	}
	if len(f.Keywords) >= maxFilterKeywords {
		return nil, invalid("keywords", "are too many")
	}
	k := &storage.FilterKeyword{ID: storage.NewID(), FilterID: f.ID, Keyword: in.Keyword, WholeWord: in.WholeWord}
	return k, s.db.InsertFilterKeyword(ctx, k)
}

// FilterKeyword returns a keyword of one of me's filters.
func (s *Service) FilterKeyword(ctx context.Context, me *storage.Account, id int64) (*storage.FilterKeyword, error) {
	k, err := s.db.FilterKeyword(ctx, me.ID, id)
	return k, domainErr(err)
}

// UpdateFilterKeyword changes a keyword of one of me's filters.
func (s *Service) UpdateFilterKeyword(ctx context.Context, me *storage.Account, id int64, keyword *string, wholeWord *bool) (*storage.FilterKeyword, error) {
	k, err := s.FilterKeyword(ctx, me, id)
	if err != nil {
		return nil, err
	}
	if keyword != nil {
		if err := checkKeyword(*keyword); err != nil {
			return nil, err
		}
		k.Keyword = *keyword
	}
	if wholeWord != nil {
		k.WholeWord = *wholeWord
	}
	return k, s.db.UpdateFilterKeyword(ctx, k)
}

// DeleteFilterKeyword removes a keyword of one of me's filters.
func (s *Service) DeleteFilterKeyword(ctx context.Context, me *storage.Account, id int64) error {
	if _, err := s.FilterKeyword(ctx, me, id); err != nil {
		return err
	}
	return s.db.DeleteFilterKeyword(ctx, id)
}

// AddFilterStatus makes one of me's filters match a status me may see.
func (s *Service) AddFilterStatus(ctx context.Context, me *storage.Account, filterID, statusID int64) (*storage.FilterStatus, error) {
	f, err := s.Filter(ctx, me, filterID)
	if err != nil {
		return nil, err
	}
	st, err := s.StatusByID(ctx, statusID)
	if err != nil || !s.MayView(ctx, me, st) {
		return nil, invalid("status_id", "is not a status you can see")
	}
	fs := &storage.FilterStatus{ID: storage.NewID(), FilterID: f.ID, StatusID: st.ID}
	if err := s.db.InsertFilterStatus(ctx, fs); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, invalid("status_id", "is already in this filter")
		}
		return nil, err
	}
	return fs, nil
}

// FilterStatus returns a status entry of one of me's filters.
func (s *Service) FilterStatus(ctx context.Context, me *storage.Account, id int64) (*storage.FilterStatus, error) {
	fs, err := s.db.FilterStatus(ctx, me.ID, id)
	return fs, domainErr(err)
}

// DeleteFilterStatus removes a status entry of one of me's filters.
func (s *Service) DeleteFilterStatus(ctx context.Context, me *storage.Account, id int64) error {
	if _, err := s.FilterStatus(ctx, me, id); err != nil {
		return err
	}
	return s.db.DeleteFilterStatus(ctx, id)
}

// FilterSet is a viewer's unexpired filters, ready to match statuses. Load
// it once per request with ActiveFilters.
type FilterSet struct {
	filters []*compiledFilter
}

type compiledFilter struct {
	f        *storage.Filter
	contexts []string
	keywords []compiledKeyword
	statuses map[int64]bool
}

type compiledKeyword struct {
	text string
	re   *regexp.Regexp
}

// Empty reports whether the set has no filters to apply.
func (fs *FilterSet) Empty() bool { return fs == nil || len(fs.filters) == 0 }

// FilterMatch is a filter that matched a status, with what matched.
type FilterMatch struct {
	Filter    *storage.Filter
	Keywords  []string
	StatusIDs []int64
}

// ActiveFilters loads me's unexpired filters for matching. A nil me (an
// anonymous viewer) has none.
func (s *Service) ActiveFilters(ctx context.Context, me *storage.Account) (*FilterSet, error) {
	set := &FilterSet{}
	if me == nil {
		return set, nil
	}
	fs, err := s.db.Filters(ctx, me.ID)
	if err != nil {
		return set, err
	}
	now := s.now()
	for _, f := range fs {
		if f.ExpiresAt != nil && !f.ExpiresAt.After(now) {
			continue
		}
		c := &compiledFilter{f: f, contexts: FilterContextList(f), statuses: map[int64]bool{}}
		for _, k := range f.Keywords {
			c.keywords = append(c.keywords, compiledKeyword{text: k.Keyword, re: keywordPattern(k.Keyword, k.WholeWord)})
		}
		for _, st := range f.Statuses {
			c.statuses[st.StatusID] = true
		}
		set.filters = append(set.filters, c)
	}
	return set, nil
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// keywordPattern matches keyword case-insensitively; with wholeWord, a
// keyword that starts or ends with a word character must meet a word
// boundary there (Go's \b knows only ASCII, so the boundary is spelled out).
func keywordPattern(keyword string, wholeWord bool) *regexp.Regexp {
	pat := regexp.QuoteMeta(strings.TrimSpace(keyword))
	if wholeWord {
		first, _ := utf8.DecodeRuneInString(strings.TrimSpace(keyword))
		last, _ := utf8.DecodeLastRuneInString(strings.TrimSpace(keyword))
		if isWordRune(first) {
			pat = `(?:^|[^\p{L}\p{N}_])` + pat
		}
		if isWordRune(last) {
			pat += `(?:$|[^\p{L}\p{N}_])`
		}
	}
	return regexp.MustCompile(`(?is)` + pat)
}

// FilterText is the text filters match in st: its content warning and its
// content as plain text (posttext.Of).
func FilterText(st *storage.Status) string {
	return posttext.Of(st.SpoilerText, st.Content)
}

// Match returns the filters for context that match st, and whether one of
// them hides it. A boost is matched by the post it boosts: pass that.
func (fs *FilterSet) Match(st *storage.Status, context string) (matches []FilterMatch, hide bool) {
	if fs == nil || len(fs.filters) == 0 || st == nil {
		return nil, false
	}
	var text string
	for _, c := range fs.filters {
		if !slices.Contains(c.contexts, context) {
			continue
		}
		m := FilterMatch{Filter: c.f}
		if c.statuses[st.ID] {
			m.StatusIDs = []int64{st.ID}
		}
		for _, k := range c.keywords {
			if text == "" {
				text = FilterText(st)
			}
			if k.re.MatchString(text) {
				m.Keywords = append(m.Keywords, k.text)
			}
		}
		if m.Keywords == nil && m.StatusIDs == nil {
			continue
		}
		matches = append(matches, m)
		if c.f.Action == "hide" {
			hide = true
		}
	}
	return matches, hide
}
