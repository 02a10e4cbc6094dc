package social

import (
	"context"
	"time"

	"rounds/storage"
)

// federationHealthWindow is how far back the dashboard counts deliveries.
const federationHealthWindow = 7 * 24 * time.Hour

// FederationHealth returns, for staff, the remote domains with queued or
// failed deliveries in the last week, the worst first (at most 50).
func (s *Service) FederationHealth(ctx context.Context, a Actor) ([]storage.DomainDeliveries, error) {
	if err := a.require(PermModerate); err != nil {
		return nil, err
	}
	return s.db.DeliveriesByDomain(ctx, s.now().Add(-federationHealthWindow), 50)
}
