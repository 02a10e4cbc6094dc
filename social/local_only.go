package social

import (
	"context"
	"errors"

	"rounds/storage"
)

// aboutLocalOnly reports whether the action args publishes is about a
// local-only post, which never leaves this server: no Create, Update,
// Delete, Announce or Like of it is sent, and no delivery is queued.
func aboutLocalOnly(ctx context.Context, tx storage.Tx, args PublishArgs) (bool, error) {
	if args.LocalOnly {
		return true, nil
	}
	if args.StatusID == 0 {
		return false, nil
	}
	st, err := tx.StatusByID(ctx, args.StatusID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return st.LocalOnly, nil
}

// localOnlyDelivery reports whether an outgoing activity is about a
// local-only post: the last guard before anything about one is queued for
// another server.
func (s *Service) localOnlyDelivery(ctx context.Context, out Outgoing) bool {
	if out.StatusID == 0 {
		return false
	}
	st, err := s.db.StatusByID(ctx, out.StatusID)
	return err == nil && st.LocalOnly
}
