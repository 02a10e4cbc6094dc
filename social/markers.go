package social

import (
	"context"

	"rounds/storage"
)

// Timelines a marker may be saved for, as Mastodon's.
const (
	MarkerHome          = "home"
	MarkerNotifications = "notifications"
)

// Markers returns me's saved reading positions for the given timelines;
// unknown timelines are ignored.
func (s *Service) Markers(ctx context.Context, me *storage.Account, timelines []string) ([]*storage.Marker, error) {
	var known []string
	for _, t := range timelines {
		if t == MarkerHome || t == MarkerNotifications {
			known = append(known, t)
		}
	}
	return s.db.Markers(ctx, me.ID, known)
}

// SaveMarkers saves me's reading positions (timeline to last read id) in
// one transaction and returns them as saved, each a version newer.
func (s *Service) SaveMarkers(ctx context.Context, me *storage.Account, positions map[string]int64) ([]*storage.Marker, error) {
	for t := range positions {
		if t != MarkerHome && t != MarkerNotifications {
			return nil, invalid("timeline", "is not included in the list")
		}
	}
	var out []*storage.Marker
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		for _, t := range []string{MarkerHome, MarkerNotifications} {
			id, ok := positions[t]
			if !ok {
				continue
			}
			m, err := tx.SaveMarker(ctx, me.ID, t, id, s.now())
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, domainErr(err)
}
