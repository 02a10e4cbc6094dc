package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
)

func (h *handler) instanceRoutes(r chi.Router) {
	r.Get("/api/v1/instance", h.instanceV1)
	r.Get("/api/v2/instance", h.instanceV2)
	r.Get("/api/v1/instance/rules", h.rules)
	r.Get("/api/v1/instance/peers", h.emptyList)
	r.Get("/api/v1/instance/activity", h.emptyList)
	r.Get("/api/v1/custom_emojis", h.emptyList)
	r.Get("/api/v1/announcements", h.emptyList)
	r.With(requireUser("read:accounts")).Get("/api/v1/preferences", h.preferences)
}

func (h *handler) emptyList(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, []any{})
}

// mastodonVersion is the Mastodon API level Rounds follows; apps parse the
// leading version to decide what to call.
func (h *handler) mastodonVersion() string {
	return "4.3.0 (compatible; Rounds " + h.version + ")"
}

func (h *handler) streamingBase() string {
	b := h.social.BaseURL()
	if strings.HasPrefix(b, "https://") {
		return "wss://" + strings.TrimPrefix(b, "https://")
	}
	return "ws://" + strings.TrimPrefix(b, "http://")
}

var mediaTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

func (h *handler) instanceV1(w http.ResponseWriter, r *http.Request) {
	stats, err := h.social.Stats(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	reg, err := h.registrations(r)
	var vapidKey string
	if err == nil {
		vapidKey, err = h.social.VAPIDPublicKey(r.Context())
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"uri":               h.social.Domain(),
		"title":             h.social.Domain(),
		"short_description": "A Rounds server: clinicians, in the open.",
		"description":       "A Rounds server: clinicians, in the open.",
		"email":             "",
		"version":           h.mastodonVersion(),
		"urls":              map[string]string{"streaming_api": h.streamingBase()},
		"stats":             map[string]int{"user_count": stats.Users, "status_count": stats.LocalPosts, "domain_count": 0},
		"thumbnail":         nil,
		"languages":         []string{"en"},
		"registrations":     reg.enabled,
		"approval_required": reg.approvalRequired,
		"invites_enabled":   reg.invitesEnabled,
		"configuration":     h.configuration(vapidKey),
		"contact_account":   nil,
		"rules":             h.ruleEntities(r),
	})
}

// configuration is the instance's configuration; vapidKey is the server's
// Web Push public key.
func (h *handler) configuration(vapidKey string) map[string]any {
	return map[string]any{
		"urls":     map[string]string{"streaming": h.streamingBase()},
		"accounts": map[string]int{"max_featured_tags": 10, "max_pinned_statuses": 5},
		"statuses": map[string]int{"max_characters": social.MaxStatusCharacters, "max_media_attachments": 4, "characters_reserved_per_url": 23},
		"media_attachments": map[string]any{
			"supported_mime_types": mediaTypes, "image_size_limit": 16 << 20, "image_matrix_limit": 33177600,
			"video_size_limit": 0, "video_frame_rate_limit": 0, "video_matrix_limit": 0,
		},
		"polls":            map[string]int{"max_options": social.MaxPollOptions, "max_characters_per_option": social.MaxPollOptionCharacters, "min_expiration": social.MinPollExpiry, "max_expiration": social.MaxPollExpiry},
		"translation":      map[string]bool{"enabled": false},
		"vapid":            map[string]string{"public_key": vapidKey},
		"timelines_access": map[string]any{},
	}
}

func (h *handler) instanceV2(w http.ResponseWriter, r *http.Request) {
	stats, err := h.social.Stats(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	reg, err := h.registrations(r)
	var vapidKey string
	if err == nil {
		vapidKey, err = h.social.VAPIDPublicKey(r.Context())
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"domain":        h.social.Domain(),
		"title":         h.social.Domain(),
		"version":       h.mastodonVersion(),
		"source_url":    "",
		"description":   "A Rounds server: clinicians, in the open.",
		"usage":         map[string]any{"users": map[string]int{"active_month": stats.Users}},
		"thumbnail":     map[string]any{"url": h.social.BaseURL() + "/static/header.png", "blurhash": nil, "versions": map[string]string{}},
		"icon":          []any{},
		"languages":     []string{"en"},
		"configuration": h.configuration(vapidKey),
		"registrations": map[string]any{
			"enabled": reg.enabled, "approval_required": reg.approvalRequired, "message": reg.message,
			"url": nil, "min_age": nil, "reason_required": reg.approvalRequired,
		},
		"api_versions": map[string]int{"mastodon": 2},
		"contact":      map[string]any{"email": "", "account": nil},
		"rules":        h.ruleEntities(r),
	})
}

// instanceRegistrations is how the instance entities describe signing up.
type instanceRegistrations struct {
	// enabled is Mastodon's: anyone may apply (approval mode). Invite-only
	// servers say false, as Mastodon's do, with invitesEnabled.
	enabled          bool
	approvalRequired bool
	invitesEnabled   bool
	message          *string // HTML; null when anyone may apply
}

func (h *handler) registrations(r *http.Request) (instanceRegistrations, error) {
	st, err := h.social.Settings(r.Context())
	if err != nil {
		return instanceRegistrations{}, err
	}
	var reg instanceRegistrations
	var msg string
	switch st.RegistrationsMode {
	case social.RegistrationsApproval:
		reg.enabled, reg.approvalRequired = true, true
		return reg, nil
	case social.RegistrationsInvite:
		reg.invitesEnabled = true
		msg = "<p>This server takes new accounts by invite only. Ask its admins for an invite link.</p>"
	default:
		msg = "<p>Registrations are closed on this server. Ask its admins for an account.</p>"
	}
	reg.message = &msg
	return reg, nil
}

func (h *handler) rules(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, h.ruleEntities(r))
}

// Rule is Mastodon's Rule entity.
type Rule struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	Hint string `json:"hint"`
}

// ruleEntities are the server's rules, numbered from 1 as their ids.
func (h *handler) ruleEntities(r *http.Request) []Rule {
	out := []Rule{}
	st, err := h.social.Settings(r.Context())
	if err != nil {
		h.log.Error("instance rules", "error", err)
		return out
	}
	for i, text := range st.ServerRules() {
		out = append(out, Rule{ID: strconv.Itoa(i + 1), Text: text, Hint: ""})
	}
	if text, hint := h.social.GuidanceRule(r.Context()); text != "" { // guidance.go
		out = append(out, Rule{ID: strconv.Itoa(len(out) + 1), Text: text, Hint: hint})
	}
	return out
}

func (h *handler) preferences(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"posting:default:visibility": "public",
		"posting:default:sensitive":  false,
		"posting:default:language":   nil,
		"reading:expand:media":       "default",
		"reading:expand:spoilers":    false,
	})
}
