-- Full-text search of posts: the words of each post (its content warning
-- and its text without markup, from storage/posttext), written by
-- storage whenever a post is stored or edited and dropped with the post.
-- Words are matched as they are written, without stemming, in every
-- language alike; SQLite also ignores accents.
{{if eq .Name "postgres"}}
CREATE TABLE status_search (
	status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
	body TSVECTOR NOT NULL
);
--bun:split
CREATE INDEX status_search_body ON status_search USING GIN (body);
{{else}}
-- Contentless: the index keeps the words, not a second copy of the text.
CREATE VIRTUAL TABLE status_search USING fts5 (body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
--bun:split
CREATE TRIGGER status_search_drop AFTER DELETE ON statuses
BEGIN
	DELETE FROM status_search WHERE rowid = old.id;
END;
{{end}}
