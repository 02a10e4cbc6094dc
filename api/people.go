package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// peopleRoutes are Mastodon's endpoints about people: private notes,
// removing a follower, several accounts or posts at once, familiar
// followers, endorsements, follow suggestions and the profile directory.
func (h *handler) peopleRoutes(r chi.Router) {
	r.With(publicRoute("read:accounts")).Get("/api/v1/accounts", h.accountsByIDs)
	r.With(publicRoute("read:statuses")).Get("/api/v1/statuses", h.statusesByIDs)
	r.With(requireUser("read:follows")).Get("/api/v1/accounts/familiar_followers", h.familiarFollowers)
	r.With(requireUser("write:accounts")).Post("/api/v1/accounts/{id}/note", h.accountNote)
	r.With(requireUser("write:follows")).Post("/api/v1/accounts/{id}/remove_from_followers", h.removeFromFollowers)
	// endorse/unendorse, and pin/unpin, their names before Mastodon 4.4.
	r.With(requireUser("write:accounts")).Post("/api/v1/accounts/{id}/endorse", h.endorse)
	r.With(requireUser("write:accounts")).Post("/api/v1/accounts/{id}/pin", h.endorse)
	r.With(requireUser("write:accounts")).Post("/api/v1/accounts/{id}/unendorse", h.unendorse)
	r.With(requireUser("write:accounts")).Post("/api/v1/accounts/{id}/unpin", h.unendorse)
	r.With(requireUser("read:accounts")).Get("/api/v1/endorsements", h.myEndorsements)
	r.With(publicRoute("read:accounts")).Get("/api/v1/accounts/{id}/endorsements", h.accountEndorsements)
	// As Mastodon 4: reading suggestions needs read:accounts, dismissing
	// one write:accounts (a read-only token changes nothing).
	r.With(requireUser("read:accounts")).Get("/api/v1/suggestions", h.suggestionsV1)
	r.With(requireUser("read:accounts")).Get("/api/v2/suggestions", h.suggestionsV2)
	r.With(requireUser("write:accounts")).Delete("/api/v1/suggestions/{id}", h.dismissSuggestion)
	r.With(publicRoute("read:accounts")).Get("/api/v1/directory", h.directory)
}

// maxIDsAsked is how many id[] a request reads, as Mastodon limits them.
const maxIDsAsked = 40

// idList reads up to maxIDsAsked ids of key[]; ids that are not numbers
// are skipped, as they name nothing.
func idList(p params, key string) []int64 {
	var ids []int64
	for _, s := range p.list(key) {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
		if len(ids) == maxIDsAsked {
			break
		}
	}
	return ids
}

