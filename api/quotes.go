package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// Quote posts, as Mastodon 4.5 has them.
func (h *handler) quoteRoutes(r chi.Router) {
	r.With(requireUser("write:statuses")).Put("/api/v1/statuses/{id}/interaction_policy", h.statusInteractionPolicy)
	r.With(requireUser("read:statuses")).Get("/api/v1/statuses/{id}/quotes", h.statusQuotes)
	r.With(requireUser("write:statuses")).Post("/api/v1/statuses/{id}/quotes/{quoting_status_id}/revoke", h.revokeQuote)
}

// Quote is Mastodon's Quote entity: the state of a quote and the quoted
// post when it may be shown.
type Quote struct {
	State        string  `json:"state"`
	QuotedStatus *Status `json:"quoted_status"`
}

// ShallowQuote is Mastodon's ShallowQuote, the quote of a quoted post.
type ShallowQuote struct {
	State          string  `json:"state"`
	QuotedStatusID *string `json:"quoted_status_id"`
}

// QuoteApproval is Mastodon's QuoteApproval: who may quote a post, and how
// a quote by the viewer would be approved.
type QuoteApproval struct {
	Automatic   []string `json:"automatic"`
	Manual      []string `json:"manual"`
	CurrentUser string   `json:"current_user"`
}

type nestedQuoteKey struct{}

// quoteFieldsFrom reads quoted_status_id and quote_approval_policy.
func quoteFieldsFrom(p params, in *social.NewStatus) error {
	id, err := p.id("quoted_status_id")
	if err != nil {
		return err
	}
	in.QuotedStatusID, in.QuotePolicy = id, p.str("quote_approval_policy")
	return nil
}

// quoteOf renders what st quotes (nil when nothing) and its quote approval.
// A quoted post's own quote is shallow, as on Mastodon.
func (p *present) quoteOf(ctx context.Context, st *storage.Status) (any, *QuoteApproval) {
	policy, decision := p.h.social.QuoteApproval(ctx, p.me, st)
	approval := &QuoteApproval{Automatic: []string{}, Manual: []string{}, CurrentUser: decision}
	if st.Local {
		switch policy {
		case social.QuotePolicyPublic:
			approval.Automatic = []string{"public"}
		case social.QuotePolicyFollowers:
			approval.Automatic = []string{"followers"}
		}
	} else if st.Visibility == social.VisibilityPublic || st.Visibility == social.VisibilityUnlisted {
		approval.Manual = []string{"public"}
	}
	q := p.h.social.QuoteOf(ctx, p.me, st)
	if q == nil {
		return nil, approval
	}
	if ctx.Value(nestedQuoteKey{}) != nil {
		out := &ShallowQuote{State: q.State}
		if q.Quoted != nil {
			id := idString(q.Quoted.ID)
			out.QuotedStatusID = &id
		}
		return out, approval
	}
	out := &Quote{State: q.State}
	if q.Quoted != nil {
		out.QuotedStatus = p.Status(context.WithValue(ctx, nestedQuoteKey{}, true), q.Quoted)
	}
	return out, approval
}

func (h *handler) statusInteractionPolicy(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	st, err := h.social.SetQuotePolicy(r.Context(), u.Account, id, p.str("quote_approval_policy"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).Status(r.Context(), st))
}

func (h *handler) statusQuotes(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	_, pg, ok := h.pageParams(w, r, 20, 40)
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	sts, err := h.social.QuotesOf(r.Context(), u.Account, id, pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.linkStatuses(w, r, sts)
	writeJSON(w, http.StatusOK, h.presenter(u.Account).Statuses(r.Context(), sts))
}

func (h *handler) revokeQuote(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	quoting, _ := strconv.ParseInt(chi.URLParam(r, "quoting_status_id"), 10, 64)
	st, err := h.social.RevokeQuote(r.Context(), u.Account, id, quoting)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).Status(r.Context(), st))
}
