-- What happened to a local account that it should hear about.
CREATE TABLE notifications (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	type TEXT NOT NULL,
	status_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX notifications_account ON notifications (account_id, id);
