package federation

import (
	"context"
	"encoding/json"
	"fmt"

	"rounds/storage"
)

// The documents of a person's archive (social.ExportOutbox): each post as
// the Create activity that published it, whatever its visibility, and the
// person's actor. Federation implements social.ActivityRenderer with them.

// CreateActivityJSON renders local status st as the Create activity, with
// its Note embedded, that other servers received for it.
func (f *Federation) CreateActivityJSON(ctx context.Context, st *storage.Status) (json.RawMessage, error) {
	if !st.Local || st.ReblogOfID != nil {
		return nil, fmt.Errorf("archive: status %d is not a local post", st.ID)
	}
	author := st.Account
	if author == nil {
		a, err := f.social.AccountByID(ctx, st.AccountID)
		if err != nil {
			return nil, fmt.Errorf("archive: author of status %d: %w", st.ID, err)
		}
		author = a
	}
	note, err := f.noteDoc(ctx, st, author)
	if err != nil {
		return nil, fmt.Errorf("archive: status %d: %w", st.ID, err)
	}
	return MarshalActivity(ActivityDoc{
		ID: st.URI + "/activity", Type: "Create", Actor: author.URI, To: note.To, Cc: note.Cc,
		Published: st.CreatedAt, ObjectID: st.URI, Note: &note,
	})
}

// ActorJSON renders local account a's actor document, as served at its id.
func (f *Federation) ActorJSON(ctx context.Context, a *storage.Account) (json.RawMessage, error) {
	return MarshalActor(f.actorDoc(a))
}
