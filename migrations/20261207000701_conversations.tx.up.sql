-- Each local account's view of its direct conversations, as Mastodon keeps
-- them: one row per account, thread and set of other participants. thread
-- is the URI of the thread's first post (or of the unknown post a remote
-- reply answers); participants lists the other accounts' ids, sorted and
-- comma separated. unread is the owner's own flag.
CREATE TABLE account_conversations (
	id BIGINT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	thread TEXT NOT NULL,
	participants TEXT NOT NULL,
	unread BOOLEAN NOT NULL DEFAULT FALSE
);
--bun:split
CREATE UNIQUE INDEX account_conversations_key ON account_conversations (account_id, thread, participants);
--bun:split
-- The posts of a conversation its owner sees. A deleted post leaves with
-- its row, so the conversation's last post is always its newest remaining
-- one, and a conversation with none left is not listed.
CREATE TABLE account_conversation_statuses (
	conversation_id BIGINT NOT NULL REFERENCES account_conversations (id) ON DELETE CASCADE,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	PRIMARY KEY (conversation_id, status_id)
);
--bun:split
CREATE INDEX account_conversation_statuses_status ON account_conversation_statuses (status_id);
