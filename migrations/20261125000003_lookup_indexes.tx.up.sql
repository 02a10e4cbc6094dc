-- Signature checks find an account by its key on every inbox POST.
CREATE INDEX accounts_key_id ON accounts (key_id);
--bun:split
-- Replies that arrived before their parent are found when it arrives.
CREATE INDEX statuses_orphan_replies ON statuses (in_reply_to_uri) WHERE in_reply_to_id IS NULL;
--bun:split
CREATE INDEX deliveries_pending ON deliveries (activity_id, state);
