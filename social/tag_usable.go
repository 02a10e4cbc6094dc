package social

import (
	"context"
	"strings"
)

// refuseUnusableTags refuses a local post, or an edit, whose words carry a
// hashtag staff made unusable (admin tags, usable=false), with Mastodon's
// message.
func (s *Service) refuseUnusableTags(ctx context.Context, tags []string) error {
	lower := make([]string, len(tags))
	for i, t := range tags {
		lower[i] = strings.ToLower(t)
	}
	bad, err := s.db.UnusableTagNames(ctx, lower)
	if err != nil || len(bad) == 0 {
		return err
	}
	if len(bad) == 1 {
		return invalid("text", "contained a disallowed hashtag: "+bad[0])
	}
	return invalid("text", "contained the disallowed hashtags: "+strings.Join(bad, ", "))
}
