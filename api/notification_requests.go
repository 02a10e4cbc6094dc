package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// Mastodon 4.3's notification filtering: the policy (v2, and v1's older
// boolean shape) and the requests that hold filtered notifications.
func (h *handler) notificationRequestRoutes(r chi.Router) {
	read, write := requireUser("read:notifications"), requireUser("write:notifications")
	r.With(read).Get("/api/v2/notifications/policy", h.notificationPolicyV2)
	r.With(write).Patch("/api/v2/notifications/policy", h.changeNotificationPolicyV2)
	r.With(write).Put("/api/v2/notifications/policy", h.changeNotificationPolicyV2)
	r.With(read).Get("/api/v1/notifications/policy", h.notificationPolicyV1)
	r.With(write).Put("/api/v1/notifications/policy", h.changeNotificationPolicyV1)
	r.With(write).Patch("/api/v1/notifications/policy", h.changeNotificationPolicyV1)

	r.With(read).Get("/api/v1/notifications/requests", h.notificationRequests)
	r.With(read).Get("/api/v1/notifications/requests/merged", h.notificationRequestsMerged)
	r.With(write).Post("/api/v1/notifications/requests/accept", h.bulkNotificationRequests(h.social.AcceptNotificationRequest))
	r.With(write).Post("/api/v1/notifications/requests/dismiss", h.bulkNotificationRequests(h.social.DismissNotificationRequest))
	r.With(read).Get("/api/v1/notifications/requests/{id}", h.idAction(h.notificationRequest))
	r.With(write).Post("/api/v1/notifications/requests/{id}/accept", h.idAction(h.oneNotificationRequest(h.social.AcceptNotificationRequest)))
	r.With(write).Post("/api/v1/notifications/requests/{id}/dismiss", h.idAction(h.oneNotificationRequest(h.social.DismissNotificationRequest)))

	r.With(read).Get("/api/v1/notifications/unread_count", h.unreadNotificationCountV1)
	r.With(write).Post("/api/v2/notifications/clear", h.clearNotifications)
}

// NotificationPolicyV2 is Mastodon's NotificationPolicy entity (v2).
type NotificationPolicyV2 struct {
	ForNotFollowing    string              `json:"for_not_following"`
	ForNotFollowers    string              `json:"for_not_followers"`
	ForNewAccounts     string              `json:"for_new_accounts"`
	ForPrivateMentions string              `json:"for_private_mentions"`
	ForLimitedAccounts string              `json:"for_limited_accounts"`
	Summary            NotificationSummary `json:"summary"`
}

// NotificationPolicyV1 is the NotificationPolicy of /api/v1 (Mastodon
// 4.3's deprecated shape): a boolean for each rule, true when the rule
// does not simply accept.
type NotificationPolicyV1 struct {
	FilterNotFollowing    bool                `json:"filter_not_following"`
	FilterNotFollowers    bool                `json:"filter_not_followers"`
	FilterNewAccounts     bool                `json:"filter_new_accounts"`
	FilterPrivateMentions bool                `json:"filter_private_mentions"`
	Summary               NotificationSummary `json:"summary"`
}

// NotificationSummary is a policy's summary of what waits in requests.
type NotificationSummary struct {
	PendingRequestsCount      int `json:"pending_requests_count"`
	PendingNotificationsCount int `json:"pending_notifications_count"`
}

func (h *handler) policySummary(r *http.Request) (NotificationSummary, error) {
	reqs, notes, err := h.social.PendingNotifications(r.Context(), me(r))
	return NotificationSummary{PendingRequestsCount: reqs, PendingNotificationsCount: notes}, err
}

func (h *handler) writePolicyV2(w http.ResponseWriter, r *http.Request, p social.NotificationPolicy) {
	sum, err := h.policySummary(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, NotificationPolicyV2{
		ForNotFollowing: p.ForNotFollowing, ForNotFollowers: p.ForNotFollowers, ForNewAccounts: p.ForNewAccounts,
		ForPrivateMentions: p.ForPrivateMentions, ForLimitedAccounts: p.ForLimitedAccounts, Summary: sum,
	})
}

func (h *handler) writePolicyV1(w http.ResponseWriter, r *http.Request, p social.NotificationPolicy) {
	sum, err := h.policySummary(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, NotificationPolicyV1{
		FilterNotFollowing: p.ForNotFollowing != social.PolicyAccept, FilterNotFollowers: p.ForNotFollowers != social.PolicyAccept,
		FilterNewAccounts: p.ForNewAccounts != social.PolicyAccept, FilterPrivateMentions: p.ForPrivateMentions != social.PolicyAccept,
		Summary: sum,
	})
}

