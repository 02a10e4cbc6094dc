-- Server settings an admin changes at run time (registration mode, policies).
-- Values are JSON; a missing key means the built-in default.
CREATE TABLE instance_settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split

-- Users: a disabled user cannot sign in (Mastodon's "disable"/"enable"); the
-- invite they joined with; when a moderator limited (silenced) the account.
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
ALTER TABLE users ADD COLUMN invite_id BIGINT;
--bun:split
ALTER TABLE accounts ADD COLUMN silenced_at {{.Timestamp}};
--bun:split

-- The append-only audit log: who did what, to whom, when and why. Triggers
-- refuse every UPDATE and DELETE, so no code path can change history.
CREATE TABLE audit_log (
	id BIGINT PRIMARY KEY,
	actor_account_id BIGINT,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	target_type TEXT NOT NULL DEFAULT '',
	target_id TEXT NOT NULL DEFAULT '',
	target TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
--bun:split
{{if eq .Name "postgres"}}
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit log entries cannot be changed or deleted';
END;
$$;
--bun:split
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
--bun:split
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
{{else}}
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit log entries cannot be changed or deleted');
END;
--bun:split
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit log entries cannot be changed or deleted');
END;
{{end}}
--bun:split

-- A clinician's professional registration as an admin confirmed it. The
-- verified profile field is drawn from the row while verified_at is set,
-- revoked_at is not and recheck_at is in the future.
CREATE TABLE clinician_verifications (
	account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	profession TEXT NOT NULL,
	regulator TEXT NOT NULL,
	registration_number TEXT NOT NULL,
	organisation TEXT NOT NULL DEFAULT '',
	verified_by_account_id BIGINT,
	verified_by TEXT NOT NULL,
	verified_at {{.Timestamp}} NOT NULL,
	recheck_at {{.Timestamp}} NOT NULL,
	revoked_at {{.Timestamp}},
	revoked_by TEXT NOT NULL DEFAULT '',
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split

-- Reports of accounts and posts, by local users or arriving as Flags.
CREATE TABLE reports (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	status_ids TEXT NOT NULL DEFAULT '[]',
	rule_ids TEXT NOT NULL DEFAULT '[]',
	comment TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL DEFAULT 'other',
	forwarded BOOLEAN NOT NULL DEFAULT FALSE,
	uri TEXT,
	assigned_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
	action_taken_at {{.Timestamp}},
	action_taken_by_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
	created_at {{.Timestamp}} NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX reports_open ON reports (action_taken_at, id);
--bun:split
CREATE INDEX reports_target ON reports (target_account_id);
--bun:split
CREATE UNIQUE INDEX reports_uri ON reports (uri);
--bun:split

-- Warnings and other actions a moderator took on an account, as the
-- account's owner is told of them.
CREATE TABLE account_warnings (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	action TEXT NOT NULL,
	text TEXT NOT NULL DEFAULT '',
	report_id BIGINT REFERENCES reports (id) ON DELETE SET NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX account_warnings_target ON account_warnings (target_account_id, id);
--bun:split

-- Federation policy per domain: silence, suspend or noop, with media and
-- report rejection; domain_allows lists who may federate in allowlist mode.
CREATE TABLE domain_blocks (
	id BIGINT PRIMARY KEY,
	domain TEXT NOT NULL,
	severity TEXT NOT NULL DEFAULT 'silence',
	reject_media BOOLEAN NOT NULL DEFAULT FALSE,
	reject_reports BOOLEAN NOT NULL DEFAULT FALSE,
	private_comment TEXT NOT NULL DEFAULT '',
	public_comment TEXT NOT NULL DEFAULT '',
	obfuscate BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{.Timestamp}} NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX domain_blocks_domain ON domain_blocks (domain);
--bun:split
CREATE TABLE domain_allows (
	id BIGINT PRIMARY KEY,
	domain TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX domain_allows_domain ON domain_allows (domain);
--bun:split

-- Invite links: single or multi-use, optionally expiring.
CREATE TABLE invites (
	id BIGINT PRIMARY KEY,
	code TEXT NOT NULL,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	max_uses INTEGER,
	uses INTEGER NOT NULL DEFAULT 0,
	expires_at {{.Timestamp}},
	revoked_at {{.Timestamp}},
	comment TEXT NOT NULL DEFAULT '',
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX invites_code ON invites (code);
--bun:split

-- One-time password reset links (admins hand them out, or email sends them).
CREATE TABLE password_resets (
	token_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires_at {{.Timestamp}} NOT NULL,
	used_at {{.Timestamp}},
	created_at {{.Timestamp}} NOT NULL
);
