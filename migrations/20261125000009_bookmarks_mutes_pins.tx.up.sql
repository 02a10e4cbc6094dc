CREATE TABLE bookmarks (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX bookmarks_pair ON bookmarks (account_id, status_id);
--bun:split
CREATE TABLE mutes (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	notifications BOOLEAN NOT NULL DEFAULT TRUE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX mutes_pair ON mutes (account_id, target_account_id);
--bun:split
CREATE TABLE pins (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX pins_pair ON pins (account_id, status_id);
