package social

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// InstanceActorUsername is the username of the server's own actor, which
// signs the server's fetches. No person can take it: usernames have no dots.
const InstanceActorUsername = "instance.actor"

// InstanceActor returns the server's own actor, creating it (with its key
// pair) the first time.
func (s *Service) InstanceActor(ctx context.Context) (*storage.Account, error) {
	a, err := s.db.AccountByUsername(ctx, InstanceActorUsername, "")
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	pub, priv, err := newKeyPair()
	if err != nil {
		return nil, err
	}
	now := s.now()
	uri := s.base + "/actor"
	a = &storage.Account{
		ID: storage.NewID(), Username: InstanceActorUsername, DisplayName: s.domain,
		URI: uri, URL: s.base + "/about", InboxURL: uri + "/inbox", SharedInboxURL: s.base + "/inbox",
		OutboxURL: uri + "/outbox", KeyID: uri + "#main-key", PublicKeyPEM: pub, PrivateKeyPEM: priv,
		Fields: "[]", Locked: true, ActorType: "Application", CreatedAt: now, UpdatedAt: now,
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error { return tx.UpsertRemoteAccount(ctx, a) })
	if errors.Is(err, storage.ErrConflict) {
		// Another request made it first.
		return s.db.AccountByUsername(ctx, InstanceActorUsername, "")
	}
	return a, err
}

// LocalAccount returns the local account username, or ErrNotFound (also
// for suspended accounts and the instance actor, which are not shown).
func (s *Service) LocalAccount(ctx context.Context, username string) (*storage.Account, error) {
	a, err := s.db.AccountByUsername(ctx, username, "")
	if err != nil {
		return nil, domainErr(err)
	}
	if a.Suspended() || a.Username == InstanceActorUsername {
		return nil, ErrNotFound
	}
	return a, nil
}

// AccountByURI returns a known account by its ActivityPub id.
func (s *Service) AccountByURI(ctx context.Context, uri string) (*storage.Account, error) {
	a, err := s.db.AccountByURI(ctx, uri)
	return a, domainErr(err)
}

// AccountByKeyID returns the account owning a public key we know.
func (s *Service) AccountByKeyID(ctx context.Context, keyID string) (*storage.Account, error) {
	a, err := s.db.AccountByKeyID(ctx, keyID)
	return a, domainErr(err)
}

// StoreRemoteAccount saves what a remote server says about one of its
// accounts. The account's id must be on the domain it claims.
func (s *Service) StoreRemoteAccount(ctx context.Context, a *storage.Account) error {
	u, err := url.Parse(a.URI)
	if err != nil || u.Host == "" {
		return invalid("id", "is not a URL")
	}
	a.Domain = strings.ToLower(u.Host)
	if a.Domain == s.domain {
		return invalid("id", "claims to be a local account")
	}
	// An account's key is on its own host. Signatures are looked up by
	// keyId, and domain blocks and the allowlist are checked on the
	// keyId's host: a key claimed on another host would let an account
	// speak from behind an allowed domain.
	if a.KeyID != "" {
		if k, err := url.Parse(a.KeyID); err != nil || !strings.EqualFold(k.Host, u.Host) {
			return invalid("publicKey", "is not on the account's own host")
		}
	}
	now := s.now()
	a.FetchedAt = &now
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	a.UpdatedAt = now
	a.PrivateKeyPEM = ""
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error {
		// Domain blocks (domains.go): an account first stored from a
		// blocked domain gets the block's suspension or limit.
		_, err := tx.AccountByURI(ctx, a.URI)
		isNew := errors.Is(err, storage.ErrNotFound)
		if err != nil && !isNew {
			return err
		}
		mark, markedAt, err := s.limitNewRemoteAccount(ctx, tx, a, isNew)
		if err != nil {
			return err
		}
		if err := tx.UpsertRemoteAccount(ctx, a); err != nil {
			return err
		}
		if mark != "" {
			return tx.MarkAccountForDomain(ctx, a.ID, mark, markedAt)
		}
		return nil
	}))
}

