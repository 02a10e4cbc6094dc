package social

import "testing"

func TestAsksQuestion(t *testing.T) {
	for _, c := range []struct {
		text, tag string
		want      bool
	}{
		{"@alice how long should I fast?", "", true},
		{"@alice is this right ?", "", true},
		{"¿Cuánto tiempo", "", true},
		{"@alice thanks, slides at https://example.org/talk?id=3", "", false},
		{"@alice see www.example.org/?q=1 for more", "", false},
		{"@alice #AskAClinician statins and grapefruit", "AskAClinician", true},
		{"@alice #askaclinician: statins", "AskAClinician", true},
		{"@alice #AskAClinicianNow statins", "AskAClinician", false},
		{"@alice #AskAClinician statins", "", false},
		{"@alice great talk", "AskAClinician", false},
	} {
		if got := asksQuestion(c.text, c.tag); got != c.want {
			t.Errorf("asksQuestion(%q, %q) = %v, want %v", c.text, c.tag, got, c.want)
		}
	}
}

func TestValidQuestionTag(t *testing.T) {
	for tag, ok := range map[string]bool{"": true, "AskAClinician": true, "frag_1": true, "ask me": false, "#ask": false, "a-b": false} {
		if err := validQuestionTag(tag); (err == nil) != ok {
			t.Errorf("validQuestionTag(%q) = %v", tag, err)
		}
	}
}
