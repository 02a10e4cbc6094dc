package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"rounds/social"
	"rounds/storage"
)

// Entities are Mastodon's JSON shapes. Every documented field is present,
// null where there is no value: several apps fail on a missing key.

// Field is a profile field.
type Field struct {
	Name       string  `json:"name"`
	Value      string  `json:"value"`
	VerifiedAt *string `json:"verified_at"`
}

// Account is Mastodon's Account entity.
type Account struct {
	ID             string   `json:"id"`
	Username       string   `json:"username"`
	Acct           string   `json:"acct"`
	URL            string   `json:"url"`
	URI            string   `json:"uri"`
	DisplayName    string   `json:"display_name"`
	Note           string   `json:"note"`
	Avatar         string   `json:"avatar"`
	AvatarStatic   string   `json:"avatar_static"`
	Header         string   `json:"header"`
	HeaderStatic   string   `json:"header_static"`
	Locked         bool     `json:"locked"`
	Fields         []Field  `json:"fields"`
	Emojis         []any    `json:"emojis"`
	Bot            bool     `json:"bot"`
	Group          bool     `json:"group"`
	Discoverable   *bool    `json:"discoverable"`
	Indexable      bool     `json:"indexable"`
	Noindex        bool     `json:"noindex"`
	HideCollection bool     `json:"hide_collections"`
	Memorial       bool     `json:"memorial"`
	Moved          *Account `json:"moved"`
	Suspended      bool     `json:"suspended,omitempty"`
	Limited        bool     `json:"limited"`
	CreatedAt      string   `json:"created_at"`
	LastStatusAt   *string  `json:"last_status_at"`
	StatusesCount  int      `json:"statuses_count"`
	Followers      int      `json:"followers_count"`
	Following      int      `json:"following_count"`
	Roles          []any    `json:"roles"`
	Source         *Source  `json:"source,omitempty"`
	Role           *Role    `json:"role,omitempty"`
}

// Source is the credential account's editable profile.
type Source struct {
	Privacy             string  `json:"privacy"`
	Sensitive           bool    `json:"sensitive"`
	Language            string  `json:"language"`
	Note                string  `json:"note"`
	Fields              []Field `json:"fields"`
	FollowRequestsCount int     `json:"follow_requests_count"`
	HideCollections     bool    `json:"hide_collections"`
	Discoverable        *bool   `json:"discoverable"`
	Indexable           bool    `json:"indexable"`
}

// Role is Mastodon's Role entity.
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Color       string `json:"color"`
	Permissions string `json:"permissions"`
	Highlighted bool   `json:"highlighted"`
}

// Mention is a status's mention of an account.
type Mention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

// TagRef is a hashtag on a status.
type TagRef struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Status is Mastodon's Status entity.
type Status struct {
	ID                 string             `json:"id"`
	URI                string             `json:"uri"`
	URL                *string            `json:"url"`
	CreatedAt          string             `json:"created_at"`
	Account            *Account           `json:"account"`
	Content            string             `json:"content"`
	Visibility         string             `json:"visibility"`
	Sensitive          bool               `json:"sensitive"`
	SpoilerText        string             `json:"spoiler_text"`
	MediaAttachments   []*MediaAttachment `json:"media_attachments"`
	Application        any                `json:"application"`
	Mentions           []Mention          `json:"mentions"`
	Tags               []TagRef           `json:"tags"`
	Emojis             []any              `json:"emojis"`
	ReblogsCount       int                `json:"reblogs_count"`
	FavouritesCount    int                `json:"favourites_count"`
	RepliesCount       int                `json:"replies_count"`
	Reblog             *Status            `json:"reblog"`
	Poll               *Poll              `json:"poll"`
	Card               any                `json:"card"`
	Language           *string            `json:"language"`
	Text               *string            `json:"text"`
	EditedAt           *string            `json:"edited_at"`
	InReplyToID        *string            `json:"in_reply_to_id"`
	InReplyToAccountID *string            `json:"in_reply_to_account_id"`
	Favourited         bool               `json:"favourited"`
	Reblogged          bool               `json:"reblogged"`
	Muted              bool               `json:"muted"`
	Bookmarked         bool               `json:"bookmarked"`
	Pinned             bool               `json:"pinned"`
	Filtered           []any              `json:"filtered"`
	// LocalOnly (as glitch-soc has it): seen only by signed-in accounts
	// of this server, never sent to others.
	LocalOnly     bool           `json:"local_only"`
	Quote         any            `json:"quote"` // *Quote, *ShallowQuote or nil (quotes.go)
	QuoteApproval *QuoteApproval `json:"quote_approval"`
}

