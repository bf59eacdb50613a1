-- The CONDSTORE modification sequence last seen per mailbox: flag changes
-- (a reply sent from another client sets \Answered) are fetched since then.
CREATE TABLE mailbox_modseq (
    account TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    modseq  INTEGER NOT NULL,
    PRIMARY KEY (account, mailbox)
);
