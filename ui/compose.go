package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"rounds/social"
	"rounds/storage"
)

// The compose form: GET /compose (?in_reply_to=ID) shows it and POST
// /compose posts through social.PostStatus, the same rules as the app API
// (limits, the patient-identifier guard with its "post anyway" under the
// warn policy, the send delay). Images are uploaded with the post, each with
// its description; when the form comes back (an error, a warning) the
// uploads already made travel as hidden media_id fields.

// composeSlots is how many images the form offers.
const composeSlots = social.MaxMediaPerStatus

// composeForm is what the form shows and was sent.
type composeForm struct {
	Text, SpoilerText, Visibility string
	Sensitive                     bool
	// LocalOnly: "Only people on this server".
	LocalOnly   bool
	InReplyToID int64
	Media       []composeMedia // uploaded already
	// A poll, when any of its choices is filled in.
	PollOptions                  []string // one per slot, "" when empty
	PollExpiresIn                int      // seconds
	PollMultiple, PollHideTotals bool
}

// pollDurations are the poll lengths the form offers, in seconds.
var pollDurations = []struct {
	Seconds int
	Label   string
}{
	{300, "5 minutes"}, {1800, "30 minutes"}, {3600, "1 hour"}, {6 * 3600, "6 hours"},
	{86400, "1 day"}, {3 * 86400, "3 days"}, {7 * 86400, "7 days"},
}

// poll is the form's poll, or nil when no choice is filled in.
func (f composeForm) poll() *social.NewPoll {
	var opts []string
	for _, o := range f.PollOptions {
		if o = strings.TrimSpace(o); o != "" {
			opts = append(opts, o)
		}
	}
	if len(opts) == 0 {
		return nil
	}
	return &social.NewPoll{Options: opts, ExpiresIn: f.PollExpiresIn, Multiple: f.PollMultiple, HideTotals: f.PollHideTotals}
}

// composeMedia is an upload waiting to be attached.
type composeMedia struct {
	ID       int64
	URL, Alt string
}

// composeShow is GET /compose.
func (h *handler) composeShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	me := sess.User.Account
	form := composeForm{Visibility: social.VisibilityPublic, PollExpiresIn: 86400}
	if id, err := strconv.ParseInt(r.URL.Query().Get("in_reply_to"), 10, 64); err == nil {
		parent, err := h.social.StatusByID(r.Context(), id)
		if err != nil || !h.social.MayView(r.Context(), me, parent) {
			h.problem(w, r, http.StatusNotFound, "The post you want to reply to does not exist, or you may not see it.")
			return
		}
		form.InReplyToID = parent.ID
		if parent.Visibility != social.VisibilityPublic {
			form.Visibility = parent.Visibility
		}
		if parent.Account != nil && parent.AccountID != me.ID {
			form.Text = "@" + parent.Account.Username
			if !parent.Account.Local() {
				form.Text += "@" + parent.Account.Domain
			}
			form.Text += " "
		}
		form.SpoilerText = parent.SpoilerText
		form.LocalOnly = parent.LocalOnly // a reply to a local-only post stays here
	}
	h.showCompose(w, r, sess, http.StatusOK, form, nil)
}

