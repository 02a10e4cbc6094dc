package social_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

func pollOptions(opts ...string) *social.NewPoll {
	return &social.NewPoll{Options: opts, ExpiresIn: 3600}
}

func wantInvalid(t *testing.T, err error, part string) {
	t.Helper()
	var ve *social.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), part) {
		t.Fatalf("got %v, want a validation error about %q", err, part)
	}
}

func notificationTypes(t *testing.T, s *social.Service, a *storage.Account) []string {
	t.Helper()
	ns, err := s.Notifications(context.Background(), a, nil, nil, storage.Page{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, n.Type)
	}
	return out
}

// A local poll is validated as Mastodon does, each option goes through the
// patient-identifier guard, votes follow the rules (not one's own, not
// twice, not after the end, one choice unless multiple), hidden totals
// stay hidden from others until the end, and closing tells the author and
// every voter once.
func TestLocalPollValidationVotingAndClosing(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		clk := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
		s := newService(t, dialect, clk.now)
		author := staffUser(t, s, "dr_niamh", social.RoleUser).Account
		v1 := staffUser(t, s, "dr_ciaran", social.RoleUser).Account
		v2 := staffUser(t, s, "dr_sean", social.RoleUser).Account
		post := func(p *social.NewPoll) (*storage.Status, error) {
			return s.PostStatus(ctx, author, social.NewStatus{Text: "Best antiemetic on the ward?", Visibility: social.VisibilityPublic, Poll: p})
		}

		_, err := post(pollOptions("Ondansetron"))
		wantInvalid(t, err, "more than one item")
		_, err = post(pollOptions("a", "b", "c", "d", "e"))
		wantInvalid(t, err, "more than 4 items")
		_, err = post(pollOptions("a", strings.Repeat("x", 51)))
		wantInvalid(t, err, "longer than 50 characters")
		_, err = post(pollOptions("a", "a"))
		wantInvalid(t, err, "duplicate")
		_, err = post(&social.NewPoll{Options: []string{"a", "b"}, ExpiresIn: 299})
		wantInvalid(t, err, "too soon")
		_, err = post(&social.NewPoll{Options: []string{"a", "b"}, ExpiresIn: 2629747})
		wantInvalid(t, err, "too far")
		_, err = s.PostStatus(ctx, author, social.NewStatus{Text: "with media", MediaIDs: []int64{1}, Poll: pollOptions("a", "b")})
		wantInvalid(t, err, "media")
		_, err = post(pollOptions("Ondansetron", "Bed 4, NHS no 943 476 5919"))
		var ie *social.IdentifierError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "in poll option 2") {
			t.Fatalf("an NHS number in an option: %v", err)
		}

		st, err := s.PostStatus(ctx, author, social.NewStatus{Text: "Best antiemetic on the ward?", Visibility: social.VisibilityPublic,
			Poll: &social.NewPoll{Options: []string{" Ondansetron ", "Cyclizine", "Metoclopramide"}, ExpiresIn: 600, HideTotals: true}})
		if err != nil {
			t.Fatal(err)
		}
		view, err := s.PollOf(ctx, v1, st)
		if err != nil || view == nil {
			t.Fatalf("poll of the new status: %v %v", view, err)
		}
		if !slices.Equal(view.Options, []string{"Ondansetron", "Cyclizine", "Metoclopramide"}) || view.Expired || view.Voted || view.Tallies != nil {
			t.Fatalf("poll as a voter first sees it: %+v", view)
		}
		if want := clk.now().Add(600 * time.Second); !view.Poll.ExpiresAt.Equal(want) {
			t.Fatalf("expires at %v, want %v", view.Poll.ExpiresAt, want)
		}
		id := view.Poll.ID

		_, err = s.Vote(ctx, author, id, []int{0})
		wantInvalid(t, err, "your own poll")
		_, err = s.Vote(ctx, v1, id, []int{0, 1})
		wantInvalid(t, err, "only one choice")
		_, err = s.Vote(ctx, v1, id, []int{3})
		wantInvalid(t, err, "does not exist")
		_, err = s.Vote(ctx, v1, id, nil)
		wantInvalid(t, err, "at least one")
		got, err := s.Vote(ctx, v1, id, []int{1})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Voted || !slices.Equal(got.OwnVotes, []int{1}) || got.VotesCount != 1 || got.VotersCount != 1 || got.Tallies != nil {
			t.Fatalf("after voting: %+v", got)
		}
		_, err = s.Vote(ctx, v1, id, []int{2})
		wantInvalid(t, err, "already voted")
		if _, err := s.Vote(ctx, v2, id, []int{1}); err != nil {
			t.Fatal(err)
		}
		// The author sees hidden totals; others do not until the end.
		mine, _ := s.PollOf(ctx, author, st)
		if !slices.Equal(mine.Tallies, []int{0, 2, 0}) || mine.VotersCount != 2 || mine.VotesCount != 2 {
			t.Fatalf("the author's view: %+v", mine)
		}
		anon, _ := s.PollOf(ctx, nil, st)
		if anon.Tallies != nil || anon.Viewer || anon.VotesCount != 2 {
			t.Fatalf("an anonymous view: %+v", anon)
		}

		// Not yet due: closing does nothing.
		if err := s.ClosePoll(ctx, id); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(notificationTypes(t, s, author), social.NotifyPoll) {
			t.Fatal("the author was told the poll ended before it did")
		}
		clk.add(601 * time.Second)
		if _, err := s.Vote(ctx, staffUser(t, s, "late", social.RoleUser).Account, id, []int{0}); err == nil || !strings.Contains(err.Error(), "already ended") {
			t.Fatalf("a late vote: %v", err)
		}
		for i := 0; i < 2; i++ {
			if err := s.ClosePoll(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range []*storage.Account{author, v1, v2} {
			n := 0
			for _, typ := range notificationTypes(t, s, a) {
				if typ == social.NotifyPoll {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("@%s has %d poll notifications, want 1", a.Username, n)
			}
		}
		ended, _ := s.PollOf(ctx, v1, st)
		if !ended.Expired || !slices.Equal(ended.Tallies, []int{0, 2, 0}) || ended.Poll.ClosedAt == nil {
			t.Fatalf("the ended poll: %+v", ended)
		}
		// An edit runs the poll again from the edit, as on Mastodon.
		if _, err := s.EditStatus(ctx, author, st.ID, social.NewStatus{Text: "Round two", Poll: &social.NewPoll{Options: []string{"Ondansetron", "Cyclizine"}, ExpiresIn: 300}}); err != nil {
			t.Fatal(err)
		}
		again, _ := s.PollOf(ctx, v1, st)
		if again.Expired || again.Voted || again.VotesCount != 0 || !again.Poll.ExpiresAt.Equal(clk.now().Add(300*time.Second)) {
			t.Fatalf("the edited poll: %+v", again)
		}
	})
}

