package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"rounds/social"
	"rounds/storage"
	"rounds/storage/storagetest"
)

// apiQuestion is the Rounds Question entity as a client reads it.
type apiQuestion struct {
	ID             string  `json:"id"`
	State          string  `json:"state"`
	AskedAt        string  `json:"asked_at"`
	AnsweredAt     *string `json:"answered_at"`
	DismissedAt    *string `json:"dismissed_at"`
	WaitSeconds    int64   `json:"wait_seconds"`
	AnswerStatusID *string `json:"answer_status_id"`
	Account        *struct {
		Acct string `json:"acct"`
	} `json:"account"`
	Status *struct {
		ID  string `json:"id"`
		URI string `json:"uri"`
	} `json:"status"`
}

// rawCall sends method path with token and returns the status, headers and
// body.
func rawCall(t *testing.T, n *node, token, method, path string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, n.base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func listQuestions(t *testing.T, n *node, token, query string) ([]apiQuestion, http.Header) {
	t.Helper()
	code, h, b := rawCall(t, n, token, "GET", "/api/v1/rounds/questions"+query)
	if code != http.StatusOK {
		t.Fatalf("GET questions%s: %d %s", query, code, b)
	}
	var out []apiQuestion
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("questions: %v in %s", err, b)
	}
	return out, h
}

// waitQuestions waits until the questions asked of who in state are n in
// number (read through the domain, so no API rate limit is spent).
func waitQuestions(t *testing.T, nd *node, who *storage.Account, state string, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d %s questions for %s", n, state, who.Username), func() bool {
		qs, err := nd.svc.Questions(context.Background(), who, state, storage.Page{Limit: 80})
		return err == nil && len(qs) == n
	})
}

