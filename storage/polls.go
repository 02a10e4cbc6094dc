package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Poll is the poll of a status, local or remote.
type Poll struct {
	bun.BaseModel `bun:"table:polls,alias:pl"`

	ID        int64 `bun:",pk"`
	StatusID  int64 `bun:",notnull"`
	AccountID int64 `bun:",notnull"` // the status's author
	Local     bool  `bun:",notnull"`
	// Options are the titles and Tallies the votes of each, in order;
	// stored as JSON arrays.
	OptionsJSON string `bun:"options,notnull"`
	TalliesJSON string `bun:"tallies,notnull"`
	Multiple    bool   `bun:",notnull"`
	HideTotals  bool   `bun:",notnull"`
	VotersCount int    `bun:",notnull"`
	ExpiresAt   *time.Time
	// ClosedAt is when the poll was closed and its voters told.
	ClosedAt     *time.Time
	UpdateQueued bool      `bun:",notnull"`
	CreatedAt    time.Time `bun:",notnull"`
}

// Options returns the option titles.
func (p *Poll) Options() []string {
	var out []string
	_ = json.Unmarshal([]byte(p.OptionsJSON), &out)
	return out
}

// Tallies returns the votes of each option, as many as there are options.
func (p *Poll) Tallies() []int {
	var out []int
	_ = json.Unmarshal([]byte(p.TalliesJSON), &out)
	n := len(p.Options())
	for len(out) < n {
		out = append(out, 0)
	}
	return out[:n]
}

// SetOptions sets the titles, and tallies (zero when nil).
func (p *Poll) SetOptions(options []string, tallies []int) {
	if tallies == nil {
		tallies = make([]int, len(options))
	}
	o, _ := json.Marshal(options)
	t, _ := json.Marshal(tallies)
	p.OptionsJSON, p.TalliesJSON = string(o), string(t)
}

// Expired reports whether the poll has ended at now.
func (p *Poll) Expired(now time.Time) bool {
	return p.ClosedAt != nil || (p.ExpiresAt != nil && !p.ExpiresAt.After(now))
}

// PollVote is one account's vote for one option of a poll.
type PollVote struct {
	bun.BaseModel `bun:"table:poll_votes,alias:pv"`

	ID        int64     `bun:",pk"`
	PollID    int64     `bun:",notnull"`
	AccountID int64     `bun:",notnull"`
	Choice    int       `bun:",notnull"`
	URI       string    `bun:"uri,notnull"`
	CreatedAt time.Time `bun:",notnull"`
}

// InsertPoll stores p.
func (q queries) InsertPoll(ctx context.Context, p *Poll) error {
	if _, err := q.w.NewInsert().Model(p).Exec(ctx); err != nil {
		return fmt.Errorf("insert poll: %w", err)
	}
	return nil
}

func (q queries) pollWhere(ctx context.Context, where string, arg any) (*Poll, error) {
	p := new(Poll)
	if err := q.r.NewSelect().Model(p).Where(where, arg).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return p, nil
}

// PollByID returns a poll.
func (q queries) PollByID(ctx context.Context, id int64) (*Poll, error) {
	return q.pollWhere(ctx, "id = ?", id)
}

// PollByStatusID returns the poll of a status.
func (q queries) PollByStatusID(ctx context.Context, statusID int64) (*Poll, error) {
	return q.pollWhere(ctx, "status_id = ?", statusID)
}

// PollsByStatusIDs returns the polls of the statuses that have one, by
// status id.
func (q queries) PollsByStatusIDs(ctx context.Context, statusIDs []int64) (map[int64]*Poll, error) {
	out := map[int64]*Poll{}
	if len(statusIDs) == 0 {
		return out, nil
	}
	var ps []*Poll
	if err := q.scanAllP(ctx, stmtPollsOfStatuses, &ps, IDs(statusIDs)); err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.StatusID] = p
	}
	return out, nil
}

var stmtPollsOfStatuses = prepareRead(selectSQL((*Poll)(nil), "WHERE status_id {ids}"))

// UpdatePoll saves p's options, tallies, settings, expiry and closing.
func (q queries) UpdatePoll(ctx context.Context, p *Poll) error {
	_, err := q.w.NewUpdate().Model(p).Column("options", "tallies", "multiple", "hide_totals", "voters_count", "expires_at", "closed_at").WherePK().Exec(ctx)
	return err
}

// DeletePoll removes a poll and its votes.
func (q queries) DeletePoll(ctx context.Context, id int64) error {
	if _, err := q.w.NewDelete().Model((*PollVote)(nil)).Where("poll_id = ?", id).Exec(ctx); err != nil {
		return err
	}
	_, err := q.w.NewDelete().Model((*Poll)(nil)).Where("id = ?", id).Exec(ctx)
	return err
}

// DeletePollVotes removes every vote of a poll (its options changed).
func (q queries) DeletePollVotes(ctx context.Context, pollID int64) error {
	_, err := q.w.NewDelete().Model((*PollVote)(nil)).Where("poll_id = ?", pollID).Exec(ctx)
	return err
}

// PollChoices returns the options accountID voted for in a poll, in order.
func (q queries) PollChoices(ctx context.Context, pollID, accountID int64) ([]int, error) {
	var out []int
	err := q.r.NewSelect().Model((*PollVote)(nil)).Column("choice").
		Where("poll_id = ? AND account_id = ?", pollID, accountID).OrderExpr("choice").Scan(ctx, &out)
	return out, err
}

