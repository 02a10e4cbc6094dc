package social

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"rounds/storage"
	"rounds/storage/posttext"
)

// Questions people ask clinicians: a mention or reply to a local clinician
// that asks something (a question mark, or the organisation's question tag)
// is recorded as it arrives, in the transaction that stores it (a local
// post when it is published, after its send delay), and is answered when
// the clinician's reply to it, or to its asker in the same thread, is
// published. Questions from accounts the clinician blocks, mutes or is
// blocked by, from suspended accounts, and posts the clinician may not see
// are left out.

// QuestionStatsWindow is how far back QuestionStats looks.
const QuestionStatsWindow = 30 * 24 * time.Hour

// maxQuestionThreadWalk bounds how many ancestors are read to find a thread's root.
const maxQuestionThreadWalk = 50

// validQuestionTag checks an organisation's question tag: letters, digits
// and underscores, as hashtags are written.
func validQuestionTag(tag string) error {
	if tag == "" {
		return nil
	}
	if utf8.RuneCountInString(tag) > 50 {
		return invalid("question_tag", "must be at most 50 characters")
	}
	for _, r := range tag {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return invalid("question_tag", "must be a hashtag of letters, digits and underscores, such as AskAClinician")
		}
	}
	return nil
}

// asksQuestion reports whether text asks something: a question mark
// outside links and addresses, or the hashtag tag (any case).
func asksQuestion(text, tag string) bool {
	for _, word := range strings.Fields(text) {
		lower := strings.ToLower(word)
		if strings.Contains(lower, "://") || strings.HasPrefix(lower, "www.") {
			continue // a link's query string asks nothing
		}
		if strings.ContainsAny(word, "?？¿") {
			return true
		}
		if tag != "" && strings.HasPrefix(word, "#") {
			name := strings.TrimRightFunc(word[1:], func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' })
			if strings.EqualFold(name, tag) {
				return true
			}
		}
	}
	return false
}

// questionText is the words of st that may ask something.
func questionText(st *storage.Status) string {
	if st.Local && st.Text != "" {
		return st.SpoilerText + "\n" + st.Text
	}
	return posttext.Of(st.SpoilerText, st.Content)
}

// threadRoot returns the id of the first known post of st's thread.
func threadRoot(ctx context.Context, tx storage.Tx, st *storage.Status) int64 {
	root := st
	for i := 0; i < maxQuestionThreadWalk && root.InReplyToID != nil; i++ {
		parent, err := tx.StatusByID(ctx, *root.InReplyToID)
		if err != nil {
			break
		}
		root = parent
	}
	return root.ID
}

// recordQuestions records st, just stored or published, as a question to
// each local account among mentioned that it asks. Called inside the
// transaction that stores (or publishes) st.
func (s *Service) recordQuestions(ctx context.Context, tx storage.Tx, st *storage.Status, mentioned []int64) error {
	if len(mentioned) == 0 || st.ReblogOfID != nil || st.Pending() {
		return nil
	}
	settings, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	if !asksQuestion(questionText(st), settings.QuestionTag) {
		return nil
	}
	asker, err := tx.AccountByID(ctx, st.AccountID)
	if err != nil || asker.Suspended() {
		return nil
	}
	root := int64(0)
	for _, id := range mentioned {
		if id == asker.ID {
			continue
		}
		clinician, err := tx.AccountByID(ctx, id)
		if err != nil || !clinician.Local() || clinician.Suspended() || clinician.Username == InstanceActorUsername {
			continue
		}
		if _, err := tx.BlockBetween(ctx, clinician.ID, asker.ID); err == nil {
			continue
		}
		if _, err := tx.BlockBetween(ctx, asker.ID, clinician.ID); err == nil {
			continue
		}
		if muted, _ := tx.Muting(ctx, clinician.ID, asker.ID); muted {
			continue
		}
		if !mayView(ctx, tx, clinician, st) {
			continue
		}
		if root == 0 {
			root = threadRoot(ctx, tx, st)
		}
		q := &storage.Question{ID: storage.NewID(), AccountID: clinician.ID, StatusID: st.ID, AskerID: asker.ID,
			ThreadRootID: root, AskedAt: s.now()}
		if err := tx.InsertQuestion(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// answerQuestions marks answered what st, a local post just published,
// answers: the question it replies to, and the questions its parent's
// author asked its author in the same thread.
func (s *Service) answerQuestions(ctx context.Context, tx storage.Tx, st *storage.Status) error {
	if !st.Local || st.InReplyToID == nil || st.ReblogOfID != nil {
		return nil
	}
	// Most replies answer nothing: spare them the walk up the thread.
	if open, err := tx.HasOpenQuestions(ctx, st.AccountID); err != nil || !open {
		return err
	}
	parent, err := tx.StatusByID(ctx, *st.InReplyToID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = tx.AnswerQuestions(ctx, st.AccountID, parent.ID, parent.AccountID, threadRoot(ctx, tx, parent), st.ID, s.now())
	return err
}

// questionsOnPublish records the questions a local post asks and marks
// answered those it answers, as it is published.
func (s *Service) questionsOnPublish(ctx context.Context, tx storage.Tx, st *storage.Status, mentioned []int64) error {
	if err := s.recordQuestions(ctx, tx, st, mentioned); err != nil {
		return err
	}
	return s.answerQuestions(ctx, tx, st)
}

// QuestionWait is how long q waited for its answer, or has waited so far.
func QuestionWait(q *storage.Question, now time.Time) time.Duration {
	end := now
	if q.AnsweredAt != nil {
		end = *q.AnsweredAt
	}
	return max(end.Sub(q.AskedAt), 0)
}

// ValidQuestionState reports whether state names a question state.
func ValidQuestionState(state string) bool {
	return state == storage.QuestionUnanswered || state == storage.QuestionAnswered || state == storage.QuestionDismissed
}

// questionsAscending says in which order a state's questions are listed:
// unanswered ones oldest first (the longest waiting at the top), the
// others newest first.
func questionsAscending(state string) bool { return state == storage.QuestionUnanswered }

// QuestionsAscending reports whether the questions in state are listed
// oldest first.
func QuestionsAscending(state string) bool { return questionsAscending(state) }

// Questions returns a page of the questions asked of me in state:
// unanswered ones oldest first, answered and dismissed ones newest first.
func (s *Service) Questions(ctx context.Context, me *storage.Account, state string, p storage.Page) ([]*storage.Question, error) {
	if !ValidQuestionState(state) {
		return nil, invalid("state", "must be unanswered, answered or dismissed")
	}
	return s.db.Questions(ctx, me.ID, state, questionsAscending(state), p)
}

// PublicQuestions returns the questions asked of clinician in state that
// viewer (nil: anonymous) may see, for their public questions page.
// Dismissed questions are for the clinician alone.
func (s *Service) PublicQuestions(ctx context.Context, viewer, clinician *storage.Account, state string, limit int) ([]*storage.Question, error) {
	if !clinician.Local() || clinician.Suspended() {
		return nil, ErrNotFound
	}
	if state == storage.QuestionDismissed && (viewer == nil || viewer.ID != clinician.ID) {
		return nil, ErrForbidden
	}
	if viewer != nil {
		if _, err := s.db.BlockBetween(ctx, clinician.ID, viewer.ID); err == nil {
			return nil, ErrNotFound
		}
	}
	var out []*storage.Question
	p := storage.Page{Limit: 80}
	ascending := questionsAscending(state)
	for round := 0; round < 4 && len(out) < limit; round++ {
		qs, err := s.Questions(ctx, clinician, state, p)
		if err != nil {
			return nil, err
		}
		for _, q := range qs {
			if len(out) < limit && s.MayView(ctx, viewer, q.Status) {
				out = append(out, q)
			}
		}
		if len(qs) < 80 {
			break
		}
		if ascending {
			p.MinID = qs[len(qs)-1].ID
		} else {
			p.MaxID = qs[len(qs)-1].ID
		}
	}
	return out, nil
}

// SetQuestionDismissed marks the question id, asked of me, as needing no
// answer, or (dismiss false) as waiting for one again. An answered
// question stays answered.
func (s *Service) SetQuestionDismissed(ctx context.Context, me *storage.Account, id int64, dismiss bool) (*storage.Question, error) {
	q, err := s.db.QuestionByID(ctx, id)
	if err != nil || q.AccountID != me.ID {
		return nil, ErrNotFound
	}
	if q.AnsweredAt != nil {
		return nil, invalid("", "This question has been answered already")
	}
	var at *time.Time
	if dismiss {
		now := s.now()
		at = &now
		if q.DismissedAt != nil {
			at = q.DismissedAt
		}
	}
	if err := s.db.SetQuestionDismissed(ctx, id, at); err != nil {
		return nil, err
	}
	q.DismissedAt = at
	return q, nil
}

// QuestionStats are the figures of the questions asked of one clinician,
// or of everyone, over QuestionStatsWindow.
type QuestionStats struct {
	Account   *storage.Account // nil for the organisation
	Questions int              // asked
	Answered  int
	Dismissed int
	// ShareAnswered is Answered over the questions not dismissed (0 when
	// there are none).
	ShareAnswered float64
	// MedianWait is the median time to the first answer of the answered
	// questions; nil when none was answered.
	MedianWait *time.Duration
	// Since is where the window starts.
	Since time.Time
}

// QuestionStats returns, for staff, the organisation's figures and each
// asked clinician's (most questions first) over the last 30 days.
func (s *Service) QuestionStats(ctx context.Context, a Actor) (*QuestionStats, []*QuestionStats, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, nil, err
	}
	since := s.now().Add(-QuestionStatsWindow)
	qs, err := s.db.QuestionsSince(ctx, since)
	if err != nil {
		return nil, nil, err
	}
	byAccount := map[int64][]*storage.Question{}
	for _, q := range qs {
		byAccount[q.AccountID] = append(byAccount[q.AccountID], q)
	}
	org := questionStats(qs, since)
	ids := make([]int64, 0, len(byAccount))
	for id := range byAccount {
		ids = append(ids, id)
	}
	accounts, err := s.db.AccountsByIDs(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	per := make([]*QuestionStats, 0, len(accounts))
	for _, acc := range accounts {
		st := questionStats(byAccount[acc.ID], since)
		st.Account = acc
		per = append(per, st)
	}
	sort.SliceStable(per, func(i, j int) bool {
		if per[i].Questions != per[j].Questions {
			return per[i].Questions > per[j].Questions
		}
		return per[i].Account.Username < per[j].Account.Username
	})
	return org, per, nil
}

func questionStats(qs []*storage.Question, since time.Time) *QuestionStats {
	out := &QuestionStats{Questions: len(qs), Since: since}
	var waits []time.Duration
	for _, q := range qs {
		switch q.State() {
		case storage.QuestionAnswered:
			out.Answered++
			waits = append(waits, QuestionWait(q, q.AskedAt))
		case storage.QuestionDismissed:
			out.Dismissed++
		}
	}
	if needed := out.Questions - out.Dismissed; needed > 0 {
		out.ShareAnswered = float64(out.Answered) / float64(needed)
	}
	if len(waits) > 0 {
		slices.Sort(waits)
		m := waits[len(waits)/2]
		if len(waits)%2 == 0 {
			m = (waits[len(waits)/2-1] + waits[len(waits)/2]) / 2
		}
		out.MedianWait = &m
	}
	return out
}
