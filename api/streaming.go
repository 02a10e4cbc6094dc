package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/go-chi/chi/v5"

	"rounds/social"
	"rounds/storage"
)

func (h *handler) streamingRoutes(r chi.Router) {
	r.Get("/api/v1/streaming/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("OK"))
	})
	// Scopes are checked per stream (checkStream).
	r.With(publicRoute(anyScope)).Get("/api/v1/streaming", h.stream)
	r.With(publicRoute(anyScope)).Get("/api/v1/streaming/{stream}", h.stream)
	r.With(publicRoute(anyScope)).Get("/api/v1/streaming/{stream}/{sub}", h.stream)
}

// subscription is one stream a connection follows: "user",
// "user:notification", "public", "public:local", "public:remote",
// "hashtag" (with Tag), "hashtag:local", "direct", "list" (with List, the
// list's id).
type subscription struct {
	Name string
	Tag  string
	List string
}

func (s subscription) label() []string {
	switch {
	case s.Tag != "":
		return []string{s.Name, s.Tag}
	case s.List != "":
		return []string{s.Name, s.List}
	}
	return []string{s.Name}
}

var knownStreams = []string{"user", "user:notification", "public", "public:local", "public:remote", "public:media", "public:local:media", "public:remote:media", "hashtag", "hashtag:local", "direct", "list"}

// withOnlyMedia names the media-only variant of a public stream when the
// client asks for only_media, as Mastodon's streaming server does
// (`/api/v1/streaming/public?only_media=true` is `public:media`).
func withOnlyMedia(name, onlyMedia string) string {
	switch onlyMedia {
	case "true", "1", "True":
	default:
		return name
	}
	switch name {
	case "public", "public:local", "public:remote":
		return name + ":media"
	}
	return name
}

// streamScope is the scope a token must allow to follow a stream, as on
// Mastodon: read (or read:statuses) for the home, direct and public
// streams, read:notifications for the notifications alone. The public and
// hashtag streams are open without a token, as the public timelines are;
// a token sent along must allow read:statuses all the same, as for
// GET /api/v1/timelines/public.
func streamScope(name string) string {
	if name == "user:notification" {
		return "read:notifications"
	}
	return "read:statuses"
}

// checkStream says whether the requester may follow the stream.
func (h *handler) checkStream(r *http.Request, s subscription) error {
	if !slices.Contains(knownStreams, s.Name) {
		return errorf(http.StatusBadRequest, "Unknown stream type")
	}
	if strings.HasPrefix(s.Name, "hashtag") && s.Tag == "" {
		return errorf(http.StatusBadRequest, "A tag is needed for a hashtag stream")
	}
	if (strings.HasPrefix(s.Name, "user") || s.Name == "direct" || s.Name == "list") && currentUser(r) == nil {
		return errorf(http.StatusUnauthorized, "Missing access token")
	}
	if authOf(r) != nil && !hasScope(r, streamScope(s.Name)) {
		return errorf(http.StatusForbidden, msgOutsideScope)
	}
	if s.Name == "list" {
		// Only the list's owner may follow it.
		id, err := strconv.ParseInt(s.List, 10, 64)
		if err != nil {
			return errorf(http.StatusBadRequest, "A list id is needed for a list stream")
		}
		if _, err := h.social.List(r.Context(), me(r), id); err != nil {
			return err
		}
	}
	return nil
}

// tokenRecheck is how often a stream opened with a token checks it again
// even when no event said its access changed: events between processes
// can be lost, and slow listeners miss some.
const tokenRecheck = time.Minute

// accessEnded says whether a stream must close: its token was revoked or
// no longer lets its person in (suspended, disabled, deleted...). It
// checks the token again when ev (nil for the periodic check) says the
// access of the stream's person may have changed. Any failure to confirm
// the token closes the stream; the client reconnects if it still may.
func (h *handler) accessEnded(ctx context.Context, a *auth, ev *social.Event) bool {
	if a == nil {
		return false // an anonymous stream holds no authorisation
	}
	if ev != nil {
		var userID int64
		if a.user != nil {
			userID = a.user.ID
		}
		if ev.Type != social.EventAccess || ev.UserID != userID {
			return false
		}
	}
	if _, _, err := h.social.AuthenticateToken(ctx, a.token); err != nil {
		if ctx.Err() == nil {
			h.log.Info("streaming: closed a stream whose token no longer works", "error", err)
		}
		return true
	}
	return false
}

