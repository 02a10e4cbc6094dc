-- The marks a domain block put on remote accounts: 'suspend' when it set
-- accounts.suspended_at, 'silence' when it set accounts.silenced_at, with the
-- very time it wrote there. Lifting the block lifts only marks whose time
-- still matches, so a moderator's own suspension or limit of an account
-- (before or after the block) survives the block's removal.
CREATE TABLE domain_block_marks (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	mark TEXT NOT NULL,
	marked_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (account_id, mark)
);
--bun:split

-- Blocking, silencing and unblocking a domain act on its accounts.
CREATE INDEX accounts_by_domain ON accounts (domain);
