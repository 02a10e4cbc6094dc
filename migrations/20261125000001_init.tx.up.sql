-- Accounts are people and services, local (domain = '') or remote.
CREATE TABLE accounts (
	id BIGINT PRIMARY KEY,
	username TEXT NOT NULL,
	domain TEXT NOT NULL DEFAULT '',
	display_name TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	uri TEXT NOT NULL,
	url TEXT NOT NULL DEFAULT '',
	inbox_url TEXT NOT NULL DEFAULT '',
	shared_inbox_url TEXT NOT NULL DEFAULT '',
	outbox_url TEXT NOT NULL DEFAULT '',
	followers_url TEXT NOT NULL DEFAULT '',
	following_url TEXT NOT NULL DEFAULT '',
	featured_url TEXT NOT NULL DEFAULT '',
	avatar_url TEXT NOT NULL DEFAULT '',
	header_url TEXT NOT NULL DEFAULT '',
	key_id TEXT NOT NULL DEFAULT '',
	public_key_pem TEXT NOT NULL DEFAULT '',
	private_key_pem TEXT NOT NULL DEFAULT '',
	fields TEXT NOT NULL DEFAULT '[]',
	locked BOOLEAN NOT NULL DEFAULT FALSE,
	discoverable BOOLEAN NOT NULL DEFAULT TRUE,
	indexable BOOLEAN NOT NULL DEFAULT TRUE,
	bot BOOLEAN NOT NULL DEFAULT FALSE,
	actor_type TEXT NOT NULL DEFAULT 'Person',
	suspended_at {{.Timestamp}},
	fetched_at {{.Timestamp}},
	created_at {{.Timestamp}} NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX accounts_username_domain ON accounts (lower(username), domain);
--bun:split
CREATE UNIQUE INDEX accounts_uri ON accounts (uri);
--bun:split

-- Users are the local people who sign in; each has exactly one account.
CREATE TABLE users (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	email TEXT,
	password_hash TEXT NOT NULL,
	role TEXT NOT NULL DEFAULT 'user',
	approved BOOLEAN NOT NULL DEFAULT FALSE,
	reason TEXT NOT NULL DEFAULT '',
	confirmed_at {{.Timestamp}},
	last_sign_in_at {{.Timestamp}},
	created_at {{.Timestamp}} NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX users_account_id ON users (account_id);
--bun:split
CREATE UNIQUE INDEX users_email ON users (lower(email));
--bun:split

-- Setup tokens let the first admin be created from a browser: a token is
-- stored only as its SHA-256 hash and is good for one use before it expires.
CREATE TABLE setup_tokens (
	token_hash TEXT PRIMARY KEY,
	expires_at {{.Timestamp}} NOT NULL,
	used_at {{.Timestamp}},
	created_at {{.Timestamp}} NOT NULL
);
