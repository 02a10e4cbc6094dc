package social_test

import (
	"context"
	"strings"
	"testing"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

func TestPostTextLinksMentionsHashtagsAndAddresses(t *testing.T) {
	ctx := context.Background()
	s := newService(t, storage.SQLite, nil)
	u, err := s.CreateUser(ctx, social.NewUser{Username: "author", Password: "long enough pw", Approved: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, social.NewUser{Username: "Nurse_Ann", Password: "long enough pw", Approved: true}); err != nil {
		t.Fatal(err)
	}
	text := "Thanks @nurse_ann and @ghost@far.example!\n#SepsisSix <b>bold</b> see https://hse.example/guide.\n\nemail a@b.example is not a mention; #123 is not a tag"
	st, err := s.PostStatus(ctx, u.Account, social.NewStatus{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`<span class="h-card"><a href="https://rounds.test/@Nurse_Ann" class="u-url mention">@<span>Nurse_Ann</span></a></span>`,
		`@ghost@far.example!`, // unknown remote, no resolver: plain text
		`<a href="https://rounds.test/tags/sepsissix" class="mention hashtag" rel="tag">#<span>SepsisSix</span></a>`,
		`&lt;b&gt;bold&lt;/b&gt;`,
		`<a href="https://hse.example/guide" rel="nofollow noopener noreferrer" target="_blank">https://hse.example/guide</a>.`,
		`email a@b.example is not a mention; #123 is not a tag`,
		`<br>`, `</p><p>`,
	}
	for _, w := range want {
		if !strings.Contains(st.Content, w) {
			t.Errorf("content lacks %s\n%s", w, st.Content)
		}
	}
	tags, _ := s.StatusTags(ctx, st)
	if len(tags) != 1 || tags[0] != "sepsissix" {
		t.Fatalf("tags = %v", tags)
	}
	mentioned, _ := s.MentionedAccounts(ctx, st)
	if len(mentioned) != 1 || mentioned[0].Username != "Nurse_Ann" {
		t.Fatalf("mentions = %v", mentioned)
	}
}

func TestPostStatusRefusesBadInput(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		u, _ := s.CreateUser(ctx, social.NewUser{Username: "author", Password: "long enough pw", Approved: true})
		cases := []social.NewStatus{
			{Text: "   "},
			{Text: strings.Repeat("x", 501)},
			{Text: "ok", Visibility: "everyone"},
			{Text: "ok", InReplyToID: 12345},
		}
		for _, c := range cases {
			if _, err := s.PostStatus(ctx, u.Account, c); err == nil {
				t.Errorf("PostStatus(%+v) was accepted", c)
			}
		}
		c, _ := s.Counts(ctx, u.Account)
		if c.Statuses != 0 {
			t.Fatalf("%d statuses stored from refused input", c.Statuses)
		}
	})
}
