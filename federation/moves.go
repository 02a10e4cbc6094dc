package federation

import (
	"context"
	"fmt"

	"rounds/social"
	"rounds/storage"
)

// receiveMove applies a Move of actor (who signed it) to another account.
// The object must be the actor itself, and the target is read afresh (from
// its own server, through the SSRF-safe client, when remote): it must list
// the actor in alsoKnownAs, which social.ReceiveMove checks.
func (f *Federation) receiveMove(ctx context.Context, actor *storage.Account, act *ActivityDoc) error {
	if act.ObjectID != actor.URI {
		return fmt.Errorf("%w: a Move is accepted only from the account that moves", social.ErrForbidden)
	}
	if act.Target == "" || act.Target == actor.URI {
		return fmt.Errorf("%w: the Move has no target", social.ErrForbidden)
	}
	var target *storage.Account
	if sameHost(act.Target, f.social.BaseURL()) {
		a, err := f.social.AccountByURI(ctx, act.Target)
		if err != nil || !a.Local() {
			return social.ErrNotFound
		}
		target = a
	} else {
		a, err := f.FetchActor(ctx, act.Target)
		if err != nil {
			f.log.Info("inbox: the target of a Move could not be fetched", "actor", actor.URI, "target", act.Target, "error", err)
			return fmt.Errorf("%w: the Move's target could not be fetched", social.ErrForbidden)
		}
		target = a
	}
	return f.social.ReceiveMove(ctx, actor, target)
}

// moveID is the id of a local account's Move: one per move.
func moveID(a *storage.Account) string {
	var at int64
	if a.MovedAt != nil {
		at = a.MovedAt.UnixMilli()
	}
	return fmt.Sprintf("%s#moves/%d", a.URI, at)
}
