package social

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"rounds/storage"
)

// Followed and featured hashtags. Following a hashtag brings the public
// posts that carry it into the follower's home timeline, as they are
// published here or arrive from other servers; featuring one shows it on
// the account's profile, and other servers read it from the actor's
// featuredTags collection.

// MaxFeaturedTags is how many hashtags a local account may feature, as on
// Mastodon (its instance configuration announces max_featured_tags: 10).
const MaxFeaturedTags = 10

// maxTagNameLength bounds a hashtag name given to follow or feature.
const maxTagNameLength = 100

// TagInfo is a hashtag with its recent use and, for a signed-in viewer,
// whether they follow and feature it.
type TagInfo struct {
	FoundTag
	Following, Featuring bool
}

// normalTagName reads a hashtag name as given (with or without its #) and
// returns it lower-case, or ErrNotFound when it cannot be a hashtag: as on
// Mastodon, a name of digits only is not one.
func normalTagName(name string) (string, error) {
	name = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "#"))
	if len(name) > maxTagNameLength || !tagNameRE.MatchString(name) || strings.Trim(name, "0123456789") == "" {
		return "", fmt.Errorf("hashtag %.100q: %w", name, ErrNotFound)
	}
	return name, nil
}

// Tag returns the hashtag name as viewer (nil: anonymous) sees it. A valid
// name nobody has used yet is answered too, with no use and ID 0, as
// Mastodon answers it.
func (s *Service) Tag(ctx context.Context, viewer *storage.Account, name string) (*TagInfo, error) {
	name, err := normalTagName(name)
	if err != nil {
		return nil, err
	}
	t, err := s.db.TagByName(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		today, _ := tagHistoryDays(s.now())
		return &TagInfo{FoundTag: FoundTag{Name: name, History: emptyTagHistory(today)}}, nil
	}
	if err != nil {
		return nil, err
	}
	infos, err := s.tagInfos(ctx, viewer, []storage.Tag{*t})
	if err != nil {
		return nil, err
	}
	return &infos[0], nil
}

// emptyTagHistory is the history of a hashtag nobody used.
func emptyTagHistory(today time.Time) []TagDay {
	days := make([]TagDay, TagHistoryDays)
	for j := range days {
		days[j] = TagDay{Day: today.AddDate(0, 0, -j)}
	}
	return days
}

// tagInfos adds their history and viewer's follows and features to tags.
func (s *Service) tagInfos(ctx context.Context, viewer *storage.Account, tags []storage.Tag) ([]TagInfo, error) {
	found := make([]FoundTag, len(tags))
	ids := make([]int64, len(tags))
	for i, t := range tags {
		found[i] = FoundTag{ID: t.ID, Name: t.Name}
		ids[i] = t.ID
	}
	today, since := tagHistoryDays(s.now())
	if err := s.addTagHistory(ctx, found, today, since); err != nil {
		return nil, err
	}
	following, featuring := map[int64]bool{}, map[int64]bool{}
	if viewer != nil {
		var err error
		if following, featuring, err = s.db.TagFlags(ctx, viewer.ID, ids); err != nil {
			return nil, err
		}
	}
	out := make([]TagInfo, len(found))
	for i, f := range found {
		out[i] = TagInfo{FoundTag: f, Following: following[f.ID], Featuring: featuring[f.ID]}
	}
	return out, nil
}

// FollowingTags tells which of the hashtags tagIDs viewer follows (none
// for an anonymous viewer), for hashtags found by a search.
func (s *Service) FollowingTags(ctx context.Context, viewer *storage.Account, tagIDs []int64) (map[int64]bool, error) {
	if viewer == nil {
		return map[int64]bool{}, nil
	}
	following, _, err := s.db.TagFlags(ctx, viewer.ID, tagIDs)
	return following, err
}

// FollowTag makes me follow the hashtag name: public posts that carry it
// from then on reach my home timeline. Following it again changes nothing.
func (s *Service) FollowTag(ctx context.Context, me *storage.Account, name string) (*TagInfo, error) {
	return s.changeTag(ctx, me, name, func(tx storage.Tx, tag *storage.Tag) error {
		return tx.FollowTag(ctx, me.ID, tag.ID, s.now())
	})
}

