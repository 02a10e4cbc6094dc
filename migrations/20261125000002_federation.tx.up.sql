-- An instance actor and other server-owned keys live on accounts too
-- (actor_type 'Application'); remote accounts remember when they were fetched.

-- Follows: pending until accepted_at is set (locked accounts, remote
-- targets that have not answered yet).
CREATE TABLE follows (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	uri TEXT NOT NULL,
	show_reblogs BOOLEAN NOT NULL DEFAULT TRUE,
	notify BOOLEAN NOT NULL DEFAULT FALSE,
	accepted_at {{.Timestamp}},
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX follows_pair ON follows (account_id, target_account_id);
--bun:split
CREATE INDEX follows_target ON follows (target_account_id, accepted_at);
--bun:split
CREATE UNIQUE INDEX follows_uri ON follows (uri);
--bun:split

-- Statuses, local and remote. A deleted status leaves a tombstone so that a
-- late Create cannot bring it back.
CREATE TABLE statuses (
	id BIGINT PRIMARY KEY,
	uri TEXT NOT NULL,
	url TEXT NOT NULL DEFAULT '',
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	in_reply_to_id BIGINT,
	in_reply_to_uri TEXT NOT NULL DEFAULT '',
	in_reply_to_account_id BIGINT,
	reblog_of_id BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
	content TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL DEFAULT '',
	spoiler_text TEXT NOT NULL DEFAULT '',
	sensitive BOOLEAN NOT NULL DEFAULT FALSE,
	visibility TEXT NOT NULL DEFAULT 'public',
	language TEXT NOT NULL DEFAULT '',
	local BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{.Timestamp}} NOT NULL,
	edited_at {{.Timestamp}}
);
--bun:split
CREATE UNIQUE INDEX statuses_uri ON statuses (uri);
--bun:split
CREATE INDEX statuses_account ON statuses (account_id, id);
--bun:split
CREATE INDEX statuses_reply ON statuses (in_reply_to_id);
--bun:split
CREATE UNIQUE INDEX statuses_reblog ON statuses (account_id, reblog_of_id);
--bun:split

-- Earlier versions of edited statuses, oldest first.
CREATE TABLE status_edits (
	id BIGINT PRIMARY KEY,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	content TEXT NOT NULL,
	spoiler_text TEXT NOT NULL DEFAULT '',
	sensitive BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX status_edits_status ON status_edits (status_id, id);
--bun:split

CREATE TABLE favourites (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	uri TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX favourites_pair ON favourites (account_id, status_id);
--bun:split
CREATE INDEX favourites_status ON favourites (status_id);
--bun:split
CREATE UNIQUE INDEX favourites_uri ON favourites (uri);
--bun:split

CREATE TABLE blocks (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	uri TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX blocks_pair ON blocks (account_id, target_account_id);
--bun:split
CREATE UNIQUE INDEX blocks_uri ON blocks (uri);
--bun:split

CREATE TABLE mentions (
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	PRIMARY KEY (status_id, account_id)
);
--bun:split

CREATE TABLE tombstones (
	uri TEXT PRIMARY KEY,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split

-- Each activity received is applied once, however often it arrives.
CREATE TABLE received_activities (
	uri TEXT PRIMARY KEY,
	received_at {{.Timestamp}} NOT NULL
);
--bun:split

-- Activities this server sent: the body is stored once and each delivery
-- job names it and one inbox.
CREATE TABLE outbox_activities (
	id BIGINT PRIMARY KEY,
	uri TEXT NOT NULL,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	status_id BIGINT,
	body TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split

-- Where each activity went: pending, delivered or failed, per inbox.
CREATE TABLE deliveries (
	activity_id BIGINT NOT NULL REFERENCES outbox_activities (id) ON DELETE CASCADE,
	inbox_url TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending',
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	updated_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (activity_id, inbox_url)
);
--bun:split

-- Remote servers that keep failing are skipped until they answer again.
CREATE TABLE domain_health (
	domain TEXT PRIMARY KEY,
	consecutive_failures INTEGER NOT NULL DEFAULT 0,
	first_failure_at {{.Timestamp}},
	unavailable_since {{.Timestamp}},
	last_success_at {{.Timestamp}},
	last_failure_at {{.Timestamp}}
);
