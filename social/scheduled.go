package social

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// Mastodon's limits on scheduled posts (ScheduledStatus in its source):
// at least five minutes ahead, at most 25 due on one (UTC) day and 300 in
// all per account.
const (
	DefaultScheduleMinOffset = 5 * time.Minute
	MaxScheduledPerDay       = 25
	MaxScheduledTotal        = 300
)

// ScheduledParams is what the author of a scheduled post wrote, kept until
// it is published; the JSON form is stored.
type ScheduledParams struct {
	Text               string   `json:"text"`
	SpoilerText        string   `json:"spoiler_text,omitempty"`
	Visibility         string   `json:"visibility"`
	Sensitive          bool     `json:"sensitive,omitempty"`
	InReplyToID        int64    `json:"in_reply_to_id,string,omitempty"`
	Language           string   `json:"language,omitempty"`
	MediaIDs           []string `json:"media_ids,omitempty"`
	Poll               *NewPoll `json:"poll,omitempty"`
	IdempotencyKey     string   `json:"idempotency,omitempty"`
	PostDespiteWarning bool     `json:"post_despite_warning,omitempty"`
	LocalOnly          *bool    `json:"local_only,omitempty"`
}

// newStatus is the post the params describe.
func (p *ScheduledParams) newStatus() NewStatus {
	in := NewStatus{
		Text: p.Text, SpoilerText: p.SpoilerText, Visibility: p.Visibility, Sensitive: p.Sensitive,
		InReplyToID: p.InReplyToID, Language: p.Language, Poll: p.Poll, PostDespiteWarning: p.PostDespiteWarning,
		LocalOnly: p.LocalOnly,
	}
	for _, s := range p.MediaIDs {
		var id int64
		if _, err := fmt.Sscan(s, &id); err == nil {
			in.MediaIDs = append(in.MediaIDs, id)
		}
	}
	return in
}

// ScheduledParamsOf decodes ss's params.
func ScheduledParamsOf(ss *storage.ScheduledStatus) ScheduledParams {
	var p ScheduledParams
	_ = json.Unmarshal([]byte(ss.Params), &p)
	return p
}

// scheduleMinOffset is how far ahead a post may be scheduled at the
// earliest.
func (s *Service) scheduleMinOffset() time.Duration {
	if s.minSchedule > 0 {
		return s.minSchedule
	}
	return DefaultScheduleMinOffset
}

// checkScheduleTime applies Mastodon's limits to author's post scheduled at
// at (leaving out exceptID, the post being moved), inside tx so that two
// requests at once cannot both take the last place.
func (s *Service) checkScheduleTime(ctx context.Context, tx storage.Tx, author *storage.Account, at time.Time, exceptID int64) error {
	// Mastodon's wording (its scheduled_statuses.* messages). A time in
	// the past is refused too, as its documentation says, rather than
	// posted at once: an author who asked for later never posts now.
	if at.Before(s.now().Add(s.scheduleMinOffset())) {
		return invalid("Scheduled at", "must be in the future")
	}
	if err := tx.LockScheduling(ctx, author.ID); err != nil {
		return err
	}
	n, err := tx.CountScheduledStatuses(ctx, author.ID, time.Time{}, time.Time{}, exceptID)
	if err != nil {
		return err
	}
	if n >= MaxScheduledTotal {
		return invalid("", fmt.Sprintf("You have exceeded the limit of %d scheduled posts", MaxScheduledTotal))
	}
	day := at.UTC().Truncate(24 * time.Hour)
	n, err = tx.CountScheduledStatuses(ctx, author.ID, day, day.Add(24*time.Hour), exceptID)
	if err != nil {
		return err
	}
	if n >= MaxScheduledPerDay {
		return invalid("", fmt.Sprintf("You have exceeded the limit of %d scheduled posts for today", MaxScheduledPerDay))
	}
	return nil
}

