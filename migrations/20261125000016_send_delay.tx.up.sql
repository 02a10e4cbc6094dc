-- A post waiting out its send delay is seen only by its author until
-- pending_until, when a job publishes it.
ALTER TABLE statuses ADD COLUMN pending_until {{.Timestamp}};
--bun:split
-- A user's own send delay and quiet hours, as JSON (social.SendPreferences).
ALTER TABLE users ADD COLUMN send_preferences TEXT NOT NULL DEFAULT '{}';
