//! Ingest: raw bytes in, a stored message with its triage, and for messages that
//! need a reply, a draft with its risk assessment and route. Each decision is
//! written to the audit log with its reasons.

use autoemail_core::audit::AuditEvent;
use autoemail_core::autonomy;
use autoemail_core::draft::Draft;
use autoemail_core::intent::Intent;
use autoemail_core::message::{Message, parse_message};
use autoemail_core::policy::{Facts, Route, SenderClass, no_draft_rule, route};
use autoemail_core::review::DraftState;
use autoemail_core::risk::{AssessContext, RiskLevel, assess_message, assess_reply, combine, speaks_to_an_ai_reader};
use autoemail_core::thread::{ancestors, thread_key};
use autoemail_core::triage::{TriageContext, triage};
use autoemail_llm::{DraftContext, DraftRequest};
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

/// A slow drafter (a hosted model) must not hold finished drafts back from the
/// queue: drafts of a batch are stored together only while they come this fast.
const DRAFT_FLUSH: std::time::Duration = std::time::Duration::from_millis(250);

/// A parsed message of a batch, with what was decided before storing it.
struct Parsed {
    msg: Message,
    thread_key: String,
    triage: autoemail_core::triage::Triage,
    audits: Vec<AuditEvent>,
}

/// A drafted, assessed and routed reply, not stored yet.
pub(crate) struct ReadyDraft {
    new: NewDraft,
    audits: Vec<AuditEvent>,
    auto_send_hold: Option<u64>,
}

enum Prepared {
    /// Nothing more to store: no draft by policy (None), or a failed draft recorded.
    Done(Option<i64>),
    Ready(Box<ReadyDraft>),
}

impl App {
    pub async fn ingest(&self, raw: &[u8], source: Source<'_>) -> Result<IngestOutcome> {
        let mut outcomes = self.ingest_many(vec![(raw, source)]).await?;
        outcomes.pop().ok_or_else(|| AppError::Other("ingest of one message gave no outcome".into()))
    }