func TestQuestionsAskedLocallyAndRemotelyAreAnsweredDismissedAndCounted(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, dialect storage.Dialect) {
		ctx := context.Background()
		a, b := startNode(t, dialect), startNode(t, dialect)
		alice := a.user(t, "alice", false) // the clinician
		carol := a.user(t, "carol", false)
		erin := a.user(t, "erin", false)   // muted by alice
		grace := a.user(t, "grace", false) // suspended after asking
		frank := a.user(t, "frank", false) // blocked by alice
		dave := b.user(t, "dave", false)   // on the other server
		if _, err := a.svc.CreateUser(ctx, social.NewUser{Username: "boss", Password: "a long password", Role: social.RoleAdmin, Approved: true}); err != nil {
			t.Fatal(err)
		}
		aliceTok := tokenFor(t, a, "alice", "read write")
		bossTok := tokenFor(t, a, "boss", "read admin:read")
		if _, err := a.svc.UpdateSettings(ctx, social.CommandLine, func(st *social.Settings) { st.QuestionTag = "#AskAClinician" }); err != nil {
			t.Fatal(err)
		}
		post := func(n *node, who *storage.Account, text string, reply int64) *storage.Status {
			t.Helper()
			st, err := n.svc.PostStatus(ctx, who, social.NewStatus{Text: text, InReplyToID: reply})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		if err := a.svc.Mute(ctx, alice, erin, true); err != nil {
			t.Fatal(err)
		}
		if err := a.svc.Block(ctx, alice, frank); err != nil {
			t.Fatal(err)
		}

		// A remote question, with a question mark.
		remote := post(b, dave, "@alice@"+a.domain+" how long should a fasting patient wait before a scan?", 0)
		waitQuestions(t, a, alice, storage.QuestionUnanswered, 1)
		// Local questions: one by the tag alone, one that is not a
		// question (a link's query string), one from a muted asker, one
		// from a blocked one, one from an account suspended afterwards.
		tagged := post(a, carol, "@alice #askaclinician flu jabs for staff this year", 0)
		post(a, carol, "@alice thanks for the talk, slides at https://example.org/talk?id=3", 0)
		post(a, erin, "@alice is this right?", 0)
		post(a, frank, "@alice why?", 0)
		post(a, grace, "@alice may I ask something?", 0)
		if _, err := a.svc.SuspendUser(ctx, "grace"); err != nil {
			t.Fatal(err)
		}
		waitQuestions(t, a, alice, storage.QuestionUnanswered, 2)

		qs, h := listQuestions(t, a, aliceTok, "")
		if len(qs) != 2 || qs[0].Status.URI != remote.URI || qs[1].Status.ID != fmt.Sprint(tagged.ID) {
			t.Fatalf("unanswered = %+v", qs)
		}
		if qs[0].Account.Acct != "dave@"+b.domain || qs[0].State != "unanswered" || qs[0].AnsweredAt != nil || !mastoTimeRE.MatchString(qs[0].AskedAt) {
			t.Fatalf("remote question = %+v", qs[0])
		}
		if !strings.Contains(h.Get("Link"), `rel="next"`) {
			t.Fatalf("Link = %q", h.Get("Link"))
		}
		// Paging, oldest first: the next page of one starts after the first.
		page1, h := listQuestions(t, a, aliceTok, "?limit=1")
		if len(page1) != 1 || page1[0].ID != qs[0].ID || !strings.Contains(h.Get("Link"), "min_id="+qs[0].ID) {
			t.Fatalf("page 1 = %+v, Link %q", page1, h.Get("Link"))
		}
		page2, _ := listQuestions(t, a, aliceTok, "?limit=1&min_id="+qs[0].ID)
		if len(page2) != 1 || page2[0].ID != qs[1].ID {
			t.Fatalf("page 2 = %+v", page2)
		}
		// and the previous page of page 2 ends just before it.
		if back, _ := listQuestions(t, a, aliceTok, "?limit=1&max_id="+qs[1].ID); len(back) != 1 || back[0].ID != qs[0].ID {
			t.Fatalf("the page before page 2 = %+v", back)
		}

		// alice answers dave with a send delay: while her reply waits it
		// answers nothing; once it is published the question is answered.
		u, err := a.svc.UserByUsername(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		delay := social.Duration(1500 * time.Millisecond)
		if err := a.svc.SetSendPreferences(ctx, u, social.SendPreferences{Delay: &delay}); err != nil {
			t.Fatal(err)
		}
		onA, err := a.svc.StatusByURI(ctx, remote.URI)
		if err != nil {
			t.Fatal(err)
		}
		reply := post(a, alice, "@dave@"+b.domain+" six hours for solids.", onA.ID)
		if !reply.Pending() {
			t.Fatal("the reply is not waiting out its send delay")
		}
		if qs, _ := listQuestions(t, a, aliceTok, "?state=answered"); len(qs) != 0 {
			t.Fatalf("a pending reply answered %+v", qs)
		}
		waitQuestions(t, a, alice, storage.QuestionAnswered, 1)
		if err := a.svc.SetSendPreferences(ctx, u, social.SendPreferences{}); err != nil {
			t.Fatal(err)
		}

		// carol asks again in her thread; alice replies to the follow-up:
		// carol's first question in the thread is answered too.
		followUp := post(a, carol, "@alice and for students?", tagged.ID)
		waitQuestions(t, a, alice, storage.QuestionUnanswered, 2)
		post(a, alice, "@carol the same for both.", followUp.ID)
		waitQuestions(t, a, alice, storage.QuestionAnswered, 3)
		answered, _ := listQuestions(t, a, aliceTok, "?state=answered")
		for _, q := range answered {
			if q.AnsweredAt == nil || q.AnswerStatusID == nil || q.WaitSeconds < 0 {
				t.Fatalf("answered question = %+v", q)
			}
		}
		if answered[2].Status.URI != remote.URI || *answered[2].AnswerStatusID != fmt.Sprint(reply.ID) {
			t.Fatalf("newest first, dave's answered by the reply: %+v", answered)
		}
		if got := answered[2].WaitSeconds; got < 1 || got > 15 {
			t.Fatalf("dave waited %ds, but alice's reply waited 1.5s", got)
		}

		// A question alice marks as needing no answer, and takes back.
		henry := a.user(t, "henry", false)
		asked := post(a, henry, "@alice coffee?", 0)
		waitQuestions(t, a, alice, storage.QuestionUnanswered, 1)
		open, _ := listQuestions(t, a, aliceTok, "")
		if len(open) != 1 || open[0].Status.ID != fmt.Sprint(asked.ID) {
			t.Fatalf("open = %+v", open)
		}
		code, _, body := rawCall(t, a, aliceTok, "POST", "/api/v1/rounds/questions/"+open[0].ID+"/dismiss")
		var q apiQuestion
		if json.Unmarshal(body, &q); code != 200 || q.State != "dismissed" || q.DismissedAt == nil {
			t.Fatalf("dismiss: %d %s", code, body)
		}
		if qs, _ := listQuestions(t, a, aliceTok, ""); len(qs) != 0 {
			t.Fatalf("unanswered after dismissing: %+v", qs)
		}
		if qs, _ := listQuestions(t, a, aliceTok, "?state=dismissed"); len(qs) != 1 {
			t.Fatalf("dismissed: %+v", qs)
		}
		if code, _, body := rawCall(t, a, tokenFor(t, a, "carol", "read write"), "POST", "/api/v1/rounds/questions/"+open[0].ID+"/dismiss"); code != 404 {
			t.Fatalf("carol dismissing alice's question: %d %s", code, body)
		}
		code, _, body = rawCall(t, a, aliceTok, "POST", "/api/v1/rounds/questions/"+open[0].ID+"/undismiss")
		if json.Unmarshal(body, &q); code != 200 || q.State != "unanswered" || q.DismissedAt != nil {
			t.Fatalf("undismiss: %d %s", code, body)
		}
		if code, _, body := rawCall(t, a, aliceTok, "POST", "/api/v1/rounds/questions/"+answered[0].ID+"/dismiss"); code != 422 {
			t.Fatalf("dismissing an answered question: %d %s", code, body)
		}
		if code, _, _ := rawCall(t, a, aliceTok, "GET", "/api/v1/rounds/questions?state=maybe"); code != 422 {
			t.Fatalf("a bad state: %d", code)
		}
		rawCall(t, a, aliceTok, "POST", "/api/v1/rounds/questions/"+open[0].ID+"/dismiss")

		// Staff's figures: 4 questions (3 answered, 1 dismissed, the
		// muted and suspended askers' left out), all that needed an answer
		// answered; the median of 3 waits is the middle one.
		code, _, body = rawCall(t, a, aliceTok, "GET", "/api/v1/rounds/admin/questions/stats")
		if code != 403 {
			t.Fatalf("stats for a clinician: %d %s", code, body)
		}
		code, _, body = rawCall(t, a, bossTok, "GET", "/api/v1/rounds/admin/questions/stats")
		var stats struct {
			WindowDays   int `json:"window_days"`
			Organisation struct {
				Questions, Answered, Dismissed int
				ShareAnswered                  float64 `json:"share_answered"`
				MedianWaitSeconds              *int64  `json:"median_wait_seconds"`
			} `json:"organisation"`
			Accounts []struct {
				Account   struct{ Username string }
				Questions int
			} `json:"accounts"`
		}
		if err := json.Unmarshal(body, &stats); err != nil || code != 200 {
			t.Fatalf("stats: %d %s", code, body)
		}
		org := stats.Organisation
		if stats.WindowDays != 30 || org.Questions != 4 || org.Answered != 3 || org.Dismissed != 1 || org.ShareAnswered != 1 {
			t.Fatalf("organisation figures = %s", body)
		}
		var waits []int64
		for _, q := range answered {
			asked, _ := time.Parse(time.RFC3339, q.AskedAt)
			at, _ := time.Parse(time.RFC3339, *q.AnsweredAt)
			waits = append(waits, int64(at.Sub(asked).Seconds()))
		}
		slices.Sort(waits)
		if org.MedianWaitSeconds == nil || *org.MedianWaitSeconds < waits[1]-1 || *org.MedianWaitSeconds > waits[1]+1 {
			t.Fatalf("median %v, waits %v", org.MedianWaitSeconds, waits)
		}
		if len(stats.Accounts) != 1 || stats.Accounts[0].Account.Username != "alice" || stats.Accounts[0].Questions != 4 {
			t.Fatalf("per clinician = %s", body)
		}
	})
}
