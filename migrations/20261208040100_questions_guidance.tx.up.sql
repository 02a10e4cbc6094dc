-- Questions people ask a local clinician: a mention or reply that asks
-- (a question mark, or the organisation's question tag), one row per
-- clinician asked. answered_at is when the clinician's reply was
-- published; dismissed_at when they marked it as needing no answer.
-- thread_root_id is the first post of the question's thread, so that a
-- reply to the asker elsewhere in the thread answers it.
CREATE TABLE questions (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	asker_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	thread_root_id BIGINT NOT NULL,
	asked_at {{.Timestamp}} NOT NULL,
	answered_at {{.Timestamp}},
	answer_status_id BIGINT,
	dismissed_at {{.Timestamp}}
);
--bun:split
CREATE UNIQUE INDEX questions_status ON questions (account_id, status_id);
--bun:split
CREATE INDEX questions_asked ON questions (asked_at);
--bun:split
CREATE INDEX questions_asker ON questions (account_id, asker_id, thread_root_id);
--bun:split
-- The organisation's social media guidance, as admins write it
-- (Markdown): each change is a new version, numbered from 1.
CREATE TABLE guidance_versions (
	version INTEGER PRIMARY KEY,
	body TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
-- Who has read which version of the guidance, and when.
CREATE TABLE guidance_acknowledgements (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	acknowledged_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (account_id, version)
);
