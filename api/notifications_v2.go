package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

func (h *handler) notificationV2Routes(r chi.Router) {
	r.With(requireUser("read:notifications")).Get("/api/v2/notifications", h.groupedNotifications)
	r.With(requireUser("read:notifications")).Get("/api/v2/notifications/unread_count", h.unreadNotificationCount)
	r.With(requireUser("read:notifications")).Get("/api/v2/notifications/{group_key}", h.notificationGroup)
	r.With(requireUser("read:notifications")).Get("/api/v2/notifications/{group_key}/accounts", h.notificationGroupAccounts)
	r.With(requireUser("write:notifications")).Post("/api/v2/notifications/{group_key}/dismiss", h.dismissNotificationGroup)
}

// NotificationGroup is Mastodon's NotificationGroup entity: notifications
// of one kind about one thing, shown as one entry.
type NotificationGroup struct {
	GroupKey                 string   `json:"group_key"`
	NotificationsCount       int      `json:"notifications_count"`
	Type                     string   `json:"type"`
	MostRecentNotificationID string   `json:"most_recent_notification_id"`
	PageMinID                *string  `json:"page_min_id"`
	PageMaxID                *string  `json:"page_max_id"`
	LatestPageNotificationAt *string  `json:"latest_page_notification_at"`
	SampleAccountIDs         []string `json:"sample_account_ids"`
	StatusID                 *string  `json:"status_id"`
}

// GroupedNotificationsResults is Mastodon's GroupedNotificationsResults:
// the groups with the accounts and statuses they refer to, each once.
// Accounts are always rendered in full, so partial_accounts stays empty
// even for expand_accounts=partial_avatars.
type GroupedNotificationsResults struct {
	Accounts           []*Account           `json:"accounts"`
	PartialAccounts    []*Account           `json:"partial_accounts"`
	Statuses           []*Status            `json:"statuses"`
	NotificationGroups []*NotificationGroup `json:"notification_groups"`
}

// sampleAccounts is how many senders a group names, as Mastodon.
const sampleAccounts = 8

// groupFilter is what a grouped request keeps and how it groups.
type groupFilter struct {
	types, exclude, grouped []string
	accountID               int64
	includeFiltered         bool
}

func groupFilterFrom(p params) (groupFilter, error) {
	f := groupFilter{types: p.list("types"), exclude: p.list("exclude_types"), grouped: social.GroupableNotificationTypes,
		includeFiltered: p.boolean("include_filtered")}
	if p.has("grouped_types[]") || p.has("grouped_types") {
		f.grouped = p.list("grouped_types")
	}
	var err error
	f.accountID, err = p.id("account_id")
	return f, err
}

// pageGroup is a group as found in a page of raw notifications, newest
// first.
type pageGroup struct {
	key     string
	page    []*storage.Notification
	members []*storage.Notification // the whole group, when already read
}

// scanNotifications reads up to max raw notifications from pg onwards in
// chunks, in the order the page walks: newest first, or oldest first when
// paging forward with min_id.
func (h *handler) scanNotifications(ctx context.Context, me *storage.Account, f groupFilter, pg storage.Page, max int) ([]*storage.Notification, error) {
	chunk := storage.Page{MaxID: pg.MaxID, SinceID: pg.SinceID, MinID: pg.MinID, Limit: 80}
	var rows []*storage.Notification
	for len(rows) < max {
		ns, err := h.social.NotificationsFrom(ctx, me, f.accountID, f.includeFiltered, f.types, f.exclude, chunk)
		if err != nil {
			return nil, err
		}
		if pg.MinID > 0 {
			slices.Reverse(ns)
		}
		rows = append(rows, ns...)
		if len(ns) < chunk.Limit {
			break
		}
		if pg.MinID > 0 {
			chunk.MinID = ns[len(ns)-1].ID
		} else {
			chunk.MaxID = ns[len(ns)-1].ID
		}
	}
	return rows, nil
}

// groupedNotifications pages notification groups. It reads raw
// notifications (at most four times the limit) and groups them in the
// order met; the page ends just before the first notification of the group
// one past the limit, so the next page, starting at page_min_id of the
// oldest, skips nothing. A group may reappear there with older members,
// as on Mastodon.
func (h *handler) groupedNotifications(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	ctx := r.Context()
	p, pg, ok := h.pageParams(w, r, 40, 80)
	if !ok {
		return
	}
	f, err := groupFilterFrom(p)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	rows, err := h.scanNotifications(ctx, u.Account, f, pg, 4*pg.Limit)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(u.Account).inContext("notifications")
	byKey := map[string]*pageGroup{}
	var groups []*pageGroup
	var newest, oldest int64
	for _, n := range rows {
		keep := (f.accountID == 0 || n.FromAccountID == f.accountID) && !pr.hidden(ctx, n.Status)
		if keep {
			key := social.NotificationGroupKey(n, f.grouped)
			g := byKey[key]
			if g == nil {
				if len(groups) == pg.Limit {
					break
				}
				g = &pageGroup{key: key}
				byKey[key] = g
				groups = append(groups, g)
			}
			g.page = append(g.page, n)
		}
		if newest == 0 || n.ID > newest {
			newest = n.ID
		}
		if oldest == 0 || n.ID < oldest {
			oldest = n.ID
		}
	}
	for _, g := range groups {
		slices.SortFunc(g.page, func(a, b *storage.Notification) int { return cmpDesc(a.ID, b.ID) })
	}
	slices.SortFunc(groups, func(a, b *pageGroup) int { return cmpDesc(a.page[0].ID, b.page[0].ID) })
	out := h.groupResults(ctx, pr, u.Account, groups)
	setLink(w, r, h.social.BaseURL(), newest, oldest, len(groups))
	writeJSON(w, http.StatusOK, out)
}

