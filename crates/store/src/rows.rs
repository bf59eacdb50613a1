//! Rows both databases return alike, decoded once for both.

use autoemail_core::policy::Route;
use autoemail_core::review::DraftState;
use autoemail_core::risk::RiskLevel;
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::model::{QueueEntry, route_reasons, sort_queue_entries};
use crate::shared::from_json;
use crate::{Result, StoreError};

/// The `queue_entries` query, all accounts when `$1` is NULL: the columns
/// `queue_entry_from_row` reads.
pub(crate) const QUEUE_ENTRIES_SQL: &str =
    "SELECT d.id, d.message_row, d.state, d.body, d.risk_level, d.route_json, d.priority, d.autonomy_key, d.snoozed_until,
        m.account, m.from_email, m.from_name, m.subject, m.date, m.received_at
 FROM drafts d JOIN messages m ON m.id = d.message_row
 WHERE d.state IN ('pending', 'failed') AND (CAST($1 AS TEXT) IS NULL OR m.account = $1)";

/// The rows of the `QUEUE_ENTRIES_SQL` query as entries, most urgent first.
pub(crate) fn queue_entries_from_rows<R>(rows: &[R]) -> Result<Vec<QueueEntry>>
where
    R: Row,
    for<'s> &'s str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let mut entries = rows.iter().map(queue_entry_from_row).collect::<Result<Vec<QueueEntry>>>()?;
    sort_queue_entries(&mut entries);
    Ok(entries)
}

/// A `queue_entries` row: the draft's columns and its message's.
fn queue_entry_from_row<'r, R>(row: &'r R) -> Result<QueueEntry>
where
    R: Row,
    for<'s> &'s str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    let state: String = row.try_get("state")?;
    let level: String = row.try_get("risk_level")?;
    let route: Route = from_json(&row.try_get::<String, _>("route_json")?, "route")?;
    Ok(QueueEntry {
        draft_id: row.try_get("id")?,
        message_row: row.try_get("message_row")?,
        state: DraftState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("draft state {state:?}")))?,
        body: row.try_get("body")?,
        level: RiskLevel::parse(&level).ok_or_else(|| StoreError::Corrupt(format!("risk level {level:?}")))?,
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
