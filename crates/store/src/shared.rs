//! What the SQLite and PostgreSQL stores share: the records' JSON helpers and
//! every query both databases run alike, written once.
//!
//! The queries use `$1`-style placeholders, which both drivers bind by number,
//! and SQL both dialects accept (`CAST(x AS BIGINT)`, `RETURNING`). The few
//! places the dialects part are the arguments of `store_impl!`; what only one
//! database does (checking its storage) is written in its own module and
//! handed in as `specific`.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Result, StoreError};

pub(crate) fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("records serialize")
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A guarded update changed the one row it names; otherwise that row was not
/// in the state the update expected (another process got there first).
pub(crate) fn changed_one(rows_affected: u64, conflict: impl FnOnce() -> String) -> Result<()> {
    if rows_affected == 1 { Ok(()) } else { Err(StoreError::Conflict(conflict())) }
}

/// The `Store` implementation for one database, in a module `common` of the
/// calling module (paths to the caller's own items start with `super::`). The
/// store type must have a `pool` field; `announce(conn, event)` tells other
/// processes of a change as the transaction commits (a no-op where nobody
/// listens).
macro_rules! store_impl {
    (
        store: $Store:ident,
        connection: $Conn:ty,
        row: $Row:ty,
        announce: $announce:path,
        // Appended to the subqueries that pick the next reply to send, the next
        // account to sync and the next message to draft.
        lock_claimed: $skip_locked:literal,
        // The function giving the position of a string in another, 0 when absent.
        position: $position:literal,
        // "is one of the accounts bound as $1", and how the list is bound.
        in_accounts: $in_accounts:literal,
        account_list: $account_list:path,
        specific: { $($specific:tt)* }
    ) => {
        /// The queries both databases run alike (see `shared`).
        mod common {
            use autoemail_core::audit::AuditEvent;
            use autoemail_core::review::DraftState;
            use sqlx::Row;

            use crate::model::*;
            use crate::shared::{changed_one, from_json, json, now};
            use crate::{ByAccount, Result, StoreError};

            /// Records why, and commits the change with its reason in one transaction.
            async fn commit_audited(mut tx: sqlx::Transaction<'_, <$Conn as sqlx::Connection>::Database>, audit: &AuditEvent) -> Result<()> {
                insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            fn autonomy_record(r: &$Row) -> Result<AutonomyRecord> {
                let state: String = r.try_get("state")?;
                Ok(AutonomyRecord {
                    key: r.try_get("key")?,
                    state: autoemail_core::autonomy::State::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("autonomy state {state:?}")))?,
                    changed_at: r.try_get("changed_at")?,
                    reason: r.try_get("reason")?,
                })
            }

            fn stored_outcome(r: &$Row) -> Result<StoredOutcome> {
                let verdict: String = r.try_get("verdict")?;
                Ok(StoredOutcome {
                    key: r.try_get("key")?,
                    outcome: autoemail_core::autonomy::Outcome {
                        draft_id: r.try_get("draft_id")?,
                        verdict: autoemail_core::autonomy::Verdict::parse(&verdict).ok_or_else(|| StoreError::Corrupt(format!("verdict {verdict:?}")))?,
                        change: r.try_get("change_ratio")?,
                        high_risk: r.try_get::<i64, _>("high_risk")? != 0,
                    },
                    shadow_auto_send: r.try_get::<i64, _>("shadow_auto_send")? != 0,
                    at: r.try_get("at")?,
                })
            }

            impl super::$Store {
                /// The row `sql` selects by `$1 = id`, or NotFound naming `what`.
                async fn row_by_id(&self, sql: &'static str, id: i64, what: &str) -> Result<$Row> {
                    sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?.ok_or_else(|| StoreError::NotFound(format!("{what} {id}")))
                }
            }

            async fn insert_audit(conn: &mut $Conn, ev: &AuditEvent) -> Result<()> {
                sqlx::query("INSERT INTO audit (at, actor, action, message_row, draft_id, reason) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(now())
                    .bind(ev.actor.label())
                    .bind(&ev.action)
                    .bind(ev.message_id)
                    .bind(ev.draft_id)
                    .bind(&ev.reason)
                    .execute(conn)
                    .await?;
                Ok(())
            }

            /// Insert a message and its audit entries inside the caller's transaction.
            async fn insert_message_tx(conn: &mut $Conn, new: &NewMessage<'_>, audits: Vec<AuditEvent>) -> Result<Inserted> {
                let msg = new.parsed;
                let dedup = msg.dedup_key();
                let result = sqlx::query(
                    "INSERT INTO messages (account, mailbox, uid, uidvalidity, dedup_key, message_id, thread_key, from_email, from_name, subject, date, received_at, raw, category, needs_reply, triage_json, warnings_json)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                     ON CONFLICT (account, dedup_key) DO NOTHING RETURNING id",
                )
                .bind(new.account)
                .bind(new.mailbox)
                .bind(new.uid.map(i64::from))
                .bind(new.uidvalidity.map(i64::from))
                .bind(&dedup)
                .bind(&msg.message_id)
                .bind(new.thread_key)
                .bind(msg.from.as_ref().map(|f| f.email.clone()))
                .bind(msg.from.as_ref().and_then(|f| f.name.clone()))
                .bind(&msg.subject)
                .bind(msg.date)
                .bind(now())
                .bind(new.raw)
                .bind(new.triage.category.as_str())
                .bind(i64::from(new.triage.needs_reply))
                .bind(json(new.triage))
                .bind(json(&msg.warnings))
                .fetch_optional(&mut *conn)
                .await?;
                if let Some(row) = result {
                    let id: i64 = row.try_get("id")?;
                    for mut ev in audits {
                        ev.message_id = Some(id);
                        insert_audit(conn, &ev).await?;
                    }
                    $announce(conn, &format!("message:{}", new.account)).await?;
                    return Ok(Inserted::New(id));
                }
                let id: i64 = sqlx::query("SELECT id FROM messages WHERE account = $1 AND dedup_key = $2")
                    .bind(new.account)
                    .bind(&dedup)
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get("id")?;
                // A message seen again under a new UID (moved, or a UIDVALIDITY reset) keeps one row.
                if let Some(uid) = new.uid {
                    sqlx::query("UPDATE messages SET mailbox = $1, uid = $2, uidvalidity = $3 WHERE id = $4")
                        .bind(new.mailbox)
                        .bind(i64::from(uid))
                        .bind(new.uidvalidity.map(i64::from))
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(Inserted::Duplicate(id))
            }

            /// Insert a draft and its audit entries inside the caller's transaction;
            /// `first_only`: store nothing (None) when the message has a draft already.
            async fn insert_draft_tx(conn: &mut $Conn, new: NewDraft, audits: Vec<AuditEvent>, first_only: bool) -> Result<Option<i64>> {
                // Take the message's row first: two workers drafting it are serialized here.
                sqlx::query("UPDATE messages SET draft_holder = draft_holder WHERE id = $1").bind(new.message_row).execute(&mut *conn).await?;
                if first_only {
                    let exists = sqlx::query("SELECT 1 FROM drafts WHERE message_row = $1 LIMIT 1").bind(new.message_row).fetch_optional(&mut *conn).await?.is_some();
                    if exists {
                        return Ok(None);
                    }
                }
                let version: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 AS v FROM drafts WHERE message_row = $1")
                    .bind(new.message_row)
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get("v")?;
                // A newer draft supersedes any pending one for the same message.
                sqlx::query("UPDATE drafts SET state = 'obsolete', updated_at = $1 WHERE message_row = $2 AND state = 'pending'")
                    .bind(now())
                    .bind(new.message_row)
                    .execute(&mut *conn)
                    .await?;
                let priority = match &new.route {
                    autoemail_core::policy::Route::Review { priority, .. } => i64::from(*priority),
                    _ => 0,
                };
                let t = now();
                let id = sqlx::query(
                    "INSERT INTO drafts (message_row, version, state, body, original_body, confidence, open_questions, drafter, model, prompt_hash, risk_level, assessment_json, route_json, priority, created_at, updated_at, autonomy_key, shadow_auto_send, commitments_json, usage_json, instruction)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id",
                )
                .bind(new.message_row)
                .bind(version)
                .bind(new.state.as_str())
                .bind(&new.draft.body)
                .bind(&new.draft.body)
                .bind(f64::from(new.draft.confidence))
                .bind(json(&new.draft.open_questions))
                .bind(&new.draft.drafter)
                .bind(&new.draft.model)
                .bind(&new.draft.prompt_hash)
                .bind(new.assessment.level.as_str())
                .bind(json(&new.assessment))
                .bind(json(&new.route))
                .bind(priority)
                .bind(t)
                .bind(t)
                .bind(&new.autonomy_key)
                .bind(i64::from(new.shadow_auto_send))
                .bind(json(&new.draft.commitments))
                .bind(new.draft.usage.as_ref().map(json))
                .bind(&new.instruction)
                .fetch_one(&mut *conn)
                .await?
                .try_get("id")?;
                for mut ev in audits {
                    ev.draft_id = Some(id);
                    insert_audit(conn, &ev).await?;
                }
                $announce(conn, "draft").await?;
                Ok(Some(id))
            }

            fn message_from_row(row: &$Row) -> Result<StoredMessage> {
                Ok(StoredMessage {
                    id: row.try_get("id")?,
                    account: row.try_get("account")?,
                    mailbox: row.try_get("mailbox")?,
                    uid: row.try_get::<Option<i64>, _>("uid")?.map(|u| u as u32),
                    message_id: row.try_get("message_id")?,
                    thread_key: row.try_get("thread_key")?,
                    from_email: row.try_get("from_email")?,
                    from_name: row.try_get("from_name")?,
                    subject: row.try_get("subject")?,
                    date: row.try_get("date")?,
                    received_at: row.try_get("received_at")?,
                    raw: row.try_get("raw")?,
                    category: row.try_get("category")?,
                    needs_reply: row.try_get::<i64, _>("needs_reply")? != 0,
                    triage: from_json(&row.try_get::<String, _>("triage_json")?, "triage")?,
                    answered: row.try_get::<i64, _>("answered")? != 0,
                })
            }

            fn draft_from_row(row: &$Row) -> Result<StoredDraft> {
                let state: String = row.try_get("state")?;
                Ok(StoredDraft {
                    id: row.try_get("id")?,
                    message_row: row.try_get("message_row")?,
                    version: row.try_get("version")?,
                    state: DraftState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("draft state {state:?}")))?,
                    body: row.try_get("body")?,
                    original_body: row.try_get("original_body")?,
                    confidence: row.try_get::<f64, _>("confidence")? as f32,
                    open_questions: from_json(&row.try_get::<String, _>("open_questions")?, "open questions")?,
                    drafter: row.try_get("drafter")?,
                    model: row.try_get("model")?,
                    prompt_hash: row.try_get("prompt_hash")?,
                    assessment: from_json(&row.try_get::<String, _>("assessment_json")?, "assessment")?,
                    route: from_json(&row.try_get::<String, _>("route_json")?, "route")?,
                    priority: row.try_get::<i64, _>("priority")?.clamp(0, 255) as u8,
                    reject_reason: row.try_get("reject_reason")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                    autonomy_key: row.try_get("autonomy_key")?,
                    shadow_auto_send: row.try_get::<i64, _>("shadow_auto_send")? != 0,
                    commitments: from_json(&row.try_get::<String, _>("commitments_json")?, "commitments")?,
                    usage: match row.try_get::<Option<String>, _>("usage_json")? {
                        Some(u) => Some(from_json(&u, "usage")?),
                        None => None,
                    },
                    instruction: row.try_get("instruction")?,
                    snoozed_until: row.try_get("snoozed_until")?,
                })
            }

            /// A `queue_entries` row: the draft's columns and its message's.
            fn queue_entry_from_row(row: &$Row) -> Result<QueueEntry> {
                let state: String = row.try_get("state")?;
                let level: String = row.try_get("risk_level")?;
                let route: autoemail_core::policy::Route = from_json(&row.try_get::<String, _>("route_json")?, "route")?;
                Ok(QueueEntry {
                    draft_id: row.try_get("id")?,
                    message_row: row.try_get("message_row")?,
                    state: DraftState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("draft state {state:?}")))?,
                    body: row.try_get("body")?,
                    level: autoemail_core::risk::RiskLevel::parse(&level).ok_or_else(|| StoreError::Corrupt(format!("risk level {level:?}")))?,
                    reasons: route_reasons(&route),
                    priority: row.try_get::<i64, _>("priority")?.clamp(0, 255) as u8,
                    autonomy_key: row.try_get("autonomy_key")?,
                    snoozed_until: row.try_get("snoozed_until")?,
                    account: row.try_get("account")?,
                    from_email: row.try_get("from_email")?,
                    from_name: row.try_get("from_name")?,
                    subject: row.try_get("subject")?,
                    date: row.try_get("date")?,
                    received_at: row.try_get("received_at")?,
                })
            }

            fn outbox_from_row(row: &$Row) -> Result<OutboxItem> {
                let state: String = row.try_get("state")?;
                Ok(OutboxItem {
                    id: row.try_get("id")?,
                    draft_id: row.try_get("draft_id")?,
                    account: row.try_get("account")?,
                    rfc_message_id: row.try_get("rfc_message_id")?,
                    raw: row.try_get("raw")?,
                    envelope_from: row.try_get("envelope_from")?,
                    recipients: from_json(&row.try_get::<String, _>("recipients_json")?, "recipients")?,
                    state: OutboxState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("outbox state {state:?}")))?,
                    attempts: row.try_get("attempts")?,
                    not_before: row.try_get("not_before")?,
                    last_error: row.try_get("last_error")?,
                    original_row: row.try_get("original_row")?,
                    created_at: row.try_get("created_at")?,
                    sent_at: row.try_get("sent_at")?,
                    claimed_at: row.try_get("claimed_at")?,
                    claimed_by: row.try_get("claimed_by")?,
                })
            }

            #[async_trait::async_trait]
            impl crate::Store for super::$Store {
                async fn insert_message_audited(&self, new: NewMessage<'_>, audits: Vec<AuditEvent>) -> Result<Inserted> {
                    let mut tx = self.pool.begin().await?;
                    let inserted = insert_message_tx(&mut tx, &new, audits).await?;
                    tx.commit().await?;
                    Ok(inserted)
                }

                async fn insert_messages_audited(&self, batch: Vec<(NewMessage<'_>, Vec<AuditEvent>)>) -> Result<Vec<Inserted>> {
                    let mut tx = self.pool.begin().await?;
                    let mut out = Vec::with_capacity(batch.len());
                    for (new, audits) in batch {
                        out.push(insert_message_tx(&mut tx, &new, audits).await?);
                    }
                    tx.commit().await?;
                    Ok(out)
                }

                async fn message(&self, id: i64) -> Result<StoredMessage> {
                    let row = self.row_by_id("SELECT * FROM messages WHERE id = $1", id, "message").await?;
                    message_from_row(&row)
                }

                async fn thread_key_of(&self, account: &str, message_ids: &[&str]) -> Result<Option<String>> {
                    for id in message_ids {
                        let row = sqlx::query("SELECT thread_key FROM messages WHERE account = $1 AND message_id = $2 LIMIT 1")
                            .bind(account)
                            .bind(*id)
                            .fetch_optional(&self.pool)
                            .await?;
                        if let Some(row) = row {
                            return Ok(Some(row.try_get("thread_key")?));
                        }
                    }
                    Ok(None)
                }

                async fn thread_tail(&self, account: &str, thread_key: &str, except: i64, limit: usize) -> Result<(Vec<StoredMessage>, usize)> {
                    let rows = sqlx::query(
                        "SELECT * FROM (SELECT * FROM messages WHERE account = $1 AND thread_key = $2 AND id <> $3
                                        ORDER BY COALESCE(date, received_at) DESC, id DESC LIMIT $4) AS tail
                         ORDER BY COALESCE(date, received_at), id",
                    )
                    .bind(account)
                    .bind(thread_key)
                    .bind(except)
                    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                    .fetch_all(&self.pool)
                    .await?;
                    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE account = $1 AND thread_key = $2 AND id <> $3")
                        .bind(account)
                        .bind(thread_key)
                        .bind(except)
                        .fetch_one(&self.pool)
                        .await?;
                    Ok((rows.iter().map(message_from_row).collect::<Result<_>>()?, usize::try_from(total).unwrap_or(0)))
                }

                async fn known_correspondent(&self, account: &str, email: &str, before_row: i64) -> Result<bool> {
                    let wrote = sqlx::query("SELECT 1 FROM messages WHERE account = $1 AND from_email = $2 AND id < $3 LIMIT 1")
                        .bind(account)
                        .bind(email)
                        .bind(before_row)
                        .fetch_optional(&self.pool)
                        .await?
                        .is_some();
                    if wrote {
                        return Ok(true);
                    }
                    let pattern = format!("%\"{}\"%", email.replace('%', "").replace('_', "\\_"));
                    let written_to = sqlx::query("SELECT 1 FROM outbox WHERE account = $1 AND state IN ('sent', 'filed') AND recipients_json LIKE $2 ESCAPE '\\' LIMIT 1")
                        .bind(account)
                        .bind(pattern)
                        .fetch_optional(&self.pool)
                        .await?
                        .is_some();
                    Ok(written_to)
                }

                async fn mark_answered(&self, message_row: i64) -> Result<()> {
                    sqlx::query("UPDATE messages SET answered = 1 WHERE id = $1").bind(message_row).execute(&self.pool).await?;
                    Ok(())
                }

                async fn message_by_uid(&self, account: &str, mailbox: &str, uid: u32) -> Result<Option<StoredMessage>> {
                    let row = sqlx::query("SELECT * FROM messages WHERE account = $1 AND mailbox = $2 AND uid = $3")
                        .bind(account)
                        .bind(mailbox)
                        .bind(i64::from(uid))
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(message_from_row).transpose()
                }

                async fn messages_needing_draft(&self, account: &str) -> Result<Vec<i64>> {
                    let rows = sqlx::query("SELECT m.id FROM messages m WHERE m.account = $1 AND m.needs_reply = 1 AND m.answered = 0 AND m.no_draft_reason IS NULL AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.message_row = m.id) ORDER BY m.id")
                        .bind(account)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
                }

                async fn message_stats(&self, account: Option<&str>) -> Result<MessageStats> {
                    let totals = sqlx::query("SELECT COUNT(*) AS n, CAST(COALESCE(SUM(needs_reply), 0) AS BIGINT) AS r FROM messages WHERE $1 IS NULL OR account = $1")
                        .bind(account)
                        .fetch_one(&self.pool)
                        .await?;
                    let cats = sqlx::query("SELECT category, COUNT(*) AS n FROM messages WHERE $1 IS NULL OR account = $1 GROUP BY category ORDER BY n DESC")
                        .bind(account)
                        .fetch_all(&self.pool)
                        .await?;
                    let states = sqlx::query(
                        "SELECT d.state, COUNT(*) AS n FROM drafts d JOIN messages m ON m.id = d.message_row WHERE $1 IS NULL OR m.account = $1 GROUP BY d.state ORDER BY n DESC",
                    )
                    .bind(account)
                    .fetch_all(&self.pool)
                    .await?;
                    let pairs = |rows: &[$Row], col: &str| -> Result<Vec<(String, i64)>> { rows.iter().map(|r| Ok((r.try_get(col)?, r.try_get("n")?))).collect() };
                    Ok(MessageStats {
                        messages: totals.try_get("n")?,
                        needs_reply: totals.try_get("r")?,
                        by_category: pairs(&cats, "category")?,
                        drafts_by_state: pairs(&states, "state")?,
                    })
                }

                async fn insert_draft_audited(&self, new: NewDraft, audits: Vec<AuditEvent>) -> Result<i64> {
                    let mut tx = self.pool.begin().await?;
                    let id = insert_draft_tx(&mut tx, new, audits, false).await?.ok_or_else(|| StoreError::Conflict("draft not stored".into()))?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn insert_first_drafts_audited(&self, batch: Vec<(NewDraft, Vec<AuditEvent>)>) -> Result<Vec<Option<i64>>> {
                    // One lock order for every writer: message rows ascending.
                    let mut order: Vec<(usize, (NewDraft, Vec<AuditEvent>))> = batch.into_iter().enumerate().collect();
                    order.sort_by_key(|(_, (new, _))| new.message_row);
                    let mut ids = vec![None; order.len()];
                    let mut tx = self.pool.begin().await?;
                    for (i, (new, audits)) in order {
                        ids[i] = insert_draft_tx(&mut tx, new, audits, true).await?;
                    }
                    tx.commit().await?;
                    Ok(ids)
                }
                async fn draft(&self, id: i64) -> Result<StoredDraft> {
                    let row = self.row_by_id("SELECT * FROM drafts WHERE id = $1", id, "draft").await?;
                    draft_from_row(&row)
                }

                async fn drafts_for_message(&self, message_row: i64) -> Result<Vec<StoredDraft>> {
                    let rows = sqlx::query("SELECT * FROM drafts WHERE message_row = $1 ORDER BY version").bind(message_row).fetch_all(&self.pool).await?;
                    rows.iter().map(draft_from_row).collect()
                }

                async fn queue(&self, account: Option<&str>) -> Result<Vec<QueueItem>> {
                    let rows = sqlx::query(
                        "SELECT d.*, m.account AS m_account, m.from_email AS m_from_email, m.from_name AS m_from_name, m.subject AS m_subject, m.date AS m_date, m.received_at AS m_received_at
                         FROM drafts d JOIN messages m ON m.id = d.message_row
                         WHERE d.state IN ('pending', 'failed') AND (CAST($1 AS TEXT) IS NULL OR m.account = $1)",
                    )
                    .bind(account)
                    .fetch_all(&self.pool)
                    .await?;
                    let mut items = rows
                        .iter()
                        .map(|row| {
                            Ok(QueueItem {
                                draft: draft_from_row(row)?,
                                account: row.try_get("m_account")?,
                                from_email: row.try_get("m_from_email")?,
                                from_name: row.try_get("m_from_name")?,
                                subject: row.try_get("m_subject")?,
                                date: row.try_get("m_date")?,
                                received_at: row.try_get("m_received_at")?,
                            })
                        })
                        .collect::<Result<Vec<QueueItem>>>()?;
                    // Sorted here, not by the database: its sorter would carry every wide row.
                    sort_queue(&mut items);
                    Ok(items)
                }

                async fn queue_entries(&self, account: Option<&str>) -> Result<Vec<QueueEntry>> {
                    // Only what the list shows: not the drafts' signals, versions or usage.
                    let rows = sqlx::query(
                        "SELECT d.id, d.message_row, d.state, d.body, d.risk_level, d.route_json, d.priority, d.autonomy_key, d.snoozed_until,
                                m.account, m.from_email, m.from_name, m.subject, m.date, m.received_at
                         FROM drafts d JOIN messages m ON m.id = d.message_row
                         WHERE d.state IN ('pending', 'failed') AND (CAST($1 AS TEXT) IS NULL OR m.account = $1)",
                    )
                    .bind(account)
                    .fetch_all(&self.pool)
                    .await?;
                    let mut entries = rows.iter().map(queue_entry_from_row).collect::<Result<Vec<QueueEntry>>>()?;
                    sort_queue_entries(&mut entries);
                    Ok(entries)
                }

                async fn approve(&self, draft_id: i64, body: &str, outbox: NewOutboxEntry, audit: AuditEvent) -> Result<i64> {
                    let mut tx = self.pool.begin().await?;
                    let t = now();
                    let updated = sqlx::query("UPDATE drafts SET state = 'approved', body = $1, updated_at = $2 WHERE id = $3 AND state = 'pending'")
                        .bind(body)
                        .bind(t)
                        .bind(draft_id)
                        .execute(&mut *tx)
                        .await?;
                    changed_one(updated.rows_affected(), || format!("draft {draft_id} is no longer pending"))?;
                    // An undone approval leaves a cancelled row behind; approving again replaces it.
                    sqlx::query("DELETE FROM outbox WHERE draft_id = $1 AND state = 'cancelled'").bind(draft_id).execute(&mut *tx).await?;
                    let id = sqlx::query(
                        "INSERT INTO outbox (draft_id, account, rfc_message_id, raw, envelope_from, recipients_json, state, not_before, original_row, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9) RETURNING id",
                    )
                    .bind(draft_id)
                    .bind(&outbox.account)
                    .bind(&outbox.rfc_message_id)
                    .bind(&outbox.raw)
                    .bind(&outbox.envelope_from)
                    .bind(json(&outbox.recipients))
                    .bind(outbox.not_before)
                    .bind(outbox.original_row)
                    .bind(t)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                    insert_audit(&mut tx, &audit).await?;
                    $announce(&mut tx, &format!("approved:{}", outbox.account)).await?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn transition(&self, draft_id: i64, from: DraftState, to: DraftState, reject_reason: Option<&str>, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    let updated = sqlx::query("UPDATE drafts SET state = $1, reject_reason = COALESCE($2, reject_reason), updated_at = $3 WHERE id = $4 AND state = $5")
                        .bind(to.as_str())
                        .bind(reject_reason)
                        .bind(now())
                        .bind(draft_id)
                        .bind(from.as_str())
                        .execute(&mut *tx)
                        .await?;
                    changed_one(updated.rows_affected(), || format!("draft {draft_id} is not {}", from.as_str()))?;
                    commit_audited(tx, &audit).await
                }

                async fn claim_due(&self, account: &str, now_ts: i64, claimer: &str) -> Result<Option<OutboxItem>> {
                    // The guard `state = 'queued'` makes the claim safe on its own; with
                    // row locks (PostgreSQL) several senders each take a different reply.
                    let row = sqlx::query(concat!(
                        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_at = $2, claimed_by = $3
                         WHERE id = (SELECT id FROM outbox WHERE account = $1 AND state = 'queued' AND not_before <= $2 ORDER BY not_before, id LIMIT 1",
                        $skip_locked,
                        ")
                         AND state = 'queued'
                         RETURNING *"
                    ))
                    .bind(account)
                    .bind(now_ts)
                    .bind(claimer)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.as_ref().map(outbox_from_row).transpose()
                }

                async fn outbox_item(&self, id: i64) -> Result<OutboxItem> {
                    let row = self.row_by_id("SELECT * FROM outbox WHERE id = $1", id, "outbox item").await?;
                    outbox_from_row(&row)
                }

                async fn outbox_by_state(&self, state: OutboxState) -> Result<Vec<OutboxItem>> {
                    let rows = sqlx::query("SELECT * FROM outbox WHERE state = $1 ORDER BY id").bind(state.as_str()).fetch_all(&self.pool).await?;
                    rows.iter().map(outbox_from_row).collect()
                }

                async fn account_outbox_by_state(&self, account: &str, state: OutboxState) -> Result<Vec<OutboxItem>> {
                    let rows = sqlx::query("SELECT * FROM outbox WHERE account = $1 AND state = $2 ORDER BY id")
                        .bind(account)
                        .bind(state.as_str())
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(outbox_from_row).collect()
                }

                async fn accounts_with_outbox_work(&self, accounts: &[String], now_ts: i64) -> Result<Vec<String>> {
                    let rows = sqlx::query(concat!(
                        "SELECT DISTINCT account FROM outbox WHERE account ",
                        $in_accounts,
                        " AND (state IN ('sending', 'sent') OR (state = 'queued' AND not_before <= $2)) ORDER BY account"
                    ))
                    .bind($account_list(accounts))
                    .bind(now_ts)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(|r| Ok(r.try_get("account")?)).collect()
                }

                async fn mark_sent(&self, outbox_id: i64, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    let row = sqlx::query("UPDATE outbox SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2 AND state = 'sending' RETURNING draft_id")
                        .bind(now())
                        .bind(outbox_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::Conflict(format!("outbox item {outbox_id} is not being sent")))?;
                    let draft_id: i64 = row.try_get("draft_id")?;
                    sqlx::query("UPDATE drafts SET state = 'sent', updated_at = $1 WHERE id = $2").bind(now()).bind(draft_id).execute(&mut *tx).await?;
                    commit_audited(tx, &audit).await
                }

                async fn mark_filed(&self, outbox_id: i64, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    let row = sqlx::query("UPDATE outbox SET state = 'filed' WHERE id = $1 AND state = 'sent' RETURNING original_row")
                        .bind(outbox_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::Conflict(format!("outbox item {outbox_id} is not sent")))?;
                    let original: i64 = row.try_get("original_row")?;
                    sqlx::query("UPDATE messages SET answered = 1 WHERE id = $1").bind(original).execute(&mut *tx).await?;
                    commit_audited(tx, &audit).await
                }

                async fn mark_retry(&self, outbox_id: i64, error: &str, not_before: i64, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    let updated = sqlx::query("UPDATE outbox SET state = 'queued', last_error = $1, not_before = $2 WHERE id = $3 AND state = 'sending'")
                        .bind(error)
                        .bind(not_before)
                        .bind(outbox_id)
                        .execute(&mut *tx)
                        .await?;
                    changed_one(updated.rows_affected(), || format!("outbox item {outbox_id} is not being sent"))?;
                    commit_audited(tx, &audit).await
                }

                async fn requeue_sending(&self, outbox_id: i64, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    let updated = sqlx::query("UPDATE outbox SET state = 'queued', not_before = $1, claimed_by = NULL WHERE id = $2 AND state = 'sending'")
                        .bind(now())
                        .bind(outbox_id)
                        .execute(&mut *tx)
                        .await?;
                    changed_one(updated.rows_affected(), || format!("outbox item {outbox_id} is not being sent"))?;
                    commit_audited(tx, &audit).await
                }

                async fn set_paused(&self, account: &str, reason: Option<&str>, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    match reason {
                        Some(r) => {
                            sqlx::query("INSERT INTO account_pause (account, reason, paused_at) VALUES ($1, $2, $3) ON CONFLICT (account) DO UPDATE SET reason = excluded.reason, paused_at = excluded.paused_at")
                                .bind(account)
                                .bind(r)
                                .bind(now())
                                .execute(&mut *tx)
                                .await?;
                        }
                        None => {
                            sqlx::query("DELETE FROM account_pause WHERE account = $1").bind(account).execute(&mut *tx).await?;
                        }
                    }
                    commit_audited(tx, &audit).await
                }

                async fn sent_since(&self, account: &str, since: i64) -> Result<i64> {
                    let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE account = $1 AND state IN ('sent', 'filed') AND sent_at >= $2")
                        .bind(account)
                        .bind(since)
                        .fetch_one(&self.pool)
                        .await?;
                    Ok(row.try_get("n")?)
                }

                async fn paused(&self, account: &str) -> Result<Option<(String, i64)>> {
                    let row = sqlx::query("SELECT reason, paused_at FROM account_pause WHERE account = $1").bind(account).fetch_optional(&self.pool).await?;
                    row.map(|r| Ok((r.try_get("reason")?, r.try_get("paused_at")?))).transpose()
                }

                async fn paused_of(&self, accounts: &[String]) -> Result<std::collections::HashMap<String, (String, i64)>> {
                    let rows = sqlx::query(concat!("SELECT account, reason, paused_at FROM account_pause WHERE account ", $in_accounts))
                        .bind($account_list(accounts))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(|r| Ok((r.try_get("account")?, (r.try_get("reason")?, r.try_get("paused_at")?)))).collect()
                }

                async fn mark_failed(&self, outbox_id: i64, error: &str, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    let row = sqlx::query("UPDATE outbox SET state = 'failed', last_error = $1 WHERE id = $2 AND state = 'sending' RETURNING draft_id")
                        .bind(error)
                        .bind(outbox_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::Conflict(format!("outbox item {outbox_id} is not being sent")))?;
                    let draft_id: i64 = row.try_get("draft_id")?;
                    sqlx::query("UPDATE drafts SET state = 'failed', reject_reason = $1, updated_at = $2 WHERE id = $3")
                        .bind(format!("sending failed: {error}"))
                        .bind(now())
                        .bind(draft_id)
                        .execute(&mut *tx)
                        .await?;
                    commit_audited(tx, &audit).await
                }

                async fn cancel_queued(&self, draft_id: i64, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    let updated = sqlx::query("UPDATE outbox SET state = 'cancelled' WHERE draft_id = $1 AND state = 'queued'").bind(draft_id).execute(&mut *tx).await?;
                    changed_one(updated.rows_affected(), || format!("the reply of draft {draft_id} is already being sent or was not approved"))?;
                    sqlx::query("UPDATE drafts SET state = 'pending', updated_at = $1 WHERE id = $2 AND state = 'approved'")
                        .bind(now())
                        .bind(draft_id)
                        .execute(&mut *tx)
                        .await?;
                    commit_audited(tx, &audit).await
                }

                async fn snooze(&self, draft_id: i64, until: Option<i64>, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    let updated = sqlx::query("UPDATE drafts SET snoozed_until = $1, updated_at = $2 WHERE id = $3 AND state IN ('pending', 'failed')")
                        .bind(until)
                        .bind(now())
                        .bind(draft_id)
                        .execute(&mut *tx)
                        .await?;
                    changed_one(updated.rows_affected(), || format!("draft {draft_id} is not waiting for review"))?;
                    commit_audited(tx, &audit).await
                }

                async fn answered_counts_of(
                    &self,
                    accounts: &[String],
                ) -> Result<std::collections::HashMap<String, std::collections::HashMap<String, i64>>> {
                    let rows = sqlx::query(concat!(
                        "SELECT account, lower(from_email) AS e, COUNT(*) AS n FROM messages WHERE account ",
                        $in_accounts,
                        " AND answered = 1 AND from_email IS NOT NULL GROUP BY account, lower(from_email)"
                    ))
                    .bind($account_list(accounts))
                    .fetch_all(&self.pool)
                    .await?;
                    let mut out: std::collections::HashMap<String, std::collections::HashMap<String, i64>> = std::collections::HashMap::new();
                    for r in &rows {
                        out.entry(r.try_get("account")?).or_default().insert(r.try_get("e")?, r.try_get("n")?);
                    }
                    Ok(out)
                }

                async fn draft_facts_of(&self, accounts: &[String], since: i64) -> Result<ByAccount<DraftFacts>> {
                    let rows = sqlx::query(concat!(
                        "SELECT m.account, d.id, d.created_at, d.state, d.usage_json, d.body, m.received_at, o.state AS outbox_state,
                                CAST(CASE WHEN EXISTS (SELECT 1 FROM audit a WHERE a.draft_id = d.id AND a.actor = 'system' AND a.action = 'approved') THEN 1 ELSE 0 END AS BIGINT) AS auto_approved
                         FROM drafts d JOIN messages m ON m.id = d.message_row LEFT JOIN outbox o ON o.draft_id = d.id
                         WHERE m.account ",
                        $in_accounts,
                        " AND d.created_at >= $2 ORDER BY d.id"
                    ))
                    .bind($account_list(accounts))
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?;
                    let mut out = ByAccount::new();
                    for row in &rows {
                        let state: String = row.try_get("state")?;
                        let usage: Option<autoemail_core::draft::Usage> = match row.try_get::<Option<String>, _>("usage_json")? {
                            Some(u) => Some(from_json(&u, "usage")?),
                            None => None,
                        };
                        let facts = DraftFacts {
                            id: row.try_get("id")?,
                            created_at: row.try_get("created_at")?,
                            received_at: row.try_get("received_at")?,
                            state: DraftState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("draft state {state:?}")))?,
                            latency_ms: usage.map(|u| u.latency_ms),
                            words: row.try_get::<String, _>("body")?.split_whitespace().count(),
                            auto_approved: row.try_get::<i64, _>("auto_approved")? != 0,
                            outbox_state: row.try_get::<Option<String>, _>("outbox_state")?.as_deref().and_then(OutboxState::parse),
                        };
                        out.entry(row.try_get("account")?).or_default().push(facts);
                    }
                    Ok(out)
                }

                async fn audit(&self, event: AuditEvent) -> Result<()> {
                    let mut conn = self.pool.acquire().await?;
                    insert_audit(&mut conn, &event).await
                }

                async fn audit_log(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>> {
                    let rows = sqlx::query(concat!(
                        "SELECT audit.*, (SELECT m.account FROM messages m WHERE m.id = audit.message_row) AS m_account FROM audit
                         WHERE ($1 IS NULL OR message_row = $1 OR draft_id IN (SELECT id FROM drafts WHERE message_row = $1))
                           AND ($2 IS NULL OR draft_id = $2)
                           AND ($4 IS NULL OR ",
                        $position,
                        "(lower(actor || ' ' || action || ' ' || reason), lower($4)) > 0)
                         ORDER BY id DESC LIMIT $3"
                    ))
                    .bind(filter.message_row)
                    .bind(filter.draft_id)
                    .bind(filter.limit.unwrap_or(1000))
                    .bind(filter.text.as_deref().filter(|t| !t.trim().is_empty()))
                    .fetch_all(&self.pool)
                    .await?;
                    let mut out: Vec<AuditRecord> = rows
                        .iter()
                        .map(|r| {
                            Ok(AuditRecord {
                                id: r.try_get("id")?,
                                account: r.try_get("m_account")?,
                                at: r.try_get("at")?,
                                actor: r.try_get("actor")?,
                                action: r.try_get("action")?,
                                message_row: r.try_get("message_row")?,
                                draft_id: r.try_get("draft_id")?,
                                reason: r.try_get("reason")?,
                            })
                        })
                        .collect::<Result<_>>()?;
                    out.reverse();
                    Ok(out)
                }

                async fn set_no_draft(&self, message_row: i64, reason: &str) -> Result<()> {
                    sqlx::query("UPDATE messages SET no_draft_reason = $1 WHERE id = $2").bind(reason).bind(message_row).execute(&self.pool).await?;
                    Ok(())
                }

                async fn autonomy_states(&self, account: &str) -> Result<Vec<AutonomyRecord>> {
                    let rows = sqlx::query("SELECT * FROM autonomy WHERE account = $1 ORDER BY key").bind(account).fetch_all(&self.pool).await?;
                    rows.iter().map(autonomy_record).collect()
                }

                async fn autonomy_states_of(&self, accounts: &[String]) -> Result<ByAccount<AutonomyRecord>> {
                    let rows = sqlx::query(concat!("SELECT * FROM autonomy WHERE account ", $in_accounts, " ORDER BY account, key"))
                        .bind($account_list(accounts))
                        .fetch_all(&self.pool)
                        .await?;
                    let mut out = ByAccount::new();
                    for r in &rows {
                        out.entry(r.try_get("account")?).or_default().push(autonomy_record(r)?);
                    }
                    Ok(out)
                }

                async fn set_autonomy_state(&self, account: &str, key: &str, state: autoemail_core::autonomy::State, reason: &str, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.pool.begin().await?;
                    sqlx::query(
                        "INSERT INTO autonomy (account, key, state, changed_at, reason) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (account, key) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at, reason = excluded.reason",
                    )
                    .bind(account)
                    .bind(key)
                    .bind(state.as_str())
                    .bind(now())
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?;
                    commit_audited(tx, &audit).await
                }

                async fn record_outcome(&self, account: &str, o: &StoredOutcome) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO review_outcomes (account, key, draft_id, verdict, change_ratio, high_risk, shadow_auto_send, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                         ON CONFLICT (draft_id) DO NOTHING",
                    )
                    .bind(account)
                    .bind(&o.key)
                    .bind(o.outcome.draft_id)
                    .bind(o.outcome.verdict.as_str())
                    .bind(o.outcome.change)
                    .bind(i64::from(o.outcome.high_risk))
                    .bind(i64::from(o.shadow_auto_send))
                    .bind(o.at)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn outcomes(&self, account: &str, key: Option<&str>, since: i64) -> Result<Vec<StoredOutcome>> {
                    let rows = sqlx::query("SELECT * FROM review_outcomes WHERE account = $1 AND ($2 IS NULL OR key = $3) AND at >= $4 ORDER BY id")
                        .bind(account)
                        .bind(key)
                        .bind(key)
                        .bind(since)
                        .fetch_all(&self.pool)
                        .await?;
                    rows.iter().map(stored_outcome).collect()
                }

                async fn outcomes_of(&self, accounts: &[String], since: i64) -> Result<ByAccount<StoredOutcome>> {
                    let rows = sqlx::query(concat!("SELECT * FROM review_outcomes WHERE account ", $in_accounts, " AND at >= $2 ORDER BY id"))
                        .bind($account_list(accounts))
                        .bind(since)
                        .fetch_all(&self.pool)
                        .await?;
                    let mut out = ByAccount::new();
                    for r in &rows {
                        out.entry(r.try_get("account")?).or_default().push(stored_outcome(r)?);
                    }
                    Ok(out)
                }

                async fn sent_replies(&self, account: &str, limit: i64) -> Result<Vec<SentReply>> {
                    let rows = sqlx::query(
                        "SELECT raw, original_row, t FROM (
                            SELECT raw, original_row, COALESCE(sent_at, created_at) AS t FROM outbox WHERE account = $1 AND state IN ('sent', 'filed')
                            UNION ALL
                            SELECT raw, NULL AS original_row, COALESCE(date, received_at) AS t FROM messages WHERE account = $1 AND category = 'from_self'
                         ) AS sent ORDER BY t DESC LIMIT $2",
                    )
                    .bind(account)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(|r| Ok(SentReply { raw: r.try_get("raw")?, original_row: r.try_get("original_row")? })).collect()
                }

                async fn sent_fingerprint(&self, account: &str) -> Result<(i64, i64, i64)> {
                    let row = sqlx::query(
                        "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(MAX(t), 0) AS BIGINT) AS t, CAST(COALESCE(MAX(k), 0) AS BIGINT) AS k FROM (
                            SELECT COALESCE(sent_at, created_at) AS t, id AS k FROM outbox WHERE account = $1 AND state IN ('sent', 'filed')
                            UNION ALL
                            SELECT COALESCE(date, received_at) AS t, id AS k FROM messages WHERE account = $1 AND category = 'from_self'
                         ) AS sent",
                    )
                    .bind(account)
                    .fetch_one(&self.pool)
                    .await?;
                    Ok((row.try_get("n")?, row.try_get("t")?, row.try_get("k")?))
                }

                async fn message_by_message_id(&self, account: &str, message_id: &str) -> Result<Option<StoredMessage>> {
                    let row = sqlx::query("SELECT * FROM messages WHERE account = $1 AND message_id = $2 ORDER BY id LIMIT 1")
                        .bind(account)
                        .bind(message_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.as_ref().map(message_from_row).transpose()
                }

                async fn recent_from(&self, account: &str, email: &str, other_than_thread: &str, limit: i64) -> Result<Vec<StoredMessage>> {
                    let rows = sqlx::query(
                        "SELECT * FROM messages WHERE id IN (
                             SELECT id FROM (SELECT id, thread_key FROM messages WHERE account = $1 AND from_email = $2
                                             ORDER BY COALESCE(date, received_at) DESC, id DESC LIMIT $5) AS latest
                             WHERE thread_key <> $3)
                         ORDER BY COALESCE(date, received_at) DESC, id DESC LIMIT $4",
                    )
                    .bind(account)
                    .bind(email)
                    .bind(other_than_thread)
                    .bind(limit)
                    .bind(crate::RECENT_FROM_WINDOW)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(message_from_row).collect()
                }

                async fn drafts_with_usage(&self) -> Result<Vec<StoredDraft>> {
                    let rows = sqlx::query("SELECT * FROM drafts WHERE usage_json IS NOT NULL ORDER BY id").fetch_all(&self.pool).await?;
                    rows.iter().map(draft_from_row).collect()
                }

                async fn pending_in_mailbox(&self, account: &str, mailbox: &str, limit: i64) -> Result<Vec<(i64, i64, u32)>> {
                    let rows = sqlx::query(
                        "SELECT d.id AS d, m.id AS m, m.uid AS uid FROM drafts d JOIN messages m ON m.id = d.message_row
                         WHERE m.account = $1 AND m.mailbox = $2 AND m.uid IS NOT NULL AND d.state = 'pending'
                         ORDER BY d.id DESC LIMIT $3",
                    )
                    .bind(account)
                    .bind(mailbox)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.iter().map(|r| Ok((r.try_get("d")?, r.try_get("m")?, r.try_get::<i64, _>("uid")? as u32))).collect()
                }

                async fn modseq(&self, account: &str, mailbox: &str) -> Result<Option<u64>> {
                    let row =
                        sqlx::query("SELECT modseq FROM mailbox_modseq WHERE account = $1 AND mailbox = $2").bind(account).bind(mailbox).fetch_optional(&self.pool).await?;
                    row.map(|r| Ok(r.try_get::<i64, _>("modseq")? as u64)).transpose()
                }

                async fn set_modseq(&self, account: &str, mailbox: &str, modseq: u64) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO mailbox_modseq (account, mailbox, modseq) VALUES ($1, $2, $3) ON CONFLICT (account, mailbox) DO UPDATE SET modseq = excluded.modseq",
                    )
                    .bind(account)
                    .bind(mailbox)
                    .bind(modseq as i64)
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn register_account(&self, account: &str) -> Result<()> {
                    sqlx::query("INSERT INTO account_leases (account) VALUES ($1) ON CONFLICT (account) DO NOTHING").bind(account).execute(&self.pool).await?;
                    Ok(())
                }

                async fn release_account(&self, account: &str, worker: &str, next_sync_at: i64) -> Result<()> {
                    sqlx::query("UPDATE account_leases SET holder = NULL, lease_until = 0, next_sync_at = $3, last_holder = $2 WHERE account = $1 AND holder = $2")
                        .bind(account)
                        .bind(worker)
                        .bind(next_sync_at)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn sync_state(&self, account: &str, mailbox: &str) -> Result<Option<SyncState>> {
                    let row = sqlx::query("SELECT uidvalidity, last_uid FROM sync_state WHERE account = $1 AND mailbox = $2")
                        .bind(account)
                        .bind(mailbox)
                        .fetch_optional(&self.pool)
                        .await?;
                    row.map(|r| Ok(SyncState { uidvalidity: r.try_get::<i64, _>("uidvalidity")? as u32, last_uid: r.try_get::<i64, _>("last_uid")? as u32 })).transpose()
                }

                async fn set_sync_state(&self, account: &str, mailbox: &str, state: SyncState) -> Result<()> {
                    sqlx::query("INSERT INTO sync_state (account, mailbox, uidvalidity, last_uid) VALUES ($1, $2, $3, $4) ON CONFLICT (account, mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid")
                        .bind(account)
                        .bind(mailbox)
                        .bind(i64::from(state.uidvalidity))
                        .bind(i64::from(state.last_uid))
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn claim_account(&self, accounts: &[String], worker: &str, now_ts: i64, lease_seconds: i64, grace_seconds: i64) -> Result<Option<String>> {
                    // The outer guard makes the claim safe with one writer at a time
                    // (SQLite); with row locks (PostgreSQL) workers skip each other's rows.
                    let row = sqlx::query(concat!(
                        "UPDATE account_leases SET holder = $2, lease_until = $3 + $4
                         WHERE account = (SELECT account FROM account_leases
                                          WHERE account ",
                        $in_accounts,
                        " AND next_sync_at <= $3 AND (holder IS NULL OR lease_until < $3)
                                            AND (last_holder IS NULL OR last_holder = $2 OR next_sync_at <= $3 - $5)
                                          ORDER BY next_sync_at, account LIMIT 1",
                        $skip_locked,
                        ")
                           AND (holder IS NULL OR lease_until < $3)
                         RETURNING account"
                    ))
                    .bind($account_list(accounts))
                    .bind(worker)
                    .bind(now_ts)
                    .bind(lease_seconds)
                    .bind(grace_seconds)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(|r| Ok(r.try_get("account")?)).transpose()
                }

                async fn claim_draft_job(&self, accounts: &[String], worker: &str, now_ts: i64, lease_seconds: i64) -> Result<Option<(String, i64)>> {
                    let row = sqlx::query(concat!(
                        "UPDATE messages SET draft_holder = $2, draft_lease_until = $3 + $4
                         WHERE id = (SELECT m.id FROM messages m
                                     WHERE m.account ",
                        $in_accounts,
                        " AND m.needs_reply = 1 AND m.answered = 0 AND m.no_draft_reason IS NULL
                                       AND m.draft_lease_until < $3 AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.message_row = m.id)
                                     ORDER BY m.id LIMIT 1",
                        $skip_locked,
                        ")
                           AND draft_lease_until < $3
                         RETURNING account, id"
                    ))
                    .bind($account_list(accounts))
                    .bind(worker)
                    .bind(now_ts)
                    .bind(lease_seconds)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(|r| Ok((r.try_get("account")?, r.try_get("id")?))).transpose()
                }

                $($specific)*
            }
        }
    };
}
pub(crate) use store_impl;
