package social

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// Limits of a local poll, as the instance advertises them.
const (
	MaxPollOptions          = 4
	MaxPollOptionCharacters = 50
	MinPollExpiry           = 300     // seconds
	MaxPollExpiry           = 2629746 // seconds (a month)
)

// maxRemotePollOptions bounds what is kept of a remote poll.
const maxRemotePollOptions = 20

// maxRemotePollOptionRunes bounds each remote option's title.
const maxRemotePollOptionRunes = 500

// NotifyPoll tells the author and the voters that a poll has ended.
const NotifyPoll = "poll"

// pollUpdateDelay is how long a local poll's new counts wait before one
// Update carries them out, so that a burst of votes makes one Update.
const pollUpdateDelay = 2 * time.Second

// NewPoll is the poll a local author attaches to a status.
type NewPoll struct {
	Options    []string
	ExpiresIn  int // seconds
	Multiple   bool
	HideTotals bool
}

// validatePoll checks a local poll as Mastodon does.
func validatePoll(p *NewPoll, withMedia bool) error {
	if withMedia {
		return invalid("", "a poll cannot be combined with media attachments")
	}
	for i := range p.Options {
		p.Options[i] = strings.TrimSpace(p.Options[i])
	}
	switch {
	case len(p.Options) < 2:
		return invalid("poll options", "must have more than one item")
	case len(p.Options) > MaxPollOptions:
		return invalid("poll options", fmt.Sprintf("can't contain more than %d items", MaxPollOptions))
	}
	seen := map[string]bool{}
	for _, o := range p.Options {
		if o == "" {
			return invalid("poll options", "can't be blank")
		}
		if utf8.RuneCountInString(o) > MaxPollOptionCharacters {
			return invalid("poll options", fmt.Sprintf("cannot be longer than %d characters each", MaxPollOptionCharacters))
		}
		if seen[o] {
			return invalid("poll options", "must not contain duplicate items")
		}
		seen[o] = true
	}
	switch {
	case p.ExpiresIn < MinPollExpiry:
		return invalid("poll expiration", fmt.Sprintf("is too soon (at least %d seconds)", MinPollExpiry))
	case p.ExpiresIn > MaxPollExpiry:
		return invalid("poll expiration", fmt.Sprintf("is too far into the future (at most %d seconds)", MaxPollExpiry))
	}
	return nil
}

// insertLocalPoll stores the poll of local status st, which starts at
// start, and queues the job that closes it.
func (s *Service) insertLocalPoll(ctx context.Context, tx storage.Tx, st *storage.Status, in *NewPoll, start time.Time) error {
	exp := start.Add(time.Duration(in.ExpiresIn) * time.Second)
	p := &storage.Poll{
		ID: storage.NewID(), StatusID: st.ID, AccountID: st.AccountID, Local: true,
		Multiple: in.Multiple, HideTotals: in.HideTotals, ExpiresAt: &exp, CreatedAt: s.now(),
	}
	p.SetOptions(in.Options, nil)
	if err := tx.InsertPoll(ctx, p); err != nil {
		return err
	}
	return s.scheduleClose(ctx, tx, p)
}

// scheduleClose queues the job that closes p when it expires.
func (s *Service) scheduleClose(ctx context.Context, tx storage.Tx, p *storage.Poll) error {
	if s.jobs == nil || p.ExpiresAt == nil || p.ClosedAt != nil {
		return nil
	}
	return s.jobs.InsertTx(ctx, tx, ClosePollArgs{PollID: p.ID}, &river.InsertOpts{ScheduledAt: *p.ExpiresAt})
}