// Stats are the counts NodeInfo publishes.
type Stats struct {
	Users, LocalPosts int
}

// Stats counts local users and posts.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	u, err := s.db.CountLocalUsers(ctx)
	if err != nil {
		return Stats{}, err
	}
	p, err := s.db.CountLocalStatuses(ctx)
	return Stats{Users: u, LocalPosts: p}, err
}

// AccountCounts are an account's public counts.
type AccountCounts struct{ Followers, Following, Statuses int }

// Counts returns a's follower, following and status counts.
func (s *Service) Counts(ctx context.Context, a *storage.Account) (AccountCounts, error) {
	var c AccountCounts
	var err error
	if c.Followers, err = s.db.FollowerCount(ctx, a.ID); err != nil {
		return c, err
	}
	if c.Following, err = s.db.FollowingCount(ctx, a.ID); err != nil {
		return c, err
	}
	c.Statuses, err = s.db.CountAccountStatuses(ctx, a.ID)
	return c, err
}

// FollowerInboxes returns the inboxes that a's followers-addressed
// activities go to, one per server where a shared inbox exists.
func (s *Service) FollowerInboxes(ctx context.Context, a *storage.Account) ([]string, error) {
	return s.db.FollowerInboxes(ctx, a.ID)
}

// MentionedAccounts returns the accounts a status mentions.
func (s *Service) MentionedAccounts(ctx context.Context, st *storage.Status) ([]*storage.Account, error) {
	return s.db.MentionedAccounts(ctx, st.ID)
}

// FollowByID returns a follow.
func (s *Service) FollowByID(ctx context.Context, id int64) (*storage.Follow, error) {
	f, err := s.db.FollowByID(ctx, id)
	return f, domainErr(err)
}

// AccountByID returns an account.
func (s *Service) AccountByID(ctx context.Context, id int64) (*storage.Account, error) {
	a, err := s.db.AccountByID(ctx, id)
	return a, domainErr(err)
}

// FirstReceipt records that the activity uri arrived; it reports false when
// it had arrived before, so it is applied once.
func (s *Service) FirstReceipt(ctx context.Context, uri string) (bool, error) {
	return s.db.MarkReceived(ctx, uri, s.now())
}

// ForgetReceipt undoes FirstReceipt after applying the activity failed, so
// that the sender's retry is applied.
func (s *Service) ForgetReceipt(ctx context.Context, uri string) error {
	return s.db.UnmarkReceived(ctx, uri)
}

// FollowURIs pages the actor ids of a's followers, or of the accounts a
// follows; it returns the cursor for the next page (0 at the end).
func (s *Service) FollowURIs(ctx context.Context, a *storage.Account, following bool, maxID int64, limit int) ([]string, int64, error) {
	uris, last, err := s.db.FollowURIs(ctx, a.ID, following, maxID, limit)
	if len(uris) < limit {
		last = 0
	}
	return uris, last, err
}

// PublicStatuses pages a's public and unlisted statuses, newest first.
func (s *Service) PublicStatuses(ctx context.Context, a *storage.Account, p storage.Page) ([]*storage.Status, error) {
	return s.db.AccountStatuses(ctx, a.ID, []string{VisibilityPublic, VisibilityUnlisted}, p)
}

// RefreshAccountArgs is the durable job that fetches a remote actor again
// when our copy is stale.
type RefreshAccountArgs struct {
	URI string `json:"uri"`
}

// Kind names the job kind.
func (RefreshAccountArgs) Kind() string { return "refresh_account" }

// InsertOpts keeps one refresh per actor per hour, however many activities
// arrive from it.
func (RefreshAccountArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}}
}

// RefreshIfStale queues a refresh of remote account a when it was last
// fetched longer ago than maxAge.
func (s *Service) RefreshIfStale(ctx context.Context, a *storage.Account, maxAge time.Duration) error {
	if a.Local() || a.FetchedAt != nil && s.now().Sub(*a.FetchedAt) < maxAge {
		return nil
	}
	return s.jobs.Insert(ctx, RefreshAccountArgs{URI: a.URI}, nil)
}