// Relationship is Mastodon's Relationship entity.
type Relationship struct {
	ID                  string   `json:"id"`
	Following           bool     `json:"following"`
	ShowingReblogs      bool     `json:"showing_reblogs"`
	Notifying           bool     `json:"notifying"`
	Languages           []string `json:"languages"`
	FollowedBy          bool     `json:"followed_by"`
	Blocking            bool     `json:"blocking"`
	BlockedBy           bool     `json:"blocked_by"`
	Muting              bool     `json:"muting"`
	MutingNotifications bool     `json:"muting_notifications"`
	Requested           bool     `json:"requested"`
	RequestedBy         bool     `json:"requested_by"`
	DomainBlocking      bool     `json:"domain_blocking"`
	Endorsed            bool     `json:"endorsed"`
	Note                string   `json:"note"`
}

// mastoTime formats t as Mastodon does, with milliseconds and a Z: some
// clients fail without them.
func mastoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func optID(id *int64) *string {
	if id == nil {
		return nil
	}
	s := idString(*id)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// acct is how Mastodon names an account to a viewer on this server.
func acct(a *storage.Account) string {
	if a.Local() {
		return a.Username
	}
	return a.Username + "@" + a.Domain
}

// present builds entities for one request, caching what it looks up.
type present struct {
	h  *handler
	me *storage.Account // nil when anonymous

	accounts map[int64]*Account     // rendered accounts, by id
	sx       *storage.StatusExtras  // preloaded for a page of statuses
	ax       *storage.AccountExtras // preloaded for their authors
	origs    map[int64]*storage.Status

	loadedStatuses, loadedAccounts map[int64]bool

	// The viewer's filters, applied in filterCtx (see inContext).
	filterCtx     string
	filters       *social.FilterSet
	filtersLoaded bool

	polls map[int64]*social.PollView // preloaded, by status id

	// Set while rendering a moved account's new account (moves.go).
	nestedMove bool

	// Whether the viewer muted any thread, read once for a page.
	mutesThreads, mutesThreadsLoaded bool
}

// threadMuted reports whether the viewer muted st's thread, asking only
// when the viewer muted some thread at all.
func (p *present) threadMuted(ctx context.Context, st *storage.Status) bool {
	if !p.mutesThreadsLoaded {
		p.mutesThreadsLoaded = true
		p.mutesThreads = p.h.social.MutesAnyThread(ctx, p.me)
	}
	return p.mutesThreads && p.h.social.ThreadMuted(ctx, p.me, st)
}

func (h *handler) presenter(me *storage.Account) *present { return &present{h: h, me: me} }

func (p *present) avatar(a *storage.Account) string {
	if a.AvatarURL != "" {
		return a.AvatarURL
	}
	return p.h.social.BaseURL() + "/static/avatar.png"
}

func (p *present) header(a *storage.Account) string {
	if a.HeaderURL != "" {
		return a.HeaderURL
	}
	return p.h.social.BaseURL() + "/static/header.png"
}

// Account renders a, once per request: a page of statuses often repeats
// its authors.
func (p *present) Account(ctx context.Context, a *storage.Account) *Account {
	if cached, ok := p.accounts[a.ID]; ok {
		return cached
	}
	out := p.renderAccount(ctx, a)
	if p.accounts == nil {
		p.accounts = map[int64]*Account{}
	}
	p.accounts[a.ID] = out
	return out
}

func (p *present) renderAccount(ctx context.Context, a *storage.Account) *Account {
	var fields []Field
	_ = json.Unmarshal([]byte(a.Fields), &fields)
	if fields == nil {
		fields = []Field{}
	}
	var c social.AccountCounts
	if p.ax != nil && p.ax.Statuses != nil && p.hasAccountExtras(a.ID) {
		c = social.AccountCounts{Followers: p.ax.Followers[a.ID], Following: p.ax.Following[a.ID], Statuses: p.ax.Statuses[a.ID]}
	} else {
		c, _ = p.h.social.Counts(ctx, a)
	}
	disc := a.Discoverable
	url := a.URL
	if url == "" {
		url = a.URI
	}
	out := &Account{
		ID: idString(a.ID), Username: a.Username, Acct: acct(a), URL: url, URI: a.URI,
		DisplayName: a.DisplayName, Note: a.Note,
		Avatar: p.avatar(a), AvatarStatic: p.avatar(a), Header: p.header(a), HeaderStatic: p.header(a),
		Locked: a.Locked, Fields: fields, Emojis: p.emojisOf(ctx, a, a.DisplayName, a.Note), Bot: a.Bot || a.ActorType == "Service" || a.ActorType == "Application",
		Group: a.ActorType == "Group", Discoverable: &disc, Indexable: a.Indexable, Noindex: !a.Indexable,
		CreatedAt:     mastoTime(a.CreatedAt.Truncate(24 * time.Hour)),
		StatusesCount: c.Statuses, Followers: c.Followers, Following: c.Following, Roles: []any{},
		Limited: a.SilencedAt != nil, Suspended: a.Suspended(),
	}
	out.Moved = p.moved(ctx, a)
	var last time.Time
	if p.hasAccountExtras(a.ID) {
		if id := p.ax.LastStatusID[a.ID]; id != 0 {
			last = storage.IDTime(id)
		}
	} else {
		last, _ = p.h.social.LastStatusAt(ctx, a)
	}
	if !last.IsZero() {
		d := last.UTC().Format("2006-01-02")
		out.LastStatusAt = &d
	}
	return out
}

// CredentialAccount renders the signed-in user's own account, with its
// editable source and role.
func (p *present) CredentialAccount(ctx context.Context, u *storage.User) *Account {
	a := p.Account(ctx, u.Account)
	var fields []Field
	_ = json.Unmarshal([]byte(u.Account.Fields), &fields)
	for i := range fields {
		fields[i].Value = stripTags(fields[i].Value)
	}
	if fields == nil {
		fields = []Field{}
	}
	reqs, _ := p.h.social.FollowRequests(ctx, u.Account, 80)
	disc := u.Account.Discoverable
	a.Source = &Source{
		Privacy: "public", Language: "", Note: stripTags(strings.ReplaceAll(u.Account.Note, "</p><p>", "\n\n")),
		Fields: fields, FollowRequestsCount: len(reqs), Discoverable: &disc, Indexable: u.Account.Indexable,
	}
	a.Role = roleEntity(u.Role)
	return a
}

func roleEntity(role string) *Role {
	switch role {
	case social.RoleOwner:
		return &Role{ID: "3", Name: "Owner", Permissions: "1", Highlighted: true}
	case social.RoleAdmin:
		return &Role{ID: "2", Name: "Admin", Permissions: "1", Highlighted: true}
	case social.RoleModerator:
		return &Role{ID: "1", Name: "Moderator", Permissions: "1052", Highlighted: true}
	}
	return &Role{ID: "-99", Name: "", Permissions: "65536"}
}

// stripTags turns stored HTML back into the author's plain text, for the
// editable source.
func stripTags(s string) string {
	s = strings.NewReplacer("<br>", "\n", "</p><p>", "\n\n").Replace(s)
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", "\"", "&#39;", "'", "&quot;", "\"", "&amp;", "&").Replace(b.String())
}

