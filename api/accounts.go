package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

func (h *handler) accountRoutes(r chi.Router) {
	r.With(requireUser("profile")).Get("/api/v1/accounts/verify_credentials", h.verifyCredentials)
	r.With(requireUser("write:accounts")).Patch("/api/v1/accounts/update_credentials", h.updateCredentials)
	r.With(requireUser("read:follows")).Get("/api/v1/accounts/relationships", h.relationships)
	r.With(publicRoute("read:accounts")).Get("/api/v1/accounts/lookup", h.lookupAccount)
	r.With(publicRoute("read:accounts")).Get("/api/v1/accounts/{id}", h.getAccount)
	r.With(publicRoute("read:statuses")).Get("/api/v1/accounts/{id}/statuses", h.accountStatuses)
	r.With(publicRoute("read:accounts")).Get("/api/v1/accounts/{id}/followers", h.followersOf)
	r.With(publicRoute("read:accounts")).Get("/api/v1/accounts/{id}/following", h.followingOf)
	r.With(requireUser("write:follows")).Post("/api/v1/accounts/{id}/follow", h.follow)
	r.With(requireUser("write:follows")).Post("/api/v1/accounts/{id}/unfollow", h.unfollow)
	r.With(requireUser("write:blocks")).Post("/api/v1/accounts/{id}/block", h.block)
	r.With(requireUser("write:blocks")).Post("/api/v1/accounts/{id}/unblock", h.unblock)
	r.With(requireUser("read:follows")).Get("/api/v1/follow_requests", h.followRequests)
	r.With(requireUser("write:follows")).Post("/api/v1/follow_requests/{id}/authorize", h.authorizeFollow)
	r.With(requireUser("write:follows")).Post("/api/v1/follow_requests/{id}/reject", h.rejectFollow)
}

// me is the signed-in user's account; routes that call it require a user.
func me(r *http.Request) *storage.Account {
	if u := currentUser(r); u != nil {
		return u.Account
	}
	return nil
}

func (h *handler) verifyCredentials(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	writeJSON(w, http.StatusOK, h.presenter(u.Account).CredentialAccount(r.Context(), u))
}

func (h *handler) updateCredentials(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var in social.ProfileUpdate
	if p.has("display_name") {
		v := p.str("display_name")
		in.DisplayName = &v
	}
	if p.has("note") {
		v := p.str("note")
		in.Note = &v
	}
	if p.has("locked") {
		v := p.boolean("locked")
		in.Locked = &v
	}
	if p.has("discoverable") {
		v := p.boolean("discoverable")
		in.Discoverable = &v
	}
	if p.has("indexable") {
		v := p.boolean("indexable")
		in.Indexable = &v
	}
	if fields, ok := profileFields(p); ok {
		in.Fields = &fields
	}
	if p.has("rounds_views_my_own") { // a Rounds extension
		v := p.boolean("rounds_views_my_own")
		in.ViewsMyOwn = &v
	}
	if _, err := h.social.UpdateProfile(r.Context(), u.Account, in); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).CredentialAccount(r.Context(), u))
}

// profileFields reads fields_attributes[N][name] / [value] in index order.
func profileFields(p params) ([]social.ProfileField, bool) {
	var fields []social.ProfileField
	found := false
	for i := 0; i < 16; i++ {
		name := "fields_attributes[" + strconv.Itoa(i) + "][name]"
		value := "fields_attributes[" + strconv.Itoa(i) + "][value]"
		if !p.has(name) && !p.has(value) {
			continue
		}
		found = true
		fields = append(fields, social.ProfileField{Name: p.str(name), Value: p.str(value)})
	}
	return fields, found
}

// account loads the account named by the {id} route parameter.
func (h *handler) account(r *http.Request) (*storage.Account, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return nil, social.ErrNotFound
	}
	a, err := h.social.AccountByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if a.Suspended() || a.Username == social.InstanceActorUsername {
		return nil, social.ErrNotFound
	}
	return a, nil
}

func (h *handler) getAccount(w http.ResponseWriter, r *http.Request) {
	a, err := h.account(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(me(r)).Account(r.Context(), a))
}

func (h *handler) lookupAccount(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Query().Get("acct"), "@")
	if name == "" {
		h.writeError(w, r, errorf(http.StatusBadRequest, "acct is missing"))
		return
	}
	user, domain, _ := strings.Cut(name, "@")
	if strings.EqualFold(domain, h.social.Domain()) {
		domain = ""
	}
	a, err := h.social.AccountByAcct(r.Context(), user, domain)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(me(r)).Account(r.Context(), a))
}

