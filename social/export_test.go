package social

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// RunRecheck runs the verification re-check job for accountID now, as the
// queue would at its scheduled time.
func RunRecheck(ctx context.Context, s *Service, accountID int64) error {
	return (&recheckWorker{s: s}).Work(ctx, &river.Job[RecheckArgs]{JobRow: &rivertype.JobRow{}, Args: RecheckArgs{AccountID: accountID}})
}