// UnfollowTag ends me's follow of the hashtag name. Posts it brought stay
// in the home timeline, as on Mastodon; new ones no longer come.
func (s *Service) UnfollowTag(ctx context.Context, me *storage.Account, name string) (*TagInfo, error) {
	return s.changeTag(ctx, me, name, func(tx storage.Tx, tag *storage.Tag) error {
		return tx.UnfollowTag(ctx, me.ID, tag.ID)
	})
}

// FeatureTag features the hashtag name on me's profile (Mastodon 4.4's
// POST /api/v1/tags/:id/feature); featuring it again changes nothing.
func (s *Service) FeatureTag(ctx context.Context, me *storage.Account, name string) (*TagInfo, error) {
	return s.changeTag(ctx, me, name, func(tx storage.Tx, tag *storage.Tag) error {
		_, err := s.featureTag(ctx, tx, me, tag)
		return err
	})
}

// UnfeatureTag stops featuring the hashtag name on me's profile.
func (s *Service) UnfeatureTag(ctx context.Context, me *storage.Account, name string) (*TagInfo, error) {
	return s.changeTag(ctx, me, name, func(tx storage.Tx, tag *storage.Tag) error {
		return s.unfeatureTag(ctx, tx, me, tag.ID)
	})
}

// changeTag runs change on the hashtag name (created when new) for the
// local account me, and returns the hashtag as me then sees it.
func (s *Service) changeTag(ctx context.Context, me *storage.Account, name string, change func(storage.Tx, *storage.Tag) error) (*TagInfo, error) {
	if !me.Local() || me.Suspended() {
		return nil, ErrForbidden
	}
	name, err := normalTagName(name)
	if err != nil {
		return nil, err
	}
	var tag *storage.Tag
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		if tag, err = tx.EnsureTag(ctx, name, s.now()); err != nil {
			return err
		}
		return change(tx, tag)
	})
	if err != nil {
		return nil, domainErr(err)
	}
	infos, err := s.tagInfos(ctx, me, []storage.Tag{*tag})
	if err != nil {
		return nil, err
	}
	return &infos[0], nil
}

// FollowedTag is a hashtag an account follows; ID is the follow's, by
// which the list pages.
type FollowedTag struct {
	TagInfo
	FollowID int64
}

// FollowedTags returns a page of the hashtags me follows, the latest
// followed first.
func (s *Service) FollowedTags(ctx context.Context, me *storage.Account, p storage.Page) ([]FollowedTag, error) {
	fts, err := s.db.FollowedTags(ctx, me.ID, p)
	if err != nil || len(fts) == 0 {
		return nil, err
	}
	tags := make([]storage.Tag, len(fts))
	for i, ft := range fts {
		tags[i] = storage.Tag{ID: ft.TagID, Name: ft.Name}
	}
	infos, err := s.tagInfos(ctx, me, tags)
	if err != nil {
		return nil, err
	}
	out := make([]FollowedTag, len(fts))
	for i, ft := range fts {
		out[i] = FollowedTag{TagInfo: infos[i], FollowID: ft.ID}
	}
	return out, nil
}

// feedTagFollowers brings the published post st into the home feeds of
// the local accounts that follow one of its hashtags (stored already).
// Only public posts go there, as on Mastodon, which sends hashtag
// followers only what it would show on the public timelines; blocks and
// mutes keep a post out (storage.FeedTagFollowers). The post's "update"
// event then reaches their user streams (the stream asks InHomeFeed).
func (s *Service) feedTagFollowers(ctx context.Context, tx storage.Tx, st *storage.Status) error {
	if st.Visibility != VisibilityPublic || st.ReblogOfID != nil || st.Pending() {
		return nil
	}
	return tx.FeedTagFollowers(ctx, st.ID)
}

