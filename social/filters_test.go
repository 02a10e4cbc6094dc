package social

import (
	"testing"

	"rounds/storage"
)

func TestFilterKeywordMatching(t *testing.T) {
	for _, c := range []struct {
		keyword, content, spoiler string
		wholeWord, want           bool
	}{
		{"cat", "<p>my cat sleeps</p>", "", true, true},
		{"cat", "<p>I love cats</p>", "", true, false},
		{"cat", "<p>I love cats</p>", "", false, true},
		{"CAT", "<p>Cat!</p>", "", true, true},
		{"cat", "<p>concatenate</p>", "", true, false},
		{"cat", "<p>x</p>", "about a cat", true, true},
		{"é", "<p>café</p>", "", true, false},
		{"café", "<p>le café.</p>", "", true, true},
		{"#ward", `<p><a href="/tags/ward" class="hashtag">#<span>ward</span></a></p>`, "", true, true},
		{"a&b", "<p>x a&amp;b y</p>", "", true, true},
		{"span", `<p><span class="h-card">x</span></p>`, "", false, false},
	} {
		re := keywordPattern(c.keyword, c.wholeWord)
		st := &storage.Status{Content: c.content, SpoilerText: c.spoiler}
		if got := re.MatchString(FilterText(st)); got != c.want {
			t.Errorf("keyword %q whole=%v in %q: %v, want %v", c.keyword, c.wholeWord, c.content, got, c.want)
		}
	}
}
