-- Mastodon v2 filters: a filter group of one account, with the keywords and
-- statuses it matches. context holds the contexts comma-separated
-- (home,notifications,public,thread,account).
CREATE TABLE filters (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	title TEXT NOT NULL,
	context TEXT NOT NULL,
	action TEXT NOT NULL,
	expires_at {{.Timestamp}},
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX filters_account ON filters (account_id);
--bun:split
CREATE TABLE filter_keywords (
	id BIGINT PRIMARY KEY,
	filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
	keyword TEXT NOT NULL,
	whole_word BOOLEAN NOT NULL DEFAULT TRUE
);
--bun:split
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id);
--bun:split
CREATE TABLE filter_statuses (
	id BIGINT PRIMARY KEY,
	filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE
);
--bun:split
CREATE UNIQUE INDEX filter_statuses_pair ON filter_statuses (filter_id, status_id);
