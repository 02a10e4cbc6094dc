package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// callJSON sends a JSON body with token and decodes the JSON answer.
func callJSON(t *testing.T, n *node, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, n.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func pollTitles(p *mastodon.Poll) []string {
	var out []string
	for _, o := range p.Options {
		out = append(out, o.Title)
	}
	return out
}

func hasNotification(t *testing.T, c *mastodon.Client, typ, statusURI string) bool {
	t.Helper()
	ns, err := c.GetNotifications(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Type == typ && n.Status != nil && n.Status.URI == statusURI {
			return true
		}
	}
	return false
}

// A poll posted on A reaches B as a poll; a vote on B is counted on A (and
// not kept there as a post); when the poll ends, its author on A and the
// voter on B are told, and the final counts reach B.
func TestPollAcrossTwoServers(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		aliceAcct := a.user(t, "alice", false)
		bob := b.user(t, "bob", false)
		followAcross(t, b, bob, a, "alice")
		alice, bobC := signIn(t, a, "alice"), signIn(t, b, "bob")
		aliceTok := tokenFor(t, a, "alice", "read write")

		// Mastodon's limits, as 422 with Mastodon-like messages.
		for _, bad := range []url.Values{
			{"status": {"poll?"}, "poll[options][]": {"only"}, "poll[expires_in]": {"600"}},
			{"status": {"poll?"}, "poll[options][]": {"a", "b"}, "poll[expires_in]": {"60"}},
			{"status": {"poll?"}, "poll[options][]": {"a", strings.Repeat("b", 51)}, "poll[expires_in]": {"600"}},
			{"status": {"poll?"}, "poll[options][]": {"a", "b"}},
		} {
			if code, body := call(t, a, aliceTok, "POST", "/api/v1/statuses", bad); code != http.StatusUnprocessableEntity || !strings.HasPrefix(fmt.Sprint(body["error"]), "Validation failed: Poll") {
				t.Errorf("%v: %d %v, want 422", bad, code, body)
			}
		}
		// JSON, as apps send it.
		code, body := callJSON(t, a, aliceTok, "POST", "/api/v1/statuses", map[string]any{
			"status": "Which days suit the journal club?",
			"poll":   map[string]any{"options": []string{"Mon", "Wed", "Fri"}, "expires_in": 86400, "multiple": true, "hide_totals": true},
		})
		poll, _ := body["poll"].(map[string]any)
		if code != http.StatusOK || poll == nil || poll["multiple"] != true || poll["voted"] != true || len(poll["options"].([]any)) != 3 || poll["expires_at"] == nil {
			t.Fatalf("a poll posted as JSON: %d %v", code, body)
		}
		for _, key := range []string{"id", "expires_at", "expired", "multiple", "votes_count", "voters_count", "options", "emojis", "voted", "own_votes"} {
			if _, ok := poll[key]; !ok {
				t.Errorf("the poll entity lacks %q", key)
			}
		}

		jsonID := fmt.Sprint(body["id"])
		// Votes as JSON: hidden totals stay null for a voter until the end.
		a.user(t, "erin", false)
		erinTok := tokenFor(t, a, "erin", "read write")
		pollPath := "/api/v1/polls/" + fmt.Sprint(poll["id"])
		if code, body := callJSON(t, a, erinTok, "POST", pollPath+"/votes", map[string]any{"choices": []int{7}}); code != http.StatusUnprocessableEntity {
			t.Fatalf("a choice out of range: %d %v", code, body)
		}
		code, body = callJSON(t, a, erinTok, "POST", pollPath+"/votes", map[string]any{"choices": []string{"0", "2"}})
		if own, _ := body["own_votes"].([]any); code != http.StatusOK || len(own) != 2 || body["votes_count"] != 2.0 ||
			body["options"].([]any)[0].(map[string]any)["votes_count"] != nil {
			t.Fatalf("erin's vote: %d %v", code, body)
		}
		if code, body := call(t, a, aliceTok, "GET", pollPath, nil); code != http.StatusOK || body["options"].([]any)[0].(map[string]any)["votes_count"] != 1.0 {
			t.Fatalf("the author's view of hidden totals: %d %v", code, body)
		}
		// An edit with new options (which discards the votes); the
		// history shows the poll.
		code, body = callJSON(t, a, aliceTok, "PUT", "/api/v1/statuses/"+jsonID, map[string]any{
			"status": "Which days suit the journal club? (edited)",
			"poll":   map[string]any{"options": []string{"Tue", "Thu"}, "expires_in": 3600},
		})
		poll, _ = body["poll"].(map[string]any)
		if opts, _ := poll["options"].([]any); code != http.StatusOK || len(opts) != 2 || opts[0].(map[string]any)["title"] != "Tue" || poll["multiple"] != false {
			t.Fatalf("an edit of the poll: %d %v", code, body)
		}
		journalPoll := fmt.Sprint(poll["id"])
		if code, body := call(t, a, erinTok, "GET", "/api/v1/polls/"+journalPoll, nil); code != http.StatusOK || body["voted"] != false || body["votes_count"] != 0.0 {
			t.Fatalf("erin's vote after the options changed: %d %v", code, body)
		}
		req, _ := http.NewRequest("GET", a.base+"/api/v1/statuses/"+jsonID+"/history", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var history []map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&history)
		resp.Body.Close()
		titlesOf := func(v any) string {
			m, _ := v.(map[string]any)
			opts, _ := m["options"].([]any)
			var out []string
			for _, o := range opts {
				out = append(out, fmt.Sprint(o.(map[string]any)["title"]))
			}
			return strings.Join(out, ",")
		}
		if len(history) != 2 || titlesOf(history[0]["poll"]) != "Mon,Wed,Fri" || titlesOf(history[1]["poll"]) != "Tue,Thu" {
			t.Fatalf("the history: %v", history)
		}

		toot, err := alice.PostStatus(ctx, &mastodon.Toot{Status: "Tea or coffee on the night shift?", Visibility: "public",
			Poll: &mastodon.TootPoll{Options: []string{"Tea", "Coffee"}, ExpiresInSeconds: 3600}})
		if err != nil {
			t.Fatal(err)
		}
		if toot.Poll == nil || strings.Join(pollTitles(toot.Poll), ",") != "Tea,Coffee" || toot.Poll.Expired {
			t.Fatalf("the posted poll: %+v", toot.Poll)
		}
		// Anyone may read a public poll; an unknown one is 404.
		if code, body := call(t, a, "", "GET", "/api/v1/polls/"+string(toot.Poll.ID), nil); code != http.StatusOK || body["voted"] != nil {
			t.Fatalf("an anonymous read of the poll: %d %v", code, body)
		}
		if code, _ := call(t, a, "", "GET", "/api/v1/polls/12345", nil); code != http.StatusNotFound {
			t.Fatalf("an unknown poll: %d", code)
		}
		if _, err := alice.PollVote(ctx, toot.Poll.ID, 0); err == nil || !strings.Contains(err.Error(), "own poll") {
			t.Fatalf("alice voting in her own poll: %v", err)
		}

		onB := waitInHome(t, b, bob, toot.URI, "the poll on B")
		seen, err := bobC.GetStatus(ctx, mastodon.ID(fmt.Sprint(onB.ID)))
		if err != nil {
			t.Fatal(err)
		}
		if seen.Poll == nil || strings.Join(pollTitles(seen.Poll), ",") != "Tea,Coffee" || seen.Poll.Voted {
			t.Fatalf("the poll as bob sees it on B: %+v", seen.Poll)
		}
		if want := toot.Poll.ExpiresAt; !seen.Poll.ExpiresAt.Equal(want.Truncate(time.Second)) && !seen.Poll.ExpiresAt.Equal(want) {
			t.Fatalf("expires at %v on B, %v on A", seen.Poll.ExpiresAt, want)
		}
		voted, err := bobC.PollVote(ctx, seen.Poll.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !voted.Voted || len(voted.OwnVotes) != 1 || voted.OwnVotes[0] != 1 || voted.Options[1].VotesCount != 1 {
			t.Fatalf("bob's vote: %+v", voted)
		}
		if _, err := bobC.PollVote(ctx, seen.Poll.ID, 0); err == nil || !strings.Contains(err.Error(), "already voted") {
			t.Fatalf("bob voting twice: %v", err)
		}
		var pollID int64
		fmt.Sscan(string(toot.Poll.ID), &pollID)
		var bobPollID int64
		fmt.Sscan(string(seen.Poll.ID), &bobPollID)
		// (Waiting reads through the domain: polling the API would meet
		// its rate limit, which go-mastodon waits out.)
		eventually(t, "bob's vote counted on A", func() bool {
			v, _, err := a.svc.Poll(ctx, aliceAcct, pollID)
			return err == nil && v.VotesCount == 1 && v.VotersCount == 1 && v.Tallies[1] == 1
		})
		if p, err := alice.GetPoll(ctx, toot.Poll.ID); err != nil || p.VotesCount != 1 || p.Options[1].VotesCount != 1 {
			t.Fatalf("the poll on A after bob's vote: %+v %v", p, err)
		}
		// A vote on A reaches B in the Update that follows votes.
		dave := a.user(t, "dave", false)
		if _, err := a.svc.Vote(ctx, dave, pollID, []int{0}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the new counts reaching B", func() bool {
			v, _, err := b.svc.Poll(ctx, bob, bobPollID)
			return err == nil && v.Tallies[0] == 1 && v.Tallies[1] == 1 && v.VotersCount == 2
		})
		// The vote is not a reply.
		if st, err := alice.GetStatus(ctx, toot.ID); err != nil || st.RepliesCount != 0 {
			t.Fatalf("the vote became a reply on A: %v %v", st, err)
		}

		// End it now: move its end, and its durable closing job, to the
		// past; the queue runs the job.
		db, err := storage.Open(ctx, a.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetPollExpiry(ctx, pollID, time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		res, err := db.SQLDB().ExecContext(ctx, "UPDATE river_job SET scheduled_at = created_at WHERE kind = 'close_poll' AND state = 'scheduled'")
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 3 { // this poll's, the journal club's and its edit's
			t.Fatalf("%d close_poll jobs waiting, want 3", n)
		}
		db.Close()
		eventually(t, "the poll ending on A", func() bool {
			v, _, err := a.svc.Poll(ctx, aliceAcct, pollID)
			return err == nil && v.Expired && v.Poll.ClosedAt != nil
		})
		p, err := alice.GetPoll(ctx, toot.Poll.ID)
		if err != nil || !p.Expired {
			t.Fatalf("the ended poll on A: %+v %v", p, err)
		}
		// The journal club's jobs ran too, and left it open: it ends later.
		if code, body := call(t, a, aliceTok, "GET", "/api/v1/polls/"+journalPoll, nil); code != http.StatusOK || body["expired"] != false {
			t.Fatalf("the journal club poll: %d %v", code, body)
		}
		if !hasNotification(t, alice, "poll", toot.URI) {
			t.Fatal("alice was not told her poll ended")
		}
		if ns, err := a.svc.Notifications(ctx, dave, []string{"poll"}, nil, storage.Page{Limit: 5}); err != nil || len(ns) != 1 {
			t.Fatalf("dave, a voter on A, has %d poll notifications (%v), want 1", len(ns), err)
		}
		eventually(t, "the end of the poll reaching B", func() bool {
			v, _, err := b.svc.Poll(ctx, bob, bobPollID)
			return err == nil && v.Expired
		})
		if p, err := bobC.GetPoll(ctx, seen.Poll.ID); err != nil || !p.Expired || p.Options[1].VotesCount != 1 || p.Options[0].VotesCount != 1 || p.VotersCount != 2 {
			t.Fatalf("the ended poll on B: %+v %v", p, err)
		}
		if !hasNotification(t, bobC, "poll", toot.URI) {
			t.Fatal("bob was not told the poll ended")
		}
		if _, err := bobC.PollVote(ctx, seen.Poll.ID, 0); err == nil {
			t.Fatal("a vote in an ended poll was taken")
		}
		// The web page shows the results.
		if code, page := get(t, a.base+"/@alice"); code != http.StatusOK || !contains(page, `class="poll"`, "Coffee", "50% (1)", "2 people", "Closed") {
			t.Fatalf("alice's profile page: %d\n%s", code, page)
		}
	})
}

// When a remote poll ends, its server's Question is fetched for the final
// counts, even if that server sent no Update.
func TestRemotePollEndFetchesFinalCounts(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice, dave := a.user(t, "alice", false), a.user(t, "dave", false)
		bob := b.user(t, "bob", false)
		followAcross(t, b, bob, a, "alice")
		st, err := a.svc.PostStatus(ctx, alice, social.NewStatus{Text: "Sim session: Tuesday or Thursday?", Visibility: social.VisibilityPublic,
			Poll: &social.NewPoll{Options: []string{"Tuesday", "Thursday"}, ExpiresIn: 3600}})
		if err != nil {
			t.Fatal(err)
		}
		onB := waitInHome(t, b, bob, st.URI, "the poll on B")
		view, err := b.svc.PollOf(ctx, bob, onB)
		if err != nil || view == nil {
			t.Fatalf("the poll on B: %v %v", view, err)
		}
		pv, _ := a.svc.PollOf(ctx, dave, st)
		if _, err := a.svc.Vote(ctx, dave, pv.Poll.ID, []int{1}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "dave's vote reaching B", func() bool {
			v, err := b.svc.PollOf(ctx, bob, onB)
			return err == nil && v.VotesCount == 1
		})

		// B forgets the counts, and its copy ends now.
		db, err := storage.Open(ctx, b.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		p := view.Poll
		p.SetOptions(p.Options(), []int{0, 0})
		p.VotersCount = 0
		if err := db.UpdatePoll(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPollExpiry(ctx, p.ID, time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQLDB().ExecContext(ctx, "UPDATE river_job SET scheduled_at = created_at WHERE kind = 'close_poll' AND state = 'scheduled'"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		eventually(t, "the final counts fetched from A", func() bool {
			v, err := b.svc.PollOf(ctx, bob, onB)
			return err == nil && v.Expired && v.VotesCount == 1 && v.Tallies[1] == 1 && v.VotersCount == 1
		})
	})
}
