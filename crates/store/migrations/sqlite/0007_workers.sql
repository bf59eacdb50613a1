-- Work shared by several processes: which worker syncs an account (a lease
-- that runs out when the worker dies), and which drafts a message.
CREATE TABLE account_leases (
    account      TEXT PRIMARY KEY,
    holder       TEXT,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    next_sync_at INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE messages ADD COLUMN draft_holder TEXT;
ALTER TABLE messages ADD COLUMN draft_lease_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_account_due ON outbox (account, state, not_before);
