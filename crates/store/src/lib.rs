//! Persistence for AutoEmail behind the [`Store`] trait.
//!
//! Owns the durable state: messages with their raw bytes, drafts and their
//! review state, the outbox, IMAP sync positions and the append-only audit log.
//! It makes no decisions: the core decides, the store records. Every state
//! change that must not be half-done (approve + outbox row + audit entry) is one
//! transaction, guarded by the state it expects, so two processes cannot both
//! act on one draft.

mod model;
mod postgres;
mod shared;
mod sqlite;

pub use model::*;
pub use postgres::{PgEvents, PgStore};
pub use sqlite::SqliteStore;

/// How many of a sender's latest messages `recent_from` looks through for
/// ones outside the current thread: one sender's thousands of messages in a
/// single thread made every draft read them all (quadratic over the thread).
pub const RECENT_FROM_WINDOW: i64 = 200;

use async_trait::async_trait;
use autoemail_core::audit::AuditEvent;
use autoemail_core::review::DraftState;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    /// The row was not in the expected state (someone else acted first).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The database file could not be opened or locked for its migrations.
    #[error("{0}")]
    File(String),
}

impl StoreError {
    /// Worth retrying: the database was busy or the connection dropped.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Database(e) => {
                matches!(e, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed)
                    || e.as_database_error().is_some_and(|d| d.message().contains("locked") || d.message().contains("busy"))
            }
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Records of several accounts read in one query: account → its records.
pub type ByAccount<T> = std::collections::HashMap<String, Vec<T>>;