// stream serves a WebSocket when the request asks to upgrade, and
// server-sent events otherwise.
func (h *handler) stream(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("stream")
	if p := chi.URLParam(r, "stream"); p != "" {
		name = p
		if sub := chi.URLParam(r, "sub"); sub != "" {
			name += ":" + sub
		}
	}
	name = withOnlyMedia(name, r.URL.Query().Get("only_media"))
	tag := strings.TrimPrefix(r.URL.Query().Get("tag"), "#")
	var subs []subscription
	if name != "" {
		s := subscription{Name: name, Tag: strings.ToLower(tag), List: r.URL.Query().Get("list")}
		if err := h.checkStream(r, s); err != nil {
			h.writeError(w, r, err)
			return
		}
		subs = append(subs, s)
	}
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		h.streamWebSocket(w, r, subs)
		return
	}
	if len(subs) == 0 {
		h.writeError(w, r, errorf(http.StatusBadRequest, "Say which stream: /api/v1/streaming/user, ?stream=public ..."))
		return
	}
	h.streamSSE(w, r, subs)
}

// streamMessage is one event for a client.
type streamMessage struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
}

// streamFilterContext is the filter context whose filters apply to a
// stream's statuses, as on Mastodon: home for the user and list streams,
// public for the public and hashtag streams; none for direct messages.
func streamFilterContext(name string) string {
	switch {
	case name == "user", name == "list":
		return "home"
	case strings.HasPrefix(name, "public"), strings.HasPrefix(name, "hashtag"):
		return "public"
	}
	return ""
}

// route turns a bus event into the messages this viewer's subscriptions
// should see; notes says whether the viewer's token may read notifications
// (the user stream carries them only then: a read:statuses token is not
// one for notifications). The viewer's filters apply in each stream's
// context, loaded afresh for each event sent (a filter changed takes
// effect at once): a warn filter's match is in the status's `filtered`, a
// hide filter's drops the event from that stream.
func (h *handler) route(ctx context.Context, viewer *storage.Account, notes bool, subs []subscription, ev social.Event) []streamMessage {
	var out []streamMessage
	var filters *social.FilterSet
	presenter := func(filterCtx string) *present {
		pr := h.presenter(viewer)
		if viewer == nil || filterCtx == "" {
			return pr
		}
		if filters == nil {
			fs, err := h.social.ActiveFilters(ctx, viewer)
			if err != nil {
				h.log.Warn("streaming: load filters", "error", err)
			}
			filters = fs
		}
		pr.filters, pr.filtersLoaded = filters, true
		return pr.inContext(filterCtx)
	}
	switch ev.Type {
	case "notification":
		if viewer == nil || ev.AccountID != viewer.ID || !notes {
			return nil
		}
		n, err := h.social.Notification(ctx, viewer, ev.NotificationID)
		if err != nil {
			return nil
		}
		pr := presenter("notifications")
		if pr.hidden(ctx, n.Status) {
			return nil
		}
		payload := mustJSON(pr.notificationEntity(ctx, n))
		for _, s := range subs {
			if s.Name == "user" || s.Name == "user:notification" {
				out = append(out, streamMessage{Stream: s.label(), Event: "notification", Payload: payload})
			}
		}
	case "conversation":
		// The direct stream carries the owner's conversations as they get
		// new posts; Mastodon's apps refresh their Conversations list from
		// these events.
		if viewer == nil || ev.AccountID != viewer.ID || !slices.ContainsFunc(subs, func(s subscription) bool { return s.Name == "direct" }) {
			return nil
		}
		c, err := h.social.Conversation(ctx, viewer, ev.ConversationID)
		if err != nil {
			return nil
		}
		payload := mustJSON(h.presenter(viewer).Conversation(ctx, c))
		for _, s := range subs {
			if s.Name == "direct" {
				out = append(out, streamMessage{Stream: s.label(), Event: "conversation", Payload: payload})
			}
		}
	case "delete":
		for _, s := range subs {
			if s.Name != "user:notification" {
				out = append(out, streamMessage{Stream: s.label(), Event: "delete", Payload: idString(ev.StatusID)})
			}
		}
	case "update", "status.update":
		st, err := h.eventStatus(ctx, ev)
		if err != nil || !h.social.MayView(ctx, viewer, st) || h.social.HiddenByDomainBlock(ctx, viewer, st) || h.social.HiddenAuthor(ctx, viewer, st) {
			return nil
		}
		// The status as each filter context shows it; "" when hidden.
		payloads := map[string]string{}
		for _, s := range subs {
			if !h.wants(ctx, viewer, s, st) {
				continue
			}
			fc := streamFilterContext(s.Name)
			payload, done := payloads[fc]
			if !done {
				if pr := presenter(fc); !pr.hidden(ctx, st) {
					payload = mustJSON(h.eventStatusEntity(ctx, pr, st, ev))
				}
				payloads[fc] = payload
			}
			if payload != "" {
				out = append(out, streamMessage{Stream: s.label(), Event: ev.Type, Payload: payload})
			}
		}
	}
	return out
}

