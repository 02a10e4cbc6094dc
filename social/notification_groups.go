package social

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"rounds/storage"
)

// GroupableNotificationTypes are the notification types Mastodon 4.3 groups
// (and groups by default): many people liking or boosting one post, or
// following, become one entry.
var GroupableNotificationTypes = []string{NotifyFavourite, NotifyReblog, NotifyFollow}

// dayMillis is the span of a group's bucket: likes of one post on one UTC
// day share a group, as do follows.
const dayMillis = 24 * 60 * 60 * 1000

// NotificationGroupKey returns the group n belongs to when the types in
// grouped are grouped: "favourite-<status>-<day>", "reblog-<status>-<day>",
// "follow-<day>", or "ungrouped-<id>" for everything else. The day is read
// from n's id, so the key is stable and a group's members can be found by id
// range.
func NotificationGroupKey(n *storage.Notification, grouped []string) string {
	if slices.Contains(grouped, n.Type) && slices.Contains(GroupableNotificationTypes, n.Type) {
		day := (n.ID >> 16) / dayMillis
		switch {
		case n.Type == NotifyFollow:
			return fmt.Sprintf("%s-%d", n.Type, day)
		case n.StatusID != nil:
			return fmt.Sprintf("%s-%d-%d", n.Type, *n.StatusID, day)
		}
	}
	return "ungrouped-" + strconv.FormatInt(n.ID, 10)
}

// groupKeyParts are what a group key names.
type groupKeyParts struct {
	id       int64 // for ungrouped keys
	typ      string
	statusID int64
	day      int64
}

func parseGroupKey(key string) (groupKeyParts, bool) {
	parts := strings.Split(key, "-")
	num := func(s string) (int64, bool) {
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil && v >= 0
	}
	var k groupKeyParts
	var ok bool
	switch {
	case len(parts) == 2 && parts[0] == "ungrouped":
		k.id, ok = num(parts[1])
	case len(parts) == 2 && parts[0] == NotifyFollow:
		k.typ = NotifyFollow
		k.day, ok = num(parts[1])
	case len(parts) == 3 && (parts[0] == NotifyFavourite || parts[0] == NotifyReblog):
		k.typ = parts[0]
		var ok1, ok2 bool
		k.statusID, ok1 = num(parts[1])
		k.day, ok2 = num(parts[2])
		ok = ok1 && ok2
	}
	return k, ok
}

// NotificationGroup returns the notifications of me's group key, newest
// first, or ErrNotFound when it has none. Notifications v1 would hide
// (muted or suspended senders) are left out here too.
func (s *Service) NotificationGroup(ctx context.Context, me *storage.Account, key string) ([]*storage.Notification, error) {
	k, ok := parseGroupKey(key)
	if !ok {
		return nil, ErrNotFound
	}
	if k.id != 0 {
		n, err := s.Notification(ctx, me, k.id)
		if err != nil {
			return nil, err
		}
		return []*storage.Notification{n}, nil
	}
	// The members lie within the day's id range: page through it.
	p := storage.Page{SinceID: (k.day*dayMillis)<<16 - 1, MaxID: ((k.day + 1) * dayMillis) << 16, Limit: 80}
	var out []*storage.Notification
	for range 100 { // at most 8,000 a day: a bound, not a promise
		ns, err := s.db.Notifications(ctx, me.ID, []string{k.typ}, nil, p)
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			if NotificationGroupKey(n, GroupableNotificationTypes) == key {
				out = append(out, n)
			}
		}
		if len(ns) < p.Limit {
			break
		}
		p.MaxID = ns[len(ns)-1].ID
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out, nil
}
