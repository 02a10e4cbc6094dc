package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// roundsQuestionRoutes mounts the Rounds extension for questions asked of
// clinicians: their own list, dismissing, and the staff's figures.
func (h *handler) roundsQuestionRoutes(r chi.Router) {
	r.With(requireUser("read:statuses")).Get("/api/v1/rounds/questions", h.questions)
	r.With(requireUser("write:statuses")).Post("/api/v1/rounds/questions/{id}/dismiss", h.dismissQuestion(true))
	r.With(requireUser("write:statuses")).Post("/api/v1/rounds/questions/{id}/undismiss", h.dismissQuestion(false))
	r.With(requireStaff("admin:read", social.PermModerate)).Get("/api/v1/rounds/admin/questions/stats", h.questionStats)
}

// Question is a post that asked the clinician something.
type Question struct {
	ID          string  `json:"id"`
	State       string  `json:"state"` // unanswered, answered or dismissed
	AskedAt     string  `json:"asked_at"`
	AnsweredAt  *string `json:"answered_at"`
	DismissedAt *string `json:"dismissed_at"`
	// WaitSeconds is how long it waited for its answer, or has waited so
	// far.
	WaitSeconds    int64    `json:"wait_seconds"`
	AnswerStatusID *string  `json:"answer_status_id"`
	Account        *Account `json:"account"` // who asked
	Status         *Status  `json:"status"`
}

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := mastoTime(*t)
	return &s
}

func (h *handler) questionEntity(r *http.Request, p *present, q *storage.Question) Question {
	out := Question{ID: idString(q.ID), State: q.State(), AskedAt: mastoTime(q.AskedAt),
		AnsweredAt: optTime(q.AnsweredAt), DismissedAt: optTime(q.DismissedAt),
		WaitSeconds:    int64(social.QuestionWait(q, time.Now()).Seconds()),
		AnswerStatusID: optID(q.AnswerStatusID)}
	if q.Asker != nil {
		out.Account = p.Account(r.Context(), q.Asker)
	}
	if q.Status != nil {
		out.Status = p.Status(r.Context(), q.Status)
	}
	return out
}

func (h *handler) questions(w http.ResponseWriter, r *http.Request) {
	p, page, ok := h.pageParams(w, r, 20, 80)
	if !ok {
		return
	}
	state := p.str("state")
	if state == "" {
		state = storage.QuestionUnanswered
	}
	qs, err := h.social.Questions(r.Context(), me(r), state, page)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(me(r))
	out := make([]Question, len(qs))
	for i, q := range qs {
		out[i] = h.questionEntity(r, pr, q)
	}
	if len(qs) > 0 {
		first, last := qs[0].ID, qs[len(qs)-1].ID
		if social.QuestionsAscending(state) {
			// Oldest first: the next page is after the last (min_id), the
			// previous one before the first (max_id).
			setLinkPair(w, r, h.social.BaseURL(), "min_id", last, "max_id", first)
		} else {
			setLink(w, r, h.social.BaseURL(), first, last, len(qs))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// setLinkPair writes a Link header whose next page is nextKey=nextID and
// previous page prevKey=prevID, the other query parameters kept.
func setLinkPair(w http.ResponseWriter, r *http.Request, base, nextKey string, nextID int64, prevKey string, prevID int64) {
	mk := func(key string, id int64) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			if k == "max_id" || k == "min_id" || k == "since_id" {
				continue
			}
			q[k] = v
		}
		q.Set(key, strconv.FormatInt(id, 10))
		return "<" + base + r.URL.Path + "?" + q.Encode() + ">"
	}
	w.Header().Set("Link", strings.Join([]string{mk(nextKey, nextID) + `; rel="next"`, mk(prevKey, prevID) + `; rel="prev"`}, ", "))
}

func (h *handler) dismissQuestion(dismiss bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		q, err := h.social.SetQuestionDismissed(r.Context(), me(r), id, dismiss)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, h.questionEntity(r, h.presenter(me(r)), q))
	}
}

// QuestionFigures are the question figures of a clinician or of the
// organisation over the window.
type QuestionFigures struct {
	Account           *Account `json:"account"` // null for the organisation
	Questions         int      `json:"questions"`
	Answered          int      `json:"answered"`
	Dismissed         int      `json:"dismissed"`
	ShareAnswered     float64  `json:"share_answered"`
	MedianWaitSeconds *int64   `json:"median_wait_seconds"`
}

func (h *handler) questionStats(w http.ResponseWriter, r *http.Request) {
	org, per, err := h.social.QuestionStats(r.Context(), staffActor(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(me(r))
	figures := func(st *social.QuestionStats) QuestionFigures {
		f := QuestionFigures{Questions: st.Questions, Answered: st.Answered, Dismissed: st.Dismissed, ShareAnswered: st.ShareAnswered}
		if st.MedianWait != nil {
			s := int64(st.MedianWait.Seconds())
			f.MedianWaitSeconds = &s
		}
		if st.Account != nil {
			f.Account = pr.Account(r.Context(), st.Account)
		}
		return f
	}
	accounts := make([]QuestionFigures, len(per))
	for i, st := range per {
		accounts[i] = figures(st)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"since":        mastoTime(org.Since),
		"window_days":  int(social.QuestionStatsWindow / (24 * time.Hour)),
		"organisation": figures(org),
		"accounts":     accounts,
	})
}