// wants reports whether subscription s shows status st to viewer.
func (h *handler) wants(ctx context.Context, viewer *storage.Account, s subscription, st *storage.Status) bool {
	author := st.Account
	// Limited (silenced) accounts stay out of the public streams, as out of
	// the public timelines.
	public := st.Visibility == social.VisibilityPublic && st.ReblogOfID == nil && author.SilencedAt == nil
	switch s.Name {
	case "user":
		if viewer == nil {
			return false
		}
		if author.ID == viewer.ID {
			return true
		}
		if st.Visibility == social.VisibilityDirect {
			return h.social.Mentions(ctx, st, viewer)
		}
		// InHomeFeed: a post that reached the home timeline by a followed
		// hashtag comes live too, as on Mastodon.
		return h.social.IsFollowing(ctx, viewer, author) || h.social.Mentions(ctx, st, viewer) || h.social.InHomeFeed(ctx, viewer, st)
	case "direct":
		return viewer != nil && st.Visibility == social.VisibilityDirect && (author.ID == viewer.ID || h.social.Mentions(ctx, st, viewer))
	case "list":
		id, _ := strconv.ParseInt(s.List, 10, 64) // checked on subscribing
		return viewer != nil && h.social.InListTimeline(ctx, viewer, id, st)
	case "public":
		return public
	case "public:local":
		return public && st.Local
	case "public:remote":
		return public && !st.Local
	case "public:media", "public:local:media", "public:remote:media":
		if !public || s.Name == "public:local:media" && !st.Local || s.Name == "public:remote:media" && st.Local {
			return false
		}
		media, err := h.social.StatusMedia(ctx, st)
		return err == nil && len(media) > 0
	case "hashtag", "hashtag:local":
		if !public || (s.Name == "hashtag:local" && !st.Local) {
			return false
		}
		tags, _ := h.social.StatusTags(ctx, st)
		return slices.Contains(tags, s.Tag)
	}
	return false
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (p *present) notificationEntity(ctx context.Context, n *storage.Notification) *Notification {
	out := &Notification{
		ID: idString(n.ID), Type: n.Type, CreatedAt: mastoTime(n.CreatedAt),
		GroupKey: social.NotificationGroupKey(n, social.GroupableNotificationTypes), Account: p.Account(ctx, n.FromAccount),
	}
	if n.Status != nil {
		out.Status = p.Status(ctx, n.Status)
	}
	return out
}

// streamSSE writes server-sent events until the client goes away.
func (h *handler) streamSSE(w http.ResponseWriter, r *http.Request, subs []subscription) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		h.writeError(w, r, errorf(http.StatusInternalServerError, "Streaming is not possible here"))
		return
	}
	events, stop := h.social.Events().Subscribe()
	defer stop()
	// The server's write timeout would cut a long-lived stream.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	defer h.metrics.streamOpen("sse")()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, ":)\n\n")
	flusher.Flush()
	viewer := me(r)
	a := authOf(r)
	notes := hasScope(r, "read:notifications")
	beat := time.NewTicker(15 * time.Second)
	defer beat.Stop()
	recheck := time.NewTicker(tokenRecheck)
	defer recheck.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ":thump\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case <-recheck.C:
			if h.accessEnded(r.Context(), a, nil) {
				return
			}
		case ev, ok := <-events:
			if !ok {
				return
			}
			if h.accessEnded(r.Context(), a, &ev) {
				return
			}
			for _, m := range h.route(r.Context(), viewer, notes, subs, ev) {
				if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", m.Event, m.Payload); err != nil {
					return
				}
			}
			flusher.Flush()
		}
	}
}

