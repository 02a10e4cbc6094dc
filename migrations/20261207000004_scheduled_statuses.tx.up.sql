-- A post its author asked to publish later (Mastodon's scheduled
-- statuses). params holds what was written, as JSON (social.ScheduledParams),
-- until a job publishes it at scheduled_at and deletes the row. error says
-- why publishing was refused at its time (the identifier guard), '' if not.
CREATE TABLE scheduled_statuses (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheduled_at {{.Timestamp}} NOT NULL,
    params TEXT NOT NULL,
    idempotency_key TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created_at {{.Timestamp}} NOT NULL
);
--bun:split
-- The limits count an account's scheduled posts, in all and per day.
CREATE INDEX scheduled_statuses_account_at ON scheduled_statuses (account_id, scheduled_at);
--bun:split
-- Images of a scheduled post are held by it until it is published (then
-- they are the post's) or deleted (then they are free again): no other
-- post may take them meanwhile.
ALTER TABLE media_attachments ADD COLUMN scheduled_status_id BIGINT REFERENCES scheduled_statuses (id) ON DELETE SET NULL;
--bun:split
CREATE INDEX media_attachments_scheduled ON media_attachments (scheduled_status_id) WHERE scheduled_status_id IS NOT NULL;
