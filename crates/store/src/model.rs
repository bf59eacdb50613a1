//! Records the store takes and returns.

use autoemail_core::draft::Draft;
use autoemail_core::message::Message;
use autoemail_core::policy::Route;
use autoemail_core::review::DraftState;
use autoemail_core::risk::{Assessment, RiskLevel};
use autoemail_core::triage::Triage;
use serde::{Deserialize, Serialize};

pub struct NewMessage<'a> {
    pub account: &'a str,
    pub mailbox: &'a str,
    pub uid: Option<u32>,
    pub uidvalidity: Option<u32>,
    pub raw: &'a [u8],
    pub parsed: &'a Message,
    pub thread_key: &'a str,
    pub triage: &'a Triage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New(i64),
    Duplicate(i64),
}

impl Inserted {
    pub fn id(self) -> i64 {
        match self {
            Inserted::New(id) | Inserted::Duplicate(id) => id,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredMessage {
    pub id: i64,
    pub account: String,
    pub mailbox: String,
    pub uid: Option<u32>,
    pub message_id: Option<String>,
    pub thread_key: String,
    pub from_email: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
    pub date: Option<i64>,
    pub received_at: i64,
    #[serde(skip)]
    pub raw: Vec<u8>,
    pub category: String,
    pub needs_reply: bool,
    pub triage: Triage,
    pub answered: bool,
}

pub struct NewDraft {
    pub message_row: i64,
    pub draft: Draft,
    pub assessment: Assessment,
    pub route: Route,
    pub state: DraftState,
    /// Earned-autonomy category ("intent/sender_class").
    pub autonomy_key: String,
    /// Routed to review only because its category has not earned auto-send.
    pub shadow_auto_send: bool,
    /// The person's instruction, when this version was regenerated with one.
    pub instruction: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoredDraft {
    pub id: i64,
    pub message_row: i64,
    pub version: i64,
    pub state: DraftState,
    pub body: String,
    pub original_body: String,
    pub confidence: f32,
    pub open_questions: Vec<String>,
    pub drafter: String,
    pub model: String,
    pub prompt_hash: String,
    pub assessment: Assessment,
    pub route: Route,
    pub priority: u8,
    pub reject_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub autonomy_key: String,
    pub shadow_auto_send: bool,
    pub commitments: Vec<String>,
    pub usage: Option<autoemail_core::draft::Usage>,
    pub instruction: Option<String>,
    /// Out of the queue until then (unix seconds).
    pub snoozed_until: Option<i64>,
}

impl StoredDraft {
    pub fn reasons(&self) -> Vec<String> {
        route_reasons(&self.route)
    }
}

/// Why a draft took its route, as listed to the person.
pub fn route_reasons(route: &Route) -> Vec<String> {
    match route {
        Route::Review { reasons, .. } | Route::AutoSend { reasons, .. } => reasons.clone(),
        Route::NoDraft { reason } => vec![reason.clone()],
    }
}

/// A waiting draft as the review list shows it: enough to order, filter,
/// group and list it. Its signals, earlier versions and usage stay in the
/// store until it is opened, so listing 20,000 drafts reads little.
#[derive(Debug, Clone, Serialize)]
pub struct QueueEntry {
    pub draft_id: i64,
    pub message_row: i64,
    pub state: DraftState,
    pub body: String,
    pub level: RiskLevel,
    pub reasons: Vec<String>,
    pub priority: u8,
    pub autonomy_key: String,
    pub snoozed_until: Option<i64>,
    pub account: String,
    pub from_email: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
    pub date: Option<i64>,
    pub received_at: i64,
}

/// The same order as [`sort_queue`].
pub fn sort_queue_entries(entries: &mut [QueueEntry]) {
    entries.sort_by_key(|q| urgency(q.priority, q.date, q.received_at, q.draft_id));
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub draft: StoredDraft,
    pub account: String,
    pub from_email: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
    pub date: Option<i64>,
    pub received_at: i64,
}

/// Most urgent first: priority, then the oldest message, then the oldest draft.
pub fn sort_queue(items: &mut [QueueItem]) {
    items.sort_by_key(|q| urgency(q.draft.priority, q.date, q.received_at, q.draft.id));
}

/// The queue's order as a sort key (smallest first).
fn urgency(priority: u8, date: Option<i64>, received_at: i64, draft_id: i64) -> (std::cmp::Reverse<u8>, i64, i64) {
    (std::cmp::Reverse(priority), date.unwrap_or(received_at), draft_id)
}

pub struct NewOutboxEntry {
    pub account: String,
    /// Without angle brackets.
    pub rfc_message_id: String,
    pub raw: Vec<u8>,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub not_before: i64,
    pub original_row: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting for its hold window to pass.
    Queued,
    /// Claimed by a sender; it may or may not have reached the server.
    Sending,
    /// Accepted by the SMTP server.
    Sent,
    /// Copied to Sent and the original flagged \Answered.
    Filed,
    /// Given up; the draft is back with the person.
    Failed,
    /// Taken back before sending.
    Cancelled,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Filed => "filed",
            OutboxState::Failed => "failed",
            OutboxState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Sending, Self::Sent, Self::Filed, Self::Failed, Self::Cancelled].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub draft_id: i64,
    pub account: String,
    pub rfc_message_id: String,
    #[serde(skip)]
    pub raw: Vec<u8>,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub state: OutboxState,
    pub attempts: i64,
    pub not_before: i64,
    pub last_error: Option<String>,
    pub original_row: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// When and by which process (host:pid:start) it was last claimed for sending.
    pub claimed_at: Option<i64>,
    pub claimed_by: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub message_row: Option<i64>,
    pub draft_id: Option<i64>,
    pub limit: Option<i64>,
    /// Entries whose actor, action or reason contain this text (any case).
    pub text: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    /// The account of the message it is about, when it is about one.
    pub account: Option<String>,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub message_row: Option<i64>,
    pub draft_id: Option<i64>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncState {
    pub uidvalidity: u32,
    pub last_uid: u32,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MessageStats {
    pub messages: i64,
    pub needs_reply: i64,
    pub by_category: Vec<(String, i64)>,
    pub drafts_by_state: Vec<(String, i64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AutonomyRecord {
    pub key: String,
    pub state: autoemail_core::autonomy::State,
    pub changed_at: i64,
    pub reason: String,
}

/// One reviewed draft's outcome, as stored.
#[derive(Debug, Clone, Serialize)]
pub struct StoredOutcome {
    pub key: String,
    pub outcome: autoemail_core::autonomy::Outcome,
    pub shadow_auto_send: bool,
    pub at: i64,
}

/// A reply the person sent, with the message it answered when known.
#[derive(Debug, Clone)]
pub struct SentReply {
    pub raw: Vec<u8>,
    pub original_row: Option<i64>,
}

/// What the stats page needs of one draft.
#[derive(Debug, Clone, Serialize)]
pub struct DraftFacts {
    pub id: i64,
    pub created_at: i64,
    /// When its message arrived.
    pub received_at: i64,
    pub state: DraftState,
    /// Model latency, when a model wrote it.
    pub latency_ms: Option<u64>,
    /// Words in the reply as it stands (as approved, once approved).
    pub words: usize,
    /// Approved by the policy, not by a person.
    pub auto_approved: bool,
    /// The reply's outbox state, once approved.
    pub outbox_state: Option<OutboxState>,
}