// ScheduleStatus keeps author's post to publish at at, when a job posts it
// as PostStatus would then. It is checked now as a post would be (the
// identifier guard included, so the author learns at once), and its
// images are held for it.
func (s *Service) ScheduleStatus(ctx context.Context, author *storage.Account, in NewStatus, at time.Time) (*storage.ScheduledStatus, error) {
	if s.jobs == nil {
		return nil, fmt.Errorf("scheduled posts need the job queue")
	}
	if in.IdempotencyKey != "" {
		if ss, err := s.db.ScheduledStatusByIdempotencyKey(ctx, author.ID, in.IdempotencyKey, s.now().Add(-idempotencyWindow)); err == nil {
			return ss, nil
		}
	}
	text, err := s.checkNewStatus(ctx, author, &in)
	if err != nil {
		return nil, err
	}
	if len(in.MediaIDs) > MaxMediaPerStatus {
		return nil, invalid("media_ids", fmt.Sprintf("may hold at most %d attachments", MaxMediaPerStatus))
	}
	if in.InReplyToID != 0 {
		parent, err := s.db.StatusByID(ctx, in.InReplyToID)
		if err == nil && !s.MayView(ctx, author, parent) {
			err = storage.ErrNotFound
		}
		if errors.Is(err, storage.ErrNotFound) {
			return nil, invalid("in_reply_to_id", "names a status that does not exist")
		}
		if err != nil {
			return nil, err
		}
	}
	p := ScheduledParams{
		Text: text, SpoilerText: in.SpoilerText, Visibility: in.Visibility, Sensitive: in.Sensitive,
		InReplyToID: in.InReplyToID, Language: in.Language, Poll: in.Poll,
		IdempotencyKey: in.IdempotencyKey, PostDespiteWarning: in.PostDespiteWarning, LocalOnly: in.LocalOnly,
	}
	media := uniqueIDs(in.MediaIDs)
	for _, id := range media {
		p.MediaIDs = append(p.MediaIDs, fmt.Sprint(id))
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	ss := &storage.ScheduledStatus{
		ID: storage.NewID(), AccountID: author.ID, ScheduledAt: at.UTC(), Params: string(raw),
		IdempotencyKey: in.IdempotencyKey, CreatedAt: s.now(),
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if err := s.checkScheduleTime(ctx, tx, author, ss.ScheduledAt, 0); err != nil {
			return err
		}
		if err := tx.InsertScheduledStatus(ctx, ss); err != nil {
			return err
		}
		ok, err := tx.HoldMedia(ctx, author.ID, ss.ID, media)
		if err != nil {
			return err
		}
		if !ok {
			return invalid("media_ids", "names an attachment that does not exist or is used in another post")
		}
		return s.schedulePublish(ctx, tx, ss)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return ss, nil
}

// schedulePublish queues the job that publishes ss at its time.
func (s *Service) schedulePublish(ctx context.Context, tx storage.Tx, ss *storage.ScheduledStatus) error {
	return s.jobs.InsertTx(ctx, tx, PublishScheduledArgs{ScheduledStatusID: ss.ID}, &river.InsertOpts{ScheduledAt: ss.ScheduledAt})
}

// ScheduledStatuses returns a page of me's scheduled posts.
func (s *Service) ScheduledStatuses(ctx context.Context, me *storage.Account, p storage.Page) ([]*storage.ScheduledStatus, error) {
	return s.db.ScheduledStatuses(ctx, me.ID, p)
}

// ScheduledStatus returns me's scheduled post id; another's is not found.
func (s *Service) ScheduledStatus(ctx context.Context, me *storage.Account, id int64) (*storage.ScheduledStatus, error) {
	ss, err := s.db.ScheduledStatusByID(ctx, id)
	if err == nil && ss.AccountID != me.ID {
		err = storage.ErrNotFound
	}
	return ss, domainErr(err)
}

// ScheduledStatusMedia returns the images ss holds.
func (s *Service) ScheduledStatusMedia(ctx context.Context, ss *storage.ScheduledStatus) ([]*storage.Media, error) {
	return s.db.ScheduledStatusMedia(ctx, ss.ID)
}

// RescheduleStatus moves me's scheduled post id to at, under the same
// limits as scheduling it. A job is queued for the new time; the one for
// the old time finds the post not yet due and leaves it. The text is
// checked by the guard again (its settings may have changed), and an
// earlier refusal is cleared.
func (s *Service) RescheduleStatus(ctx context.Context, me *storage.Account, id int64, at time.Time) (*storage.ScheduledStatus, error) {
	ss, err := s.ScheduledStatus(ctx, me, id)
	if err != nil {
		return nil, err
	}
	p := ScheduledParamsOf(ss)
	in := p.newStatus()
	if err := s.checkForIdentifiers(ctx, me, in, in.PostDespiteWarning); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		cur, err := tx.ScheduledStatusByID(ctx, id)
		if err != nil {
			return err // published or deleted meanwhile
		}
		if err := s.checkScheduleTime(ctx, tx, me, at.UTC(), cur.ID); err != nil {
			return err
		}
		cur.ScheduledAt, cur.Error = at.UTC(), ""
		if err := tx.UpdateScheduledStatus(ctx, cur); err != nil {
			return err
		}
		ss = cur
		return s.schedulePublish(ctx, tx, cur)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return ss, nil
}

// DeleteScheduledStatus cancels me's scheduled post id; its images are
// free to use again.
func (s *Service) DeleteScheduledStatus(ctx context.Context, me *storage.Account, id int64) error {
	if _, err := s.ScheduledStatus(ctx, me, id); err != nil {
		return err
	}
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error {
		gone, err := tx.DeleteScheduledStatus(ctx, id)
		if err == nil && !gone {
			err = storage.ErrNotFound
		}
		return err
	}))
}

