//! Ingest: raw bytes in, a stored message with its triage, and for messages that
//! need a reply, a draft with its risk assessment and route. Each decision is
//! written to the audit log with its reasons.

use autoemail_core::audit::AuditEvent;
use autoemail_core::draft::Draft;
use autoemail_core::message::{Message, parse_message};
use autoemail_core::policy::{Route, route};
use autoemail_core::review::DraftState;
use autoemail_core::risk::{AssessContext, assess_draft, assess_message, combine};
use autoemail_core::thread::{ancestors, thread_key};
use autoemail_core::triage::{TriageContext, triage};
use autoemail_llm::DraftRequest;
use autoemail_store::{Inserted, NewDraft, NewMessage};

use crate::{App, AppError, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum IngestOutcome {
    /// Stored; `draft` is set when a reply was drafted.
    Stored { message_row: i64, needs_reply: bool, draft: Option<i64> },
    /// Already stored (same Message-ID or bytes).
    Duplicate { message_row: i64 },
    /// Nothing to store, with the reason.
    Skipped(String),
}

pub struct Source<'a> {
    pub mailbox: &'a str,
    pub uid: Option<u32>,
    pub uidvalidity: Option<u32>,
}

impl App {
    pub async fn ingest(&self, raw: &[u8], source: Source<'_>) -> Result<IngestOutcome> {
        let msg = match parse_message(raw) {
            Ok(m) => m,
            Err(e) => return Ok(IngestOutcome::Skipped(e.to_string())),
        };
        let account = self.account();
        let ids = ancestors(&msg);
        let known = self.store.thread_key_of(account, &ids).await?;
        let key = match known {
            Some(k) => k,
            None => thread_key(&msg, |_| None),
        };
        let me = self.identity();
        let ctx = TriageContext::new(std::iter::once(me.email.clone()).chain(me.aliases.iter().cloned()));
        let triaged = triage(&msg, &ctx);
        let inserted = self
            .store
            .insert_message(NewMessage {
                account,
                mailbox: source.mailbox,
                uid: source.uid,
                uidvalidity: source.uidvalidity,
                raw,
                parsed: &msg,
                thread_key: &key,
                triage: &triaged,
            })
            .await?;
        let row = match inserted {
            Inserted::Duplicate(id) => return Ok(IngestOutcome::Duplicate { message_row: id }),
            Inserted::New(id) => id,
        };
        let from = msg.from.as_ref().map(|f| f.email.as_str()).unwrap_or("(no sender)");
        let mut ingest_reason = format!("from {from}, subject {:?}, {} bytes", msg.subject, raw.len());
        for w in &msg.warnings {
            ingest_reason.push_str(&format!("; warning {:?}: {}", w.code, w.detail));
        }
        self.store.audit(AuditEvent::system("ingested", ingest_reason).message(row)).await?;
        let verdict = if triaged.needs_reply { "needs a reply" } else { "no reply needed" };
        self.store
            .audit(AuditEvent::system("triaged", format!("{} ({verdict}) because {}", triaged.category.as_str(), triaged.reasons.join("; "))).message(row))
            .await?;
        let draft = if triaged.needs_reply { Some(self.draft_message(row, &msg).await?) } else { None };
        Ok(IngestOutcome::Stored { message_row: row, needs_reply: triaged.needs_reply, draft })
    }

    /// Draft, assess and route a reply to a stored message. A drafter failure is
    /// kept as a failed draft the person can retry, never lost.
    pub async fn draft_message(&self, row: i64, msg: &Message) -> Result<i64> {
        let stored = self.store.message(row).await?;
        let thread: Vec<Message> = self
            .store
            .thread_messages(self.account(), &stored.thread_key)
            .await?
            .into_iter()
            .filter(|m| m.id != row)
            .filter_map(|m| parse_message(&m.raw).ok())
            .collect();
        let me = self.identity();
        let intent = autoemail_core::intent::classify(msg);
        let request = DraftRequest { message: msg, thread: &thread, me: &me, intent, instruction: None };
        let draft = match self.drafter.draft(&request).await {
            Ok(d) => d,
            Err(e) => return self.record_failed_draft(row, &e).await,
        };

        let known_sender = match &msg.from {
            Some(f) => self.store.known_correspondent(self.account(), &f.email, row).await?,
            None => false,
        };
        let mut signals = assess_message(msg, &AssessContext { known_sender, thread_len: thread.len() + 1 });
        let thread_text = thread_text(msg, &thread);
        signals.extend(assess_draft(&draft, &thread_text));
        let assessment = combine(signals);
        let routed = route(&stored.triage, &assessment, self.policy());
        let state = DraftState::Pending;
        let id = self
            .store
            .insert_draft(NewDraft { message_row: row, draft: draft.clone(), assessment: assessment.clone(), route: routed.clone(), state })
            .await?;
        self.store
            .audit(
                AuditEvent::system("drafted", format!("by {} ({}), intent {}, confidence {:.2}", draft.drafter, draft.model, intent.as_str(), draft.confidence))
                    .message(row)
                    .draft(id),
            )
            .await?;
        let route_reason = match &routed {
            Route::Review { priority, reasons } => format!("to review (priority {priority}, risk {}): {}", assessment.level.as_str(), reasons.join("; ")),
            Route::AutoSend { hold_seconds, reasons } => format!("to auto-send after {hold_seconds}s: {}", reasons.join("; ")),
            Route::NoDraft { reason } => format!("no draft: {reason}"),
        };
        self.store.audit(AuditEvent::system("routed", route_reason).message(row).draft(id)).await?;
        if let Route::AutoSend { hold_seconds, .. } = routed {
            self.approve_by_policy(id, hold_seconds).await?;
        }
        Ok(id)
    }

    async fn record_failed_draft(&self, row: i64, error: &autoemail_llm::DraftError) -> Result<i64> {
        let draft = Draft { body: String::new(), confidence: 0.0, open_questions: vec![], drafter: self.drafter.name(), model: String::new(), prompt_hash: String::new() };
        let assessment = combine(vec![]);
        let routed = Route::Review { priority: 50, reasons: vec![format!("drafting failed: {error}")] };
        let id = self.store.insert_draft(NewDraft { message_row: row, draft, assessment, route: routed, state: DraftState::Failed }).await?;
        self.store.audit(AuditEvent::system("draft_failed", error.to_string()).message(row).draft(id)).await?;
        Ok(id)
    }

    /// Draft every stored message that needs a reply and has none yet (after a crash mid-ingest).
    pub async fn draft_missing(&self) -> Result<usize> {
        let rows = self.store.messages_needing_draft(self.account()).await?;
        for row in &rows {
            let stored = self.store.message(*row).await?;
            let msg = parse_message(&stored.raw).map_err(|e| AppError::Other(e.to_string()))?;
            self.draft_message(*row, &msg).await?;
        }
        Ok(rows.len())
    }
}

/// All the thread says, including the addresses in its headers: a reply may
/// repeat these without being flagged as adding something new.
fn thread_text(msg: &Message, thread: &[Message]) -> String {
    let mut text = String::new();
    for m in thread.iter().chain(std::iter::once(msg)) {
        for p in m.participants() {
            text.push_str(&p.email);
            text.push('\n');
        }
        text.push_str(&m.text);
        text.push('\n');
    }
    text
}
