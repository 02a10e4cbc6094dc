package ui

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

// The organisation's social media guidance: /about/guidance for anyone,
// /settings/guidance where a clinician reads and acknowledges it, and
// /admin/guidance where admins write it and staff see who has not read it.

// voiceRoutes mounts the pages of questions and guidance.
func (h *handler) voiceRoutes(r chi.Router) {
	r.Get(social.GuidancePublicPath, h.guidancePublic)
	r.Get(social.GuidancePath, h.guidanceShow)
	r.Post(social.GuidancePath, h.guidanceAcknowledge)
	r.Get("/admin/guidance", h.adminGuidance)
	r.Post("/admin/guidance", h.adminGuidanceSave)
	h.questionRoutes(r)
}

// guidanceView is the guidance as pages show it.
type guidanceView struct {
	Version int
	HTML    template.HTML
	Date    string
}

func viewOfGuidance(g *social.Guidance) *guidanceView {
	return &guidanceView{Version: g.Version, HTML: template.HTML(g.HTML), // #nosec G203 -- rendered by social.RenderDocument, sanitised
		Date: g.CreatedAt.UTC().Format("2 January 2006")}
}

// addGuidance puts the guidance in force into data for the pages that
// show it beside a form (sign-up, compose): Guidance, and GuidanceUnread
// when me has not acknowledged it.
func (h *handler) addGuidance(ctx context.Context, me *storage.Account, data map[string]any) {
	var g *social.Guidance
	if me != nil {
		var at any
		at, g = h.ackOf(ctx, me)
		data["GuidanceUnread"] = g != nil && at == nil
	} else {
		var err error
		if g, err = h.social.CurrentGuidance(ctx); err != nil {
			h.log.Error("guidance", "error", err)
		}
	}
	if g != nil {
		data["Guidance"] = viewOfGuidance(g)
	}
}

// ackOf returns when me acknowledged the guidance in force (nil when not
// yet), and the guidance (nil when there is none).
func (h *handler) ackOf(ctx context.Context, me *storage.Account) (any, *social.Guidance) {
	g, at, err := h.social.GuidanceAcknowledgement(ctx, me)
	if err != nil {
		h.log.Error("guidance acknowledgement", "account_id", me.ID, "error", err)
		return nil, nil
	}
	if at == nil {
		return nil, g
	}
	return at.UTC().Format("2 January 2006, 15:04 UTC"), g
}

// guidancePublic is GET /about/guidance.
func (h *handler) guidancePublic(w http.ResponseWriter, r *http.Request) {
	g, err := h.social.CurrentGuidance(r.Context())
	if err != nil {
		h.log.Error("guidance", "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
		return
	}
	data := map[string]any{}
	if g != nil {
		data["Guidance"] = viewOfGuidance(g)
	}
	h.render(w, r, http.StatusOK, "guidance_public", data)
}

// guidanceShow is GET /settings/guidance.
func (h *handler) guidanceShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	h.showGuidance(w, r, sess, http.StatusOK, nil)
}

func (h *handler) showGuidance(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, status int, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	at, g := h.ackOf(r.Context(), sess.User.Account)
	if g != nil {
		data["Guidance"] = viewOfGuidance(g)
	}
	data["AcknowledgedAt"] = at
	if r.URL.Query().Get("done") != "" && at != nil {
		data["Notice"] = "Thank you. You may post now."
	}
	h.renderMe(w, r, sess, status, "settings_guidance", data)
}

// guidanceAcknowledge is POST /settings/guidance: "I have read it".
func (h *handler) guidanceAcknowledge(w http.ResponseWriter, r *http.Request) {
	sess, form := h.postedForm(w, r)
	if sess == nil {
		return
	}
	version, _ := strconv.Atoi(form.Get("version"))
	err := h.social.AcknowledgeGuidance(r.Context(), sess.User.Account, version)
	var ve *social.ValidationError
	switch {
	case err == nil:
		http.Redirect(w, r, social.GuidancePath+"?done=1", http.StatusSeeOther)
	case errors.As(err, &ve):
		h.showGuidance(w, r, sess, http.StatusConflict, map[string]any{"Error": ve.Error()})
	default:
		h.log.Error("acknowledge guidance", "account_id", sess.User.AccountID, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
	}
}

// adminGuidance is GET /admin/guidance: the guidance in force, a form
// for admins to write the next version, and who has not read it.
func (h *handler) adminGuidance(w http.ResponseWriter, r *http.Request) {
	sess := h.staffSession(w, r, social.PermModerate)
	if sess == nil {
		return
	}
	a := social.StaffActor(sess.User)
	g, pending, err := h.social.GuidancePending(r.Context(), a)
	if err != nil {
		h.adminFailed(w, r, "admin guidance", err)
		return
	}
	data := map[string]any{"Pending": pending, "CanEdit": a.Can(social.PermManageSettings)}
	if g != nil {
		data["Guidance"] = viewOfGuidance(g)
		data["Source"] = g.Source
	}
	if r.URL.Query().Get("done") == "guidance" {
		data["Notice"] = "Saved. Everyone is asked to read the new version before they next post."
	}
	h.renderAdmin(w, r, sess, "admin_guidance", "/admin/guidance", data)
}

// adminGuidanceSave is POST /admin/guidance: a new version.
func (h *handler) adminGuidanceSave(w http.ResponseWriter, r *http.Request) {
	sess, form := h.postedForm(w, r)
	if sess == nil {
		return
	}
	if _, err := h.social.SetGuidance(r.Context(), social.StaffActor(sess.User), strings.ReplaceAll(form.Get("text"), "\r\n", "\n")); err != nil {
		h.adminFailed(w, r, "admin: guidance", err)
		return
	}
	http.Redirect(w, r, "/admin/guidance?done=guidance", http.StatusSeeOther)
}
