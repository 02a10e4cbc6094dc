-- Hashtags, by their lower-case name, and the statuses that carry them.
CREATE TABLE tags (
	id BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX tags_name ON tags (name);
--bun:split
CREATE TABLE status_tags (
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
	PRIMARY KEY (status_id, tag_id)
);
--bun:split
CREATE INDEX status_tags_tag ON status_tags (tag_id, status_id);