// InHomeFeed reports whether st is in viewer's home timeline: the user
// stream sends a new post to those whose home timeline has it.
func (s *Service) InHomeFeed(ctx context.Context, viewer *storage.Account, st *storage.Status) bool {
	ok, err := s.db.InHomeFeed(ctx, viewer.ID, st.ID)
	return err == nil && ok
}

// FeaturedTag is a hashtag an account features, with its use by that
// account.
type FeaturedTag = storage.FeaturedTag

// FeaturedTags returns the hashtags a features on its profile: for a
// local account those it chose, for a remote one those its server lists.
// A suspended account features nothing.
func (s *Service) FeaturedTags(ctx context.Context, a *storage.Account) ([]FeaturedTag, error) {
	if a.Suspended() {
		return []FeaturedTag{}, nil
	}
	return s.db.FeaturedTags(ctx, a.ID)
}

// FeatureTagByName features the hashtag name on me's profile and returns
// it (POST /api/v1/featured_tags); one featured already is returned as it
// is.
func (s *Service) FeatureTagByName(ctx context.Context, me *storage.Account, name string) (*FeaturedTag, error) {
	if !me.Local() || me.Suspended() {
		return nil, ErrForbidden
	}
	name, err := normalTagName(name)
	if err != nil {
		return nil, invalid("tag", "is invalid")
	}
	var id int64
	err = s.db.InTx(ctx, func(tx storage.Tx) error {
		tag, err := tx.EnsureTag(ctx, name, s.now())
		if err != nil {
			return err
		}
		id, err = s.featureTag(ctx, tx, me, tag)
		return err
	})
	if err != nil {
		return nil, domainErr(err)
	}
	ft, err := s.db.FeaturedTagByID(ctx, me.ID, id)
	return ft, domainErr(err)
}

// featureTag features tag on me's profile, within MaxFeaturedTags, and
// returns the feature's id. A new one is announced to other servers.
func (s *Service) featureTag(ctx context.Context, tx storage.Tx, me *storage.Account, tag *storage.Tag) (int64, error) {
	_, featuring, err := tx.TagFlags(ctx, me.ID, []int64{tag.ID})
	if err != nil {
		return 0, err
	}
	if featuring[tag.ID] {
		return tx.FeatureTag(ctx, me.ID, tag.ID, s.now())
	}
	n, err := tx.CountFeaturedTags(ctx, me.ID)
	if err != nil {
		return 0, err
	}
	if n >= MaxFeaturedTags {
		// Mastodon's words for its limit, 422 like any validation.
		return 0, invalid("", "You have already featured the maximum number of hashtags")
	}
	id, err := tx.FeatureTag(ctx, me.ID, tag.ID, s.now())
	if err != nil {
		return 0, err
	}
	return id, s.announceFeaturedTags(ctx, tx, me)
}

// unfeatureTag stops featuring tagID on me's profile and, when it was
// featured, tells other servers.
func (s *Service) unfeatureTag(ctx context.Context, tx storage.Tx, me *storage.Account, tagID int64) error {
	was, err := tx.UnfeatureTag(ctx, me.ID, tagID)
	if err != nil || !was {
		return err
	}
	return s.announceFeaturedTags(ctx, tx, me)
}

// announceFeaturedTags sends me's actor to its followers' servers again
// when its featured tags change: Mastodon (and Rounds) read the featuredTags
// collection again each time they process an actor, so an Update of the
// actor is how they learn of the change.
func (s *Service) announceFeaturedTags(ctx context.Context, tx storage.Tx, me *storage.Account) error {
	return s.publish(ctx, tx, PublishArgs{Type: PublishUpdateProfile, AccountID: me.ID})
}

// UnfeatureTagByID stops featuring me's featured tag id (DELETE
// /api/v1/featured_tags/:id); another account's is not found.
func (s *Service) UnfeatureTagByID(ctx context.Context, me *storage.Account, id int64) error {
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error {
		ft, err := tx.FeaturedTagByID(ctx, me.ID, id)
		if err != nil {
			return err
		}
		return s.unfeatureTag(ctx, tx, me, ft.TagID)
	}))
}

