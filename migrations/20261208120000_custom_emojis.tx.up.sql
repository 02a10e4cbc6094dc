-- Custom emojis of other servers, as their posts and profiles tag them
-- ({"type":"Emoji","name":":blobcat:","icon":{...}}): one row per shortcode
-- and domain, the latest image the domain gave for it. Statuses and
-- accounts name them by :shortcode: in their text, as on Mastodon.
-- file_name is the image's copy in the media directory once a job has
-- fetched and checked it ('' until then, and again when the image changes).
CREATE TABLE custom_emojis (
	shortcode TEXT NOT NULL,
	domain TEXT NOT NULL,
	uri TEXT NOT NULL,
	image_url TEXT NOT NULL,
	content_type TEXT NOT NULL,
	file_name TEXT NOT NULL DEFAULT '',
	updated_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (domain, shortcode)
);