    /// Ingest a batch (a sync's fetch, or part of an import), in order: the
    /// messages and their audit entries in one transaction, then their drafts,
    /// stored together while the drafter is fast. One outcome per message.
    pub async fn ingest_many(&self, batch: Vec<(&[u8], Source<'_>)>) -> Result<Vec<IngestOutcome>> {
        let account = self.account();
        let me = self.identity();
        let ctx = TriageContext::new(std::iter::once(me.email.clone()).chain(me.aliases.iter().cloned()));
        // Thread keys of the batch's own messages: a reply may arrive with its original.
        let mut batch_keys: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        let mut parsed: Vec<std::result::Result<Parsed, String>> = Vec::with_capacity(batch.len());
        for (raw, _) in &batch {
            let msg = match parse_message(raw) {
                Ok(m) => m,
                Err(e) => {
                    parsed.push(Err(e.to_string()));
                    continue;
                }
            };
            let ids = ancestors(&msg);
            let key = match self.store.thread_key_of(account, &ids).await? {
                Some(k) => k,
                None => thread_key(&msg, |id| batch_keys.get(id).cloned()),
            };
            if let Some(id) = &msg.message_id {
                batch_keys.entry(id.clone()).or_insert_with(|| key.clone());
            }
            let triaged = triage(&msg, &ctx);
            let from = msg.from.as_ref().map(|f| f.email.as_str()).unwrap_or("(no sender)");
            let mut ingest_reason = format!("from {from}, subject {:?}, {} bytes", msg.subject, raw.len());
            for w in &msg.warnings {
                ingest_reason.push_str(&format!("; warning {:?}: {}", w.code, w.detail));
            }
            let verdict = if triaged.needs_reply { "needs a reply" } else { "no reply needed" };
            let audits = vec![
                AuditEvent::system("ingested", ingest_reason),
                AuditEvent::system("triaged", format!("{} ({verdict}) because {}", triaged.category.as_str(), triaged.reasons.join("; "))),
            ];
            parsed.push(Ok(Parsed { msg, thread_key: key, triage: triaged, audits }));
        }
        // The messages and what was decided about them: one transaction.
        let rows = {
            let mut news = Vec::new();
            for ((raw, source), p) in batch.iter().zip(&mut parsed) {
                if let Ok(p) = p {
                    let new = NewMessage {
                        account,
                        mailbox: source.mailbox,
                        uid: source.uid,
                        uidvalidity: source.uidvalidity,
                        raw,
                        parsed: &p.msg,
                        thread_key: &p.thread_key,
                        triage: &p.triage,
                    };
                    news.push((new, std::mem::take(&mut p.audits)));
                }
            }
            if news.is_empty() { Vec::new() } else { self.store.insert_messages_audited(news).await? }
        };
        let mut rows = rows.into_iter();
        let mut outcomes = Vec::with_capacity(batch.len());
        for p in &parsed {
            outcomes.push(match p {
                Err(why) => IngestOutcome::Skipped(why.clone()),
                Ok(p) => match rows.next() {
                    Some(Inserted::New(id)) => IngestOutcome::Stored { message_row: id, needs_reply: p.triage.needs_reply, draft: None },
                    Some(Inserted::Duplicate(id)) => IngestOutcome::Duplicate { message_row: id },
                    None => return Err(AppError::Other("the store answered for fewer messages than it was given".into())),
                },
            });
        }
        if self.drafting_inline {
            self.draft_batch(&parsed, &mut outcomes).await?;
        }
        // After the drafts: a reply the person sent, fetched in the same batch
        // as its original, takes that original's new draft out of the queue.
        for (p, outcome) in parsed.iter().zip(&outcomes) {
            if let (Ok(p), IngestOutcome::Stored { .. }) = (p, outcome)
                && p.triage.category == autoemail_core::triage::Category::FromSelf
            {
                self.obsolete_answered_elsewhere(&p.msg).await?;
            }
        }
        Ok(outcomes)
    }

    /// First drafts of a batch's new messages that need a reply.
    async fn draft_batch(&self, parsed: &[std::result::Result<Parsed, String>], outcomes: &mut [IngestOutcome]) -> Result<()> {
        let mut ready: Vec<(usize, ReadyDraft)> = Vec::new();
        // When drafting of the unstored drafts began: a draft that alone took
        // longer than DRAFT_FLUSH is stored at once, not after the next one.
        let mut since = std::time::Instant::now();
        for (i, p) in parsed.iter().enumerate() {
            let (Ok(p), IngestOutcome::Stored { message_row, needs_reply: true, .. }) = (p, &outcomes[i]) else { continue };
            if ready.is_empty() {
                since = std::time::Instant::now();
            }
            match self.prepare_draft(*message_row, &p.msg, None).await? {
                Prepared::Done(id) => set_draft(&mut outcomes[i], id),
                Prepared::Ready(r) => ready.push((i, *r)),
            }
            if !ready.is_empty() && since.elapsed() >= DRAFT_FLUSH {
                self.flush_drafts(std::mem::take(&mut ready), outcomes).await?;
            }
        }
        self.flush_drafts(ready, outcomes).await
    }

    async fn flush_drafts(&self, ready: Vec<(usize, ReadyDraft)>, outcomes: &mut [IngestOutcome]) -> Result<()> {
        if ready.is_empty() {
            return Ok(());
        }
        let (places, drafts): (Vec<usize>, Vec<ReadyDraft>) = ready.into_iter().unzip();
        for (i, id) in places.into_iter().zip(self.store_first_drafts(drafts).await?) {
            set_draft(&mut outcomes[i], id);
        }
        Ok(())
    }

    /// The person answered a thread from another mail client: the pending
    /// draft for the message they answered leaves the queue.
    async fn obsolete_answered_elsewhere(&self, reply: &Message) -> Result<()> {
        for id in &reply.in_reply_to {
            let Some(original) = self.store.message_by_message_id(self.account(), id).await? else { continue };
            let how = reply.message_id.as_deref().unwrap_or("a reply without Message-ID");
            self.obsolete_pending(original.id, how).await?;
        }
        Ok(())
    }

    /// The person answered `original_row` outside AutoEmail (`how` says where we
    /// saw it): its pending drafts leave the queue and the message counts as
    /// answered. Returns how many drafts left.
    pub(crate) async fn obsolete_pending(&self, original_row: i64, how: &str) -> Result<usize> {
        let mut obsoleted = 0;
        for d in self.store.drafts_for_message(original_row).await? {
            if d.state == DraftState::Pending {
                let audit = AuditEvent::system("obsolete", format!("you answered this elsewhere ({how})")).message(original_row).draft(d.id);
                self.store.transition(d.id, DraftState::Pending, DraftState::Obsolete, None, audit).await?;
                self.store.mark_answered(original_row).await?;
                obsoleted += 1;
            }
        }
        Ok(obsoleted)
    }

    /// What routing needs to know about a stored message, all derived by the
    /// system (never read from instructions in the text).
    /// `row` is the message's place in the store (`i64::MAX` for one not stored):
    /// only mail before it counts towards knowing the sender.
    pub async fn facts_for(&self, row: i64, msg: &Message) -> Result<(Intent, SenderClass, bool)> {
        let known_sender = match &msg.from {
            Some(f) => self.store.known_correspondent(self.account(), &f.email, row).await?,
            None => false,
        };
        let me = self.identity();
        let mine: Vec<&str> = std::iter::once(me.email.as_str()).chain(me.aliases.iter().map(String::as_str)).collect();
        let sender_class = SenderClass::of(msg.from.as_ref().map(|f| f.email.as_str()).unwrap_or(""), &mine, known_sender);
        Ok((autoemail_core::intent::classify(msg), sender_class, known_sender))
    }

    /// Draft, assess and route a reply to a stored message; None when a
    /// `no_draft` rule of the policy applies. A drafter failure is kept as a
    /// failed draft the person can retry, never lost.
    pub async fn draft_message(&self, row: i64, msg: &Message) -> Result<Option<i64>> {
        self.draft_message_with(row, msg, None, true).await
    }

    /// Draft a new version of the reply to a stored message, following the
    /// person's instruction; earlier versions stay in the history.
    pub async fn regenerate(&self, draft_id: i64, instruction: &str, person: &str) -> Result<i64> {
        let old = self.store.draft(draft_id).await?;
        if !matches!(old.state, DraftState::Pending | DraftState::Failed | DraftState::Rejected) {
            return Err(AppError::Invalid(format!("draft {draft_id} is {}: only a pending, failed or rejected draft can be regenerated", old.state.as_str())));
        }
        let stored = self.store.message(old.message_row).await?;
        let msg = parse_message(&stored.raw).map_err(|e| AppError::Other(e.to_string()))?;
        self.store
            .audit(
                AuditEvent::person(person, "regenerate_asked", format!("new version of draft {draft_id}: {instruction:?}")).message(stored.id).draft(draft_id),
            )
            .await?;
        let instruction = Some(instruction.trim()).filter(|i| !i.is_empty());
        match self.draft_message_with(stored.id, &msg, instruction, false).await? {
            Some(id) => Ok(id),
            None => Err(AppError::Invalid("the policy says to draft nothing for this message".into())),
        }
    }

    /// `first`: the message's first draft; when another worker stored one
    /// meanwhile, this one is dropped (None) so a message is drafted once.
    async fn draft_message_with(&self, row: i64, msg: &Message, instruction: Option<&str>, first: bool) -> Result<Option<i64>> {
        let ready = match self.prepare_draft(row, msg, instruction).await? {
            Prepared::Done(id) => return Ok(id),
            Prepared::Ready(r) => *r,
        };
        if first {
            return Ok(self.store_first_drafts(vec![ready]).await?.pop().flatten());
        }
        let hold = ready.auto_send_hold;
        let id = self.store.insert_draft_audited(ready.new, ready.audits).await?;
        if let Some(hold_seconds) = hold {
            self.approve_by_policy(id, hold_seconds).await?;
        }
        Ok(Some(id))
    }

    /// Store first drafts in one transaction (a message drafted meanwhile by
    /// another worker gets None), then start the hold of those the policy sends.
    async fn store_first_drafts(&self, ready: Vec<ReadyDraft>) -> Result<Vec<Option<i64>>> {
        let holds: Vec<Option<u64>> = ready.iter().map(|r| r.auto_send_hold).collect();
        let ids = self.store.insert_first_drafts_audited(ready.into_iter().map(|r| (r.new, r.audits)).collect()).await?;
        for (id, hold) in ids.iter().zip(holds) {
            if let (Some(id), Some(hold_seconds)) = (id, hold) {
                self.approve_by_policy(*id, hold_seconds).await?;
            }
        }
        Ok(ids)
    }

    /// Draft, assess and route a reply; what is not stored yet comes back Ready.
    async fn prepare_draft(&self, row: i64, msg: &Message, instruction: Option<&str>) -> Result<Prepared> {
        let stored = self.store.message(row).await?;
        let (intent, sender_class, known_sender) = self.facts_for(stored.id, msg).await?;
        let key = autonomy::key(intent, sender_class);
        let promoted = self.autonomy_state(&key).await? == autonomy::State::Promoted;
        let facts = Facts {
            sender: msg.from.as_ref().map(|f| f.email.as_str()),
            thread: &stored.thread_key,
            category: stored.triage.category,
            intent,
            sender_class,
            autonomy_promoted: promoted,
        };
        if let Some(rule) = no_draft_rule(self.policy(), &facts) {
            let reason = format!("rule {:?} (line {}) says draft nothing", rule.name, rule.line);
            self.store.set_no_draft(row, &reason).await?;
            self.store.audit(AuditEvent::system("routed", format!("no draft: {reason}")).message(row)).await?;
            return Ok(Prepared::Done(None));
        }
        let (thread, earlier) = self.thread_tail(&stored.thread_key, row).await?;
        let me = self.identity();
        let context = self.draft_context(msg, &stored.thread_key).await?;
        let signals = assess_message(msg, &AssessContext { known_sender, thread_len: earlier + 1 });
        let request = DraftRequest { message: msg, thread: &thread, me: &me, intent, signals: &signals, instruction, context: &context };
        let draft = match self.drafter_for(&signals).draft(&request).await {
            Ok(d) => d,
            Err(e) => return self.record_failed_draft(row, &e, instruction).await.map(|id| Prepared::Done(Some(id))),
        };

        let assessment = combine(assess_reply(msg, &signals, &draft, &known_text(msg, &thread, &context)));
        let routed = route(&stored.triage, &assessment, self.policy(), &facts);
        // Shadow mode: routine replies that wait only because their kind has not earned auto-send.
        let shadow = matches!(routed, Route::Review { .. }) && assessment.level == RiskLevel::Routine && !promoted;
        let mut route_reason = match &routed {
            Route::Review { priority, reasons } => format!("to review (priority {priority}, risk {}): {}", assessment.level.as_str(), reasons.join("; ")),
            Route::AutoSend { hold_seconds, reasons } => format!("to auto-send after {hold_seconds}s: {}", reasons.join("; ")),
            Route::NoDraft { reason } => format!("no draft: {reason}"),
        };
        if shadow {
            route_reason.push_str(&format!("; shadow: would have auto-sent had {key} earned auto-send"));
        }
        let audits = vec![
            AuditEvent::system("drafted", draft_summary(&draft, intent, instruction)).message(row),
            AuditEvent::system("routed", route_reason).message(row),
        ];
        let auto_send_hold = match routed {
            Route::AutoSend { hold_seconds, .. } => Some(hold_seconds),
            _ => None,
        };
        // The draft and why it was routed where it was: stored in one transaction.
        let new = NewDraft {
            message_row: row,
            draft,
            assessment,
            route: routed,
            state: DraftState::Pending,
            autonomy_key: key,
            shadow_auto_send: shadow,
            instruction: instruction.map(str::to_string),
        };
        Ok(Prepared::Ready(Box::new(ReadyDraft { new, audits, auto_send_hold })))
    }

    /// Mail that talks to an AI reader never reaches the model, with the
    /// person's notes and thread beside it: the offline drafter holds it.
    fn drafter_for(&self, message_signals: &[autoemail_core::risk::RiskSignal]) -> &dyn autoemail_llm::Drafter {
        if speaks_to_an_ai_reader(message_signals) { &autoemail_llm::OfflineDrafter } else { self.drafter.as_ref() }
    }

    async fn record_failed_draft(&self, row: i64, error: &autoemail_llm::DraftError, instruction: Option<&str>) -> Result<i64> {
        let draft = Draft { drafter: self.drafter.name(), ..Default::default() };
        let assessment = combine(vec![]);
        let routed = Route::Review { priority: 50, reasons: vec![format!("drafting failed: {error}")] };
        let new = NewDraft {
            message_row: row,
            draft,
            assessment,
            route: routed,
            state: DraftState::Failed,
            autonomy_key: String::new(),
            shadow_auto_send: false,
            instruction: instruction.map(str::to_string),
        };
        let id = self.store.insert_draft(new).await?;
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

fn set_draft(outcome: &mut IngestOutcome, id: Option<i64>) {
    if let IngestOutcome::Stored { draft, .. } = outcome {
        *draft = id;
    }
}

/// The audit line of a draft: who wrote it, how sure, and what it cost.
fn draft_summary(draft: &Draft, intent: autoemail_core::intent::Intent, instruction: Option<&str>) -> String {
    let mut s = format!("by {} ({}), intent {}, confidence {:.2}", draft.drafter, draft.model, intent.as_str(), draft.confidence);
    if let Some(u) = &draft.usage {
        s.push_str(&format!(
            "; {} prompt + {} completion tokens, {} ms, {} attempt(s) at {}",
            u.prompt_tokens, u.completion_tokens, u.latency_ms, u.attempts, u.provider
        ));
    }
    if let Some(i) = instruction {
        s.push_str(&format!("; following the instruction {i:?}"));
    }
    s
}

/// How many of a thread's latest messages a draft sees (as context, and as
/// what the reply may repeat without it being new): more than the prompt
/// shows, and few enough that a thread of thousands costs no more than this.
pub const DRAFT_THREAD_MESSAGES: usize = 20;

impl App {
    /// The latest [`DRAFT_THREAD_MESSAGES`] messages of the thread other than
    /// `except`, parsed, oldest first, and how many other messages it holds.
    async fn thread_tail(&self, thread_key: &str, except: i64) -> Result<(Vec<Message>, usize)> {
        let (tail, earlier) = self.store.thread_tail(self.account(), thread_key, except, DRAFT_THREAD_MESSAGES).await?;
        Ok((tail.into_iter().filter_map(|m| parse_message(&m.raw).ok()).collect(), earlier))
    }
}

/// What a reply may repeat without it being new: the thread and the person's notes.
fn known_text(msg: &Message, thread: &[Message], context: &DraftContext) -> String {
    let mut known = thread_text(msg, thread);
    known.push_str(context.notes.as_deref().unwrap_or(""));
    known
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

/// Everything `policy check` shows: the facts rules match on, each rule's
/// verdict, the risk of the reply the drafter would write, and the route.
#[derive(Debug, serde::Serialize)]
pub struct RouteExplanation {
    pub sender: Option<String>,
    pub thread: String,
    pub category: String,
    pub needs_reply: bool,
    pub intent: String,
    pub sender_class: String,
    pub autonomy_key: String,
    pub autonomy_state: String,
    pub risk: autoemail_core::risk::Assessment,
    pub rules: Vec<autoemail_core::policy::RuleCheck>,
    pub route: Route,
}

impl App {
    /// Route a message without storing or sending anything: for a stored
    /// message (`row`) or any parsed one. Drafts with the configured drafter.
    pub async fn explain_route(&self, msg: &Message, row: Option<i64>) -> Result<RouteExplanation> {
        let me = self.identity();
        let triage_ctx = TriageContext::new(std::iter::once(me.email.clone()).chain(me.aliases.iter().cloned()));
        let triaged = triage(msg, &triage_ctx);
        let (thread_key, stored_id) = match row {
            Some(r) => (self.store.message(r).await?.thread_key, r),
            None => {
                let ids = ancestors(msg);
                let key = self.store.thread_key_of(self.account(), &ids).await?.unwrap_or_else(|| thread_key(msg, |_| None));
                (key, i64::MAX)
            }
        };
        let (intent, sender_class, known_sender) = self.facts_for(stored_id, msg).await?;
        let key = autonomy::key(intent, sender_class);
        let state = self.autonomy_state(&key).await?;
        let facts = Facts {
            sender: msg.from.as_ref().map(|f| f.email.as_str()),
            thread: &thread_key,
            category: triaged.category,
            intent,
            sender_class,
            autonomy_promoted: state == autonomy::State::Promoted,
        };
        let (thread, earlier) = self.thread_tail(&thread_key, stored_id).await?;
        let message_signals = assess_message(msg, &AssessContext { known_sender, thread_len: earlier + 1 });
        let signals = if triaged.needs_reply {
            let context = self.draft_context(msg, &thread_key).await?;
            let request = DraftRequest { message: msg, thread: &thread, me: &me, intent, signals: &message_signals, instruction: None, context: &context };
            let draft = self.drafter_for(&message_signals).draft(&request).await?;
            assess_reply(msg, &message_signals, &draft, &known_text(msg, &thread, &context))
        } else {
            message_signals
        };
        let assessment = combine(signals);
        let rules = autoemail_core::policy::check_rules(self.policy(), &facts, Some(assessment.level));
        let routed = route(&triaged, &assessment, self.policy(), &facts);
        Ok(RouteExplanation {
            sender: facts.sender.map(str::to_string),
            thread: thread_key.clone(),
            category: triaged.category.as_str().into(),
            needs_reply: triaged.needs_reply,
            intent: intent.as_str().into(),
            sender_class: sender_class.as_str().into(),
            autonomy_key: key,
            autonomy_state: state.as_str().into(),
            risk: assessment,
            rules,
            route: routed,
        })
    }
}
