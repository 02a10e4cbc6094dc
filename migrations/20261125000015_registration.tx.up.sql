-- Registration: invites made at the command line have no creating user, so
-- invites.user_id may be NULL. SQLite cannot drop a NOT NULL in place; the
-- table is rebuilt there (nothing refers to it).
{{if eq .Name "postgres"}}
ALTER TABLE invites ALTER COLUMN user_id DROP NOT NULL;
{{else}}
CREATE TABLE invites_rebuilt (
	id BIGINT PRIMARY KEY,
	code TEXT NOT NULL,
	user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
	max_uses INTEGER,
	uses INTEGER NOT NULL DEFAULT 0,
	expires_at {{.Timestamp}},
	revoked_at {{.Timestamp}},
	comment TEXT NOT NULL DEFAULT '',
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
INSERT INTO invites_rebuilt (id, code, user_id, max_uses, uses, expires_at, revoked_at, comment, created_at)
	SELECT id, code, user_id, max_uses, uses, expires_at, revoked_at, comment, created_at FROM invites;
--bun:split
DROP TABLE invites;
--bun:split
ALTER TABLE invites_rebuilt RENAME TO invites;
--bun:split
CREATE UNIQUE INDEX invites_code ON invites (code);
{{end}}
--bun:split

-- A person who signed up with an email address while the server sends
-- email must confirm it before signing in: confirmation_required marks
-- them, confirmed_at ends the wait. Accounts admins create, and sign-ups
-- without email, never wait.
ALTER TABLE users ADD COLUMN confirmation_required BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split

-- One-time email confirmation links, stored as the SHA-256 of the token.
-- email is the address the link was sent to: a link confirms only that
-- address.
CREATE TABLE email_confirmations (
	token_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	email TEXT NOT NULL,
	expires_at {{.Timestamp}} NOT NULL,
	used_at {{.Timestamp}},
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX email_confirmations_user ON email_confirmations (user_id);
--bun:split

-- A used reset link ends the user's other links.
CREATE INDEX password_resets_user ON password_resets (user_id);
