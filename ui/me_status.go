package ui

import (
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"

	"rounds/social"
	"rounds/storage"
)

// statusCard is a status as the signed-in pages show it (templates/_status.html).
type statusCard struct {
	ID           int64
	URL          string
	AuthorName   string
	AuthorHandle string
	AuthorURL    string
	Content      template.HTML // sanitised when stored
	SpoilerText  string
	Sensitive    bool
	Visibility   string
	// VisibilityLabel words who may see it when that is not everyone.
	VisibilityLabel string
	CreatedAt       string
	CreatedISO      string
	Media           []mediaCard
	RebloggedBy     string
	Reply           bool
	// Mine: the viewer wrote it (deliveries link, undo while pending).
	Mine bool
	// PendingLeft is the send delay still to wait, when the page was
	// rendered ("0:45"); "" once the post has gone.
	PendingLeft string
	CSRF        string
	// Poll is the status's poll, results only; nil when it has none.
	Poll *pollCard
}

// pollCard is a poll's results as one viewer may see them.
type pollCard struct {
	// StatusID is the poll's post; CanVote: the viewer is signed in, did
	// not write it, has not voted and the poll is open.
	StatusID int64
	CanVote  bool
	Options  []pollOptionCard
	// Hidden: the author hides the totals until the end.
	Hidden   bool
	Voters   int
	Ended    bool
	Multiple bool
	EndsAt   string
	EndsISO  string
}

// pollOptionCard is one option with its share of the votes.
type pollOptionCard struct {
	Index   int
	Title   string
	Votes   int
	Percent int
	Mine    bool
}

func newPollCard(v *social.PollView) *pollCard {
	c := &pollCard{Hidden: v.Tallies == nil, Voters: v.VotersCount, Ended: v.Expired, Multiple: v.Poll.Multiple}
	if v.Poll.ExpiresAt != nil {
		c.EndsAt = v.Poll.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC")
		c.EndsISO = v.Poll.ExpiresAt.UTC().Format(time.RFC3339)
	}
	for i, title := range v.Options {
		o := pollOptionCard{Index: i, Title: title}
		for _, mine := range v.OwnVotes {
			o.Mine = o.Mine || mine == i
		}
		if v.Tallies != nil {
			o.Votes = v.Tallies[i]
			if v.VotesCount > 0 {
				o.Percent = o.Votes * 100 / v.VotesCount
			}
		}
		c.Options = append(c.Options, o)
	}
	return c
}

// mediaCard is an attached image with its description.
type mediaCard struct {
	URL, Alt string
}

// statusCards turns statuses into cards for me, loading their media and,
// for a boost, the boosted post.
func (h *handler) statusCards(ctx context.Context, me *storage.Account, csrf string, sts []*storage.Status) []statusCard {
	out := make([]statusCard, 0, len(sts))
	for _, st := range sts {
		shown, by := st, ""
		if st.ReblogOfID != nil {
			orig, err := h.social.StatusByID(ctx, *st.ReblogOfID)
			if err != nil || !h.social.MayView(ctx, me, orig) {
				continue
			}
			shown, by = orig, displayName(st.Account)
		}
		c := h.statusCard(ctx, me, csrf, shown)
		c.RebloggedBy = by
		out = append(out, c)
	}
	return out
}

// statusCard presents one status to me.
func (h *handler) statusCard(ctx context.Context, me *storage.Account, csrf string, st *storage.Status) statusCard {
	c := statusCard{
		ID: st.ID, URL: st.URL,
		Content:     template.HTML(st.Content), // #nosec G203 -- stored content is sanitised on the way in
		SpoilerText: st.SpoilerText, Sensitive: st.Sensitive, Visibility: st.Visibility,
		CreatedAt:  st.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC"),
		CreatedISO: st.CreatedAt.UTC().Format(time.RFC3339),
		Reply:      st.InReplyToID != nil || st.InReplyToURI != "",
		CSRF:       csrf,
	}
	if st.Visibility != social.VisibilityPublic {
		c.VisibilityLabel = visibilityLabel(st.Visibility)
	}
	if st.LocalOnly {
		c.VisibilityLabel = strings.TrimPrefix(c.VisibilityLabel+" · Only people on this server", " · ")
	}
	if c.URL == "" {
		c.URL = st.URI
	}
	if a := st.Account; a != nil {
		c.AuthorName, c.AuthorHandle, c.AuthorURL = displayName(a), h.handle(a), a.URL
		if c.AuthorURL == "" {
			c.AuthorURL = a.URI
		}
	}
	if me != nil && st.AccountID == me.ID {
		c.Mine = true
		if st.Pending() {
			c.PendingLeft = timeLeft(time.Until(*st.PendingUntil))
		}
	}
	if ms, err := h.social.StatusMedia(ctx, st); err == nil {
		for _, m := range ms {
			c.Media = append(c.Media, mediaCard{URL: h.social.MediaURL(m), Alt: m.Description})
		}
	}
	if v, err := h.social.PollOf(ctx, me, st); err == nil && v != nil {
		c.Poll = newPollCard(v)
		c.Poll.StatusID = st.ID
		c.Poll.CanVote = me != nil && csrf != "" && !c.Mine && !v.Expired && !v.Voted
	}
	return c
}

// handle is an account's address: @name@domain.
func (h *handler) handle(a *storage.Account) string {
	if a.Local() {
		return "@" + a.Username + "@" + h.social.Domain()
	}
	return "@" + a.Username + "@" + a.Domain
}

func displayName(a *storage.Account) string {
	if a == nil {
		return ""
	}
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Username
}

// timeLeft writes a duration as m:ss, at least 0:00.
func timeLeft(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// visibilityLabel words a visibility for people.
func visibilityLabel(v string) string {
	switch v {
	case social.VisibilityUnlisted:
		return "Quiet public"
	case social.VisibilityPrivate:
		return "Followers only"
	case social.VisibilityDirect:
		return "Mentioned people only"
	}
	return "Public"
}
