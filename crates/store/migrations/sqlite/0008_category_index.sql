-- The person's own replies (category 'from_self') are read for style before
-- every draft; without an index that was a scan of every stored message
-- (40 ms at 24,000 messages, and growing with the mailbox).
CREATE INDEX messages_category ON messages (account, category);
