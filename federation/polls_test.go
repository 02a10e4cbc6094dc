package federation

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// A Mastodon Question's poll is read whole: options, each option's votes,
// end, closing, voters, and anyOf for multiple choice; a vote is a Note
// with a name and no content, in reply to the Question.
func TestAS2ParsePollAndVote(t *testing.T) {
	doc := `{"@context": ` + as2StatusContext + `,
		"id": "https://mastodon.example/users/alice/statuses/120#updates/1", "type": "Update",
		"actor": "https://mastodon.example/users/alice",
		"object": {
			"id": "https://mastodon.example/users/alice/statuses/120", "type": "Question",
			"attributedTo": "https://mastodon.example/users/alice", "content": "<p>Tabs or spaces?</p>",
			"to": ["https://www.w3.org/ns/activitystreams#Public"],
			"endTime": "2024-05-02T12:00:00Z", "closed": "2024-05-02T12:00:00Z", "votersCount": 3,
			"anyOf": [
				{"type": "Note", "name": "Tabs", "replies": {"type": "Collection", "totalItems": 2}},
				{"type": "Note", "name": "Spaces", "replies": {"type": "Collection", "totalItems": 2}}
			]
		}}`
	act, err := ParseActivity([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	n := act.Note
	end := time.Date(2024, 5, 2, 12, 0, 0, 0, time.UTC)
	if n == nil || !n.PollMultiple || !reflect.DeepEqual(n.PollTallies, []int{2, 2}) || n.PollEndTime == nil || !n.PollEndTime.Equal(end) ||
		n.PollClosed == nil || !n.PollClosed.Equal(end) || n.PollVoters == nil || *n.PollVoters != 3 {
		t.Fatalf("poll = %+v", n)
	}
	rp := remotePoll(n)
	if rp == nil || !rp.Multiple || !rp.Closed || rp.VotersCount != 3 || !reflect.DeepEqual(rp.Options, []string{"Tabs", "Spaces"}) {
		t.Fatalf("remote poll = %+v", rp)
	}
	// closed: true (Pleroma) counts too.
	act, err = ParseActivity([]byte(strings.Replace(doc, `"closed": "2024-05-02T12:00:00Z"`, `"closed": true`, 1)))
	if err != nil || act.Note.PollClosed == nil {
		t.Fatalf("closed: true = %+v %v", act.Note, err)
	}

	vote := NoteDoc{ID: "https://rounds.example/users/bob#votes/7", Type: "Note", AttributedTo: "https://rounds.example/users/bob",
		Name: "Tabs", InReplyTo: "https://mastodon.example/users/alice/statuses/120", To: []string{"https://mastodon.example/users/alice"}}
	b, err := MarshalActivity(ActivityDoc{ID: vote.ID + "/activity", Type: "Create", Actor: vote.AttributedTo, To: vote.To, ObjectID: vote.ID, Note: &vote})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"content"`) || !strings.Contains(string(b), `"name":"Tabs"`) {
		t.Fatalf("vote = %s", b)
	}
	back, err := ParseActivity(b)
	if err != nil || back.Note == nil || back.Note.Name != "Tabs" || back.Note.Content != "" || back.Note.InReplyTo != vote.InReplyTo {
		t.Fatalf("vote parsed back = %+v %v", back.Note, err)
	}
}
