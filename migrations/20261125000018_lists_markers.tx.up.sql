CREATE TABLE lists (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	title TEXT NOT NULL,
	replies_policy TEXT NOT NULL DEFAULT 'list',
	exclusive BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX lists_account ON lists (account_id);
--bun:split
CREATE TABLE list_accounts (
	id BIGINT PRIMARY KEY,
	list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX list_accounts_pair ON list_accounts (list_id, account_id);
--bun:split
CREATE INDEX list_accounts_account ON list_accounts (account_id);
--bun:split
CREATE TABLE markers (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	timeline TEXT NOT NULL,
	last_read_id BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 0,
	updated_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (account_id, timeline)
);
