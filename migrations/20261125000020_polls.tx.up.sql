-- Polls: one per status at most. options and tallies are JSON arrays of the
-- same length (titles, and votes per option). For a local poll the tallies
-- are counted from poll_votes; for a remote one they are the counts its
-- server last sent, plus our own votes since.
CREATE TABLE polls (
	id BIGINT PRIMARY KEY,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	local BOOLEAN NOT NULL DEFAULT FALSE,
	options TEXT NOT NULL,
	tallies TEXT NOT NULL,
	multiple BOOLEAN NOT NULL DEFAULT FALSE,
	hide_totals BOOLEAN NOT NULL DEFAULT FALSE,
	voters_count INTEGER NOT NULL DEFAULT 0,
	expires_at {{.Timestamp}},
	-- closed_at is set once the poll has ended and its voters were told.
	closed_at {{.Timestamp}},
	-- update_queued is true while an Update with new counts waits to be
	-- sent, so that a burst of votes makes one Update.
	update_queued BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX polls_status ON polls (status_id);
--bun:split
CREATE TABLE poll_votes (
	id BIGINT PRIMARY KEY,
	poll_id BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	choice INTEGER NOT NULL,
	-- uri is the vote's ActivityPub id (a remote voter's Note, or the one we
	-- sent for a local vote).
	uri TEXT NOT NULL DEFAULT '',
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE UNIQUE INDEX poll_votes_choice ON poll_votes (poll_id, account_id, choice);
--bun:split
CREATE INDEX poll_votes_account ON poll_votes (account_id);
--bun:split
-- Finding polls due to close (both dialects take a partial index).
CREATE INDEX polls_open ON polls (expires_at) WHERE closed_at IS NULL;
--bun:split
-- An earlier version's poll options (a JSON array), shown in the history.
ALTER TABLE status_edits ADD COLUMN poll_options TEXT NOT NULL DEFAULT '';