// Status renders st as the viewer sees it.
func (p *present) Status(ctx context.Context, st *storage.Status) *Status {
	ctx = context.WithoutCancel(ctx)
	author := st.Account
	if author == nil {
		author, _ = p.h.social.AccountByID(ctx, st.AccountID)
	}
	out := &Status{
		ID: idString(st.ID), URI: st.URI, URL: optString(st.URL), CreatedAt: mastoTime(st.CreatedAt),
		Account: p.Account(ctx, author), Content: st.Content, Visibility: st.Visibility,
		Sensitive: st.Sensitive, SpoilerText: st.SpoilerText, MediaAttachments: []*MediaAttachment{},
		Mentions: []Mention{}, Tags: []TagRef{}, Emojis: []any{}, Language: optString(st.Language),
		InReplyToID: optID(st.InReplyToID), InReplyToAccountID: optID(st.InReplyToAccountID), Filtered: p.filteredOf(ctx, st),
		LocalOnly: st.LocalOnly,
	}
	if st.EditedAt != nil {
		e := mastoTime(*st.EditedAt)
		out.EditedAt = &e
	}
	if st.ReblogOfID != nil {
		orig, err := p.origs[*st.ReblogOfID], error(nil)
		if orig == nil {
			orig, err = p.h.social.StatusByID(ctx, *st.ReblogOfID)
		}
		if err == nil {
			out.Reblog = p.Status(ctx, orig)
			out.Content = ""
		}
		return out
	}
	out.Emojis = p.emojisOf(ctx, author, st.Content, st.SpoilerText)
	out.Quote, out.QuoteApproval = p.quoteOf(ctx, st)
	if x := p.sx; x != nil && x.Replies != nil && p.preloaded(st.ID) {
		for _, m := range x.Media[st.ID] {
			out.MediaAttachments = append(out.MediaAttachments, p.Media(m))
		}
		for _, m := range x.Mentions[st.ID] {
			out.Mentions = append(out.Mentions, Mention{ID: idString(m.ID), Username: m.Username, URL: m.URL, Acct: acct(m)})
		}
		for _, t := range x.Tags[st.ID] {
			out.Tags = append(out.Tags, TagRef{Name: t, URL: p.h.social.BaseURL() + "/tags/" + t})
		}
		out.RepliesCount, out.ReblogsCount, out.FavouritesCount = x.Replies[st.ID], x.Reblogs[st.ID], x.Favourites[st.ID]
		out.Poll = p.statusPoll(ctx, st)
		if p.me != nil {
			out.Favourited, out.Reblogged, out.Bookmarked = x.Favourited[st.ID], x.Reblogged[st.ID], x.Bookmarked[st.ID]
			out.Pinned = st.AccountID == p.me.ID && x.Pinned[st.ID]
			out.Muted = x.MutedAuthors[st.AccountID] || p.threadMuted(ctx, st)
		}
		return out
	}
	if media, err := p.h.social.StatusMedia(ctx, st); err == nil {
		for _, m := range media {
			out.MediaAttachments = append(out.MediaAttachments, p.Media(m))
		}
	}
	if mentioned, err := p.h.social.MentionedAccounts(ctx, st); err == nil {
		for _, m := range mentioned {
			out.Mentions = append(out.Mentions, Mention{ID: idString(m.ID), Username: m.Username, URL: m.URL, Acct: acct(m)})
		}
	}
	if tags, err := p.h.social.StatusTags(ctx, st); err == nil {
		for _, t := range tags {
			out.Tags = append(out.Tags, TagRef{Name: t, URL: p.h.social.BaseURL() + "/tags/" + t})
		}
	}
	out.Poll = p.statusPoll(ctx, st)
	if c, err := p.h.social.CountsOf(ctx, st); err == nil {
		out.RepliesCount, out.ReblogsCount, out.FavouritesCount = c.Replies, c.Reblogs, c.Favourites
	}
	if p.me != nil {
		v := p.h.social.ViewerState(ctx, p.me, st)
		out.Favourited, out.Reblogged = v.Favourited, v.Reblogged
		out.Bookmarked, out.Pinned, out.Muted = v.Bookmarked, v.Pinned, v.Muted
	}
	return out
}

