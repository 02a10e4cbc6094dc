package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// Poll is Mastodon's Poll entity. voted and own_votes are present only
// for a signed-in viewer, as on Mastodon.
type Poll struct {
	ID          string       `json:"id"`
	ExpiresAt   *string      `json:"expires_at"`
	Expired     bool         `json:"expired"`
	Multiple    bool         `json:"multiple"`
	VotesCount  int          `json:"votes_count"`
	VotersCount *int         `json:"voters_count"`
	Options     []PollOption `json:"options"`
	Emojis      []any        `json:"emojis"`
	Voted       *bool        `json:"voted,omitempty"`
	OwnVotes    *[]int       `json:"own_votes,omitempty"`
}

// PollOption is one option of a poll; votes_count is null while the
// totals are hidden.
type PollOption struct {
	Title      string `json:"title"`
	VotesCount *int   `json:"votes_count"`
}

func pollEntity(v *social.PollView) *Poll {
	if v == nil {
		return nil
	}
	voters := v.VotersCount
	out := &Poll{
		ID: idString(v.Poll.ID), Expired: v.Expired, Multiple: v.Poll.Multiple,
		VotesCount: v.VotesCount, VotersCount: &voters, Options: []PollOption{}, Emojis: []any{},
	}
	if v.Poll.ExpiresAt != nil {
		e := mastoTime(*v.Poll.ExpiresAt)
		out.ExpiresAt = &e
	}
	for i, title := range v.Options {
		o := PollOption{Title: title}
		if v.Tallies != nil {
			n := v.Tallies[i]
			o.VotesCount = &n
		}
		out.Options = append(out.Options, o)
	}
	if v.Viewer {
		voted, own := v.Voted, v.OwnVotes
		out.Voted, out.OwnVotes = &voted, &own
	}
	return out
}

// statusPoll is st's poll entity for the presenter's viewer, or nil.
func (p *present) statusPoll(ctx context.Context, st *storage.Status) *Poll {
	if p.polls != nil && p.preloaded(st.ID) {
		return pollEntity(p.polls[st.ID])
	}
	v, err := p.h.social.PollOf(ctx, p.me, st)
	if err != nil {
		p.h.log.Warn("load poll", "status", st.ID, "error", err)
		return nil
	}
	return pollEntity(v)
}

func (h *handler) pollRoutes(r chi.Router) {
	r.With(publicRoute("read:statuses")).Get("/api/v1/polls/{id}", h.idAction(func(r *http.Request, id int64, _ params) (any, error) {
		v, _, err := h.social.Poll(r.Context(), me(r), id)
		if err != nil {
			return nil, err
		}
		return pollEntity(v), nil
	}))
	r.With(requireUser("write:statuses")).Post("/api/v1/polls/{id}/votes", h.idAction(func(r *http.Request, id int64, p params) (any, error) {
		var choices []int
		for _, s := range p.list("choices") {
			c, err := strconv.Atoi(s)
			if err != nil {
				return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: choices must be option numbers")
			}
			choices = append(choices, c)
		}
		// A poll the viewer may not see is not found, before any other
		// answer.
		if _, _, err := h.social.Poll(r.Context(), me(r), id); err != nil {
			return nil, err
		}
		v, err := h.social.Vote(r.Context(), me(r), id, choices)
		if err != nil {
			return nil, err
		}
		return pollEntity(v), nil
	}))
}

// newPollFrom reads the poll[...] parameters of a post or an edit; nil
// when there is no poll.
func newPollFrom(p params) (*social.NewPoll, error) {
	opts := p.list("poll[options]")
	if len(opts) == 0 {
		if p.has("poll[expires_in]") {
			return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Poll options must have more than one item")
		}
		return nil, nil
	}
	in := &social.NewPoll{Options: opts, Multiple: p.boolean("poll[multiple]"), HideTotals: p.boolean("poll[hide_totals]")}
	s := p.str("poll[expires_in]")
	if s == "" {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Poll expires in can't be blank")
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n != float64(int(n)) {
		return nil, errorf(http.StatusUnprocessableEntity, "Validation failed: Poll expires in must be a whole number of seconds")
	}
	in.ExpiresIn = int(n)
	return in, nil
}
