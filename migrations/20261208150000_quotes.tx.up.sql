-- Quote posts (FEP-044f, Mastodon 4.5). One row per quoting post known
-- here (status_id); the quoted post is quoted_status_id when we have it,
-- always quoted_uri. state is Mastodon's: pending, accepted, rejected,
-- revoked. authorization_uri is the QuoteAuthorization (ours when the
-- quoted post is local), request_uri the QuoteRequest sent or received.
CREATE TABLE quotes (
	status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
	account_id BIGINT NOT NULL,
	quoted_status_id BIGINT,
	quoted_uri TEXT NOT NULL,
	quoted_account_id BIGINT,
	state TEXT NOT NULL,
	authorization_uri TEXT NOT NULL DEFAULT '',
	request_uri TEXT NOT NULL DEFAULT '',
	created_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX quotes_quoted ON quotes (quoted_status_id, status_id);
--bun:split
CREATE INDEX quotes_request ON quotes (request_uri);
--bun:split
CREATE INDEX quotes_authorization ON quotes (authorization_uri);
--bun:split
-- Who may quote a local post (Mastodon's quote_approval_policy): public,
-- followers or nobody. A post without a row is public.
CREATE TABLE quote_policies (
	status_id BIGINT PRIMARY KEY REFERENCES statuses (id) ON DELETE CASCADE,
	policy TEXT NOT NULL
);
