-- Images attached to statuses: a file in the data directory for local
-- uploads, a remote URL for media of remote posts.
CREATE TABLE media_attachments (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
	type TEXT NOT NULL DEFAULT 'image',
	file_name TEXT NOT NULL DEFAULT '',
	remote_url TEXT NOT NULL DEFAULT '',
	content_type TEXT NOT NULL DEFAULT '',
	file_size BIGINT NOT NULL DEFAULT 0,
	width INTEGER NOT NULL DEFAULT 0,
	height INTEGER NOT NULL DEFAULT 0,
	description TEXT NOT NULL DEFAULT '',
	blurhash TEXT NOT NULL DEFAULT '',
	position INTEGER NOT NULL DEFAULT 0,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX media_attachments_status ON media_attachments (status_id, position);
--bun:split
CREATE INDEX media_attachments_account ON media_attachments (account_id, id);
