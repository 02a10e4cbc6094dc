-- Each local account's home timeline, filled when a status is stored: the
-- read is then one index range instead of a search through every followed
-- account's history. author_id lets an unfollow or a mute act on it.
CREATE TABLE home_feed (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	author_id BIGINT NOT NULL,
	PRIMARY KEY (account_id, status_id)
);
--bun:split
CREATE INDEX home_feed_author ON home_feed (account_id, author_id);
--bun:split
-- What existing servers already have: own posts, followed accounts' posts
-- (not direct ones) and posts that mention the account.
INSERT INTO home_feed (account_id, status_id, author_id)
SELECT s.account_id, s.id, s.account_id FROM statuses AS s JOIN accounts AS a ON a.id = s.account_id
WHERE a.domain = ''
ON CONFLICT DO NOTHING;
--bun:split
INSERT INTO home_feed (account_id, status_id, author_id)
SELECT f.account_id, s.id, s.account_id FROM statuses AS s
JOIN follows AS f ON f.target_account_id = s.account_id AND f.accepted_at IS NOT NULL
JOIN accounts AS a ON a.id = f.account_id
WHERE a.domain = '' AND s.visibility <> 'direct'
ON CONFLICT DO NOTHING;
--bun:split
INSERT INTO home_feed (account_id, status_id, author_id)
SELECT m.account_id, s.id, s.account_id FROM mentions AS m
JOIN statuses AS s ON s.id = m.status_id
JOIN accounts AS a ON a.id = m.account_id
WHERE a.domain = ''
ON CONFLICT DO NOTHING;