// streamWebSocket serves one socket on which the client may subscribe to
// several streams ({"type":"subscribe","stream":"user"}).
func (h *handler) streamWebSocket(w http.ResponseWriter, r *http.Request, initial []subscription) {
	opts := &websocket.AcceptOptions{
		// Tokens, not cookies, authorise the socket, so any origin may
		// open one (browser clients such as Elk and Phanpy do).
		InsecureSkipVerify: true,
	}
	// Browsers send the token as the subprotocol; it must be echoed or
	// Chrome drops the socket.
	if proto := r.Header.Get("Sec-WebSocket-Protocol"); proto != "" {
		opts.Subprotocols = []string{strings.TrimSpace(strings.Split(proto, ",")[0])}
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	// Listening starts before the handshake is answered, so that nothing
	// that happens once the client holds an open socket is missed.
	events, stop := h.social.Events().Subscribe()
	defer stop()
	conn, err := websocket.Accept(w, r, opts)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	defer h.metrics.streamOpen("websocket")()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()

	var mu sync.Mutex
	subs := append([]subscription(nil), initial...)
	viewer := me(r)

	// Reader: subscribe and unsubscribe messages.
	go func() {
		defer cancel()
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var msg struct {
				Type      string `json:"type"`
				Stream    string `json:"stream"`
				Tag       string `json:"tag"`
				List      string `json:"list"`
				OnlyMedia any    `json:"only_media"`
			}
			if json.Unmarshal(data, &msg) != nil {
				continue
			}
			s := subscription{Name: withOnlyMedia(msg.Stream, fmt.Sprint(msg.OnlyMedia)), Tag: strings.ToLower(strings.TrimPrefix(msg.Tag, "#")), List: msg.List}
			mu.Lock()
			switch msg.Type {
			case "subscribe":
				if err := h.checkStream(r, s); err != nil {
					mu.Unlock()
					status := http.StatusBadRequest
					var ae *apiError
					if errors.As(err, &ae) {
						status = ae.status // 401 or 403 as over HTTP
					}
					_ = conn.Write(ctx, websocket.MessageText, []byte(mustJSON(map[string]any{"error": err.Error(), "status": status})))
					continue
				}
				if !slices.Contains(subs, s) {
					subs = append(subs, s)
				}
			case "unsubscribe":
				subs = slices.DeleteFunc(subs, func(x subscription) bool { return x == s })
			}
			mu.Unlock()
		}
	}()

	a := authOf(r)
	notes := hasScope(r, "read:notifications")
	ended := func() {
		// 1008: the server's policy no longer lets this client listen.
		conn.Close(websocket.StatusPolicyViolation, msgInvalidToken)
	}
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	recheck := time.NewTicker(tokenRecheck)
	defer recheck.Stop()
	for {
		select {
		case <-ctx.Done():
			conn.Close(websocket.StatusNormalClosure, "")
			return
		case <-recheck.C:
			if h.accessEnded(ctx, a, nil) {
				ended()
				return
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil {
				return
			}
		case ev, ok := <-events:
			if !ok {
				// The server is shutting down or lost events (Bus.Close,
				// Bus.Interrupt): 1001 tells the client to reconnect.
				conn.Close(websocket.StatusGoingAway, "")
				return
			}
			if h.accessEnded(ctx, a, &ev) {
				ended()
				return
			}
			mu.Lock()
			current := append([]subscription(nil), subs...)
			mu.Unlock()
			for _, m := range h.route(ctx, viewer, notes, current, ev) {
				wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
				err := conn.Write(wctx, websocket.MessageText, []byte(mustJSON(m)))
				wcancel()
				if err != nil {
					return
				}
			}
		}
	}
}
