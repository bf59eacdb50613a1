//! Review actions, the same for the CLI and the web UI: approve (optionally with
//! an edited body), reject with a reason, and undo an approval during its hold.
//! Approving builds the exact reply bytes once; the outbox sends those bytes.

use autoemail_core::audit::{Actor, AuditEvent};
use autoemail_core::autonomy::{Transition, Verdict};
use autoemail_core::message::{parse_message, sha256_hex};
use autoemail_core::reply::{ReplyMode, build_reply, compose_body, plan_reply};
use autoemail_core::review::{DraftState, ReviewAction, apply};
use autoemail_store::NewOutboxEntry;

use crate::{App, AppError, Result, now};

#[derive(Debug, Clone)]
pub struct Approved {
    pub outbox_id: i64,
    pub message_id: String,
    pub recipients: Vec<String>,
    pub send_at: i64,
    /// A change of the draft's category standing that this approval caused.
    pub autonomy: Option<Transition>,
}

impl App {
    pub async fn approve(&self, draft_id: i64, person: &str, edited_body: Option<String>) -> Result<Approved> {
        let action = match edited_body {
            Some(body) => ReviewAction::EditApprove { body },
            None => ReviewAction::Approve,
        };
        self.approve_with(draft_id, Actor::Person(person.to_string()), action, self.config.outbox.hold_seconds).await
    }

    /// Approve with a hold of at least `hold_seconds` (the web UI's undo window).
    pub async fn approve_held(&self, draft_id: i64, person: &str, edited_body: Option<String>, hold_seconds: u64) -> Result<Approved> {
        let action = match edited_body {
            Some(body) => ReviewAction::EditApprove { body },
            None => ReviewAction::Approve,
        };
        let hold = hold_seconds.max(self.config.outbox.hold_seconds);
        self.approve_with(draft_id, Actor::Person(person.to_string()), action, hold).await
    }

    /// Keep a waiting draft out of the queue until `until` (None: back now).
    pub async fn snooze(&self, draft_id: i64, person: &str, until: Option<i64>) -> Result<()> {
        let draft = self.store.draft(draft_id).await?;
        let reason = match until {
            Some(t) => format!("snoozed for {} minutes", ((t - now()).max(0) + 59) / 60),
            None => "back in the queue".to_string(),
        };
        let audit = AuditEvent::person(person, if until.is_some() { "snoozed" } else { "unsnoozed" }, reason).message(draft.message_row).draft(draft_id);
        self.store.snooze(draft_id, until, audit).await?;
        Ok(())
    }

    pub(crate) async fn approve_by_policy(&self, draft_id: i64, hold_seconds: u64) -> Result<Approved> {
        self.approve_with(draft_id, Actor::System, ReviewAction::Approve, hold_seconds).await
    }

    async fn approve_with(&self, draft_id: i64, actor: Actor, action: ReviewAction, hold_seconds: u64) -> Result<Approved> {
        let draft = self.store.draft(draft_id).await?;
        apply(draft.state, &draft.body, &action)?;
        let body = match &action {
            ReviewAction::EditApprove { body } => body.clone(),
            _ => draft.body.clone(),
        };
        let stored = self.store.message(draft.message_row).await?;
        let original = parse_message(&stored.raw).map_err(|e| AppError::Other(format!("message {}: {e}", stored.id)))?;
        let me = self.identity();
        let plan = plan_reply(&original, &me, ReplyMode::All)?;
        let message_id = new_message_id(draft_id, &me.email);
        let t = now();
        let raw = build_reply(&plan, &me, &compose_body(&body, &original), &message_id, t)?;
        let recipients: Vec<String> = plan.recipients().map(|m| m.email.clone()).collect();
        let send_at = t + hold_seconds as i64;

        let by_person = matches!(actor, Actor::Person(_));
        let edited = body.trim() != draft.body.trim();
        let what = if edited { "edited and approved" } else { "approved" };
        let mut reason = format!("{what}; reply {} to {}; sends at {}", message_id, recipients.join(", "), send_at);
        if edited {
            reason.push_str(&format!("; {} changed", change_summary(&draft.body, &body)));
        }
        reason.push_str(&format!("; sha256 {}", &sha256_hex(&raw)[..16]));
        let audit = AuditEvent {
            actor,
            action: if edited { "edit_approved".into() } else { "approved".into() },
            message_id: Some(stored.id),
            draft_id: Some(draft_id),
            reason,
        };
        let outbox_id = self
            .store
            .approve(
                draft_id,
                &body,
                NewOutboxEntry {
                    account: self.account().to_string(),
                    rfc_message_id: message_id.clone(),
                    raw,
                    envelope_from: me.email.clone(),
                    recipients: recipients.clone(),
                    not_before: send_at,
                    original_row: stored.id,
                },
                audit,
            )
            .await?;
        // Only a person's verdict counts towards earned autonomy.
        let autonomy = if by_person { self.record_verdict(&draft, Verdict::Approved, &body).await? } else { None };
        Ok(Approved { outbox_id, message_id, recipients, send_at, autonomy })
    }

    pub async fn reject(&self, draft_id: i64, person: &str, reason: &str) -> Result<Option<Transition>> {
        let draft = self.store.draft(draft_id).await?;
        let to = apply(draft.state, &draft.body, &ReviewAction::Reject { reason: reason.to_string() })?;
        let audit = AuditEvent::person(person, "rejected", reason).message(draft.message_row).draft(draft_id);
        self.store.transition(draft_id, draft.state, to, Some(reason), audit).await?;
        self.record_verdict(&draft, Verdict::Rejected, "").await
    }

    /// Take an approved reply back while it is still held in the outbox.
    pub async fn undo(&self, draft_id: i64, person: &str) -> Result<()> {
        let draft = self.store.draft(draft_id).await?;
        apply(draft.state, &draft.body, &ReviewAction::Unapprove)?;
        let audit = AuditEvent::person(person, "undone", "approval taken back before sending").message(draft.message_row).draft(draft_id);
        self.store.cancel_queued(draft_id, audit).await?;
        // Taking back a reply the policy approved is a verdict against it (a
        // person's own approval was already recorded and stays as it was).
        self.record_verdict(&draft, Verdict::Rejected, "").await?;
        Ok(())
    }

    pub async fn draft_state(&self, draft_id: i64) -> Result<DraftState> {
        Ok(self.store.draft(draft_id).await?.state)
    }
}

/// A Message-ID that is unique and fixed before the first send attempt.
fn new_message_id(draft_id: i64, from: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let seed = format!("{draft_id}:{nanos}:{}:{from}", std::process::id());
    let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("autoemail.invalid");
    format!("autoemail.{draft_id}.{}@{domain}", &sha256_hex(seed.as_bytes())[..20])
}

/// "3 of 7 lines" style summary of an edit, for the audit log.
fn change_summary(before: &str, after: &str) -> String {
    let b: Vec<&str> = before.lines().collect();
    let a: Vec<&str> = after.lines().collect();
    let kept = a.iter().filter(|l| b.contains(l)).count();
    format!("{} of {} lines", a.len() - kept, a.len().max(1))
}
