package federation

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"rounds/social"
)

// TestDeliveryBacksOffOverDays: a delivery to a server that stays down is
// tried again later and later, over about two days for its 16 attempts
// (as Mastodon does), never hammering the server in a tight loop.
func TestDeliveryBacksOffOverDays(t *testing.T) {
	w := &deliverWorker{}
	maxAttempts := social.DeliverArgs{}.InsertOpts().MaxAttempts
	var total, prev time.Duration
	for attempt := 1; attempt < maxAttempts; attempt++ {
		job := &river.Job[social.DeliverArgs]{JobRow: &rivertype.JobRow{ID: 29, Attempt: attempt, MaxAttempts: maxAttempts}}
		before := time.Now()
		wait := w.NextRetry(job).Sub(before)
		if wait <= prev {
			t.Fatalf("attempt %d waits %v, no longer than the one before (%v)", attempt, wait, prev)
		}
		if attempt == 1 && (wait < 15*time.Second || wait > time.Minute) {
			t.Fatalf("the first retry waits %v", wait)
		}
		prev = wait
		total += wait
	}
	if total < 36*time.Hour || total > 3*24*time.Hour {
		t.Fatalf("%d attempts span %v, want about two days", maxAttempts, total)
	}
	t.Logf("%d attempts, the last wait %v, spanning %v", maxAttempts, prev.Round(time.Minute), total.Round(time.Minute))
}
