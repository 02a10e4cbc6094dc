-- OAuth 2 for Mastodon apps. Apps register themselves (POST /api/v1/apps);
-- every secret an app or a person holds (client secret, access token,
-- authorization code, browser session) is stored only as its SHA-256 hash, so
-- a copy of the database hands out no working credential.
CREATE TABLE oauth_apps (
	id BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	website TEXT NOT NULL DEFAULT '',
	-- One URI per line, as Mastodon answers them in redirect_uri.
	redirect_uris TEXT NOT NULL,
	-- Space-separated, as in an OAuth scope parameter.
	scopes TEXT NOT NULL,
	client_id TEXT NOT NULL,
	client_secret_hash TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX oauth_apps_client_id ON oauth_apps (client_id);
--bun:split

-- Access tokens. user_id is NULL for an app's own token (client_credentials
-- grant). A revoked token stays, so that revoking it again is harmless and
-- an audit can see it.
CREATE TABLE oauth_tokens (
	id BIGINT PRIMARY KEY,
	token_hash TEXT NOT NULL,
	app_id BIGINT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
	user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
	scopes TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL,
	revoked_at {{.Timestamp}},
	last_used_at {{.Timestamp}}
);
--bun:split
CREATE UNIQUE INDEX oauth_tokens_hash ON oauth_tokens (token_hash);
--bun:split
CREATE INDEX oauth_tokens_app ON oauth_tokens (app_id);
--bun:split
CREATE INDEX oauth_tokens_user ON oauth_tokens (user_id);
--bun:split

-- Authorization codes: good for one exchange within ten minutes. token_id
-- names the token the code was exchanged for, so that a replayed code can
-- revoke it (RFC 6749 section 4.1.2).
CREATE TABLE oauth_codes (
	code_hash TEXT PRIMARY KEY,
	app_id BIGINT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	redirect_uri TEXT NOT NULL,
	scopes TEXT NOT NULL,
	code_challenge TEXT NOT NULL DEFAULT '',
	code_challenge_method TEXT NOT NULL DEFAULT '',
	token_id BIGINT,
	created_at {{.Timestamp}} NOT NULL,
	expires_at {{.Timestamp}} NOT NULL,
	used_at {{.Timestamp}}
);
--bun:split
CREATE INDEX oauth_codes_app ON oauth_codes (app_id);
--bun:split
CREATE INDEX oauth_codes_user ON oauth_codes (user_id);
--bun:split

-- Browser sessions of people signed in to the server's own pages (the OAuth
-- authorization pages first). csrf_token goes into every form of the
-- session and must come back with it.
CREATE TABLE sessions (
	id BIGINT PRIMARY KEY,
	token_hash TEXT NOT NULL,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token TEXT NOT NULL,
	user_agent TEXT NOT NULL DEFAULT '',
	created_at {{.Timestamp}} NOT NULL,
	expires_at {{.Timestamp}} NOT NULL,
	revoked_at {{.Timestamp}}
);
--bun:split
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
--bun:split
CREATE INDEX sessions_user ON sessions (user_id);
--bun:split

-- Keys the server makes for itself (the one that signs cookies), shared by
-- every process that uses this database.
CREATE TABLE server_secrets (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
