package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// The clinician's voice as a Mastodon app meets it, through a real client
// library: the guidance refuses the first post with a 422 naming the page
// to open, the tone check asks once before a heated reply and lets the
// same text through after the wait, and a blog post reads in the
// timelines as its title linking to its page.
func TestClinicianVoiceThroughAMastodonClient(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		const wait = 1200 * time.Millisecond
		n := startNodeWith(t, dialect, func(rc *rawConfig) { rc.toneRetryWait = wait.String() })
		alice := n.user(t, "alice", false)
		bob := n.user(t, "bob", false)
		app := mastodon.NewClient(&mastodon.Config{Server: n.base, AccessToken: tokenFor(t, n, "alice", "read write follow")})

		// Guidance written: the first post from the app is refused, and the
		// error names the page where it is read and acknowledged.
		g, err := n.svc.SetGuidance(ctx, social.CommandLine, "# Our guidance\n\nIf in any doubt, don't post it.")
		if err != nil {
			t.Fatal(err)
		}
		_, err = app.PostStatus(ctx, &mastodon.Toot{Status: "Morning handover went well."})
		if err == nil || !strings.Contains(err.Error(), "422") || !strings.Contains(err.Error(), "/settings/guidance") {
			t.Fatalf("first post before the guidance is read: %v, want a 422 naming /settings/guidance", err)
		}
		if err := n.svc.AcknowledgeGuidance(ctx, alice, g.Version); err != nil {
			t.Fatal(err)
		}
		if err := n.svc.AcknowledgeGuidance(ctx, bob, g.Version); err != nil {
			t.Fatal(err)
		}
		if _, err := app.PostStatus(ctx, &mastodon.Toot{Status: "Morning handover went well."}); err != nil {
			t.Fatalf("post after acknowledging: %v", err)
		}

		// A heated reply is asked about once; the same text after the wait
		// is posted. A blunt, civil one goes at once.
		parent, err := n.svc.PostStatus(ctx, bob, social.NewStatus{Text: "New sepsis pathway from Monday."})
		if err != nil {
			t.Fatal(err)
		}
		reply := func(text string) (*mastodon.Status, error) {
			return app.PostStatus(ctx, &mastodon.Toot{Status: text, InReplyToID: mastodon.ID(fmt.Sprint(parent.ID))})
		}
		heated := "@bob you absolute idiot, did you even read the pathway?"
		_, err = reply(heated)
		if err == nil || !strings.Contains(err.Error(), "422") || !strings.Contains(err.Error(), "idiot") {
			t.Fatalf("first send of a heated reply: %v, want a 422 saying why", err)
		}
		if _, err := reply("@bob I disagree: the lactate threshold in this pathway is not what the evidence supports."); err != nil {
			t.Fatalf("civil disagreement was paused: %v", err)
		}
		time.Sleep(wait + 200*time.Millisecond)
		st, err := reply(heated)
		if err != nil {
			t.Fatalf("the same text after the wait: %v", err)
		}
		if fmt.Sprint(st.InReplyToID) != fmt.Sprint(parent.ID) {
			t.Fatalf("posted reply answers %v, want %d", st.InReplyToID, parent.ID)
		}

		// A published blog post: the client sees its title as a link to its
		// page, with the summary, not the whole body.
		post, _, err := n.svc.PublishBlogPost(ctx, alice, 0, social.BlogInput{Title: "What night shifts taught me",
			Summary: "Sleep, food and handover.", Body: "The long body of the post, which stays on its page."})
		if err != nil {
			t.Fatal(err)
		}
		public := mastodon.NewClient(&mastodon.Config{Server: n.base})
		deadline := time.Now().Add(10 * time.Second)
		for {
			tl, err := public.GetTimelinePublic(ctx, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			var found *mastodon.Status
			for _, s := range tl {
				if strings.Contains(s.Content, "What night shifts taught me") {
					found = s
				}
			}
			if found != nil {
				if !strings.Contains(found.Content, "/@alice/blog/"+post.Slug) || !strings.Contains(found.Content, "Sleep, food and handover.") ||
					strings.Contains(found.Content, "stays on its page") {
					t.Fatalf("blog post in the local timeline: %q, want its title linking to its page and its summary", found.Content)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the blog post never reached the local timeline")
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}
