package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"rounds/storage"
)

// Conversation is Mastodon's Conversation entity: one person's view of a
// thread of direct posts.
type Conversation struct {
	ID         string     `json:"id"`
	Unread     bool       `json:"unread"`
	Accounts   []*Account `json:"accounts"`
	LastStatus *Status    `json:"last_status"`
}

func (p *present) Conversation(ctx context.Context, c *storage.Conversation) *Conversation {
	out := &Conversation{ID: idString(c.ID), Unread: c.Unread, Accounts: make([]*Account, 0, len(c.ParticipantAccounts))}
	for _, a := range c.ParticipantAccounts {
		out.Accounts = append(out.Accounts, p.Account(ctx, a))
	}
	if c.LastStatus != nil {
		out.LastStatus = p.Status(ctx, c.LastStatus)
	}
	return out
}

// Scopes as Mastodon's documentation gives them: reading conversations
// needs read:statuses, changing them write:conversations.
func (h *handler) conversationRoutes(r chi.Router) {
	r.With(requireUser("read:statuses")).Get("/api/v1/conversations", h.conversations)
	r.With(requireUser("write:conversations")).Delete("/api/v1/conversations/{id}", h.idAction(h.deleteConversation))
	r.With(requireUser("write:conversations")).Post("/api/v1/conversations/{id}/read", h.idAction(h.markConversation(false)))
	r.With(requireUser("write:conversations")).Post("/api/v1/conversations/{id}/unread", h.idAction(h.markConversation(true)))
}

// conversations pages the user's conversations by their last post (limit
// 20 by default, at most 40); the Link header's cursors are last post ids,
// as on Mastodon.
func (h *handler) conversations(w http.ResponseWriter, r *http.Request) {
	_, pg, ok := h.pageParams(w, r, 20, 40)
	if !ok {
		return
	}
	viewer := me(r)
	cs, err := h.social.Conversations(r.Context(), viewer, pg)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if len(cs) > 0 {
		setLink(w, r, h.social.BaseURL(), cs[0].LastStatusID, cs[len(cs)-1].LastStatusID, len(cs))
	}
	pr := h.presenter(viewer)
	out := make([]*Conversation, 0, len(cs))
	for _, c := range cs {
		out = append(out, pr.Conversation(r.Context(), c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) deleteConversation(r *http.Request, id int64, _ params) (any, error) {
	return nil, h.social.RemoveConversation(r.Context(), me(r), id)
}

func (h *handler) markConversation(unread bool) func(r *http.Request, id int64, _ params) (any, error) {
	return func(r *http.Request, id int64, _ params) (any, error) {
		c, err := h.social.MarkConversation(r.Context(), me(r), id, unread)
		if err != nil {
			return nil, err
		}
		return h.presenter(me(r)).Conversation(r.Context(), c), nil
	}
}
