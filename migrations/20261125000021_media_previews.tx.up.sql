-- A smaller copy of an uploaded image, for timelines: its file (in the
-- media folder, "" when the original is small enough to be its own
-- preview) and size.
ALTER TABLE media_attachments ADD COLUMN preview_file_name TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE media_attachments ADD COLUMN preview_width INTEGER NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE media_attachments ADD COLUMN preview_height INTEGER NOT NULL DEFAULT 0;
