-- Who may sign up and reach the server, as Mastodon's admins rule it:
-- email domains nobody may sign up with, canonical email addresses (by
-- their SHA-256) nobody may sign up with again, and network address ranges
-- that need approval to sign up, may not sign up, or may not reach the
-- server at all.
CREATE TABLE email_domain_blocks (
	id BIGINT PRIMARY KEY,
	domain TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX email_domain_blocks_domain ON email_domain_blocks (domain);
--bun:split

-- Sign-ups an email domain block refused, kept a week for the block's
-- history (uses per day, and distinct addresses as "accounts").
CREATE TABLE email_domain_block_attempts (
	block_id BIGINT NOT NULL REFERENCES email_domain_blocks (id) ON DELETE CASCADE,
	attempted_at {{.Timestamp}} NOT NULL,
	address TEXT NOT NULL
);
--bun:split
CREATE INDEX email_domain_block_attempts_by_block ON email_domain_block_attempts (block_id, attempted_at);
--bun:split

CREATE TABLE canonical_email_blocks (
	id BIGINT PRIMARY KEY,
	canonical_email_hash TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX canonical_email_blocks_hash ON canonical_email_blocks (canonical_email_hash);
--bun:split

-- ip is a network in CIDR form with its host bits zero ("192.0.2.0/24",
-- "2001:db8::/32"; a single address is a /32 or /128).
CREATE TABLE ip_blocks (
	id BIGINT PRIMARY KEY,
	ip TEXT NOT NULL,
	severity TEXT NOT NULL,
	comment TEXT NOT NULL DEFAULT '',
	expires_at {{.Timestamp}},
	created_at {{.Timestamp}} NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX ip_blocks_ip ON ip_blocks (ip);