// accountsByIDs is GET /api/v1/accounts?id[]=: the accounts that exist
// and are not suspended, others skipped.
func (h *handler) accountsByIDs(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	accts, err := h.social.AccountsByIDs(r.Context(), idList(p, "id"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeAccounts(w, r, accts, nil)
}

// statusesByIDs is GET /api/v1/statuses?id[]=: the posts the viewer may
// see, others skipped.
func (h *handler) statusesByIDs(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	sts, err := h.social.StatusesByIDs(r.Context(), me(r), idList(p, "id"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(me(r)).Statuses(r.Context(), sts))
}

// FamiliarFollowers is Mastodon's FamiliarFollowers entity.
type FamiliarFollowers struct {
	ID       string     `json:"id"`
	Accounts []*Account `json:"accounts"`
}

func (h *handler) familiarFollowers(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ffs, err := h.social.FamiliarFollowersOf(r.Context(), me(r), idList(p, "id"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(me(r))
	out := make([]FamiliarFollowers, 0, len(ffs))
	for _, ff := range ffs {
		e := FamiliarFollowers{ID: idString(ff.ID), Accounts: make([]*Account, 0, len(ff.Accounts))}
		for _, a := range ff.Accounts {
			e.Accounts = append(e.Accounts, pr.Account(r.Context(), a))
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) accountNote(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.relationAction(w, r, func(ctx context.Context, mine, other *storage.Account) error {
		return h.social.SetAccountNote(ctx, mine, other, p.str("comment"))
	})
}

func (h *handler) removeFromFollowers(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, h.social.RemoveFromFollowers)
}

func (h *handler) endorse(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, h.social.Endorse)
}

func (h *handler) unendorse(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, h.social.Unendorse)
}

func (h *handler) endorsementList(w http.ResponseWriter, r *http.Request, owner *storage.Account) {
	_, pg, ok := h.pageParams(w, r, 40, 80)
	if !ok {
		return
	}
	accts, cursors, err := h.social.Endorsements(r.Context(), owner, pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeAccounts(w, r, accts, cursors)
}

// myEndorsements is GET /api/v1/endorsements.
func (h *handler) myEndorsements(w http.ResponseWriter, r *http.Request) {
	h.endorsementList(w, r, me(r))
}

// accountEndorsements is GET /api/v1/accounts/:id/endorsements, public.
func (h *handler) accountEndorsements(w http.ResponseWriter, r *http.Request) {
	a, err := h.account(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.endorsementList(w, r, a)
}

func (h *handler) suggestions(w http.ResponseWriter, r *http.Request) ([]social.Suggestion, bool) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return nil, false
	}
	limit, err := intParam(p, "limit", 40)
	if err != nil {
		h.writeError(w, r, err)
		return nil, false
	}
	if limit <= 0 {
		limit = 40
	}
	sugs, err := h.social.Suggestions(r.Context(), me(r), min(limit, 80))
	if err != nil {
		h.writeError(w, r, err)
		return nil, false
	}
	return sugs, true
}

// suggestionsV1 is GET /api/v1/suggestions: the accounts alone.
func (h *handler) suggestionsV1(w http.ResponseWriter, r *http.Request) {
	sugs, ok := h.suggestions(w, r)
	if !ok {
		return
	}
	accts := make([]*storage.Account, 0, len(sugs))
	for _, s := range sugs {
		accts = append(accts, s.Account)
	}
	h.writeAccounts(w, r, accts, nil)
}

// Suggestion is Mastodon's Suggestion entity (v2).
type Suggestion struct {
	Source  string   `json:"source"` // deprecated by Mastodon, still read by apps
	Sources []string `json:"sources"`
	Account *Account `json:"account"`
}

// suggestionsV2 is GET /api/v2/suggestions: the accounts with why each is
// suggested.
func (h *handler) suggestionsV2(w http.ResponseWriter, r *http.Request) {
	sugs, ok := h.suggestions(w, r)
	if !ok {
		return
	}
	pr := h.presenter(me(r))
	out := make([]Suggestion, 0, len(sugs))
	for _, s := range sugs {
		// The deprecated source: "staff" for accounts the server puts
		// forward, "global" for the rest, as Mastodon maps its sources.
		source := "global"
		if s.Sources[0] == social.SuggestionFeatured {
			source = "staff"
		}
		out = append(out, Suggestion{Source: source, Sources: s.Sources, Account: pr.Account(r.Context(), s.Account)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) dismissSuggestion(w http.ResponseWriter, r *http.Request) {
	a, err := h.account(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.social.DismissSuggestion(r.Context(), me(r), a); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// directory is GET /api/v1/directory: discoverable accounts, with
// Mastodon's offset, limit (40, at most 80), order (active, the default,
// or new) and local, and Rounds' verified, profession, specialty,
// organisation and q (words in the name or bio).
func (h *handler) directory(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	o := social.DirectoryOptions{
		Active: p.str("order") != "new", Local: p.boolean("local"), Verified: p.boolean("verified"),
		Profession: strings.TrimSpace(p.str("profession")), Organisation: strings.TrimSpace(p.str("organisation")),
		Specialty: strings.TrimSpace(p.str("specialty")), Query: strings.TrimSpace(p.str("q")),
	}
	if o.Limit, err = intParam(p, "limit", 40); err != nil {
		h.writeError(w, r, err)
		return
	}
	if o.Limit <= 0 {
		o.Limit = 40
	}
	o.Limit = min(o.Limit, 80)
	if o.Offset, err = intParam(p, "offset", 0); err != nil {
		h.writeError(w, r, err)
		return
	}
	if o.Offset < 0 {
		h.writeError(w, r, errorf(http.StatusBadRequest, "offset must not be negative"))
		return
	}
	accts, err := h.social.Directory(r.Context(), me(r), o)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeAccounts(w, r, accts, nil)
}
