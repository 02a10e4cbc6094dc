-- Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238). The
-- secret lives only in this table, which only storage/twofactor.go reads.
-- enabled_at is NULL while the person has not yet confirmed the secret with
-- a first code; last_used_step is the time step of the last code accepted,
-- so that no code is accepted twice.
CREATE TABLE two_factor_secrets (
	user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	secret TEXT NOT NULL,
	enabled_at {{.Timestamp}},
	last_used_step BIGINT,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split

-- Single-use recovery codes for a person who lost their authenticator,
-- stored as the SHA-256 of the code (they are random and long, so no slow
-- hash is needed).
CREATE TABLE two_factor_recovery_codes (
	id BIGINT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL,
	used_at {{.Timestamp}}
);
--bun:split
CREATE UNIQUE INDEX two_factor_recovery_codes_user_code ON two_factor_recovery_codes (user_id, code_hash);
--bun:split

-- A sign-in whose password was right and whose second factor is still to
-- come (or, for staff who must use one, still to be set up). The browser
-- holds the token, stored here only as its hash; attempts counts the codes
-- tried, so that each challenge allows only a few guesses.
CREATE TABLE sign_in_challenges (
	token_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	setup BOOLEAN NOT NULL DEFAULT FALSE,
	attempts INTEGER NOT NULL DEFAULT 0,
	created_at {{.Timestamp}} NOT NULL,
	expires_at {{.Timestamp}} NOT NULL,
	used_at {{.Timestamp}}
);
--bun:split
CREATE INDEX sign_in_challenges_user ON sign_in_challenges (user_id);
--bun:split
CREATE INDEX sign_in_challenges_expires ON sign_in_challenges (expires_at);