// composePost is POST /compose.
func (h *handler) composePost(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	me := sess.User.Account
	form := composeForm{
		Text: f.Get("text"), SpoilerText: f.Get("spoiler_text"), Visibility: f.Get("visibility"),
		Sensitive: f.Get("sensitive") != "", LocalOnly: f.Get("local_only") != "",
		PollMultiple: f.Get("poll_multiple") != "", PollHideTotals: f.Get("poll_hide_totals") != "",
	}
	form.InReplyToID, _ = strconv.ParseInt(f.Get("in_reply_to_id"), 10, 64)
	for i := 1; i <= social.MaxPollOptions; i++ {
		form.PollOptions = append(form.PollOptions, f.Get(fmt.Sprintf("poll_option_%d", i)))
	}
	form.PollExpiresIn, _ = strconv.Atoi(f.Get("poll_expires_in"))
	// Uploads from an earlier round of this form, then new files.
	for _, v := range f["media_id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		m, err := h.social.Media(r.Context(), me, id)
		if err != nil {
			continue
		}
		alt := m.Description
		if na, ok := f["alt_"+v]; ok {
			// Describing it again: keep the new words.
			alt = strings.TrimSpace(na[0])
			if alt != m.Description {
				if m2, err := h.social.DescribeMedia(r.Context(), me, id, alt); err == nil {
					m = m2
				}
			}
		}
		form.Media = append(form.Media, composeMedia{ID: m.ID, URL: h.social.MediaURL(m), Alt: m.Description})
	}
	for i := 1; i <= composeSlots; i++ {
		file, _, err := r.FormFile(fmt.Sprintf("image_%d", i))
		if err != nil {
			continue
		}
		m, err := h.social.UploadMedia(r.Context(), me, file, strings.TrimSpace(f.Get(fmt.Sprintf("alt_%d", i))))
		file.Close()
		if err != nil {
			h.composeFailed(w, r, sess, form, fmt.Errorf("image %d: %w", i, err))
			return
		}
		form.Media = append(form.Media, composeMedia{ID: m.ID, URL: h.social.MediaURL(m), Alt: m.Description})
	}
	// The tone check's prompt: discard or edit post nothing.
	switch f.Get("tone_action") {
	case "discard":
		to := "/"
		if form.InReplyToID != 0 {
			to = fmt.Sprintf("/statuses/%d", form.InReplyToID)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	case "edit":
		h.showCompose(w, r, sess, http.StatusOK, form, map[string]any{"Notice": "Edit your post, then send it."})
		return
	}
	in := social.NewStatus{
		Text: form.Text, SpoilerText: form.SpoilerText, Visibility: form.Visibility,
		Sensitive: form.Sensitive, InReplyToID: form.InReplyToID, Poll: form.poll(),
		LocalOnly: &form.LocalOnly,
		// Both the box and the button: an explicit confirmation.
		PostDespiteWarning: f.Get("post_anyway") == "yes" && f.Get("confirm_no_patient") == "yes",
		SendDespiteTone:    f.Get("tone_action") == "send",
	}
	for _, m := range form.Media {
		in.MediaIDs = append(in.MediaIDs, m.ID)
	}
	st, err := h.social.PostStatus(r.Context(), me, in)
	if err != nil {
		h.composeFailed(w, r, sess, form, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/statuses/%d", st.ID), http.StatusSeeOther)
}

// composeFailed shows the form again with what went wrong: the guard's
// warning (and, under the warn policy, the way to post anyway), a refused
// field, or our own failure.
func (h *handler) composeFailed(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, form composeForm, err error) {
	var ie *social.IdentifierError
	var ve *social.ValidationError
	var te *social.ToneError
	switch {
	case errors.As(err, &te):
		// A question, not an error: the form comes back with the choice.
		h.showCompose(w, r, sess, http.StatusOK, form, map[string]any{"ToneReasons": te.Verdict.Reasons})
	case errors.As(err, &ie):
		h.showCompose(w, r, sess, http.StatusUnprocessableEntity, form, map[string]any{
			"Warning": ie.Error(), "OverrideAllowed": ie.OverrideAllowed,
		})
	case errors.As(err, &ve):
		msg := capitalize(strings.ReplaceAll(ve.Error(), "_", " "))
		if prefix, _, ok := strings.Cut(err.Error(), ": "); ok && strings.HasPrefix(prefix, "image ") {
			msg = capitalize(prefix) + ": " + msg
		}
		h.showCompose(w, r, sess, http.StatusUnprocessableEntity, form, map[string]any{"Error": strings.TrimSuffix(msg, ".") + "."})
	case errors.Is(err, social.ErrForbidden):
		h.showCompose(w, r, sess, http.StatusForbidden, form, map[string]any{"Error": "Your account may not post now."})
	case social.IsOutOfSpace(err):
		h.log.Error("compose: out of storage space", "account_id", sess.User.AccountID, "error", err)
		w.Header().Set("Retry-After", "60")
		h.showCompose(w, r, sess, http.StatusServiceUnavailable, form, map[string]any{"Error": social.OutOfSpaceMessage + "; your post was not sent."})
	default:
		h.log.Error("compose", "account_id", sess.User.AccountID, "error", err)
		h.showCompose(w, r, sess, http.StatusInternalServerError, form, map[string]any{"Error": "Something went wrong on our side; your post was not sent. Try again."})
	}
}

// showCompose renders the form, with the post it replies to.
func (h *handler) showCompose(w http.ResponseWriter, r *http.Request, sess *social.BrowserSession, status int, form composeForm, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	if form.InReplyToID != 0 {
		if parent, err := h.social.StatusByID(r.Context(), form.InReplyToID); err == nil && h.social.MayView(r.Context(), sess.User.Account, parent) {
			data["Parent"] = h.statusCard(r.Context(), sess.User.Account, sess.CSRFToken, parent)
		}
	}
	var slots []int
	for i := len(form.Media) + 1; i <= composeSlots; i++ {
		slots = append(slots, i)
	}
	type pollSlot struct {
		N     int
		Value string
	}
	var pollSlots []pollSlot
	for i := range social.MaxPollOptions {
		v := ""
		if i < len(form.PollOptions) {
			v = form.PollOptions[i]
		}
		pollSlots = append(pollSlots, pollSlot{N: i + 1, Value: v})
	}
	data["PollSlots"] = pollSlots
	data["Form"] = form
	data["Slots"] = slots
	data["PollDurations"] = pollDurations
	data["PollOptionChars"] = social.MaxPollOptionCharacters
	data["MaxChars"] = social.MaxStatusCharacters
	data["Visibilities"] = []struct{ Value, Label, Hint string }{
		{social.VisibilityPublic, "Public", "anyone, on public timelines too"},
		{social.VisibilityUnlisted, "Quiet public", "anyone, but not on public timelines"},
		{social.VisibilityPrivate, "Followers only", "your followers and the people you mention"},
		{social.VisibilityDirect, "Mentioned people only", "only the people you mention"},
	}
	h.addGuidance(r.Context(), sess.User.Account, data) // guidance.go
	h.renderMe(w, r, sess, status, "compose", data)
}

// statusShow is GET /statuses/{id}: a post as the signed-in person sees it,
// where a post of theirs that waits out its send delay can be undone. The
// page reloads itself when the post leaves.
func (h *handler) statusShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	me := sess.User.Account
	st, ok := h.visibleStatus(w, r, me)
	if !ok {
		return
	}
	card := h.statusCard(r.Context(), me, sess.CSRFToken, st)
	data := map[string]any{"Status": card, "Article": h.articleOf(r.Context(), st)}
	if st.Pending() {
		refreshAt(w, *st.PendingUntil)
	}
	if q := r.URL.Query().Get("undone"); q != "" {
		data["Notice"] = "Your post was not sent; it is deleted."
	}
	h.renderMe(w, r, sess, http.StatusOK, "home_status", data)
}

// visibleStatus reads the {id} of the path as a status me may see; it
// answers 404 itself otherwise.
func (h *handler) visibleStatus(w http.ResponseWriter, r *http.Request, me *storage.Account) (*storage.Status, bool) {
	id, ok := h.pathID(w, r)
	if !ok {
		return nil, false
	}
	st, err := h.social.StatusByID(r.Context(), id)
	if err != nil || !h.social.MayView(r.Context(), me, st) {
		h.notFound(w, r)
		return nil, false
	}
	return st, true
}

// statusUndo is POST /statuses/{id}/undo: delete one's own post, which
// while it waits out its send delay never leaves the server.
func (h *handler) statusUndo(w http.ResponseWriter, r *http.Request) {
	sess, _ := h.postedForm(w, r)
	if sess == nil {
		return
	}
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	st, err := h.social.DeleteStatus(r.Context(), sess.User.Account, id)
	switch {
	case err == nil:
	case errors.Is(err, social.ErrNotFound), errors.Is(err, social.ErrForbidden):
		h.notFound(w, r)
		return
	default:
		h.log.Error("undo post", "status_id", id, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; the post was not deleted. Try again.")
		return
	}
	msg := "Deleted. Servers that received the post are being told to remove it."
	if st.Pending() {
		msg = "Undone: your post was not sent, and is deleted."
	}
	h.renderMe(w, r, sess, http.StatusOK, "home_status", map[string]any{"Notice": msg, "Text": st.Text})
}

// deliveriesShow is GET /statuses/{id}/deliveries: each remote server one's
// post went to, delivered, pending (with the next try) or failed.
func (h *handler) deliveriesShow(w http.ResponseWriter, r *http.Request) {
	sess := h.requireSession(w, r)
	if sess == nil {
		return
	}
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	st, ds, err := h.social.StatusDeliveries(r.Context(), sess.User.Account, id)
	if errors.Is(err, social.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.log.Error("deliveries", "status_id", id, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; try again.")
		return
	}
	type row struct {
		Server, Inbox, State, Detail string
	}
	var rows []row
	counts := map[string]int{}
	for _, d := range ds {
		rw := row{Server: d.InboxURL, Inbox: d.InboxURL, State: d.State}
		if u, err := url.Parse(d.InboxURL); err == nil && u.Host != "" {
			rw.Server = u.Host
		}
		switch d.State {
		case storage.DeliveryDelivered:
			rw.Detail = "Delivered " + d.UpdatedAt.UTC().Format("2 Jan 15:04 UTC")
		case storage.DeliveryPending:
			rw.Detail = "Waiting"
			if d.Attempts > 0 {
				rw.Detail = fmt.Sprintf("Tried %d times", d.Attempts)
			}
			if d.NextAttemptAt != nil {
				rw.Detail += "; next try " + d.NextAttemptAt.UTC().Format("2 Jan 15:04 UTC")
			}
		case storage.DeliveryFailed:
			rw.Detail = fmt.Sprintf("Gave up after %d tries", d.Attempts)
			if d.LastError != "" {
				rw.Detail += ": " + d.LastError
			}
		}
		counts[d.State]++
		rows = append(rows, rw)
	}
	h.renderMe(w, r, sess, http.StatusOK, "deliveries", map[string]any{
		"Status": h.statusCard(r.Context(), sess.User.Account, sess.CSRFToken, st),
		"Rows":   rows, "Pending": st.Pending(),
		"Delivered": counts[storage.DeliveryDelivered], "Waiting": counts[storage.DeliveryPending], "Failed": counts[storage.DeliveryFailed],
	})
}

// statusVote is POST /statuses/{id}/vote: the signed-in person's choices in
// the post's poll, then back to the post.
func (h *handler) statusVote(w http.ResponseWriter, r *http.Request) {
	sess, f := h.postedForm(w, r)
	if sess == nil {
		return
	}
	me := sess.User.Account
	st, ok := h.visibleStatus(w, r, me)
	if !ok {
		return
	}
	v, err := h.social.PollOf(r.Context(), me, st)
	if err != nil || v == nil {
		h.notFound(w, r)
		return
	}
	var choices []int
	for _, c := range f["choice"] {
		n, err := strconv.Atoi(c)
		if err != nil {
			h.problem(w, r, http.StatusBadRequest, "That is not one of the poll's choices.")
			return
		}
		choices = append(choices, n)
	}
	if len(choices) == 0 {
		h.problem(w, r, http.StatusUnprocessableEntity, "Choose an answer before voting.")
		return
	}
	var ve *social.ValidationError
	switch _, err := h.social.Vote(r.Context(), me, v.Poll.ID, choices); {
	case err == nil:
	case errors.As(err, &ve):
		h.problem(w, r, http.StatusUnprocessableEntity, strings.TrimSuffix(capitalize(ve.Error()), ".")+".")
		return
	case errors.Is(err, social.ErrNotFound), errors.Is(err, social.ErrForbidden):
		h.notFound(w, r)
		return
	default:
		h.log.Error("vote", "status_id", st.ID, "error", err)
		h.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; your vote was not counted. Try again.")
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/statuses/%d", st.ID), http.StatusSeeOther)
}
