-- Moving accounts: the actors an account says it also is (ActivityPub
-- alsoKnownAs, a JSON array of actor ids), and, once it moved, the actor id
-- it moved to and when.
ALTER TABLE accounts ADD COLUMN also_known_as TEXT NOT NULL DEFAULT '[]';
--bun:split
ALTER TABLE accounts ADD COLUMN moved_to_uri TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE accounts ADD COLUMN moved_at {{.Timestamp}};