// editPoll applies an edit's poll to me's status st: a new poll, a changed
// one (new options discard the votes, as on Mastodon) or none (the poll
// goes).
func (s *Service) editPoll(ctx context.Context, tx storage.Tx, st *storage.Status, in *NewPoll) error {
	old, err := tx.PollByStatusID(ctx, st.ID)
	if errors.Is(err, storage.ErrNotFound) {
		old, err = nil, nil
	}
	if err != nil {
		return err
	}
	if old != nil {
		if err := tx.KeepEditPoll(ctx, st.ID, old.OptionsJSON); err != nil {
			return err
		}
	}
	switch {
	case old == nil && in == nil:
		return nil
	case old == nil:
		media, err := tx.StatusMedia(ctx, st.ID)
		if err != nil {
			return err
		}
		if len(media) > 0 {
			return invalid("", "a poll cannot be combined with media attachments")
		}
		return s.insertLocalPoll(ctx, tx, st, in, s.now())
	case in == nil:
		return tx.DeletePoll(ctx, old.ID)
	}
	if !slices.Equal(old.Options(), in.Options) {
		if err := tx.DeletePollVotes(ctx, old.ID); err != nil {
			return err
		}
		old.SetOptions(in.Options, nil)
		old.VotersCount = 0
	}
	// As on Mastodon the poll runs for expires_in from the edit; one that
	// had ended opens again.
	exp := s.now().Add(time.Duration(in.ExpiresIn) * time.Second)
	old.Multiple, old.HideTotals, old.ExpiresAt, old.ClosedAt = in.Multiple, in.HideTotals, &exp, nil
	if err := tx.UpdatePoll(ctx, old); err != nil {
		return err
	}
	return s.scheduleClose(ctx, tx, old)
}

// PollView is a poll as one viewer sees it.
type PollView struct {
	Poll    *storage.Poll
	Options []string
	// Tallies are the votes of each option; nil while the totals are
	// hidden from this viewer.
	Tallies     []int
	VotesCount  int
	VotersCount int
	Expired     bool
	// Voted and OwnVotes are the viewer's (false and nil when anonymous).
	Voted    bool
	OwnVotes []int
	Viewer   bool // a signed-in viewer asked
}

// viewPoll builds what viewer sees of p, given their choices.
func (s *Service) viewPoll(p *storage.Poll, viewer *storage.Account, choices []int) *PollView {
	v := &PollView{Poll: p, Options: p.Options(), VotersCount: p.VotersCount, Expired: p.Expired(s.now())}
	tallies := p.Tallies()
	for _, n := range tallies {
		v.VotesCount += n
	}
	if !p.HideTotals || v.Expired || (viewer != nil && viewer.ID == p.AccountID) {
		v.Tallies = tallies
	}
	if viewer != nil {
		v.Viewer = true
		v.OwnVotes = choices
		if v.OwnVotes == nil {
			v.OwnVotes = []int{}
		}
		v.Voted = len(choices) > 0 || viewer.ID == p.AccountID
	}
	return v
}

