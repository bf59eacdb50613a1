-- Who claimed a reply for sending and when: a claim whose process is gone (or
-- whose lease ran out) is reconciled against the mailbox before any retry.
ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;

-- The per-account kill switch: while paused, nothing is sent.
CREATE TABLE account_pause (
    account    TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    paused_at  INTEGER NOT NULL
);
