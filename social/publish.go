package social

import (
	"context"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// Activity types that local actions publish to other servers.
const (
	PublishFollow     = "Follow"
	PublishUndoFollow = "Undo:Follow"
	PublishAccept     = "Accept"
	PublishReject     = "Reject"
	PublishCreate     = "Create"
	PublishDelete     = "Delete"
	PublishLike       = "Like"
	PublishUndoLike   = "Undo:Like"
	PublishAnnounce   = "Announce"
	PublishUndoBoost  = "Undo:Announce"
	PublishUpdate     = "Update"
	PublishBlock      = "Block"
	PublishUndoBlock  = "Undo:Block"
	// PublishVote sends a local vote in a remote poll: a Create of a Note
	// naming the option (Content), in reply to the Question (ObjectURI).
	PublishVote = "Create:Vote"
	// PublishUpdatePoll sends a local poll's Question again with its
	// current counts (no edit of the text).
	PublishUpdatePoll = "Update:Question"
	// PublishUpdateProfile sends the actor itself, changed.
	PublishUpdateProfile = "Update:Person"
)

// Job arguments carry IDs as JSON strings: some queue drivers pass the
// arguments through float64, which cannot hold a 64-bit ID exactly.

// PublishArgs is the durable job that tells the federation layer a local
// action happened. It is inserted in the same transaction as the action;
// federation turns it into an activity and one delivery per inbox. It names
// rows, not documents, so the domain does not need to speak ActivityStreams.
type PublishArgs struct {
	Type      string `json:"type"`
	AccountID int64  `json:"account_id,string"` // the local actor
	FollowID  int64  `json:"follow_id,omitempty,string"`
	StatusID  int64  `json:"status_id,omitempty,string"`
	// ActivityURI is the activity's own id where the action decided it
	// (a like, a block) or the id of the activity being undone.
	ActivityURI string `json:"activity_uri,omitempty"`
	// ObjectURI is what the activity is about, for rows that may be gone
	// by the time it is sent (a deleted or unliked status).
	ObjectURI       string `json:"object_uri,omitempty"`
	TargetAccountID int64  `json:"target_account_id,omitempty,string"`
	Visibility      string `json:"visibility,omitempty"`
	// Inboxes are extra recipients decided when the action happened (the
	// author of a liked post), for activities about rows that may be gone.
	Inboxes []string `json:"inboxes,omitempty"`
	// ObjectURIs are what a Flag reports; Content is its comment.
	ObjectURIs []string `json:"object_uris,omitempty"`
	Content    string   `json:"content,omitempty"`
	// LocalOnly marks an action about a local-only post (see
	// skipLocalOnly), for rows that may be gone.
	LocalOnly bool `json:"local_only,omitempty"`
}

// Kind names the job kind.
func (PublishArgs) Kind() string { return "publish" }

// InsertOpts retries publishing a few times; it touches only the database.
func (PublishArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

func (s *Service) publish(ctx context.Context, tx storage.Tx, args PublishArgs) error {
	if s.jobs == nil {
		return nil
	}
	if local, err := aboutLocalOnly(ctx, tx, args); err != nil || local {
		return err
	}
	return s.jobs.InsertTx(ctx, tx, args, nil)
}