// StatusPoll returns the poll of st, or nil when it has none.
func (s *Service) StatusPoll(ctx context.Context, st *storage.Status) (*storage.Poll, error) {
	p, err := s.db.PollByStatusID(ctx, st.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// PollOf returns st's poll as viewer (nil: anonymous) sees it, or nil when
// st has none.
func (s *Service) PollOf(ctx context.Context, viewer *storage.Account, st *storage.Status) (*PollView, error) {
	p, err := s.StatusPoll(ctx, st)
	if err != nil || p == nil {
		return nil, err
	}
	var choices []int
	if viewer != nil {
		if choices, err = s.db.PollChoices(ctx, p.ID, viewer.ID); err != nil {
			return nil, err
		}
	}
	return s.viewPoll(p, viewer, choices), nil
}

// PollsOf returns the polls of a page of statuses as viewer sees them, by
// status id.
func (s *Service) PollsOf(ctx context.Context, viewer *storage.Account, sts []*storage.Status) (map[int64]*PollView, error) {
	ids := make([]int64, 0, len(sts))
	for _, st := range sts {
		ids = append(ids, st.ID)
	}
	polls, err := s.db.PollsByStatusIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	var pollIDs []int64
	for _, p := range polls {
		pollIDs = append(pollIDs, p.ID)
	}
	var viewerID int64
	if viewer != nil {
		viewerID = viewer.ID
	}
	choices, err := s.db.PollChoicesOf(ctx, pollIDs, viewerID)
	if err != nil {
		return nil, err
	}
	out := map[int64]*PollView{}
	for sid, p := range polls {
		out[sid] = s.viewPoll(p, viewer, choices[p.ID])
	}
	return out, nil
}

// Poll returns poll id as viewer sees it, with its status; a poll on a
// status viewer may not see is not found.
func (s *Service) Poll(ctx context.Context, viewer *storage.Account, id int64) (*PollView, *storage.Status, error) {
	p, err := s.db.PollByID(ctx, id)
	if err != nil {
		return nil, nil, domainErr(err)
	}
	st, err := s.db.StatusByID(ctx, p.StatusID)
	if err != nil {
		return nil, nil, domainErr(err)
	}
	if !s.MayView(ctx, viewer, st) {
		return nil, nil, ErrNotFound
	}
	v, err := s.PollOf(ctx, viewer, st)
	if err != nil {
		return nil, nil, err
	}
	return v, st, nil
}

// Vote records me's choices in poll id. A local poll counts them at once
// and its new counts go out to other servers shortly after; a vote in a
// remote poll goes to its author's server, one Note per choice. New counts
// are not streamed as "status.update": apps take that event for an edit of
// the text, and Mastodon does not send it for votes either.
func (s *Service) Vote(ctx context.Context, me *storage.Account, pollID int64, choices []int) (*PollView, error) {
	ctx, done := s.collect(ctx)
	if !me.Local() || me.Suspended() {
		return nil, ErrForbidden
	}
	p, err := s.db.PollByID(ctx, pollID)
	if err != nil {
		return nil, domainErr(err)
	}
	st, err := s.db.StatusByID(ctx, p.StatusID)
	if err != nil {
		return nil, domainErr(err)
	}
	if !s.MayView(ctx, me, st) || st.Pending() {
		return nil, ErrNotFound
	}
	if len(choices) == 0 {
		return nil, invalid("", "choose at least one option")
	}
	if len(choices) > 1 && !p.Multiple {
		return nil, invalid("", "this poll allows only one choice")
	}
	options := p.Options()
	seen := map[int]bool{}
	for _, c := range choices {
		if c < 0 || c >= len(options) {
			return nil, invalid("", "the chosen vote option does not exist")
		}
		if seen[c] {
			return nil, invalid("", "the same option was chosen twice")
		}
		seen[c] = true
	}
	if p.AccountID == me.ID {
		return nil, invalid("", "you cannot vote in your own poll")
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := tx.LockPoll(ctx, pollID); err != nil {
			return err
		}
		p, err = tx.PollByID(ctx, pollID)
		if err != nil {
			return err
		}
		if p.Expired(s.now()) {
			return invalid("", "the poll has already ended")
		}
		voted, err := tx.HasVoted(ctx, p.ID, me.ID)
		if err != nil {
			return err
		}
		if voted {
			return invalid("", "you have already voted on this poll")
		}
		author := st.Account
		var votes []*storage.PollVote
		for _, c := range choices {
			v := &storage.PollVote{ID: storage.NewID(), PollID: p.ID, AccountID: me.ID, Choice: c, CreatedAt: s.now()}
			v.URI = fmt.Sprintf("%s#votes/%d", me.URI, v.ID)
			if err := tx.InsertPollVote(ctx, v); err != nil {
				return err
			}
			votes = append(votes, v)
		}
		if p.Local {
			if err := tx.RecountPoll(ctx, p); err != nil {
				return err
			}
			return s.queuePollUpdate(ctx, tx, p)
		}
		// A remote poll: count our vote until its server sends new counts.
		tallies := p.Tallies()
		for _, c := range choices {
			tallies[c]++
		}
		p.SetOptions(options, tallies)
		p.VotersCount++
		if err := tx.UpdatePoll(ctx, p); err != nil {
			return err
		}
		for _, v := range votes {
			if err := s.publish(ctx, tx, PublishArgs{
				Type: PublishVote, AccountID: me.ID, StatusID: st.ID, ActivityURI: v.URI,
				ObjectURI: st.URI, Content: options[v.Choice], TargetAccountID: author.ID,
				Inboxes: []string{author.InboxURL},
			}); err != nil {
				return err
			}
		}
		return nil
	})
	done(err == nil)
	if err != nil {
		return nil, domainErr(err)
	}
	return s.PollOf(ctx, me, st)
}

// queuePollUpdate queues one Update with local poll p's counts, unless
// one is waiting already.
func (s *Service) queuePollUpdate(ctx context.Context, tx storage.Tx, p *storage.Poll) error {
	if s.jobs == nil {
		return nil
	}
	queued, err := tx.QueuePollUpdate(ctx, p.ID)
	if err != nil || !queued {
		return err
	}
	return s.jobs.InsertTx(ctx, tx, PollUpdateArgs{PollID: p.ID}, &river.InsertOpts{ScheduledAt: s.now().Add(pollUpdateDelay)})
}

// PollUpdateArgs is the durable job that sends a local poll's new counts
// to the servers its status went to.
type PollUpdateArgs struct {
	PollID int64 `json:"poll_id,string"`
}

// Kind names the job kind.
func (PollUpdateArgs) Kind() string { return "poll_update" }

type pollUpdateWorker struct {
	river.WorkerDefaults[PollUpdateArgs]
	s *Service
}

func (w *pollUpdateWorker) Work(ctx context.Context, job *river.Job[PollUpdateArgs]) error {
	s := w.s
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		p, err := tx.PollByID(ctx, job.Args.PollID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.TakePollUpdate(ctx, p.ID); err != nil {
			return err
		}
		return s.publish(ctx, tx, PublishArgs{Type: PublishUpdatePoll, AccountID: p.AccountID, StatusID: p.StatusID})
	})
}

