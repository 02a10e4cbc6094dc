-- Hashtags a local account follows: public posts carrying them reach its
-- home feed as they are published or arrive. Paged by id, as Mastodon
-- pages /api/v1/followed_tags by the follow's id.
CREATE TABLE tag_follows (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX tag_follows_pair ON tag_follows (account_id, tag_id);
--bun:split
CREATE INDEX tag_follows_tag ON tag_follows (tag_id, account_id);
--bun:split
-- Hashtags an account features on its profile: a local account's own
-- choice, or what a remote actor's featuredTags collection lists.
CREATE TABLE featured_tags (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX featured_tags_pair ON featured_tags (account_id, tag_id);
