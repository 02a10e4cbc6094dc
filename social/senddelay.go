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

// DefaultSendDelay is how long a post waits, seen only by its author,
// before it leaves, unless the admins or the author choose otherwise.
const DefaultSendDelay = 60 * time.Second

// MaxSendDelay is the longest delay anyone may choose.
const MaxSendDelay = 15 * time.Minute

// SendPreferences is a user's own send delay and quiet hours.
type SendPreferences struct {
	// Delay replaces the server's default when set.
	Delay *Duration `json:"delay,omitempty"`
	// QuietStart and QuietEnd ("22:00", "07:00") bound the quiet hours in
	// TimeZone, during which QuietDelay applies instead; empty means none.
	QuietStart string   `json:"quiet_start,omitempty"`
	QuietEnd   string   `json:"quiet_end,omitempty"`
	QuietDelay Duration `json:"quiet_delay,omitempty"`
	TimeZone   string   `json:"time_zone,omitempty"`
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (p *SendPreferences) validate() error {
	if p.Delay != nil && (*p.Delay < 0 || time.Duration(*p.Delay) > MaxSendDelay) {
		return invalid("delay", "must be between 0 and 15 minutes")
	}
	if p.QuietStart == "" && p.QuietEnd == "" {
		return nil
	}
	if _, err := parseClock(p.QuietStart); err != nil {
		return invalid("quiet_start", "must be a time such as 22:00")
	}
	if _, err := parseClock(p.QuietEnd); err != nil {
		return invalid("quiet_end", "must be a time such as 07:00")
	}
	if p.QuietDelay < 0 || time.Duration(p.QuietDelay) > MaxSendDelay {
		return invalid("quiet_delay", "must be between 0 and 15 minutes")
	}
	if p.TimeZone == "" {
		p.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil {
		return invalid("time_zone", "must be a time zone such as Europe/Dublin")
	}
	return nil
}

// inQuietHours reports whether now falls in p's quiet hours.
func (p *SendPreferences) inQuietHours(now time.Time) bool {
	if p.QuietStart == "" {
		return false
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	start, err1 := parseClock(p.QuietStart)
	end, err2 := parseClock(p.QuietEnd)
	if err1 != nil || err2 != nil {
		return false
	}
	t := now.In(loc)
	m := t.Hour()*60 + t.Minute()
	if start <= end {
		return m >= start && m < end
	}
	return m >= start || m < end // across midnight
}

func sendPreferencesOf(u *storage.User) SendPreferences {
	var p SendPreferences
	if u != nil && u.SendPreferences != "" {
		_ = json.Unmarshal([]byte(u.SendPreferences), &p)
	}
	return p
}

// SendPreferences returns u's send delay settings.
func (s *Service) SendPreferences(u *storage.User) SendPreferences { return sendPreferencesOf(u) }

// SetSendPreferences changes u's send delay and quiet hours.
func (s *Service) SetSendPreferences(ctx context.Context, u *storage.User, p SendPreferences) error {
	if err := p.validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(p)
	u.SendPreferences = string(b)
	return domainErr(s.db.UpdateUser(ctx, u, "send_preferences"))
}

// sendDelay is how long author's post written now waits.
func (s *Service) sendDelay(ctx context.Context, author *storage.Account) (time.Duration, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return 0, err
	}
	d := DefaultSendDelay
	if st.SendDelay != nil {
		d = time.Duration(*st.SendDelay)
	}
	u, err := s.db.UserByAccountID(ctx, author.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return d, nil
	}
	if err != nil {
		return 0, err
	}
	p := sendPreferencesOf(u)
	if p.Delay != nil {
		d = time.Duration(*p.Delay)
	}
	if p.inQuietHours(s.now()) && time.Duration(p.QuietDelay) > d {
		d = time.Duration(p.QuietDelay)
	}
	return d, nil
}

// ReleaseStatusArgs is the durable job that publishes a post once its send
// delay has passed; it is scheduled for that moment, so a restart in
// between still publishes it on time.
type ReleaseStatusArgs struct {
	StatusID int64 `json:"status_id,string"`
}

// Kind names the job kind.
func (ReleaseStatusArgs) Kind() string { return "release_status" }

type releaseWorker struct {
	river.WorkerDefaults[ReleaseStatusArgs]
	s *Service
}

func (w *releaseWorker) Work(ctx context.Context, job *river.Job[ReleaseStatusArgs]) error {
	return w.s.ReleaseStatus(ctx, job.Args.StatusID)
}

// ReleaseStatus publishes a post whose send delay has passed: followers'
// home feeds, mentions' notifications and other servers get it now. A post
// deleted meanwhile is simply gone; one published already is left alone.
func (s *Service) ReleaseStatus(ctx context.Context, statusID int64) error {
	ctx, done := s.collect(ctx)
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		st, err := tx.StatusByID(ctx, statusID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		released, err := tx.ReleaseStatus(ctx, st)
		if err != nil || !released {
			return err
		}
		return s.afterPublish(ctx, tx, st)
	})
	done(err == nil)
	return err
}

// afterPublish does what follows a post becoming public: notifications to
// those it mentions, the live event, and delivery to other servers.
func (s *Service) afterPublish(ctx context.Context, tx storage.Tx, st *storage.Status) error {
	author := st.Account
	if author == nil {
		var err error
		if author, err = tx.AccountByID(ctx, st.AccountID); err != nil {
			return err
		}
	}
	mentioned, err := tx.MentionedAccounts(ctx, st.ID)
	if err != nil {
		return err
	}
	// Its hashtags are stored by now (PostStatus tags it before this).
	if err := s.feedTagFollowers(ctx, tx, st); err != nil {
		return err
	}
	s.emit(ctx, Event{Type: "update", StatusID: st.ID})
	mentionedIDs := make([]int64, len(mentioned))
	for i, m := range mentioned {
		mentionedIDs[i] = m.ID
	}
	if err := s.fileDirect(ctx, tx, st, mentionedIDs, false); err != nil {
		return err
	}
	if err := s.questionsOnPublish(ctx, tx, st, mentionedIDs); err != nil { // questions.go
		return err
	}
	for _, m := range mentioned {
		if m.ID == author.ID {
			continue
		}
		if err := s.notifyByID(ctx, tx, m.ID, author, NotifyMention, &st.ID); err != nil {
			return err
		}
	}
	if err := s.quotePublished(ctx, tx, st, author); err != nil {
		return err
	}
	return s.publish(ctx, tx, PublishArgs{Type: PublishCreate, AccountID: author.ID, StatusID: st.ID})
}

// scheduleRelease queues the job that publishes st at its time.
func (s *Service) scheduleRelease(ctx context.Context, tx storage.Tx, st *storage.Status) error {
	if s.jobs == nil {
		return fmt.Errorf("a delayed post needs the job queue")
	}
	return s.jobs.InsertTx(ctx, tx, ReleaseStatusArgs{StatusID: st.ID}, &river.InsertOpts{ScheduledAt: *st.PendingUntil})
}