// FeaturedTagSuggestions returns the hashtags me used most that it does
// not feature yet, at most ten, as Mastodon suggests them.
func (s *Service) FeaturedTagSuggestions(ctx context.Context, me *storage.Account) ([]TagInfo, error) {
	tags, err := s.db.MostUsedTags(ctx, me.ID, 10)
	if err != nil {
		return nil, err
	}
	return s.tagInfos(ctx, me, tags)
}

// FetchFeaturedTagsArgs is the durable job that reads a remote actor's
// featuredTags collection, so that its featured hashtags show here.
type FetchFeaturedTagsArgs struct {
	AccountID int64  `json:"account_id,string"`
	URL       string `json:"url"`
}

// Kind names the job kind.
func (FetchFeaturedTagsArgs) Kind() string { return "fetch_featured_tags" }

// InsertOpts tries a fetch three times. Fetches are not made unique: one
// asked for while another runs (an Add arriving as the last fetch ends)
// must still read the collection again, and each comes from an actor
// fetch or an activity of that actor's server, which costs as much.
func (FetchFeaturedTagsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3}
}

// RemoteFeaturedTagsAt records where remote account a lists its featured
// hashtags, as its actor document says (featuredTags): a job reads the
// collection. An actor without one features nothing. A collection on
// another host than the actor's is ignored: a server speaks only for its
// own accounts.
func (s *Service) RemoteFeaturedTagsAt(ctx context.Context, a *storage.Account, collection string) error {
	if a.Local() {
		return nil
	}
	if collection == "" {
		// Most actors have none: no write unless some were kept before.
		if n, err := s.db.CountFeaturedTags(ctx, a.ID); err != nil || n == 0 {
			return err
		}
		return s.SetRemoteFeaturedTags(ctx, a.ID, nil)
	}
	cu, err1 := url.Parse(collection)
	au, err2 := url.Parse(a.URI)
	if err1 != nil || err2 != nil || cu.Host == "" || !strings.EqualFold(cu.Host, au.Host) {
		return nil
	}
	if s.jobs == nil {
		return nil
	}
	return s.jobs.Insert(ctx, FetchFeaturedTagsArgs{AccountID: a.ID, URL: collection}, nil)
}

// SetRemoteFeaturedTags makes names (as a remote actor's featuredTags
// collection lists them) the hashtags remote account accountID features.
// Names that cannot be hashtags are skipped, and at most MaxFeaturedTags
// kept, whatever the other server sends.
func (s *Service) SetRemoteFeaturedTags(ctx context.Context, accountID int64, names []string) error {
	a, err := s.db.AccountByID(ctx, accountID)
	if err != nil {
		return domainErr(err)
	}
	if a.Local() {
		return ErrForbidden
	}
	var keep []string
	seen := map[string]bool{}
	for _, n := range names {
		name, err := normalTagName(n)
		if err != nil || seen[name] {
			continue
		}
		seen[name] = true
		keep = append(keep, name)
		if len(keep) == MaxFeaturedTags {
			break
		}
	}
	return domainErr(s.db.InTx(ctx, func(tx storage.Tx) error {
		return tx.ReplaceFeaturedTags(ctx, accountID, keep, s.now())
	}))
}

// FeaturedTagsURL is where a local account's featured hashtags are served
// to other servers, as the actor's featuredTags.
func FeaturedTagsURL(a *storage.Account) string { return a.URI + "/collections/tags" }

// FeaturedTagURL is the page of a's posts with the hashtag name, as
// Mastodon links a featured tag (https://domain/@name/tagged/tag); a remote
// account's is on its own server's profile address.
func (s *Service) FeaturedTagURL(a *storage.Account, name string) string {
	if a.Local() {
		return s.base + "/@" + a.Username + "/tagged/" + url.PathEscape(name)
	}
	return strings.TrimSuffix(a.URL, "/") + "/tagged/" + url.PathEscape(name)
}
