-- Work shared by several processes: which worker syncs an account (a lease
-- that runs out when the worker dies), and which drafts a message.
CREATE TABLE account_leases (
    account      TEXT PRIMARY KEY,
    holder       TEXT,
    lease_until  BIGINT NOT NULL DEFAULT 0,
    next_sync_at BIGINT NOT NULL DEFAULT 0
);
ALTER TABLE messages ADD COLUMN draft_holder TEXT;
ALTER TABLE messages ADD COLUMN draft_lease_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outbox_account_due ON outbox (account, state, not_before);
CREATE INDEX messages_draft_jobs ON messages (needs_reply, answered) WHERE no_draft_reason IS NULL;
