package social

import (
	"context"
	"errors"
	"slices"

	"rounds/storage"
)

// Mastodon's v1 filters are seen through the v2 store, as Mastodon maps
// them (V1::Filter): a v1 filter is one keyword of a v2 filter. Its id is
// the keyword's; its phrase and whole_word are the keyword's; its context,
// expiry and irreversible (the filter's action is hide) are the filter's.
// A v1 filter made here is a v2 filter titled by its phrase with that one
// keyword.

// V1FilterInput is a v1 filter as a client sends it; nil fields are left
// as they are on update.
type V1FilterInput struct {
	Phrase       *string
	Context      []string // nil: unchanged
	Irreversible *bool
	WholeWord    *bool
	// ExpiresIn is seconds from now; a pointer to 0 clears the expiry.
	ExpiresIn *int
}

// ErrV1FilterShared refuses a v1 change to a filter that holds several
// keywords: its context, action and expiry belong to all of them. The words
// are Mastodon's.
var ErrV1FilterShared = errors.New("These parameters cannot be changed from this application because they apply to more than one filter keyword. Use a more recent application or the web interface.")

// V1Filter returns me's v1 filter id: a keyword and its filter.
func (s *Service) V1Filter(ctx context.Context, me *storage.Account, id int64) (*storage.Filter, *storage.FilterKeyword, error) {
	k, err := s.FilterKeyword(ctx, me, id)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.Filter(ctx, me, k.FilterID)
	return f, k, err
}

// CreateV1Filter stores a v1 filter: a v2 filter with one keyword.
func (s *Service) CreateV1Filter(ctx context.Context, me *storage.Account, in V1FilterInput) (*storage.Filter, *storage.FilterKeyword, error) {
	phrase := ""
	if in.Phrase != nil {
		phrase = *in.Phrase
	}
	if err := checkKeyword(phrase); err != nil {
		return nil, nil, invalid("phrase", "can't be blank")
	}
	action := "warn"
	if in.Irreversible != nil && *in.Irreversible {
		action = "hide"
	}
	ctxs := in.Context
	if ctxs == nil {
		ctxs = []string{}
	}
	f, err := s.CreateFilter(ctx, me, FilterInput{
		Title: &phrase, Context: ctxs, Action: &action, ExpiresIn: in.ExpiresIn,
		Keywords: []KeywordInput{{Keyword: phrase, WholeWord: in.WholeWord != nil && *in.WholeWord}},
	})
	if err != nil {
		return nil, nil, err
	}
	if len(f.Keywords) != 1 {
		return nil, nil, ErrNotFound
	}
	return f, f.Keywords[0], nil
}

// UpdateV1Filter changes me's v1 filter id. Its phrase and whole_word
// change the keyword; context, irreversible and expires_in change the
// filter, which is refused when the filter holds other keywords too.
func (s *Service) UpdateV1Filter(ctx context.Context, me *storage.Account, id int64, in V1FilterInput) (*storage.Filter, *storage.FilterKeyword, error) {
	f, k, err := s.V1Filter(ctx, me, id)
	if err != nil {
		return nil, nil, err
	}
	var fin FilterInput
	changed := false
	if in.Context != nil && !slices.Equal(in.Context, FilterContextList(f)) {
		fin.Context, changed = in.Context, true
	}
	if in.Irreversible != nil {
		a := "warn"
		if *in.Irreversible {
			a = "hide"
		}
		if a != f.Action {
			fin.Action, changed = &a, true
		}
	}
	if in.ExpiresIn != nil && (*in.ExpiresIn != 0 || f.ExpiresAt != nil) {
		fin.ExpiresIn, changed = in.ExpiresIn, true
	}
	if changed && len(f.Keywords) > 1 {
		return nil, nil, ErrV1FilterShared
	}
	kw := KeywordInput{ID: k.ID, Keyword: k.Keyword, WholeWord: k.WholeWord}
	if in.Phrase != nil {
		kw.Keyword = *in.Phrase
		if len(f.Keywords) == 1 && f.Title == k.Keyword {
			// A filter made by a v1 app is titled by its phrase.
			fin.Title = in.Phrase
		}
	}
	if in.WholeWord != nil {
		kw.WholeWord = *in.WholeWord
	}
	fin.Keywords = []KeywordInput{kw}
	if f, err = s.UpdateFilter(ctx, me, f.ID, fin); err != nil {
		return nil, nil, err
	}
	for _, nk := range f.Keywords {
		if nk.ID == k.ID {
			return f, nk, nil
		}
	}
	return nil, nil, ErrNotFound
}

// DeleteV1Filter removes me's v1 filter id: its keyword, and the filter
// with it when nothing else is left in it to match.
func (s *Service) DeleteV1Filter(ctx context.Context, me *storage.Account, id int64) error {
	f, k, err := s.V1Filter(ctx, me, id)
	if err != nil {
		return err
	}
	if len(f.Keywords) == 1 && len(f.Statuses) == 0 {
		return s.DeleteFilter(ctx, me, f.ID)
	}
	return s.DeleteFilterKeyword(ctx, me, k.ID)
}
