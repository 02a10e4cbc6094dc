-- Web Push subscriptions, one per access token as on Mastodon: an app
-- subscribes with the token it signs in with, and the subscription goes with
-- the token. The server's VAPID key is a server secret (server_secrets).
CREATE TABLE web_push_subscriptions (
	id BIGINT PRIMARY KEY,
	access_token_id BIGINT NOT NULL REFERENCES oauth_tokens (id) ON DELETE CASCADE,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	endpoint TEXT NOT NULL,
	-- The subscription's keys as the app sent them, base64url.
	key_p256dh TEXT NOT NULL,
	key_auth TEXT NOT NULL,
	-- true: the app asked for RFC 8291 messages (Mastodon 4.4's "standard").
	standard BOOLEAN NOT NULL DEFAULT FALSE,
	-- A JSON object of notification type to true or false.
	alerts TEXT NOT NULL,
	-- all, followed, follower or none.
	policy TEXT NOT NULL DEFAULT 'all',
	-- The access token, sealed with a server secret: Mastodon puts it in
	-- every message, and apps find the signed-in account by it.
	sealed_token TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX web_push_subscriptions_token ON web_push_subscriptions (access_token_id);
--bun:split
CREATE INDEX web_push_subscriptions_account ON web_push_subscriptions (account_id);
