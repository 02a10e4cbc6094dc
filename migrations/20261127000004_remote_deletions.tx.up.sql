-- A remote account its own server deleted (a Delete of the actor by the
-- actor), with the very time that deletion wrote to accounts.suspended_at.
-- Only this state may be lifted from outside, by the same actor's Update of
-- itself, and only while suspended_at still holds that time: a moderator's
-- suspension (or a domain block's) writes another time and so is never
-- lifted by a remote activity. Earlier deletions are not carried over: they
-- were recorded as tombstones that any server could forge.
CREATE TABLE remote_deletions (
	account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	deleted_at {{.Timestamp}} NOT NULL
);
