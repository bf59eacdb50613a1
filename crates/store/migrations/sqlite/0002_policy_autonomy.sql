-- A no_draft policy rule left this message alone (the reason names the rule).
ALTER TABLE messages ADD COLUMN no_draft_reason TEXT;

-- The earned-autonomy category a draft counts towards ("intent/sender_class"),
-- and whether it would have auto-sent had the category been promoted.
ALTER TABLE drafts ADD COLUMN autonomy_key TEXT NOT NULL DEFAULT '';
ALTER TABLE drafts ADD COLUMN shadow_auto_send INTEGER NOT NULL DEFAULT 0;

CREATE TABLE autonomy (
    account    TEXT NOT NULL,
    key        TEXT NOT NULL,
    state      TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (account, key)
);

-- How the person treated each reviewed draft: the record autonomy is earned on.
CREATE TABLE review_outcomes (
    id               INTEGER PRIMARY KEY,
    account          TEXT NOT NULL,
    key              TEXT NOT NULL,
    draft_id         INTEGER NOT NULL UNIQUE REFERENCES drafts (id),
    verdict          TEXT NOT NULL,
    change_ratio     REAL NOT NULL,
    high_risk        INTEGER NOT NULL,
    shadow_auto_send INTEGER NOT NULL,
    at               INTEGER NOT NULL
);
CREATE INDEX review_outcomes_key ON review_outcomes (account, key, id);