func (h *handler) accountStatuses(w http.ResponseWriter, r *http.Request) {
	a, err := h.account(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	p, pg, ok := h.pageParams(w, r, 20, 40)
	if !ok {
		return
	}
	if p.boolean("pinned") {
		sts, err := h.social.PinnedStatuses(r.Context(), a)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		var visible []*storage.Status
		for _, st := range sts {
			if h.social.MayView(r.Context(), me(r), st) {
				visible = append(visible, st)
			}
		}
		writeJSON(w, http.StatusOK, h.presenter(me(r)).inContext("account").Statuses(r.Context(), visible))
		return
	}
	if p.boolean("only_media") {
		// The media-only filter is not built yet: say so rather than
		// return posts without media.
		h.writeError(w, r, errorf(http.StatusUnprocessableEntity, "only_media is not supported yet"))
		return
	}
	sts, err := h.social.AccountTimeline(r.Context(), me(r), a, social.AccountTimelineOptions{
		Page: pg, ExcludeReplies: p.boolean("exclude_replies"), ExcludeReblogs: p.boolean("exclude_reblogs"), Tagged: p.str("tagged"),
	})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.linkStatuses(w, r, sts)
	writeJSON(w, http.StatusOK, h.presenter(me(r)).inContext("account").Statuses(r.Context(), sts))
}

func (h *handler) followList(w http.ResponseWriter, r *http.Request, following bool) {
	a, err := h.account(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	_, pg, ok := h.pageParams(w, r, 40, 80)
	if !ok {
		return
	}
	accts, cursors, err := h.social.FollowAccounts(r.Context(), a, following, pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeAccounts(w, r, accts, cursors)
}

func (h *handler) followersOf(w http.ResponseWriter, r *http.Request) { h.followList(w, r, false) }
func (h *handler) followingOf(w http.ResponseWriter, r *http.Request) { h.followList(w, r, true) }

func (h *handler) relationship(ctx context.Context, mine, other *storage.Account) (*Relationship, error) {
	rel, err := h.social.RelationshipWith(ctx, mine, other)
	if err != nil {
		return nil, err
	}
	return &Relationship{
		ID: idString(other.ID), Following: rel.Following, ShowingReblogs: rel.ShowingReblogs, Notifying: rel.Notifying,
		Languages: nil, FollowedBy: rel.FollowedBy, Blocking: rel.Blocking, BlockedBy: rel.BlockedBy,
		Requested: rel.Requested, RequestedBy: rel.RequestedBy, Note: rel.Note, Endorsed: rel.Endorsed,
		Muting: rel.Muting, MutingNotifications: rel.MutingNotifications, DomainBlocking: rel.DomainBlocking,
	}, nil
}

func (h *handler) relationships(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := []*Relationship{}
	for _, s := range p.list("id") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			continue
		}
		other, err := h.social.AccountByID(r.Context(), id)
		if err != nil {
			continue
		}
		rel, err := h.relationship(r.Context(), u.Account, other)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		out = append(out, rel)
	}
	writeJSON(w, http.StatusOK, out)
}

// relationAction runs a follow/block style action on {id} and answers the
// new Relationship.
func (h *handler) relationAction(w http.ResponseWriter, r *http.Request, act func(ctx context.Context, mine, other *storage.Account) error) {
	u := currentUser(r) // requireUser on the route
	other, err := h.account(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := act(r.Context(), u.Account, other); err != nil {
		h.writeError(w, r, err)
		return
	}
	rel, err := h.relationship(r.Context(), u.Account, other)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rel)
}

func (h *handler) follow(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, func(ctx context.Context, mine, other *storage.Account) error {
		_, err := h.social.Follow(ctx, mine, other)
		return err
	})
}

func (h *handler) unfollow(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, h.social.Unfollow)
}

func (h *handler) block(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, h.social.Block)
}

func (h *handler) unblock(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, h.social.Unblock)
}

func (h *handler) followRequests(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	accts, err := h.social.FollowRequests(r.Context(), u.Account, 80)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeAccounts(w, r, accts, nil)
}

func (h *handler) authorizeFollow(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, func(ctx context.Context, mine, other *storage.Account) error {
		return h.social.AuthorizeFollow(ctx, mine, other)
	})
}

func (h *handler) rejectFollow(w http.ResponseWriter, r *http.Request) {
	h.relationAction(w, r, func(ctx context.Context, mine, other *storage.Account) error {
		return h.social.RejectFollow(ctx, mine, other)
	})
}
