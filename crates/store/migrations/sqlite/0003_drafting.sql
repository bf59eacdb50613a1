-- What the drafter says the reply commits to, its usage (tokens, latency,
-- provider) and the person's instruction when it was regenerated.
ALTER TABLE drafts ADD COLUMN commitments_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE drafts ADD COLUMN usage_json TEXT;
ALTER TABLE drafts ADD COLUMN instruction TEXT;