func cmpDesc(a, b int64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// groupResults renders groups, each with its whole membership counted and
// sampled, and the accounts and statuses they name, once each.
func (h *handler) groupResults(ctx context.Context, pr *present, me *storage.Account, groups []*pageGroup) *GroupedNotificationsResults {
	out := &GroupedNotificationsResults{
		Accounts: []*Account{}, PartialAccounts: []*Account{}, Statuses: []*Status{}, NotificationGroups: []*NotificationGroup{},
	}
	seenAccounts := map[int64]bool{}
	seenStatuses := map[int64]bool{}
	var sts []*storage.Status
	for _, g := range groups {
		members := g.members
		if members == nil {
			members = g.page
			if !strings.HasPrefix(g.key, "ungrouped-") {
				if all, err := h.social.NotificationGroup(ctx, me, g.key); err == nil {
					members = all
				}
			}
		}
		first := g.page[0]
		ng := &NotificationGroup{
			GroupKey: g.key, NotificationsCount: len(members), Type: first.Type,
			MostRecentNotificationID: idString(members[0].ID),
			PageMaxID:                optID(&g.page[0].ID), PageMinID: optID(&g.page[len(g.page)-1].ID),
			SampleAccountIDs: []string{}, StatusID: optID(first.StatusID),
		}
		at := mastoTime(first.CreatedAt)
		ng.LatestPageNotificationAt = &at
		sampled := map[int64]bool{}
		for _, n := range members {
			if len(ng.SampleAccountIDs) == sampleAccounts {
				break
			}
			if n.FromAccount == nil || sampled[n.FromAccountID] {
				continue
			}
			sampled[n.FromAccountID] = true
			ng.SampleAccountIDs = append(ng.SampleAccountIDs, idString(n.FromAccountID))
			if !seenAccounts[n.FromAccountID] {
				seenAccounts[n.FromAccountID] = true
				out.Accounts = append(out.Accounts, pr.Account(ctx, n.FromAccount))
			}
		}
		if first.Status != nil && !seenStatuses[first.Status.ID] {
			seenStatuses[first.Status.ID] = true
			sts = append(sts, first.Status)
		}
		out.NotificationGroups = append(out.NotificationGroups, ng)
	}
	if len(sts) > 0 {
		out.Statuses = pr.Statuses(ctx, sts)
	}
	return out
}

// notificationGroup answers one group, as a GroupedNotificationsResults.
func (h *handler) notificationGroup(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	members, err := h.social.NotificationGroup(r.Context(), u.Account, chi.URLParam(r, "group_key"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(u.Account).inContext("notifications")
	out := h.groupResults(r.Context(), pr, u.Account, []*pageGroup{{key: chi.URLParam(r, "group_key"), page: members, members: members}})
	writeJSON(w, http.StatusOK, out)
}

// notificationGroupAccounts answers every account of a group, newest
// first, each once.
func (h *handler) notificationGroupAccounts(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	members, err := h.social.NotificationGroup(r.Context(), u.Account, chi.URLParam(r, "group_key"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(u.Account)
	out := []*Account{}
	seen := map[int64]bool{}
	for _, n := range members {
		if n.FromAccount != nil && !seen[n.FromAccountID] {
			seen[n.FromAccountID] = true
			out = append(out, pr.Account(r.Context(), n.FromAccount))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// dismissNotificationGroup removes every notification of a group; like
// Mastodon it answers {} even when there was nothing to remove.
func (h *handler) dismissNotificationGroup(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	members, err := h.social.NotificationGroup(r.Context(), u.Account, chi.URLParam(r, "group_key"))
	if err != nil && !errors.Is(err, social.ErrNotFound) {
		h.writeError(w, r, err)
		return
	}
	for _, n := range members {
		if err := h.social.DismissNotifications(r.Context(), u.Account, n.ID); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, nil)
}

// unreadNotificationCount counts the groups of notifications newer than
// the notifications marker, up to limit (default 100, at most 1000).
func (h *handler) unreadNotificationCount(w http.ResponseWriter, r *http.Request) {
	h.countUnread(w, r, func(n *storage.Notification, f groupFilter) string {
		return social.NotificationGroupKey(n, f.grouped)
	})
}

// countUnread answers how many notifications (told apart by key: each one
// for v1, each group for v2) are newer than the person's notifications
// marker, up to limit (default 100, at most 1000), leaving out what the
// lists leave out.
func (h *handler) countUnread(w http.ResponseWriter, r *http.Request, key func(*storage.Notification, groupFilter) string) {
	u := currentUser(r) // requireUser on the route
	ctx := r.Context()
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pg, err := pageFrom(p, 100, 1000)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	f, err := groupFilterFrom(p)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ms, err := h.social.Markers(ctx, u.Account, []string{social.MarkerNotifications})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var since int64
	if len(ms) > 0 {
		since = ms[0].LastReadID
	}
	pr := h.presenter(u.Account).inContext("notifications")
	keys := map[string]bool{}
	chunk := storage.Page{SinceID: since, Limit: 80}
	for range 100 {
		ns, err := h.social.Notifications(ctx, u.Account, f.types, f.exclude, chunk)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		for _, n := range ns {
			if len(keys) == pg.Limit {
				break
			}
			if (f.accountID == 0 || n.FromAccountID == f.accountID) && !pr.hidden(ctx, n.Status) {
				keys[key(n, f)] = true
			}
		}
		if len(ns) < chunk.Limit || len(keys) == pg.Limit {
			break
		}
		chunk.MaxID = ns[len(ns)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": len(keys)})
}