// ClosePollArgs is the durable job that ends a poll at its expiry: its
// author and local voters are told, and a local poll's final counts go
// out.
type ClosePollArgs struct {
	PollID int64 `json:"poll_id,string"`
}

// Kind names the job kind.
func (ClosePollArgs) Kind() string { return "close_poll" }

type closePollWorker struct {
	river.WorkerDefaults[ClosePollArgs]
	s *Service
}

func (w *closePollWorker) Work(ctx context.Context, job *river.Job[ClosePollArgs]) error {
	return w.s.ClosePoll(ctx, job.Args.PollID)
}

// ClosePoll ends poll id if its time has come: once, however often it is
// called. A poll whose expiry was moved later (by an edit) is left open;
// its own job closes it then.
func (s *Service) ClosePoll(ctx context.Context, id int64) error {
	ctx, done := s.collect(ctx)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		p, err := tx.PollByID(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if p.ClosedAt != nil || p.ExpiresAt == nil || p.ExpiresAt.After(s.now()) {
			return nil
		}
		if err := s.closePoll(ctx, tx, p); err != nil {
			return err
		}
		if p.Local || s.jobs == nil {
			return nil
		}
		// A remote poll's final counts: its server may not send them to
		// us, so fetch them.
		st, err := tx.StatusByID(ctx, p.StatusID)
		if err != nil {
			return err
		}
		return s.jobs.InsertTx(ctx, tx, RefreshPollArgs{URI: st.URI}, nil)
	})
	done(err == nil)
	return err
}

// RefreshPollArgs is the durable job that fetches a remote poll's
// Question again, for its final counts.
type RefreshPollArgs struct {
	URI string `json:"uri"`
}

// Kind names the job kind.
func (RefreshPollArgs) Kind() string { return "refresh_poll" }

