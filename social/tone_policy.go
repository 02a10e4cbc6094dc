package social

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"rounds/social/tone"
	"rounds/storage"
)

// Tone policies: what happens to a reply or a post with mentions that reads
// as heated (social/tone judges it).
const (
	ToneOff  = "off"
	ToneAsk  = "ask"  // the author is asked to pause; sending again later posts it (the default)
	ToneHold = "hold" // it is posted, but waits ToneHoldDelay, cancellable, before it leaves
)

// DefaultToneHoldDelay is how long a heated post waits under the hold
// policy unless the admins choose otherwise.
const DefaultToneHoldDelay = 15 * time.Minute

// MaxToneHoldDelay is the longest hold the admins may choose.
const MaxToneHoldDelay = time.Hour

// toneRetryWait is how long after the pause the same text goes out;
// toneRetryWindow how long the pause is remembered.
const (
	toneRetryWait   = time.Minute
	toneRetryWindow = 30 * time.Minute
)

// ToneSettings are the admins' settings of the tone check.
type ToneSettings struct {
	TonePolicy string `json:"tone_policy"`
	// ToneHoldDelay is the hold under the hold policy; nil means
	// DefaultToneHoldDelay.
	ToneHoldDelay *Duration `json:"tone_hold_delay,omitempty"`
	// ToneFlagWords always count as heated; ToneAllowWords never do.
	ToneFlagWords  []string `json:"tone_flag_words,omitempty"`
	ToneAllowWords []string `json:"tone_allow_words,omitempty"`
}

// HoldDelay is how long a heated post waits under the hold policy.
func (t ToneSettings) HoldDelay() time.Duration {
	if t.ToneHoldDelay == nil {
		return DefaultToneHoldDelay
	}
	return time.Duration(*t.ToneHoldDelay)
}

func (t ToneSettings) validate() error {
	switch t.TonePolicy {
	case ToneOff, ToneAsk, ToneHold:
	default:
		return invalid("tone_policy", "must be off, ask or hold")
	}
	if d := t.HoldDelay(); d < time.Minute || d > MaxToneHoldDelay {
		return invalid("tone_hold_delay", "must be between 1 and 60 minutes")
	}
	for _, w := range append(slices.Clone(t.ToneFlagWords), t.ToneAllowWords...) {
		if strings.TrimSpace(w) == "" || len(w) > 60 {
			return invalid("tone_words", "must each be between 1 and 60 characters")
		}
	}
	if len(t.ToneFlagWords)+len(t.ToneAllowWords) > 500 {
		return invalid("tone_words", "may be at most 500")
	}
	return nil
}

// ToneError asks the author to pause before a heated reply goes out (the
// ask policy). Its message is for the author to read in their app.
type ToneError struct {
	Verdict tone.Verdict
	// Wait is how long after this the same text, sent again, is posted.
	Wait time.Duration
	// What names what was paused: "reply", "post" (one that mentions
	// someone) or "edit".
	What string
}

func (e *ToneError) Error() string {
	what := e.What
	if what == "" {
		what = "reply"
	}
	return "This " + what + " reads as heated: " + e.Explanation() + ". Are you sure you're right? " +
		"It has not been sent. To post it as it is, send the same text again after " + waitWords(e.Wait) +
		" (within 30 minutes); or edit it."
}

// Explanation is what made the text read as heated, in plain words.
func (e *ToneError) Explanation() string { return strings.Join(e.Verdict.Reasons, "; ") }

func waitWords(d time.Duration) string {
	if d == time.Minute {
		return "a minute"
	}
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

// toneCache keeps the checker built from the current admin tuning.
type toneCache struct {
	mu      sync.Mutex
	key     string
	checker *tone.Checker
}

func (s *Service) toneChecker(t ToneSettings) *tone.Checker {
	key := strings.Join(t.ToneFlagWords, "\x00") + "\x01" + strings.Join(t.ToneAllowWords, "\x00")
	c := &s.toneCheckers
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checker == nil || c.key != key {
		c.checker = tone.New(tone.Options{Flag: t.ToneFlagWords, Allow: t.ToneAllowWords})
		c.key = key
	}
	return c.checker
}

var mentionInText = regexp.MustCompile(`(^|[^\pL\pN_/])@[\pL\pN_]`)

// pauseForTone applies the tone policy to a new post and returns its send
// delay: a reply or a post with mentions that reads as heated is refused
// once with a ToneError (ask; the same text again after the wait passes),
// or waits the hold delay (hold). A scheduled post was paused over already.
func (s *Service) pauseForTone(ctx context.Context, author *storage.Account, in NewStatus, text string, delay time.Duration, scheduled bool) (time.Duration, error) {
	if scheduled {
		return delay, nil
	}
	hold, err := s.toneGate(ctx, author, in.InReplyToID != 0, fmt.Sprint(in.InReplyToID), in.SpoilerText, text, in.SendDespiteTone, false)
	if err != nil {
		return 0, err
	}
	return max(delay, hold), nil
}

// pauseEditForTone applies the tone policy to an edit of st that changes
// its words: as for a new post, except that an edit cannot be held (it
// changes a post already out), so hold asks as ask does.
func (s *Service) pauseEditForTone(ctx context.Context, author *storage.Account, st *storage.Status, in NewStatus, text string) error {
	if text == st.Text && strings.TrimSpace(in.SpoilerText) == st.SpoilerText {
		return nil
	}
	_, err := s.toneGate(ctx, author, st.InReplyToID != nil, fmt.Sprintf("edit %d", st.ID), in.SpoilerText, text, in.SendDespiteTone, true)
	return err
}

// toneGate judges the words of a reply (reply) or of a post with mentions
// and returns the hold delay (hold policy) or a ToneError (ask policy, or
// hold when holdAsAsk) for heated ones; where names what the words are
// for (the post replied to, the post edited), so that the same text sent
// again after the wait goes out.
func (s *Service) toneGate(ctx context.Context, author *storage.Account, reply bool, where, spoiler, text string, despite, holdAsAsk bool) (time.Duration, error) {
	if !reply && !mentionInText.MatchString(text) {
		return 0, nil
	}
	st, err := s.Settings(ctx)
	if err != nil || st.TonePolicy == ToneOff {
		return 0, err
	}
	v := s.toneChecker(st.ToneSettings).Judge(strings.TrimSpace(spoiler + "\n" + text))
	if !v.Heated {
		return 0, nil
	}
	if st.TonePolicy == ToneHold && !holdAsAsk {
		return st.HoldDelay(), nil
	}
	if despite {
		return 0, nil
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s\x00%s", author.ID, where, spoiler, text))
	hash := hex.EncodeToString(sum[:])
	wait := toneRetryWait
	if s.toneWait > 0 {
		wait = s.toneWait
	}
	now := s.now()
	again, err := s.db.TonePausedBetween(ctx, author.ID, hash, now.Add(-toneRetryWindow), now.Add(-wait))
	if err != nil {
		return 0, err
	}
	if again {
		return 0, s.db.ForgetTonePause(ctx, author.ID, hash)
	}
	if err := s.db.RememberTonePause(ctx, author.ID, hash, now, now.Add(-toneRetryWindow)); err != nil {
		return 0, err
	}
	what := "post"
	switch {
	case holdAsAsk:
		what = "edit"
	case reply:
		what = "reply"
	}
	return 0, &ToneError{Verdict: v, Wait: wait, What: what}
}
