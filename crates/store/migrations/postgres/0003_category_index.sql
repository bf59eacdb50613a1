-- The person's own replies (category 'from_self') are read for style before
-- every draft; without an index that was a scan of every stored message.
CREATE INDEX messages_category ON messages (account, category);