// InsertOpts tries a few times: the counts are nice to have.
func (RefreshPollArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// closePoll marks p closed and tells whom it concerns.
func (s *Service) closePoll(ctx context.Context, tx storage.Tx, p *storage.Poll) error {
	closed, err := tx.ClosePoll(ctx, p, s.now())
	if err != nil || !closed {
		return err
	}
	author, err := tx.AccountByID(ctx, p.AccountID)
	if err != nil {
		return err
	}
	if author.Local() {
		// notify leaves out oneself; the author of a poll is told too.
		n := &storage.Notification{ID: storage.NewID(), AccountID: author.ID, FromAccountID: author.ID, Type: NotifyPoll, StatusID: &p.StatusID, CreatedAt: s.now()}
		if err := tx.InsertNotification(ctx, n); err != nil {
			return err
		}
		if err := s.enqueuePush(ctx, tx, n); err != nil {
			return err
		}
		s.emit(ctx, Event{Type: "notification", NotificationID: n.ID, AccountID: author.ID})
	}
	voters, err := tx.PollVoterIDs(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, id := range voters {
		if err := s.notifyByID(ctx, tx, id, author, NotifyPoll, &p.StatusID); err != nil {
			return err
		}
	}
	if p.Local {
		return s.publish(ctx, tx, PublishArgs{Type: PublishUpdatePoll, AccountID: p.AccountID, StatusID: p.StatusID})
	}
	return nil
}

// PollVoters returns the accounts that voted in p.
func (s *Service) PollVoters(ctx context.Context, p *storage.Poll) ([]*storage.Account, error) {
	ids, err := s.db.PollVoterIDs(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	var out []*storage.Account
	for _, id := range ids {
		if a, err := s.db.AccountByID(ctx, id); err == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// RemotePoll is a remote Question's poll, as its server describes it.
type RemotePoll struct {
	Options     []string
	Tallies     []int
	Multiple    bool
	VotersCount int
	ExpiresAt   *time.Time
	Closed      bool
}

func (rp *RemotePoll) clean() {
	if len(rp.Options) > maxRemotePollOptions {
		rp.Options = rp.Options[:maxRemotePollOptions]
	}
	opts := make([]string, len(rp.Options))
	for i, o := range rp.Options {
		if r := []rune(strings.TrimSpace(o)); len(r) > maxRemotePollOptionRunes {
			o = string(r[:maxRemotePollOptionRunes])
		}
		opts[i] = strings.TrimSpace(o)
	}
	rp.Options = opts
	t := make([]int, len(rp.Options))
	copy(t, rp.Tallies)
	rp.Tallies = t
}

// insertRemotePoll stores the poll of a received status.
func (s *Service) insertRemotePoll(ctx context.Context, tx storage.Tx, st *storage.Status, rp *RemotePoll) error {
	rp.clean()
	p := &storage.Poll{
		ID: storage.NewID(), StatusID: st.ID, AccountID: st.AccountID, Multiple: rp.Multiple,
		VotersCount: rp.VotersCount, ExpiresAt: rp.ExpiresAt, CreatedAt: s.now(),
	}
	if rp.Closed {
		now := s.now()
		p.ClosedAt = &now
	}
	p.SetOptions(rp.Options, rp.Tallies)
	if err := tx.InsertPoll(ctx, p); err != nil {
		return err
	}
	return s.scheduleClose(ctx, tx, p)
}

// ReceivePollVote counts a remote account's vote (a Note naming an option,
// in reply to the poll) in a local poll. Votes that cannot count (an ended
// poll, an unknown option, a second vote in a single-choice poll) are
// dropped, as Mastodon drops them.
func (s *Service) ReceivePollVote(ctx context.Context, actor *storage.Account, questionURI, name, voteURI string) error {
	ctx, done := s.collect(ctx)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByURI(ctx, questionURI)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		p, err := tx.PollByStatusID(ctx, st.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.LockPoll(ctx, p.ID); err != nil {
			return err
		}
		if !p.Local || p.Expired(s.now()) || st.Pending() || !s.mayInteract(ctx, tx, actor, st) || p.AccountID == actor.ID {
			return nil
		}
		choice := slices.Index(p.Options(), name)
		if choice < 0 {
			return nil
		}
		if !p.Multiple {
			voted, err := tx.HasVoted(ctx, p.ID, actor.ID)
			if err != nil || voted {
				return err
			}
		}
		err = tx.InsertPollVote(ctx, &storage.PollVote{ID: storage.NewID(), PollID: p.ID, AccountID: actor.ID, Choice: choice, URI: voteURI, CreatedAt: s.now()})
		if errors.Is(err, storage.ErrConflict) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.RecountPoll(ctx, p); err != nil {
			return err
		}
		return s.queuePollUpdate(ctx, tx, p)
	})
	done(err == nil)
	return err
}

// ReceivePollUpdate refreshes a remote poll from an Update of its
// Question: counts, options (new options discard the votes made here),
// expiry. A poll that has ended is closed and its local voters told.
func (s *Service) ReceivePollUpdate(ctx context.Context, actor *storage.Account, uri string, rp RemotePoll) error {
	ctx, done := s.collect(ctx)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByURI(ctx, uri)
		if err != nil {
			return err
		}
		if st.AccountID != actor.ID || st.Local {
			return ErrForbidden
		}
		p, err := tx.PollByStatusID(ctx, st.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return s.insertRemotePoll(ctx, tx, st, &rp)
		}
		if err != nil {
			return err
		}
		rp.clean()
		if !slices.Equal(p.Options(), rp.Options) {
			if err := tx.DeletePollVotes(ctx, p.ID); err != nil {
				return err
			}
		}
		moved := !timesEqual(p.ExpiresAt, rp.ExpiresAt)
		p.SetOptions(rp.Options, rp.Tallies)
		p.Multiple, p.VotersCount, p.ExpiresAt = rp.Multiple, rp.VotersCount, rp.ExpiresAt
		if err := tx.UpdatePoll(ctx, p); err != nil {
			return err
		}
		if rp.Closed || (p.ExpiresAt != nil && !p.ExpiresAt.After(s.now())) {
			return s.closePoll(ctx, tx, p)
		}
		if moved {
			return s.scheduleClose(ctx, tx, p)
		}
		return nil
	})
	done(err == nil)
	return domainErr(err)
}

func timesEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
