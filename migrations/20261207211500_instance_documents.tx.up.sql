-- The instance's documents as admins write them (Markdown or plain text):
-- the extended description, the privacy policy, and the terms of service,
-- which keep one row per effective date (YYYY-MM-DD) as Mastodon 4.4's do.
-- The other documents have effective_date ''.
CREATE TABLE instance_documents (
	kind TEXT NOT NULL,
	effective_date TEXT NOT NULL,
	body TEXT NOT NULL,
	updated_at {{.Timestamp}} NOT NULL,
	PRIMARY KEY (kind, effective_date)
);
