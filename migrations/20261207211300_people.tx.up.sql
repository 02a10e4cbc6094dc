-- A person's private note on another account, shown only to its writer
-- as the note of their Relationship.
CREATE TABLE account_notes (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	comment TEXT NOT NULL,
	updated_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (account_id, target_account_id)
);
--bun:split
-- Accounts a person endorses (features) on their profile; only accounts
-- they follow. Paged by id, as Mastodon pages /api/v1/endorsements.
CREATE TABLE account_pins (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX account_pins_pair ON account_pins (account_id, target_account_id);
--bun:split
-- Follow suggestions a person dismissed: never suggested to them again.
CREATE TABLE suggestion_dismissals (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	created_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (account_id, target_account_id)
);
