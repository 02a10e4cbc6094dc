-- Mastodon 4.3's notification filtering. A filtered notification is kept
-- out of the list, the streams and Web Push until its request is accepted.
ALTER TABLE notifications ADD COLUMN filtered BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
CREATE INDEX notifications_filtered ON notifications (account_id, from_account_id, filtered);
--bun:split
-- Each local account's policy; an account without a row has the defaults.
-- Each for_ column is accept, filter or drop.
CREATE TABLE notification_policies (
	account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	for_not_following TEXT NOT NULL,
	for_not_followers TEXT NOT NULL,
	for_new_accounts TEXT NOT NULL,
	for_private_mentions TEXT NOT NULL,
	for_limited_accounts TEXT NOT NULL
);
--bun:split
-- One request per recipient and sender with filtered notifications.
CREATE TABLE notification_requests (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	last_status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
	created_at {{.Timestamp}} NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX notification_requests_pair ON notification_requests (account_id, from_account_id);
--bun:split
-- Senders whose request was accepted: their notifications are never
-- filtered again.
CREATE TABLE notification_permissions (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	PRIMARY KEY (account_id, from_account_id)
);
