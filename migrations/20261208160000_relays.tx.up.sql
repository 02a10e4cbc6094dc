-- ActivityPub relays the server is subscribed to. inbox_url is where our
-- public posts go; follow_object is what the instance actor's Follow names:
-- the public collection for a Mastodon-style relay (given by its inbox), the
-- relay's actor for a LitePub-style one (given by its actor). actor_uri is
-- the relay's actor once known (from its actor document or its Accept); it
-- is how deliveries from the relay are recognised.
CREATE TABLE relays (
	id BIGINT PRIMARY KEY,
	url TEXT NOT NULL,
	inbox_url TEXT NOT NULL DEFAULT '',
	actor_uri TEXT NOT NULL DEFAULT '',
	follow_object TEXT NOT NULL DEFAULT '',
	follow_uri TEXT NOT NULL,
	state TEXT NOT NULL,
	enabled BOOLEAN NOT NULL DEFAULT TRUE,
	dropped BIGINT NOT NULL DEFAULT 0,
	created_at {{.Timestamp}} NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX relays_url ON relays (url);
