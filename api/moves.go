package api

import (
	"context"

	"rounds/storage"
)

// moved is the `moved` of a's entity: the account it moved to, rendered
// without a `moved` of its own (as Mastodon nests it once), or nil.
func (p *present) moved(ctx context.Context, a *storage.Account) *Account {
	if !a.Moved() || p.nestedMove {
		return nil
	}
	t := p.h.social.MovedTo(ctx, a)
	if t == nil || t.ID == a.ID {
		return nil
	}
	p.nestedMove = true
	defer func() { p.nestedMove = false }()
	return p.renderAccount(ctx, t)
}