// A multiple-choice poll takes several options at once; editing the options
// discards the votes, editing without a poll removes it.
func TestPollMultipleChoiceAndEdits(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		author := staffUser(t, s, "dr_maeve", social.RoleUser).Account
		voter := staffUser(t, s, "dr_oisin", social.RoleUser).Account
		st, err := s.PostStatus(ctx, author, social.NewStatus{Text: "Which days suit teaching?", Visibility: social.VisibilityPublic,
			Poll: &social.NewPoll{Options: []string{"Mon", "Tue", "Wed"}, ExpiresIn: 86400, Multiple: true}})
		if err != nil {
			t.Fatal(err)
		}
		view, _ := s.PollOf(ctx, voter, st)
		got, err := s.Vote(ctx, voter, view.Poll.ID, []int{0, 2})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Tallies, []int{1, 0, 1}) || got.VotersCount != 1 || got.VotesCount != 2 {
			t.Fatalf("after a two-choice vote: %+v", got)
		}
		_, err = s.Vote(ctx, voter, view.Poll.ID, []int{1, 1})
		if err == nil {
			t.Fatal("a second vote was taken")
		}

		// Same options: the votes stay.
		if _, err := s.EditStatus(ctx, author, st.ID, social.NewStatus{Text: "Which days suit teaching? (edited)", Poll: &social.NewPoll{Options: []string{"Mon", "Tue", "Wed"}, ExpiresIn: 86400, Multiple: true}}); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.PollOf(ctx, voter, st); !slices.Equal(v.Tallies, []int{1, 0, 1}) || !v.Voted {
			t.Fatalf("an edit of the text lost the votes: %+v", v)
		}
		// New options: the votes go.
		if _, err := s.EditStatus(ctx, author, st.ID, social.NewStatus{Text: "Which days suit teaching?", Poll: &social.NewPoll{Options: []string{"Thu", "Fri"}, ExpiresIn: 3600}}); err != nil {
			t.Fatal(err)
		}
		v, _ := s.PollOf(ctx, voter, st)
		if !slices.Equal(v.Options, []string{"Thu", "Fri"}) || !slices.Equal(v.Tallies, []int{0, 0}) || v.Voted || v.VotersCount != 0 || v.Poll.Multiple {
			t.Fatalf("after changing the options: %+v", v)
		}
		_, err = s.EditStatus(ctx, author, st.ID, social.NewStatus{Text: "x", Poll: pollOptions("only one")})
		wantInvalid(t, err, "more than one item")
		if _, err := s.EditStatus(ctx, author, st.ID, social.NewStatus{Text: "No poll after all"}); err != nil {
			t.Fatal(err)
		}
		if v, err := s.PollOf(ctx, voter, st); v != nil || err != nil {
			t.Fatalf("the poll is still there: %+v %v", v, err)
		}
	})
}