func (h *handler) notificationPolicyV2(w http.ResponseWriter, r *http.Request) {
	p, err := h.social.NotificationPolicyOf(r.Context(), me(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writePolicyV2(w, r, p)
}

func (h *handler) changeNotificationPolicyV2(w http.ResponseWriter, r *http.Request) {
	h.changeNotificationPolicy(w, r, "for_", func(p params, key string) string { return p.str(key) }, h.writePolicyV2)
}

func (h *handler) notificationPolicyV1(w http.ResponseWriter, r *http.Request) {
	p, err := h.social.NotificationPolicyOf(r.Context(), me(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writePolicyV1(w, r, p)
}

// changeNotificationPolicyV1 takes v1's booleans: true filters, false
// accepts, as Mastodon 4.3 maps them onto the v2 policy.
func (h *handler) changeNotificationPolicyV1(w http.ResponseWriter, r *http.Request) {
	h.changeNotificationPolicy(w, r, "filter_", func(p params, key string) string {
		if p.boolean(key) {
			return social.PolicyFilter
		}
		return social.PolicyAccept
	}, h.writePolicyV1)
}

// changeNotificationPolicy changes the settings given as prefix+name
// (for_not_following in v2, filter_not_following in v1), each read by
// value, and answers the policy with write. v1 has no limited accounts.
func (h *handler) changeNotificationPolicy(w http.ResponseWriter, r *http.Request, prefix string, value func(params, string) string,
	write func(http.ResponseWriter, *http.Request, social.NotificationPolicy)) {
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	opt := func(name string) *string {
		if name == "limited_accounts" && prefix == "filter_" || !p.has(prefix+name) {
			return nil
		}
		v := value(p, prefix+name)
		return &v
	}
	pol, err := h.social.ChangeNotificationPolicy(r.Context(), me(r), social.NotificationPolicyChange{
		ForNotFollowing: opt("not_following"), ForNotFollowers: opt("not_followers"),
		ForNewAccounts: opt("new_accounts"), ForPrivateMentions: opt("private_mentions"),
		ForLimitedAccounts: opt("limited_accounts"),
	})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	write(w, r, pol)
}

// NotificationRequest is Mastodon's NotificationRequest entity.
type NotificationRequest struct {
	ID                 string   `json:"id"`
	CreatedAt          string   `json:"created_at"`
	UpdatedAt          string   `json:"updated_at"`
	Account            *Account `json:"account"`
	NotificationsCount string   `json:"notifications_count"`
	LastStatus         *Status  `json:"last_status"`
}

func (p *present) NotificationRequest(r *http.Request, nr *storage.NotificationRequest) *NotificationRequest {
	out := &NotificationRequest{
		ID: idString(nr.ID), CreatedAt: mastoTime(nr.CreatedAt), UpdatedAt: mastoTime(nr.UpdatedAt),
		Account: p.Account(r.Context(), nr.FromAccount), NotificationsCount: strconv.Itoa(nr.NotificationsCount),
	}
	if nr.LastStatus != nil {
		out.LastStatus = p.Status(r.Context(), nr.LastStatus)
	}
	return out
}

func (h *handler) notificationRequests(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 40, 80)
	if !ok {
		return
	}
	rs, err := h.social.NotificationRequests(r.Context(), me(r), pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(me(r))
	out := make([]*NotificationRequest, 0, len(rs))
	for _, nr := range rs {
		out = append(out, pr.NotificationRequest(r, nr))
	}
	if len(rs) > 0 {
		setLink(w, r, h.social.BaseURL(), rs[0].ID, rs[len(rs)-1].ID, len(rs))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) notificationRequest(r *http.Request, id int64, _ params) (any, error) {
	nr, err := h.social.NotificationRequest(r.Context(), me(r), id)
	if err != nil {
		return nil, err
	}
	return h.presenter(me(r)).NotificationRequest(r, nr), nil
}

// oneNotificationRequest accepts or dismisses the request {id}; {} answers.
func (h *handler) oneNotificationRequest(act func(ctx context.Context, me *storage.Account, id int64) error) func(*http.Request, int64, params) (any, error) {
	return func(r *http.Request, id int64, _ params) (any, error) {
		return nil, act(r.Context(), me(r), id)
	}
}

// bulkNotificationRequests accepts or dismisses each request of id[];
// like Mastodon, ids that name none of the person's requests are passed
// over.
func (h *handler) bulkNotificationRequests(act func(ctx context.Context, me *storage.Account, id int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := parseParams(r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		for _, s := range p.list("id") {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				continue
			}
			if err := act(r.Context(), me(r), id); err != nil && !errors.Is(err, social.ErrNotFound) {
				h.writeError(w, r, err)
				return
			}
		}
		writeJSON(w, http.StatusOK, nil)
	}
}

// notificationRequestsMerged tells whether filtered notifications made
// before requests existed are all in requests: Rounds filed them as
// requests from the start.
func (h *handler) notificationRequestsMerged(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]bool{"merged": true})
}

// unreadNotificationCountV1 counts the notifications newer than the
// notifications marker, up to limit (default 100, at most 1000), as
// Mastodon 4.3's v1 endpoint: each notification, not each group.
func (h *handler) unreadNotificationCountV1(w http.ResponseWriter, r *http.Request) {
	h.countUnread(w, r, func(n *storage.Notification, _ groupFilter) string { return strconv.FormatInt(n.ID, 10) })
}
