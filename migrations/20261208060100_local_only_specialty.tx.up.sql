-- A local-only post is for the signed-in accounts of this server alone:
-- it is never delivered to nor served to other servers.
ALTER TABLE statuses ADD COLUMN local_only BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- The clinician's specialty (Cardiology, Emergency medicine ...), as the
-- admin who verified them entered it; '' when none was given.
ALTER TABLE clinician_verifications ADD COLUMN specialty TEXT NOT NULL DEFAULT '';