// A remote Question is kept with its poll; a local vote counts at once and
// is sent to the author; an Update with the final counts and closed ends
// it and tells the local voter; remote votes in a local poll count once.
func TestRemotePollsAndRemoteVotes(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		local := staffUser(t, s, "dr_fionn", social.RoleUser).Account
		remote := remoteAccount(t, s, "prof", "hospital.example")
		end := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
		st := &storage.Status{
			ID: storage.NewID(), URI: "https://hospital.example/users/prof/statuses/1", URL: "https://hospital.example/@prof/1",
			AccountID: remote.ID, Content: "<p>Tea or coffee?</p>", Visibility: social.VisibilityPublic, CreatedAt: time.Now().UTC(),
		}
		mentions := []int64{local.ID} // kept: it mentions a local account
		kept, err := s.ReceiveStatus(ctx, st, mentions, social.ReceiveOptions{Poll: &social.RemotePoll{
			Options: []string{"Tea", "Coffee"}, Tallies: []int{3, 4}, VotersCount: 7, ExpiresAt: &end,
		}})
		if err != nil || kept == nil {
			t.Fatalf("receive a Question: %v %v", kept, err)
		}
		v, _ := s.PollOf(ctx, local, kept)
		if v == nil || !slices.Equal(v.Tallies, []int{3, 4}) || v.VotersCount != 7 || v.Poll.Local || !v.Poll.ExpiresAt.Equal(end) {
			t.Fatalf("the remote poll: %+v", v)
		}
		got, err := s.Vote(ctx, local, v.Poll.ID, []int{1})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Tallies, []int{3, 5}) || got.VotersCount != 8 {
			t.Fatalf("after a local vote in a remote poll: %+v", got)
		}
		// Only its author may update it.
		other := remoteAccount(t, s, "intruder", "elsewhere.example")
		if err := s.ReceivePollUpdate(ctx, other, st.URI, social.RemotePoll{Options: []string{"Tea", "Coffee"}, Tallies: []int{99, 0}}); !errors.Is(err, social.ErrForbidden) {
			t.Fatalf("an update by someone else: %v", err)
		}
		if err := s.ReceivePollUpdate(ctx, remote, st.URI, social.RemotePoll{Options: []string{"Tea", "Coffee"}, Tallies: []int{4, 6}, VotersCount: 10, ExpiresAt: &end}); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.PollOf(ctx, local, kept); !slices.Equal(v.Tallies, []int{4, 6}) || v.Expired || !v.Voted {
			t.Fatalf("after new counts: %+v", v)
		}
		if slices.Contains(notificationTypes(t, s, local), social.NotifyPoll) {
			t.Fatal("told the poll ended before it did")
		}
		if err := s.ReceivePollUpdate(ctx, remote, st.URI, social.RemotePoll{Options: []string{"Tea", "Coffee"}, Tallies: []int{5, 6}, VotersCount: 11, ExpiresAt: &end, Closed: true}); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.PollOf(ctx, local, kept); !v.Expired || !slices.Equal(v.Tallies, []int{5, 6}) {
			t.Fatalf("after it closed: %+v", v)
		}
		if !slices.Contains(notificationTypes(t, s, local), social.NotifyPoll) {
			t.Fatal("the local voter was not told the poll ended")
		}

		// Remote votes in a local poll.
		mine, err := s.PostStatus(ctx, local, social.NewStatus{Text: "Handover time?", Visibility: social.VisibilityPublic, Poll: pollOptions("8am", "9am")})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // delivered twice: counted once
			if err := s.ReceivePollVote(ctx, remote, mine.URI, "9am", "https://hospital.example/users/prof#votes/1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ReceivePollVote(ctx, remote, mine.URI, "8am", "https://hospital.example/users/prof#votes/2"); err != nil {
			t.Fatal(err) // a second choice in a single-choice poll: dropped
		}
		if err := s.ReceivePollVote(ctx, other, mine.URI, "10am", "https://elsewhere.example/users/intruder#votes/1"); err != nil {
			t.Fatal(err) // no such option: dropped
		}
		v, _ = s.PollOf(ctx, local, mine)
		if !slices.Equal(v.Tallies, []int{0, 1}) || v.VotersCount != 1 {
			t.Fatalf("remote votes in a local poll: %+v", v)
		}
	})
}

// Two votes by one account at once in a single-choice poll: one counts,
// the other is refused.
func TestConcurrentVotesCountOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		s := newService(t, dialect, nil)
		author := staffUser(t, s, "dr_roisin", social.RoleUser).Account
		voter := staffUser(t, s, "dr_eoin", social.RoleUser).Account
		st, err := s.PostStatus(ctx, author, social.NewStatus{Text: "Ward round at 8 or 9?", Visibility: social.VisibilityPublic, Poll: pollOptions("8", "9")})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := s.PollOf(ctx, voter, st)
		errs := make(chan error, 2)
		for c := 0; c < 2; c++ {
			go func(c int) {
				_, err := s.Vote(ctx, voter, v.Poll.ID, []int{c})
				errs <- err
			}(c)
		}
		ok := 0
		for i := 0; i < 2; i++ {
			if err := <-errs; err == nil {
				ok++
			} else if !strings.Contains(err.Error(), "already voted") {
				t.Fatalf("the losing vote: %v", err)
			}
		}
		got, _ := s.PollOf(ctx, voter, st)
		if ok != 1 || got.VotesCount != 1 || len(got.OwnVotes) != 1 {
			t.Fatalf("%d votes taken; poll %+v", ok, got)
		}
	})
}
