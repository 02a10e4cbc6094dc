-- When a pending delivery will be tried again, so its author can see it.
ALTER TABLE deliveries ADD COLUMN next_attempt_at {{.Timestamp}};
