-- An app that retries a post with the same Idempotency-Key gets the first
-- post back instead of a second one.
CREATE TABLE idempotency_keys (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	created_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (account_id, key)
);
