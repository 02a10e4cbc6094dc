-- Blog posts: long-form posts with a title, a summary and a body. A draft
-- is a row here only (status_id NULL), seen by its author alone; publishing
-- makes the status that timelines, federation, edits and deletes already
-- handle, and status_id names it. A remote Article received is a status with
-- a row here too, holding its title, summary and full (sanitised) content.
-- For local posts source is the author's Markdown and content its rendered,
-- sanitised HTML; tags and media_ids (space-separated) are a draft's until
-- it is published, when they move to the status.
CREATE TABLE blog_posts (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
	slug TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL,
	summary TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL DEFAULT '',
	content TEXT NOT NULL DEFAULT '',
	tags TEXT NOT NULL DEFAULT '',
	media_ids TEXT NOT NULL DEFAULT '',
	created_at {{.Timestamp}} NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX blog_posts_status ON blog_posts (status_id);
--bun:split
CREATE INDEX blog_posts_account ON blog_posts (account_id, id);
--bun:split
CREATE UNIQUE INDEX blog_posts_slug ON blog_posts (account_id, slug) WHERE slug <> '';
