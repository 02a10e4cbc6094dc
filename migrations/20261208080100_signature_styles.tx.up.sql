-- Which HTTP signature style each remote domain accepts: 'rfc9421' (HTTP
-- Message Signatures) or 'cavage' (draft-cavage-http-signatures), learned
-- by trying RFC 9421 first and falling back on a 401 or 400. A domain
-- without a row is tried with RFC 9421.
CREATE TABLE signature_styles (
	domain TEXT PRIMARY KEY,
	style TEXT NOT NULL,
	updated_at {{.Timestamp}} NOT NULL
);
