-- Domains a local account blocks for itself (Mastodon's user-level domain
-- blocks): nothing from an account of that domain reaches the account's
-- timelines, notifications or searches. Paged by id.
CREATE TABLE account_domain_blocks (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	domain TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX account_domain_blocks_pair ON account_domain_blocks (account_id, domain);
--bun:split
-- Threads a local account muted (POST /api/v1/statuses/:id/mute): no
-- notification about a post of that thread reaches it. thread is the URI
-- of the thread's first post (or of the unknown post its first known reply
-- answers).
CREATE TABLE thread_mutes (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	thread TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (account_id, thread)
);
