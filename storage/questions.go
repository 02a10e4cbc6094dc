package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Question is a post that asked a local clinician something: a mention or
// reply to them with a question mark or the organisation's question tag.
type Question struct {
	bun.BaseModel `bun:"table:questions,alias:q"`

	ID             int64     `bun:",pk"`
	AccountID      int64     `bun:",notnull"` // the clinician asked
	StatusID       int64     `bun:",notnull"` // the post that asks
	AskerID        int64     `bun:",notnull"`
	ThreadRootID   int64     `bun:",notnull"`
	AskedAt        time.Time `bun:",notnull"`
	AnsweredAt     *time.Time
	AnswerStatusID *int64
	DismissedAt    *time.Time

	Status *Status  `bun:"rel:belongs-to,join:status_id=id"`
	Asker  *Account `bun:"rel:belongs-to,join:asker_id=id"`
}

// Question states, as the API names them.
const (
	QuestionUnanswered = "unanswered"
	QuestionAnswered   = "answered"
	QuestionDismissed  = "dismissed"
)

// State is the question's state: answered once the clinician replied
// (whether or not they had dismissed it), else dismissed or unanswered.
func (q *Question) State() string {
	switch {
	case q.AnsweredAt != nil:
		return QuestionAnswered
	case q.DismissedAt != nil:
		return QuestionDismissed
	}
	return QuestionUnanswered
}

// InsertQuestion records q; a post already recorded as a question to the
// same clinician is left as it is.
func (qs queries) InsertQuestion(ctx context.Context, q *Question) error {
	if _, err := qs.w.NewInsert().Model(q).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("insert question: %w", err)
	}
	return nil
}

// AnswerQuestions marks answered, by answerID at t, the open questions to
// clinicianID that the post statusID is, and those asked by askerID in the
// thread rooted at rootID. It returns how many it marked.
func (qs queries) AnswerQuestions(ctx context.Context, clinicianID, statusID, askerID, rootID, answerID int64, t time.Time) (int64, error) {
	res, err := qs.w.NewUpdate().Model((*Question)(nil)).
		Set("answered_at = ?", t).Set("answer_status_id = ?", answerID).
		Where("account_id = ?", clinicianID).Where("answered_at IS NULL").
		Where("(status_id = ? OR (asker_id = ? AND thread_root_id = ?))", statusID, askerID, rootID).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("answer questions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// HasOpenQuestions reports whether any question to accountID waits for
// an answer (dismissed ones included, which a reply still answers).
func (qs queries) HasOpenQuestions(ctx context.Context, accountID int64) (bool, error) {
	return qs.r.NewSelect().Model((*Question)(nil)).Where("account_id = ?", accountID).Where("answered_at IS NULL").Exists(ctx)
}

// QuestionByID returns a question with its post and asker.
func (qs queries) QuestionByID(ctx context.Context, id int64) (*Question, error) {
	q := new(Question)
	err := qs.r.NewSelect().Model(q).Relation("Status").Relation("Status.Account").Relation("Asker").
		Where("q.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return q, nil
}

// SetQuestionDismissed sets or (nil) clears when the question was marked
// as needing no answer.
func (qs queries) SetQuestionDismissed(ctx context.Context, id int64, at *time.Time) error {
	_, err := qs.w.NewUpdate().Model((*Question)(nil)).Set("dismissed_at = ?", at).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("dismiss question: %w", err)
	}
	return nil
}

// questionsShown keeps the questions (alias q, asker accounts as asker,
// posts as status) a clinician is shown: not from suspended accounts, not
// between people who block each other, not from askers the clinician
// mutes, and not posts still waiting out their send delay.
func questionsShown(sel *bun.SelectQuery) *bun.SelectQuery {
	return sel.Where("asker.suspended_at IS NULL").
		Where("status.pending_until IS NULL").
		Where("NOT EXISTS (SELECT 1 FROM blocks AS b WHERE (b.account_id = q.account_id AND b.target_account_id = q.asker_id) OR (b.account_id = q.asker_id AND b.target_account_id = q.account_id))").
		Where("NOT EXISTS (SELECT 1 FROM mutes AS m WHERE m.account_id = q.account_id AND m.target_account_id = q.asker_id)")
}

// QuestionStateWhere is the condition of each question state.
var questionStateWhere = map[string]string{
	QuestionUnanswered: "q.answered_at IS NULL AND q.dismissed_at IS NULL",
	QuestionAnswered:   "q.answered_at IS NOT NULL",
	QuestionDismissed:  "q.answered_at IS NULL AND q.dismissed_at IS NOT NULL",
}

// Questions returns a page of the questions to accountID in state, with
// their posts and askers. Oldest first when ascending (from after
// p.MinID or p.SinceID; before p.MaxID alone gives the ones just before
// it), else newest first as Page orders.
func (qs queries) Questions(ctx context.Context, accountID int64, state string, ascending bool, p Page) ([]*Question, error) {
	cond, ok := questionStateWhere[state]
	if !ok {
		return nil, fmt.Errorf("question state %q", state)
	}
	var out []*Question
	sel := qs.r.NewSelect().Model(&out).Relation("Status").Relation("Status.Account").Relation("Asker").
		Where("q.account_id = ?", accountID).Where(cond)
	sel = questionsShown(sel)
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 80)
	reverse := false
	if ascending {
		if p.MaxID > 0 {
			sel = sel.Where("q.id < ?", p.MaxID)
		}
		if after := max(p.MinID, p.SinceID); after > 0 {
			sel = sel.Where("q.id > ?", after)
		}
		if p.MaxID > 0 && p.MinID == 0 && p.SinceID == 0 {
			sel, reverse = sel.OrderExpr("q.id DESC"), true
		} else {
			sel = sel.OrderExpr("q.id ASC")
		}
		sel = sel.Limit(int64(limit))
	} else {
		sel = p.apply(sel, "q.id")
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("questions: %w", err)
	}
	if reverse || (!ascending && p.MinID > 0) {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// QuestionsSince returns every question asked at or after since, without
// their posts, as shown to their clinicians (questionsShown), for
// statistics.
func (qs queries) QuestionsSince(ctx context.Context, since time.Time) ([]*Question, error) {
	var out []*Question
	sel := qs.r.NewSelect().Model(&out).
		Join("JOIN statuses AS status ON status.id = q.status_id").
		Join("JOIN accounts AS asker ON asker.id = q.asker_id").
		Where("q.asked_at >= ?", since).OrderExpr("q.id ASC")
	if err := questionsShown(sel).Scan(ctx); err != nil {
		return nil, fmt.Errorf("questions since: %w", err)
	}
	return out, nil
}
