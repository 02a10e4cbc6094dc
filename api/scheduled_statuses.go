package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// ScheduledStatus is Mastodon's ScheduledStatus entity: a post to be
// published at scheduled_at, with what its author wrote.
type ScheduledStatus struct {
	ID               string             `json:"id"`
	ScheduledAt      string             `json:"scheduled_at"`
	Params           ScheduledParams    `json:"params"`
	MediaAttachments []*MediaAttachment `json:"media_attachments"`
	// RoundsError says why the post was not published at its time (the
	// identifier guard refused it); absent otherwise. Not Mastodon's.
	RoundsError string `json:"rounds_error,omitempty"`
}

// ScheduledParams is the params hash of a ScheduledStatus, with Mastodon's
// keys; what was not given is null.
type ScheduledParams struct {
	Text          string         `json:"text"`
	Poll          *ScheduledPoll `json:"poll"`
	MediaIDs      []string       `json:"media_ids"`
	Sensitive     bool           `json:"sensitive"`
	SpoilerText   *string        `json:"spoiler_text"`
	Visibility    string         `json:"visibility"`
	Idempotency   *string        `json:"idempotency"`
	ScheduledAt   *string        `json:"scheduled_at"`
	InReplyToID   *string        `json:"in_reply_to_id"`
	Language      *string        `json:"language"`
	ApplicationID *string        `json:"application_id"`
	WithRateLimit bool           `json:"with_rate_limit"`
	// LocalOnly is the local_only the post was scheduled with, or null.
	LocalOnly *bool `json:"local_only"`
}

// ScheduledPoll is the poll of a scheduled post as Mastodon keeps it
// (expires_in a string, the options plain titles).
type ScheduledPoll struct {
	Options    []string `json:"options"`
	ExpiresIn  string   `json:"expires_in"`
	Multiple   bool     `json:"multiple"`
	HideTotals bool     `json:"hide_totals"`
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ScheduledStatus renders ss.
func (p *present) ScheduledStatus(ctx context.Context, ss *storage.ScheduledStatus) *ScheduledStatus {
	in := social.ScheduledParamsOf(ss)
	out := &ScheduledStatus{
		ID: idString(ss.ID), ScheduledAt: mastoTime(ss.ScheduledAt), MediaAttachments: []*MediaAttachment{},
		RoundsError: ss.Error,
		Params: ScheduledParams{
			Text: in.Text, MediaIDs: in.MediaIDs, Sensitive: in.Sensitive, SpoilerText: nonEmpty(in.SpoilerText),
			Visibility: in.Visibility, Idempotency: nonEmpty(in.IdempotencyKey), Language: nonEmpty(in.Language),
			LocalOnly: in.LocalOnly,
		},
	}
	if in.InReplyToID != 0 {
		out.Params.InReplyToID = nonEmpty(idString(in.InReplyToID))
	}
	if in.Poll != nil {
		out.Params.Poll = &ScheduledPoll{Options: in.Poll.Options, ExpiresIn: strconv.Itoa(in.Poll.ExpiresIn), Multiple: in.Poll.Multiple, HideTotals: in.Poll.HideTotals}
	}
	if media, err := p.h.social.ScheduledStatusMedia(ctx, ss); err == nil {
		for _, m := range media {
			out.MediaAttachments = append(out.MediaAttachments, p.Media(m))
		}
	}
	return out
}

func (h *handler) scheduledStatusRoutes(r chi.Router) {
	r.With(requireUser("read:statuses")).Get("/api/v1/scheduled_statuses", h.scheduledStatuses)
	r.With(requireUser("read:statuses")).Get("/api/v1/scheduled_statuses/{id}", h.scheduledStatus)
	// PATCH reaches it too, as on Rails (cmd/rounds/http.go).
	r.With(requireUser("write:statuses")).Put("/api/v1/scheduled_statuses/{id}", h.rescheduleStatus)
	r.With(requireUser("write:statuses")).Delete("/api/v1/scheduled_statuses/{id}", h.deleteScheduledStatus)
}

// scheduledAtFrom reads scheduled_at: an RFC 3339 time, or as Rails also
// takes it, one without a zone (UTC) or a bare date (its midnight, UTC).
func scheduledAtFrom(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errorf(http.StatusUnprocessableEntity, "Validation failed: Scheduled at is invalid")
}

// scheduleStatus answers POST /api/v1/statuses with scheduled_at: the
// post is kept for later and a ScheduledStatus comes back instead of a
// Status.
func (h *handler) scheduleStatus(w http.ResponseWriter, r *http.Request, u *storage.User, in social.NewStatus, at string) {
	t, err := scheduledAtFrom(at)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	ss, err := h.social.ScheduleStatus(r.Context(), u.Account, in, t)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).ScheduledStatus(r.Context(), ss))
}

func (h *handler) scheduledStatuses(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	_, pg, ok := h.pageParams(w, r, 20, 40)
	if !ok {
		return
	}
	list, err := h.social.ScheduledStatuses(r.Context(), u.Account, pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	pr := h.presenter(u.Account)
	out := make([]*ScheduledStatus, 0, len(list))
	for _, ss := range list {
		out = append(out, pr.ScheduledStatus(r.Context(), ss))
	}
	if len(list) > 0 {
		setLink(w, r, h.social.BaseURL(), list[0].ID, list[len(list)-1].ID, len(list))
	}
	writeJSON(w, http.StatusOK, out)
}

// ownScheduled loads {id}, the requester's scheduled post; another's is
// not found.
func (h *handler) ownScheduled(r *http.Request) (*storage.ScheduledStatus, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return nil, social.ErrNotFound
	}
	return h.social.ScheduledStatus(r.Context(), currentUser(r).Account, id)
}

func (h *handler) scheduledStatus(w http.ResponseWriter, r *http.Request) {
	ss, err := h.ownScheduled(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(currentUser(r).Account).ScheduledStatus(r.Context(), ss))
}

func (h *handler) rescheduleStatus(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r) // requireUser on the route
	ss, err := h.ownScheduled(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	p, err := parseParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	at := ss.ScheduledAt
	if s := p.str("scheduled_at"); s != "" {
		if at, err = scheduledAtFrom(s); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	ss, err = h.social.RescheduleStatus(r.Context(), u.Account, ss.ID, at)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.presenter(u.Account).ScheduledStatus(r.Context(), ss))
}

func (h *handler) deleteScheduledStatus(w http.ResponseWriter, r *http.Request) {
	ss, err := h.ownScheduled(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.social.DeleteScheduledStatus(r.Context(), currentUser(r).Account, ss.ID); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}
