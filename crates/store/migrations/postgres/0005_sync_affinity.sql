-- The worker that synced an account last. It keeps the account's IMAP
-- session open, so other workers leave the account to it unless it is late.
ALTER TABLE account_leases ADD COLUMN last_holder TEXT;
