-- A reply that read as heated and was refused once under the "ask" tone
-- policy: the same text from the same author to the same post, sent again
-- after the pause, goes out. Only a hash of the text is kept.
CREATE TABLE tone_pauses (
	account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	hash TEXT NOT NULL,
	created_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (account_id, hash)
);
