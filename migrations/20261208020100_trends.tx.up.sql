-- Staff review of what may trend: a hashtag (target: its id), a post
-- (its id), a link (its URL) or a link's publisher (its domain). Nothing
-- trends in public until staff approve it (trendable); a rejected item
-- stays out. Items without a row are waiting for review.
CREATE TABLE trend_reviews (
	kind TEXT NOT NULL,
	target TEXT NOT NULL,
	trendable BOOLEAN NOT NULL,
	reviewed_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (kind, target)
);
--bun:split
-- Staff settings of a hashtag (Mastodon's Admin::Tag): its display name
-- (the same name in other capitals), whether it may be used and listed.
CREATE TABLE tag_settings (
	tag_id BIGINT PRIMARY KEY REFERENCES tags (id) ON DELETE CASCADE,
	display_name TEXT NOT NULL DEFAULT '',
	usable BOOLEAN NOT NULL DEFAULT TRUE,
	listable BOOLEAN NOT NULL DEFAULT TRUE,
	updated_at {{.Timestamp}} NOT NULL
);
