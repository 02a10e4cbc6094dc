-- An edit may change a post's images. Those it removes stay, linked to the
-- post they were removed from, so that its history still shows them (as
-- Mastodon keeps them), and they cannot be attached to another post.
ALTER TABLE media_attachments ADD COLUMN removed_from_status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL;
--bun:split
-- Each earlier version's images, in order, with the descriptions they had:
-- a JSON array of {"id", "description"}; '' for versions kept before edits
-- could change images (those had the post's images).
ALTER TABLE status_edits ADD COLUMN media TEXT NOT NULL DEFAULT '';
--bun:split
-- Deleting a post looks its removed images up (to let them go).
CREATE INDEX media_attachments_removed_from ON media_attachments (removed_from_status_id) WHERE removed_from_status_id IS NOT NULL;
