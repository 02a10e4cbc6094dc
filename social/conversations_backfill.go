package social

import (
	"context"
	"fmt"
	"time"

	"rounds/storage"
)

// conversationsBackfilled is the instance setting that records that the
// direct posts stored before conversations existed have been filed.
const conversationsBackfilled = "conversations_backfilled"

// conversationsMigration is the migration that made conversations: posts
// created before it ran were never filed.
const conversationsMigration = "20261207000701"

// BackfillConversations files, once, the direct posts stored before
// conversations existed into the conversations of the local accounts they
// concern, exactly as they would have been filed on arrival (the remote
// accounts a remote post also addressed are not stored, so its
// participants are its author and the local accounts it mentions), all
// read. A post some conversation already holds is left alone. A run cut
// short is simply run again at the next start. It returns how many posts
// it filed.
func (s *Service) BackfillConversations(ctx context.Context) (int, error) {
	settings, err := s.db.Settings(ctx)
	if err != nil {
		return 0, err
	}
	if settings[conversationsBackfilled] != "" {
		return 0, nil
	}
	before, ok, err := s.db.MigrationAppliedAt(ctx, conversationsMigration)
	if err != nil {
		return 0, err
	}
	if !ok {
		before = s.now()
	}
	filed := 0
	var after int64
	for {
		batch, err := s.db.DirectStatusesOutsideConversations(ctx, before, after, 200)
		if err != nil {
			return filed, err
		}
		if len(batch) == 0 {
			break
		}
		// Oldest first, so that a reply finds the thread its parent
		// was just filed in.
		for _, st := range batch {
			after = st.ID
			mentioned, err := s.db.MentionedAccounts(ctx, st.ID)
			if err != nil {
				return filed, err
			}
			ids := make([]int64, len(mentioned))
			for i, m := range mentioned {
				ids[i] = m.ID
			}
			if err := s.db.InTx(ctx, func(tx storage.Tx) error {
				return s.fileDirectAs(ctx, tx, st, ids, st.Pending(), true)
			}); err != nil {
				return filed, fmt.Errorf("file direct post %d: %w", st.ID, err)
			}
			filed++
		}
	}
	return filed, s.db.PutSetting(ctx, conversationsBackfilled, s.now().UTC().Format(time.RFC3339), s.now())
}
