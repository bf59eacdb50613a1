-- The PostgreSQL schema: the same tables and columns as the SQLite store's
-- migrations 0001-0006, so both implementations read and write the same
-- records. Flags stay BIGINT 0/1 as in SQLite; times are unix seconds.
CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
    account         TEXT NOT NULL,
    mailbox         TEXT NOT NULL,
    uid             BIGINT,
    uidvalidity     BIGINT,
    dedup_key       TEXT NOT NULL,
    message_id      TEXT,
    thread_key      TEXT NOT NULL,
    from_email      TEXT,
    from_name       TEXT,
    subject         TEXT NOT NULL,
    date            BIGINT,
    received_at     BIGINT NOT NULL,
    raw             BYTEA NOT NULL,
    category        TEXT NOT NULL,
    needs_reply     BIGINT NOT NULL,
    triage_json     TEXT NOT NULL,
    warnings_json   TEXT NOT NULL,
    answered        BIGINT NOT NULL DEFAULT 0,
    no_draft_reason TEXT,
    UNIQUE (account, dedup_key)
);
CREATE INDEX messages_message_id ON messages (account, message_id);
CREATE INDEX messages_thread ON messages (account, thread_key);
CREATE INDEX messages_from ON messages (account, from_email);
CREATE INDEX messages_uid ON messages (account, mailbox, uid);

CREATE TABLE drafts (
    id               BIGSERIAL PRIMARY KEY,
    message_row      BIGINT NOT NULL REFERENCES messages (id),
    version          BIGINT NOT NULL,
    state            TEXT NOT NULL,
    body             TEXT NOT NULL,
    original_body    TEXT NOT NULL,
    confidence       DOUBLE PRECISION NOT NULL,
    open_questions   TEXT NOT NULL,
    drafter          TEXT NOT NULL,
    model            TEXT NOT NULL,
    prompt_hash      TEXT NOT NULL,
    risk_level       TEXT NOT NULL,
    assessment_json  TEXT NOT NULL,
    route_json       TEXT NOT NULL,
    priority         BIGINT NOT NULL,
    reject_reason    TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    autonomy_key     TEXT NOT NULL DEFAULT '',
    shadow_auto_send BIGINT NOT NULL DEFAULT 0,
    commitments_json TEXT NOT NULL DEFAULT '[]',
    usage_json       TEXT,
    instruction      TEXT,
    snoozed_until    BIGINT
);
CREATE INDEX drafts_state ON drafts (state, priority);
CREATE INDEX drafts_message ON drafts (message_row);

CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    draft_id        BIGINT NOT NULL UNIQUE REFERENCES drafts (id),
    account         TEXT NOT NULL,
    rfc_message_id  TEXT NOT NULL UNIQUE,
    raw             BYTEA NOT NULL,
    envelope_from   TEXT NOT NULL,
    recipients_json TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    not_before      BIGINT NOT NULL,
    last_error      TEXT,
    original_row    BIGINT NOT NULL REFERENCES messages (id),
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    claimed_at      BIGINT,
    claimed_by      TEXT
);
CREATE INDEX outbox_due ON outbox (state, not_before);

CREATE TABLE audit (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    message_row BIGINT,
    draft_id    BIGINT,
    reason      TEXT NOT NULL
);
CREATE INDEX audit_message ON audit (message_row);
CREATE INDEX audit_draft ON audit (draft_id);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE sync_state (
    account     TEXT NOT NULL,
    mailbox     TEXT NOT NULL,
    uidvalidity BIGINT NOT NULL,
    last_uid    BIGINT NOT NULL,
    PRIMARY KEY (account, mailbox)
);

CREATE TABLE autonomy (
    account    TEXT NOT NULL,
    key        TEXT NOT NULL,
    state      TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (account, key)
);

CREATE TABLE review_outcomes (
    id               BIGSERIAL PRIMARY KEY,
    account          TEXT NOT NULL,
    key              TEXT NOT NULL,
    draft_id         BIGINT NOT NULL UNIQUE REFERENCES drafts (id),
    verdict          TEXT NOT NULL,
    change_ratio     DOUBLE PRECISION NOT NULL,
    high_risk        BIGINT NOT NULL,
    shadow_auto_send BIGINT NOT NULL,
    at               BIGINT NOT NULL
);
CREATE INDEX review_outcomes_key ON review_outcomes (account, key, id);

CREATE TABLE account_pause (
    account    TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    paused_at  BIGINT NOT NULL
);

CREATE TABLE mailbox_modseq (
    account TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    modseq  BIGINT NOT NULL,
    PRIMARY KEY (account, mailbox)
);