// PublishScheduledArgs is the durable job that publishes a scheduled post
// at its time; it is inserted with the post (and again whenever its time
// changes), so a restart in between still publishes it.
type PublishScheduledArgs struct {
	ScheduledStatusID int64 `json:"scheduled_status_id,string"`
}

// Kind names the job kind.
func (PublishScheduledArgs) Kind() string { return "publish_scheduled_status" }

type publishScheduledWorker struct {
	river.WorkerDefaults[PublishScheduledArgs]
	s *Service
}

func (w *publishScheduledWorker) Work(ctx context.Context, job *river.Job[PublishScheduledArgs]) error {
	return w.s.PublishScheduledStatus(ctx, job.Args.ScheduledStatusID)
}

// errScheduledGone ends the transaction of a publication another job
// made first.
var errScheduledGone = errors.New("scheduled status published or deleted meanwhile")

// PublishScheduledStatus publishes the scheduled post id if it is due: the
// post is made as PostStatus makes one now (identifier guard, send delay
// and quiet hours, images, poll, reply), and the scheduled row is deleted
// in the same transaction, so of two runs of the job only one posts. A post
// deleted meanwhile is simply gone; one moved later waits for the job of
// its new time (and this one, should it run early, checks again then).
//
// A post refused at its time (the guard's settings changed, or its reply's
// parent is gone, or the author was suspended) is not published and not
// retried: the scheduled post stays, with the reason in its error (shown to
// the author's apps as rounds_error), and the refusal is logged and, for
// the guard, written to the audit log. Mastodon has no such guard; an
// author who edits nothing would only be refused again, so the author
// deletes it or, once the cause is gone, moves it to a new time.
func (s *Service) PublishScheduledStatus(ctx context.Context, id int64) error {
	ss, err := s.db.ScheduledStatusByID(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ss.Error != "" {
		return nil // refused already; moving it queues a new job
	}
	if wait := ss.ScheduledAt.Sub(s.now()); wait > 0 {
		// Never earlier than the author asked: not due (moved later, or
		// the queue's clock ran ahead of ours), so look again then.
		return river.JobSnooze(wait)
	}
	author, err := s.db.AccountByID(ctx, ss.AccountID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	p := ScheduledParamsOf(ss)
	in := p.newStatus()
	in.scheduled = true // checked against the guidance when scheduled
	_, err = s.postStatus(ctx, author, in, func(tx storage.Tx) error {
		gone, err := tx.DeleteScheduledStatus(ctx, ss.ID)
		if err == nil && !gone {
			err = errScheduledGone
		}
		return err
	})
	if errors.Is(err, errScheduledGone) {
		return nil
	}
	var ie *IdentifierError
	var ve *ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie), errors.As(err, &ve), errors.Is(err, ErrForbidden), errors.Is(err, ErrNotFound):
		return s.refuseScheduled(ctx, author, ss, err, ie != nil)
	}
	return err
}

// refuseScheduled keeps ss unpublished with why as its error.
func (s *Service) refuseScheduled(ctx context.Context, author *storage.Account, ss *storage.ScheduledStatus, why error, guard bool) error {
	s.log.Warn("scheduled post not published", "scheduled_status", ss.ID, "account", author.Username, "reason", why.Error())
	return s.db.InTx(ctx, func(tx storage.Tx) error {
		cur, err := tx.ScheduledStatusByID(ctx, ss.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		cur.Error = why.Error()
		if err := tx.UpdateScheduledStatus(ctx, cur); err != nil {
			return err
		}
		if !guard {
			return nil
		}
		var ie *IdentifierError
		errors.As(why, &ie)
		id := author.ID
		return tx.AppendAudit(ctx, &storage.AuditEntry{
			ActorAccountID: &id, Actor: "@" + author.Username, Action: "scheduled_post_refused_by_identifier_guard",
			TargetType: "account", TargetID: idString(author.ID), Target: "@" + author.Username,
			Detail: `{"scheduled_status_id":"` + idString(ss.ID) + `","kinds":` + mustJSON(ie.Kinds()) + `}`, CreatedAt: s.now(),
		})
	})
}