// Statuses renders a list, loading what the whole page needs at once.
func (p *present) Statuses(ctx context.Context, sts []*storage.Status) []*Status {
	p.preload(ctx, sts)
	sts = p.visibleAfterFilters(ctx, sts)
	out := make([]*Status, 0, len(sts))
	for _, st := range sts {
		out = append(out, p.Status(ctx, st))
	}
	return out
}

// preload fetches, in a few queries, what rendering sts needs: the boosted
// originals, counts, mentions, media, tags, the viewer's marks and the
// authors' counts.
func (p *present) preload(ctx context.Context, sts []*storage.Status) {
	all := append([]*storage.Status(nil), sts...)
	p.origs = map[int64]*storage.Status{}
	for _, st := range sts {
		if st.Reblog != nil && st.Reblog.ID == *st.ReblogOfID {
			// The timeline read it already.
			p.origs[st.Reblog.ID] = st.Reblog
			all = append(all, st.Reblog)
		} else if st.ReblogOfID != nil {
			if orig, err := p.h.social.StatusByID(ctx, *st.ReblogOfID); err == nil {
				p.origs[orig.ID] = orig
				all = append(all, orig)
			}
		}
	}
	sx, err := p.h.social.StatusExtras(ctx, p.me, all)
	if err != nil {
		p.h.log.Warn("preload statuses", "error", err)
		return
	}
	seen := map[int64]bool{}
	var authors []int64
	for _, st := range all {
		if !seen[st.AccountID] {
			seen[st.AccountID] = true
			authors = append(authors, st.AccountID)
		}
	}
	ax, err := p.h.social.AccountExtras(ctx, authors)
	if err != nil {
		p.h.log.Warn("preload accounts", "error", err)
		return
	}
	polls, err := p.h.social.PollsOf(ctx, p.me, all)
	if err != nil {
		p.h.log.Warn("preload polls", "error", err)
		return
	}
	p.sx, p.ax, p.polls = sx, ax, polls
	p.loadedStatuses = map[int64]bool{}
	for _, st := range all {
		p.loadedStatuses[st.ID] = true
	}
	p.loadedAccounts = seen
}

func (p *present) preloaded(id int64) bool { return p.loadedStatuses[id] }

func (p *present) hasAccountExtras(id int64) bool { return p.ax != nil && p.loadedAccounts[id] }