#[async_trait]
pub trait Store: Send + Sync {
    /// Insert a message; a message already stored (same dedup key) is not duplicated.
    async fn insert_message(&self, new: NewMessage<'_>) -> Result<Inserted> {
        self.insert_message_audited(new, Vec::new()).await
    }
    /// Insert a message and the audit entries about it (their message is set to
    /// the new row) in one transaction: one durable commit, not one per entry.
    /// A duplicate writes no entries.
    async fn insert_message_audited(&self, new: NewMessage<'_>, audits: Vec<AuditEvent>) -> Result<Inserted>;
    /// Several messages with their audit entries in one transaction: a sync
    /// batch costs one durable commit. Until it commits nothing of the batch is
    /// stored, and the sync position has not moved past it, so a crash means
    /// fetching the batch again, never losing it.
    async fn insert_messages_audited(&self, batch: Vec<(NewMessage<'_>, Vec<AuditEvent>)>) -> Result<Vec<Inserted>>;
    async fn message(&self, id: i64) -> Result<StoredMessage>;
    /// The thread key of the first of these Message-IDs already stored.
    async fn thread_key_of(&self, account: &str, message_ids: &[&str]) -> Result<Option<String>>;
    /// The latest `limit` messages of a thread other than `except`, oldest
    /// first, and how many such messages the thread holds in all. Drafting
    /// reads this, not the whole thread: reading and parsing every earlier
    /// message for each new one made a long thread quadratic to ingest.
    async fn thread_tail(&self, account: &str, thread_key: &str, except: i64, limit: usize) -> Result<(Vec<StoredMessage>, usize)>;
    /// Has this address written before, or been written to by the person?
    async fn known_correspondent(&self, account: &str, email: &str, before_row: i64) -> Result<bool>;
    async fn mark_answered(&self, message_row: i64) -> Result<()>;
    async fn message_by_uid(&self, account: &str, mailbox: &str, uid: u32) -> Result<Option<StoredMessage>>;
    async fn messages_needing_draft(&self, account: &str) -> Result<Vec<i64>>;
    /// Counts for one account, or for the whole store.
    async fn message_stats(&self, account: Option<&str>) -> Result<MessageStats>;

    async fn insert_draft(&self, new: NewDraft) -> Result<i64> {
        self.insert_draft_audited(new, Vec::new()).await
    }
    /// Insert a draft and its audit entries (their draft is set to the new one) in one transaction.
    async fn insert_draft_audited(&self, new: NewDraft, audits: Vec<AuditEvent>) -> Result<i64>;
    async fn draft(&self, id: i64) -> Result<StoredDraft>;
    async fn drafts_for_message(&self, message_row: i64) -> Result<Vec<StoredDraft>>;
    /// Pending drafts of one account (None: of every account in the store), most urgent first.
    async fn queue(&self, account: Option<&str>) -> Result<Vec<QueueItem>>;
    /// The same drafts as `queue`, in the same order, with only what the review list shows.
    async fn queue_entries(&self, account: Option<&str>) -> Result<Vec<QueueEntry>>;
    /// Approve atomically: pending → approved, the outbox row and the audit entry, or nothing.
    async fn approve(&self, draft_id: i64, body: &str, outbox: NewOutboxEntry, audit: AuditEvent) -> Result<i64>;
    /// Move a draft between states when it is in `from`, with its audit entry.
    async fn transition(&self, draft_id: i64, from: DraftState, to: DraftState, reject_reason: Option<&str>, audit: AuditEvent) -> Result<()>;

    /// Claim the account's next reply due for sending (queued → sending); None when nothing is due.
    async fn claim_due(&self, account: &str, now: i64, claimer: &str) -> Result<Option<OutboxItem>>;
    /// Put a reply that was being sent back in the queue (reconciliation found it was not sent).
    async fn requeue_sending(&self, outbox_id: i64, audit: AuditEvent) -> Result<()>;
    /// Stop (Some(reason)) or resume (None) all sending for the account, with the audit entry.
    async fn set_paused(&self, account: &str, reason: Option<&str>, audit: AuditEvent) -> Result<()>;
    /// Replies handed to the server since `since` (for the hourly rate limit).
    async fn sent_since(&self, account: &str, since: i64) -> Result<i64>;
    /// Why and since when sending is paused, if it is.
    async fn paused(&self, account: &str) -> Result<Option<(String, i64)>>;
    /// The paused accounts among these, with why and since when, in one query.
    async fn paused_of(&self, accounts: &[String]) -> Result<std::collections::HashMap<String, (String, i64)>>;
    async fn outbox_item(&self, id: i64) -> Result<OutboxItem>;
    async fn outbox_by_state(&self, state: OutboxState) -> Result<Vec<OutboxItem>>;
    /// One account's outbox entries in `state` (a shared store holds many accounts').
    async fn account_outbox_by_state(&self, account: &str, state: OutboxState) -> Result<Vec<OutboxItem>>;
    /// Of these accounts, the ones whose outbox has work at `now`: a reply
    /// due, one being sent (to settle if its process died), one sent but not
    /// filed. A worker looks only at those instead of at every account.
    async fn accounts_with_outbox_work(&self, accounts: &[String], now: i64) -> Result<Vec<String>>;
    /// Record that the server accepted the reply: the outbox row becomes sent, the draft sent.
    async fn mark_sent(&self, outbox_id: i64, audit: AuditEvent) -> Result<()>;
    async fn mark_filed(&self, outbox_id: i64, audit: AuditEvent) -> Result<()>;
    /// Put a claimed reply back in the queue for another attempt at `not_before`.
    async fn mark_retry(&self, outbox_id: i64, error: &str, not_before: i64, audit: AuditEvent) -> Result<()>;
    /// Give up: the draft goes back to the person as failed, with the server's words.
    async fn mark_failed(&self, outbox_id: i64, error: &str, audit: AuditEvent) -> Result<()>;
    /// Take a queued (not yet claimed) reply back: the undo of an approval.
    async fn cancel_queued(&self, draft_id: i64, audit: AuditEvent) -> Result<()>;

    /// Keep a waiting draft out of the queue until `until` (None: back now), with its audit entry.
    async fn snooze(&self, draft_id: i64, until: Option<i64>, audit: AuditEvent) -> Result<()>;
    /// How many messages from each sender (lower-cased address) the person has
    /// answered, for each of these accounts in one query (a worker's review UI
    /// serves them all): sender importance. account → sender → count; accounts
    /// with none are absent.
    async fn answered_counts_of(&self, accounts: &[String]) -> Result<std::collections::HashMap<String, std::collections::HashMap<String, i64>>>;
    /// Every draft of these accounts created at or after `since`, with what
    /// happened to it, for stats: one query however many accounts, oldest
    /// first; accounts with none are absent.
    async fn draft_facts_of(&self, accounts: &[String], since: i64) -> Result<ByAccount<DraftFacts>>;

    async fn audit(&self, event: AuditEvent) -> Result<()>;
    async fn audit_log(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>>;

    /// A `no_draft` policy rule applies: leave the message without a draft, for good.
    async fn set_no_draft(&self, message_row: i64, reason: &str) -> Result<()>;

    async fn autonomy_states(&self, account: &str) -> Result<Vec<AutonomyRecord>>;
    /// The autonomy states of these accounts in one query, by key; accounts with none are absent.
    async fn autonomy_states_of(&self, accounts: &[String]) -> Result<ByAccount<AutonomyRecord>>;
    /// Change a category's state with its audit entry, in one transaction.
    async fn set_autonomy_state(&self, account: &str, key: &str, state: autoemail_core::autonomy::State, reason: &str, audit: AuditEvent) -> Result<()>;
    /// Record how a draft was treated; recording the same draft twice keeps the first.
    async fn record_outcome(&self, account: &str, outcome: &StoredOutcome) -> Result<()>;
    /// Outcomes of one category (or all) at or after `since`, oldest first.
    async fn outcomes(&self, account: &str, key: Option<&str>, since: i64) -> Result<Vec<StoredOutcome>>;
    /// Outcomes of these accounts at or after `since` in one query, oldest
    /// first; accounts with none are absent.
    async fn outcomes_of(&self, accounts: &[String], since: i64) -> Result<ByAccount<StoredOutcome>>;

    /// Replies the person sent (through the outbox, or found in Sent), newest first.
    async fn sent_replies(&self, account: &str, limit: i64) -> Result<Vec<SentReply>>;
    /// A cheap summary that changes whenever `sent_replies` would: (count, newest time, largest id).
    async fn sent_fingerprint(&self, account: &str) -> Result<(i64, i64, i64)>;
    async fn message_by_message_id(&self, account: &str, message_id: &str) -> Result<Option<StoredMessage>>;
    /// Earlier messages from this address outside the given thread, newest
    /// first, among their [`RECENT_FROM_WINDOW`] latest messages.
    async fn recent_from(&self, account: &str, email: &str, other_than_thread: &str, limit: i64) -> Result<Vec<StoredMessage>>;
    /// Drafts a model wrote (with usage), for stats.
    async fn drafts_with_usage(&self) -> Result<Vec<StoredDraft>>;

    /// (draft id, message row, UID) of the newest pending drafts whose original is in `mailbox`.
    async fn pending_in_mailbox(&self, account: &str, mailbox: &str, limit: i64) -> Result<Vec<(i64, i64, u32)>>;
    async fn modseq(&self, account: &str, mailbox: &str) -> Result<Option<u64>>;
    async fn set_modseq(&self, account: &str, mailbox: &str, modseq: u64) -> Result<()>;
    /// The database's own consistency check: "ok", or what is wrong.
    async fn integrity_check(&self) -> Result<String>;

    /// Make an account known to the workers (its sync can then be claimed).
    async fn register_account(&self, account: &str) -> Result<()>;
    /// Claim one of these accounts whose sync is due and whose lease is free or
    /// ran out (its worker died): held by `worker` until `now + lease_seconds`.
    /// An account another worker synced last is left to it (it keeps the
    /// account's IMAP session) until the sync is `grace_seconds` overdue.
    async fn claim_account(&self, accounts: &[String], worker: &str, now: i64, lease_seconds: i64, grace_seconds: i64) -> Result<Option<String>>;
    /// Give a claimed account back; its next sync is due at `next_sync_at`,
    /// and `worker` is the one that synced it last.
    async fn release_account(&self, account: &str, worker: &str, next_sync_at: i64) -> Result<()>;
    /// Claim a message of these accounts that needs its first draft (none
    /// written, no live claim): held by `worker` until `now + lease_seconds`.
    async fn claim_draft_job(&self, accounts: &[String], worker: &str, now: i64, lease_seconds: i64) -> Result<Option<(String, i64)>>;
    /// Store the first draft of a message with its audit entries, unless the
    /// message has a draft already (another worker got there first): then None.
    async fn insert_first_draft_audited(&self, new: NewDraft, audits: Vec<AuditEvent>) -> Result<Option<i64>> {
        Ok(self.insert_first_drafts_audited(vec![(new, audits)]).await?.pop().flatten())
    }
    /// Several first drafts in one transaction, as `insert_first_draft_audited`
    /// says for each; the answer is in the order given.
    async fn insert_first_drafts_audited(&self, batch: Vec<(NewDraft, Vec<AuditEvent>)>) -> Result<Vec<Option<i64>>>;

    async fn sync_state(&self, account: &str, mailbox: &str) -> Result<Option<SyncState>>;
    async fn set_sync_state(&self, account: &str, mailbox: &str, state: SyncState) -> Result<()>;
}
