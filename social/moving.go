package social

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// Moving accounts, as Mastodon does it: the new account first lists the
// old one among its aliases (ActivityPub alsoKnownAs); the old account then
// moves (movedTo, and a Move activity to its followers), and each follower's
// server makes its people follow the new account instead of the old.

// NotifyMove tells a follower that an account they follow moved.
const NotifyMove = "move"

// PublishMove sends a local account's Move (actor and object the account,
// target ObjectURI, the new account) to its followers.
const PublishMove = "Move"

// MoveCooldown is how long after one move of an account a second is
// ignored, as Mastodon's cooldown; it keeps a hijacked or flapping account
// from dragging its followers around.
const MoveCooldown = 30 * 24 * time.Hour

// MaxAliases bounds the aliases a local account may set.
const MaxAliases = 10

// maxStoredAliases bounds the aliases kept of a remote actor, which may
// list more than we let our own accounts set.
const maxStoredAliases = 100

// Aliases returns the actor ids a lists as its aliases (alsoKnownAs).
func Aliases(a *storage.Account) []string {
	var out []string
	if a.AlsoKnownAs != "" {
		_ = json.Unmarshal([]byte(a.AlsoKnownAs), &out)
	}
	return out
}

// AliasesJSON is the stored form of aliases: a JSON array of distinct
// actor ids, at most maxStoredAliases of them.
func AliasesJSON(uris []string) string {
	out := []string{}
	for _, u := range uris {
		if u != "" && !slices.Contains(out, u) && len(out) < maxStoredAliases {
			out = append(out, u)
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// resolveHandle finds the account user@domain (a leading @ allowed; a bare
// name or this server's domain is a local account), asking a remote
// server afresh through WebFinger.
func (s *Service) resolveHandle(ctx context.Context, handle string) (*storage.Account, error) {
	handle = strings.TrimPrefix(strings.TrimSpace(handle), "@")
	user, domain, _ := strings.Cut(handle, "@")
	if user == "" || strings.ContainsAny(user, " /:") {
		return nil, invalid("", "Give the account's address, such as name@server.example.")
	}
	if domain == "" || strings.EqualFold(domain, s.domain) {
		a, err := s.db.AccountByUsername(ctx, user, "")
		if err != nil {
			return nil, invalid("", "@"+user+" is not an account on this server.")
		}
		return a, nil
	}
	if s.resolver == nil {
		return nil, invalid("", "Accounts on other servers cannot be looked up here.")
	}
	a, err := s.resolver.ResolveAccount(ctx, user+"@"+domain)
	if err != nil {
		s.log.Info("resolve account for a move or alias", "acct", handle, "error", err)
		return nil, invalid("", "@"+user+"@"+domain+" could not be found: its server did not answer with an account.")
	}
	return a, nil
}

// AddAlias adds the account at handle to me's aliases: an account that
// may move to me. Other servers learn it from me's actor (an Update).
func (s *Service) AddAlias(ctx context.Context, me *storage.Account, handle string) (*storage.Account, error) {
	if !me.Local() {
		return nil, ErrForbidden
	}
	other, err := s.resolveHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	if other.ID == me.ID {
		return nil, invalid("", "An account cannot be its own alias.")
	}
	aliases := Aliases(me)
	if slices.Contains(aliases, other.URI) {
		return other, nil
	}
	if len(aliases) >= MaxAliases {
		return nil, invalid("", fmt.Sprintf("An account has at most %d aliases; remove one first.", MaxAliases))
	}
	return other, s.setAliases(ctx, me, append(aliases, other.URI))
}

// RemoveAlias takes the actor id uri from me's aliases.
func (s *Service) RemoveAlias(ctx context.Context, me *storage.Account, uri string) error {
	aliases := Aliases(me)
	kept := slices.DeleteFunc(slices.Clone(aliases), func(u string) bool { return u == uri })
	if len(kept) == len(aliases) {
		return nil
	}
	return s.setAliases(ctx, me, kept)
}

func (s *Service) setAliases(ctx context.Context, me *storage.Account, uris []string) error {
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		fresh, err := tx.AccountByID(ctx, me.ID)
		if err != nil {
			return err
		}
		fresh.AlsoKnownAs = AliasesJSON(uris)
		if err := tx.UpdateAccount(ctx, fresh, "also_known_as"); err != nil {
			return err
		}
		*me = *fresh
		return s.publish(ctx, tx, PublishArgs{Type: PublishUpdateProfile, AccountID: me.ID})
	})
	return domainErr(err)
}

// MoveAccount moves u's account to the account at handle, which must list
// it among its aliases (asked afresh of its server). The account then
// shows as moved, refuses new posts and loses its verified field (the
// verification record stays); its followers here follow the new account,
// and its followers elsewhere get a Move.
func (s *Service) MoveAccount(ctx context.Context, u *storage.User, password, handle string) (*storage.Account, error) {
	fresh, err := s.db.UserWithAccountByID(ctx, u.ID)
	if err != nil {
		return nil, domainErr(err)
	}
	if !CheckPassword(fresh, password) {
		return nil, ErrBadCredentials
	}
	me := fresh.Account
	if me.Suspended() {
		return nil, ErrForbidden
	}
	if me.Moved() {
		return nil, invalid("", "This account has already moved to "+me.MovedToURI+".")
	}
	target, err := s.resolveHandle(ctx, handle)
	if err != nil {
		return nil, err
	}
	switch {
	case target.ID == me.ID:
		return nil, invalid("", "An account cannot move to itself.")
	case target.Suspended():
		return nil, invalid("", s.handleOf(target)+" is suspended.")
	case target.Moved():
		return nil, invalid("", s.handleOf(target)+" has itself moved to another account.")
	case !slices.Contains(Aliases(target), me.URI):
		return nil, invalid("", fmt.Sprintf("%s does not list this account as an alias, so the move was refused. On the new account, add %s as an alias (also known as) first, then move.", s.handleOf(target), s.handleOf(me)))
	}
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		acct, err := tx.AccountByID(ctx, me.ID)
		if err != nil {
			return err
		}
		if acct.Moved() {
			return invalid("", "This account has already moved to "+acct.MovedToURI+".")
		}
		now := s.now()
		acct.MovedToURI, acct.MovedAt = target.URI, &now
		// The badge is the server's word about this account's holder; it
		// does not travel with the move (the record stays for the admins).
		if acct.Fields, err = withVerifiedField(acct.Fields, nil, now); err != nil {
			return err
		}
		if err := tx.UpdateAccount(ctx, acct, "moved_to_uri", "moved_at", "fields"); err != nil {
			return err
		}
		if err := s.publish(ctx, tx, PublishArgs{Type: PublishUpdateProfile, AccountID: acct.ID}); err != nil {
			return err
		}
		if err := s.publish(ctx, tx, PublishArgs{Type: PublishMove, AccountID: acct.ID, ObjectURI: target.URI}); err != nil {
			return err
		}
		me = acct
		return s.queueMoveFollowers(ctx, tx, acct, target)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	return target, nil
}

// ReceiveMove applies a Move of the remote account old to target, both as
// fetched afresh by the caller (which checked that old itself sent it).
// target must list old among its aliases. A second Move of an account
// within MoveCooldown is ignored.
func (s *Service) ReceiveMove(ctx context.Context, old, target *storage.Account) error {
	if old.Local() {
		return ErrForbidden
	}
	switch {
	case target.ID == old.ID:
		return invalid("target", "is the moving account itself")
	case !slices.Contains(Aliases(target), old.URI):
		return fmt.Errorf("%w: the Move's target does not list %s in alsoKnownAs", ErrForbidden, old.URI)
	case target.Suspended():
		return fmt.Errorf("%w: the Move's target is suspended here", ErrForbidden)
	}
	err := s.db.InTx(ctx, func(tx storage.Tx) error {
		acct, err := tx.AccountByID(ctx, old.ID)
		if err != nil {
			return err
		}
		now := s.now()
		if acct.MovedAt != nil && now.Sub(*acct.MovedAt) < MoveCooldown {
			return errMoveCooldown
		}
		acct.MovedToURI, acct.MovedAt = target.URI, &now
		if err := tx.UpdateAccount(ctx, acct, "moved_to_uri", "moved_at"); err != nil {
			return err
		}
		*old = *acct
		return s.queueMoveFollowers(ctx, tx, acct, target)
	})
	if errors.Is(err, errMoveCooldown) {
		s.log.Info("move ignored: the account moved less than the cooldown ago", "account", old.URI, "target", target.URI)
		return nil
	}
	return domainErr(err)
}

var errMoveCooldown = errors.New("moved recently")

// MovedTo returns the account a moved to, or nil when it has not moved or
// that account is not known here.
func (s *Service) MovedTo(ctx context.Context, a *storage.Account) *storage.Account {
	if !a.Moved() {
		return nil
	}
	t, err := s.db.AccountByURI(ctx, a.MovedToURI)
	if err != nil {
		return nil
	}
	return t
}

// MoveFollowersArgs is the job that makes the local followers of OldID
// follow NewID instead.
type MoveFollowersArgs struct {
	OldID int64 `json:"old_id,string"`
	NewID int64 `json:"new_id,string"`
}

// Kind names the job kind.
func (MoveFollowersArgs) Kind() string { return "move_followers" }

func (s *Service) queueMoveFollowers(ctx context.Context, tx storage.Tx, old, target *storage.Account) error {
	if s.jobs == nil {
		return nil
	}
	return s.jobs.InsertTx(ctx, tx, MoveFollowersArgs{OldID: old.ID, NewID: target.ID}, nil)
}

type moveFollowersWorker struct {
	river.WorkerDefaults[MoveFollowersArgs]
	s *Service
}

// Work moves each local follower: it follows the new account first and
// only then leaves the old, so a retry after a crash loses nobody.
func (w *moveFollowersWorker) Work(ctx context.Context, job *river.Job[MoveFollowersArgs]) error {
	s := w.s
	old, err := s.db.AccountByID(ctx, job.Args.OldID)
	if err != nil {
		return river.JobCancel(err)
	}
	target, err := s.db.AccountByID(ctx, job.Args.NewID)
	if err != nil {
		return river.JobCancel(err)
	}
	followers, err := s.db.LocalFollowersOf(ctx, old.ID)
	if err != nil {
		return err
	}
	for _, f := range followers {
		if f.ID == target.ID || f.Suspended() || f.Moved() {
			continue
		}
		if err := s.moveFollower(ctx, f, old, target); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) moveFollower(ctx context.Context, f, old, target *storage.Account) error {
	// Neither blocking the other (BlockBetween finds no block either
	// way), the follower follows the new account; otherwise they only
	// leave the old one.
	_, noBlock := s.db.BlockBetween(ctx, f.ID, target.ID)
	_, noBlockBack := s.db.BlockBetween(ctx, target.ID, f.ID)
	if errors.Is(noBlock, storage.ErrNotFound) && errors.Is(noBlockBack, storage.ErrNotFound) {
		if _, err := s.Follow(ctx, f, target); err != nil {
			var ve *ValidationError
			if !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrNotFound) && !errors.As(err, &ve) {
				return err
			}
		}
	}
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error {
		fl, err := tx.FollowBetween(ctx, f.ID, old.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteFollow(ctx, fl); err != nil {
			return err
		}
		if !old.Local() {
			if err := s.publish(ctx, tx, PublishArgs{Type: PublishUndoFollow, AccountID: f.ID, ActivityURI: fl.URI, TargetAccountID: old.ID}); err != nil {
				return err
			}
		}
		return s.notify(ctx, tx, f, old, NotifyMove, nil)
	}))
}

// badgeOf is the verification whose field a's profile shows: none once a
// has moved, whatever the record (which stays) says.
func badgeOf(a *storage.Account, v *storage.ClinicianVerification) *storage.ClinicianVerification {
	if a.Moved() {
		return nil
	}
	return v
}

// handleOf is a's address, @name@server.
func (s *Service) handleOf(a *storage.Account) string {
	if a.Local() {
		return "@" + a.Username + "@" + s.domain
	}
	return "@" + a.Username + "@" + a.Domain
}

// movedError is why a moved account may not post.
func movedError(a *storage.Account) error {
	return invalid("", "this account has moved to "+a.MovedToURI+"; post from the new account")
}
