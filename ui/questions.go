package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// Questions asked of a clinician: the public page /@name/questions (the
// oldest unanswered first, with how long each has waited; the clinician
// may mark one as needing no answer there), and the staff's figures at
// /admin/questions.

func (h *handler) questionRoutes(r chi.Router) {
	r.Get("/@{username}/questions", h.questionsPage)
	r.Post("/@{username}/questions/{id}/dismiss", h.questionDismiss(true))
	r.Post("/@{username}/questions/{id}/undismiss", h.questionDismiss(false))
	r.Get("/admin/questions", h.adminQuestions)
}

// questionCard is a question as the page shows it.
type questionCard struct {
	ID     int64
	Status statusCard
	Asked  string // when, in words
	Waited string // how long it waited for its answer, or has so far
	Answer string // the answer's page, when answered
}

// waitWords says a wait the way a person would: "3 minutes", "2 hours
// 5 minutes", "4 days".
func waitWords(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return plural(h, "hour")
		}
		return plural(h, "hour") + " " + plural(m, "minute")
	}
	return plural(int(d/(24*time.Hour)), "day")
}

// questionsPage is GET /@name/questions.
func (h *handler) questionsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := h.accountFor(ctx, chi.URLParam(r, "username"))
	if err != nil || !a.Local() || a.Suspended() {
		h.notFound(w, r)
		return
	}
	var viewer *storage.Account
	csrf := ""
	if sess, err := h.browserSession(r); err == nil && sess != nil {
		viewer, csrf = sess.User.Account, sess.CSRFToken
	}
	own := viewer != nil && viewer.ID == a.ID
	now := time.Now()
	cards := func(state string, limit int) ([]questionCard, error) {
		qs, err := h.social.PublicQuestions(ctx, viewer, a, state, limit)
		if err != nil {
			return nil, err
		}
		out := make([]questionCard, len(qs))
		for i, q := range qs {
			out[i] = questionCard{ID: q.ID, Status: h.statusCard(ctx, viewer, csrf, q.Status),
				Asked: q.AskedAt.UTC().Format("2 Jan 2006 15:04 UTC"), Waited: waitWords(social.QuestionWait(q, now))}
			if q.AnswerStatusID != nil {
				out[i].Answer = fmt.Sprintf("/@%s/%d", a.Username, *q.AnswerStatusID)
			}
		}
		return out, nil
	}
	data := map[string]any{"Account": a, "Handle": h.handle(a), "Own": own}
	unanswered, err := cards(storage.QuestionUnanswered, 50)
	if err == nil {
		data["Unanswered"] = unanswered
		data["Answered"], err = cards(storage.QuestionAnswered, 20)
	}
	if err == nil && own {
		data["Dismissed"], err = cards(storage.QuestionDismissed, 20)
	}
	if err != nil {
		h.notFound(w, r)
		return
	}
	h.render(w, r, http.StatusOK, "questions", data)
}

// questionDismiss is POST /@name/questions/:id/dismiss (or undismiss), by
// the clinician asked.
func (h *handler) questionDismiss(dismiss bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, _ := h.postedForm(w, r)
		if sess == nil {
			return
		}
		id, _ := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
		if _, err := h.social.SetQuestionDismissed(r.Context(), sess.User.Account, id, dismiss); err != nil {
			h.problem(w, r, http.StatusNotFound, "That question is not yours to mark, or it has been answered.")
			return
		}
		http.Redirect(w, r, "/@"+sess.User.Account.Username+"/questions", http.StatusSeeOther)
	}
}

// questionFigures is a row of the staff's figures.
type questionFigures struct {
	Name, Handle, URL   string
	Questions, Answered int
	Dismissed           int
	Share, Median       string
}

// adminQuestions is GET /admin/questions: per clinician and for the
// organisation, the questions of the last 30 days, the share answered and
// the median time to the first answer.
func (h *handler) adminQuestions(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermModerate)
	if sess == nil {
		return
	}
	org, per, err := h.social.QuestionStats(r.Context(), social.StaffActor(sess.User))
	if err != nil {
		h.adminFailed(w, r, "admin questions", err)
		return
	}
	row := func(st *social.QuestionStats) questionFigures {
		f := questionFigures{Questions: st.Questions, Answered: st.Answered, Dismissed: st.Dismissed,
			Share: "–", Median: "–"}
		if st.Questions > st.Dismissed {
			f.Share = fmt.Sprintf("%.0f%%", st.ShareAnswered*100)
		}
		if st.MedianWait != nil {
			f.Median = waitWords(*st.MedianWait)
		}
		if st.Account != nil {
			f.Name, f.Handle, f.URL = st.Account.DisplayName, h.handle(st.Account), "/@"+st.Account.Username+"/questions"
			if f.Name == "" {
				f.Name = st.Account.Username
			}
		}
		return f
	}
	rows := make([]questionFigures, len(per))
	for i, st := range per {
		rows[i] = row(st)
	}
	h.renderAdmin(w, r, sess, "admin_questions", "/admin/questions", map[string]any{
		"Organisation": row(org), "Clinicians": rows, "Since": org.Since.UTC().Format("2 January 2006"),
	})
}
