-- A snoozed draft stays out of the queue until this time (unix seconds).
ALTER TABLE drafts ADD COLUMN snoozed_until INTEGER;
CREATE INDEX audit_at ON audit (at);
