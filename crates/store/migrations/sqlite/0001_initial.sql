-- Messages keep their raw bytes: the parsed form can always be rebuilt from them.
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    account       TEXT NOT NULL,
    mailbox       TEXT NOT NULL,
    uid           INTEGER,
    uidvalidity   INTEGER,
    dedup_key     TEXT NOT NULL,
    message_id    TEXT,
    thread_key    TEXT NOT NULL,
    from_email    TEXT,
    from_name     TEXT,
    subject       TEXT NOT NULL,
    date          INTEGER,
    received_at   INTEGER NOT NULL,
    raw           BLOB NOT NULL,
    category      TEXT NOT NULL,
    needs_reply   INTEGER NOT NULL,
    triage_json   TEXT NOT NULL,
    warnings_json TEXT NOT NULL,
    answered      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account, dedup_key)
);
CREATE INDEX messages_message_id ON messages (account, message_id);
CREATE INDEX messages_thread ON messages (account, thread_key);
CREATE INDEX messages_from ON messages (account, from_email);
CREATE INDEX messages_uid ON messages (account, mailbox, uid);

CREATE TABLE drafts (
    id              INTEGER PRIMARY KEY,
    message_row     INTEGER NOT NULL REFERENCES messages (id),
    version         INTEGER NOT NULL,
    state           TEXT NOT NULL,
    body            TEXT NOT NULL,
    original_body   TEXT NOT NULL,
    confidence      REAL NOT NULL,
    open_questions  TEXT NOT NULL,
    drafter         TEXT NOT NULL,
    model           TEXT NOT NULL,
    prompt_hash     TEXT NOT NULL,
    risk_level      TEXT NOT NULL,
    assessment_json TEXT NOT NULL,
    route_json      TEXT NOT NULL,
    priority        INTEGER NOT NULL,
    reject_reason   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX drafts_state ON drafts (state, priority);
CREATE INDEX drafts_message ON drafts (message_row);

-- One row per reply to send. The Message-ID is fixed here, before any attempt,
-- so a retry or a reconciliation after a crash can recognise the same reply.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    draft_id        INTEGER NOT NULL UNIQUE REFERENCES drafts (id),
    account         TEXT NOT NULL,
    rfc_message_id  TEXT NOT NULL UNIQUE,
    raw             BLOB NOT NULL,
    envelope_from   TEXT NOT NULL,
    recipients_json TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before      INTEGER NOT NULL,
    last_error      TEXT,
    original_row    INTEGER NOT NULL REFERENCES messages (id),
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (state, not_before);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    message_row INTEGER,
    draft_id    INTEGER,
    reason      TEXT NOT NULL
);
CREATE INDEX audit_message ON audit (message_row);
CREATE INDEX audit_draft ON audit (draft_id);

CREATE TABLE sync_state (
    account     TEXT NOT NULL,
    mailbox     TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL,
    PRIMARY KEY (account, mailbox)
);