// PollChoicesOf returns accountID's choices in each of several polls, by
// poll id (polls it did not vote in are absent).
func (q queries) PollChoicesOf(ctx context.Context, pollIDs []int64, accountID int64) (map[int64][]int, error) {
	out := map[int64][]int{}
	if len(pollIDs) == 0 || accountID == 0 {
		return out, nil
	}
	var vs []*PollVote
	if err := q.r.NewSelect().Model(&vs).Where("poll_id IN (?) AND account_id = ?", bun.In(pollIDs), accountID).OrderExpr("choice").Scan(ctx); err != nil {
		return nil, err
	}
	for _, v := range vs {
		out[v.PollID] = append(out[v.PollID], v.Choice)
	}
	return out, nil
}

// HasVoted reports whether accountID has voted in a poll; read inside
// the writer's transaction.
func (q queries) HasVoted(ctx context.Context, pollID, accountID int64) (bool, error) {
	return q.w.NewSelect().Model((*PollVote)(nil)).Where("poll_id = ? AND account_id = ?", pollID, accountID).Exists(ctx)
}

// InsertPollVote stores a vote; the same account choosing the same option
// twice gives ErrConflict.
func (q queries) InsertPollVote(ctx context.Context, v *PollVote) error {
	res, err := q.w.NewInsert().Model(v).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("insert poll vote: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("vote for option %d: %w", v.Choice, ErrConflict)
	}
	return nil
}

// RecountPoll counts a poll's tallies and voters from its votes, for a
// poll whose votes are all here (a local one), and saves them.
func (q queries) RecountPoll(ctx context.Context, p *Poll) error {
	var rows []struct {
		Choice int `bun:"choice"`
		N      int `bun:"n"`
	}
	if err := q.w.NewSelect().Model((*PollVote)(nil)).ColumnExpr("choice, count(*) AS n").
		Where("poll_id = ?", p.ID).GroupExpr("choice").Scan(ctx, &rows); err != nil {
		return err
	}
	tallies := make([]int, len(p.Options()))
	for _, r := range rows {
		if r.Choice >= 0 && r.Choice < len(tallies) {
			tallies[r.Choice] = r.N
		}
	}
	var voters int
	if err := q.w.NewSelect().Model((*PollVote)(nil)).ColumnExpr("count(DISTINCT account_id)").
		Where("poll_id = ?", p.ID).Scan(ctx, &voters); err != nil {
		return err
	}
	p.SetOptions(p.Options(), tallies)
	p.VotersCount = voters
	_, err := q.w.NewUpdate().Model(p).Column("tallies", "voters_count").WherePK().Exec(ctx)
	return err
}

// PollVoterIDs returns the accounts that voted in a poll.
func (q queries) PollVoterIDs(ctx context.Context, pollID int64) ([]int64, error) {
	var ids []int64
	err := q.w.NewSelect().Model((*PollVote)(nil)).ColumnExpr("DISTINCT account_id").
		Where("poll_id = ?", pollID).Scan(ctx, &ids)
	return ids, err
}

// ClosePoll marks a poll closed at t; it reports false when it was closed
// already.
func (q queries) ClosePoll(ctx context.Context, p *Poll, t time.Time) (bool, error) {
	res, err := q.w.NewUpdate().Model((*Poll)(nil)).Set("closed_at = ?", t).
		Where("id = ? AND closed_at IS NULL", p.ID).Exec(ctx)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	p.ClosedAt = &t
	return true, nil
}

// QueuePollUpdate marks that an Update with a poll's new counts is to be
// sent; it reports false when one is queued already.
func (q queries) QueuePollUpdate(ctx context.Context, pollID int64) (bool, error) {
	res, err := q.w.NewUpdate().Model((*Poll)(nil)).Set("update_queued = ?", true).
		Where("id = ? AND update_queued = ?", pollID, false).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// TakePollUpdate clears a poll's queued Update, as it is being sent.
func (q queries) TakePollUpdate(ctx context.Context, pollID int64) error {
	_, err := q.w.NewUpdate().Model((*Poll)(nil)).Set("update_queued = ?", false).Where("id = ?", pollID).Exec(ctx)
	return err
}

// KeepEditPoll records, on the version of statusID that its latest edit
// kept, the poll options it had.
func (q queries) KeepEditPoll(ctx context.Context, statusID int64, optionsJSON string) error {
	last := q.w.NewSelect().Model((*StatusEdit)(nil)).ColumnExpr("max(id)").Where("status_id = ?", statusID)
	_, err := q.w.NewUpdate().Model((*StatusEdit)(nil)).Set("poll_options = ?", optionsJSON).Where("id = (?)", last).Exec(ctx)
	return err
}

// SetPollExpiry moves a poll's end (tests use it to end a poll now).
func (q queries) SetPollExpiry(ctx context.Context, pollID int64, t time.Time) error {
	_, err := q.w.NewUpdate().Model((*Poll)(nil)).Set("expires_at = ?", t).Where("id = ?", pollID).Exec(ctx)
	return err
}

// LockPoll holds poll id until tx ends, so that two votes by one account
// cannot both pass the "not voted yet" check. SQLite needs nothing: its
// transactions already take the write lock when they begin.
func (tx Tx) LockPoll(ctx context.Context, id int64) error {
	if tx.dialect != Postgres {
		return nil
	}
	var got int64
	return notFound(tx.tx.NewSelect().Model((*Poll)(nil)).Column("id").Where("id = ?", id).For("UPDATE").Scan(ctx, &got))
}
