//! The outbox worker: send replies whose hold has passed, then file each in the
//! Sent folder and flag its original \Answered.
//!
//! A reply is claimed (queued → sending) in one statement before the send, so two
//! workers never send the same row. Transient failures retry with backoff and
//! jitter; permanent ones go back to the person with the server's words.
//!
//! Exactly once through crashes: a claim records which process made it. A
//! reply left in `sending` by a process that is gone may or may not have
//! reached the server, so before anything is retried it is reconciled: looked
//! up by its Message-ID in Sent and INBOX (where the envelope copy to the
//! person arrives once the server accepted it), or asked of the transport
//! where it can tell. Found: recorded as sent, never sent again. Not found
//! after a grace period: queued again.

use autoemail_core::audit::AuditEvent;
use autoemail_mail::MailSender;
use autoemail_mail::imap::{ImapClient, ImapConfig};
use autoemail_store::{OutboxItem, OutboxState};

use crate::{App, Result, now};

/// Attempts before a transiently failing reply is handed back to the person.
pub const MAX_ATTEMPTS: i64 = 8;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub filed: usize,
    pub retried: usize,
    pub failed: usize,
    /// Left `sending` by a crashed process and found delivered: not sent again.
    pub reconciled_sent: usize,
    /// Left `sending` by a crashed process and not found anywhere: queued again.
    pub reconciled_requeued: usize,
    /// Sending is paused for the account (`autoemail pause`).
    pub paused: bool,
    /// The hourly limit was reached; the rest wait for the next pass.
    pub rate_limited: bool,
}

/// A claim older than this is taken as abandoned even when its process cannot be checked (another host).
pub const CLAIM_LEASE_SECONDS: i64 = 300;

/// This process, as written on its claims: host, pid and start time (so a
/// reused pid is not mistaken for the claimant).
pub fn claimer_id() -> String {
    format!("{}:{}:{}", host_name(), std::process::id(), process_start(std::process::id()).unwrap_or_default())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Start time of a process in clock ticks since boot (Linux), from /proc.
fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22, counted after the command name in parentheses (which may hold spaces).
    stat.rsplit_once(')')?.1.split_whitespace().nth(19).map(str::to_string)
}

/// Is the process that made this claim still running? None when it cannot be told from here.
fn claimant_alive(claimed_by: &str) -> Option<bool> {
    let mut parts = claimed_by.rsplitn(3, ':');
    let (start, pid, host) = (parts.next()?, parts.next()?.parse::<u32>().ok()?, parts.next()?);
    if host != host_name() || start.is_empty() {
        return None;
    }
    Some(process_start(pid).as_deref() == Some(start))
}

/// Files sent replies over IMAP: APPEND to \Sent, then \Answered on the original.
pub struct ImapFiler {
    config: ImapConfig,
    sent_mailbox: Option<String>,
}

impl ImapFiler {
    pub fn new(config: ImapConfig) -> Self {
        ImapFiler { config, sent_mailbox: None }
    }

    /// Where a message with this Message-ID is, if anywhere: Sent first, then INBOX.
    pub async fn find(&mut self, message_id: &str) -> Result<Option<String>> {
        let mut client = ImapClient::connect(&self.config).await?;
        if self.sent_mailbox.is_none() {
            self.sent_mailbox = client.find_sent_mailbox().await?;
        }
        let sent = self.sent_mailbox.clone().unwrap_or_else(|| "Sent".to_string());
        let mut found = None;
        for mailbox in [sent.as_str(), "INBOX"] {
            if client.select(mailbox).await.is_ok() && !client.search_message_id(message_id).await?.is_empty() {
                found = Some(mailbox.to_string());
                break;
            }
        }
        client.logout().await;
        Ok(found)
    }

    async fn file(&mut self, raw: &[u8], original_mailbox: &str, original_uid: Option<u32>) -> Result<String> {
        let mut client = ImapClient::connect(&self.config).await?;
        if self.sent_mailbox.is_none() {
            self.sent_mailbox = client.find_sent_mailbox().await?;
        }
        let sent = self.sent_mailbox.clone().unwrap_or_else(|| "Sent".to_string());
        client.append(&sent, raw, "(\\Seen)").await?;
        let mut note = format!("copied to {sent}");
        if let Some(uid) = original_uid {
            client.select(original_mailbox).await?;
            client.add_flags(uid, "\\Answered").await?;
            note.push_str(&format!("; original {original_mailbox} UID {uid} flagged \\Answered"));
        }
        client.logout().await;
        Ok(note)
    }
}

fn backoff_seconds(attempts: i64, jitter_seed: i64) -> i64 {
    let base = 5i64.saturating_mul(1 << attempts.clamp(0, 8)).min(900);
    base + jitter_seed.rem_euclid(base / 4 + 1)
}

impl App {
    /// Settle replies that a vanished process left in `sending`: sent if the
    /// mailbox or the transport shows they went out, else queued again.
    pub async fn reconcile(&self, sender: &dyn MailSender, mut filer: Option<&mut ImapFiler>, report: &mut DeliveryReport) -> Result<()> {
        let grace = self.config.outbox.reconcile_grace_seconds as i64;
        // A store shared by many accounts: settle only this account's replies.
        for item in self.store.account_outbox_by_state(self.account(), OutboxState::Sending).await? {
            let claimed_at = item.claimed_at.unwrap_or(0);
            let alive = item.claimed_by.as_deref().and_then(claimant_alive);
            let abandoned = match alive {
                Some(alive) => !alive,
                None => now() - claimed_at > CLAIM_LEASE_SECONDS,
            };
            if !abandoned {
                continue;
            }
            // Look now, and again until the grace period after the claim has passed:
            // the server's copy may still be on its way.
            let found = loop {
                let where_found = match filer.as_deref_mut() {
                    Some(f) => f.find(&item.rfc_message_id).await?,
                    None => None,
                };
                let found = where_found.or(match sender.was_delivered(&item.rfc_message_id).await {
                    Some(true) => Some(sender.describe()),
                    _ => None,
                });
                if found.is_some() || now() >= claimed_at + grace {
                    break found;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            };
            let ev = |action: &str, reason: String| AuditEvent::system(action, reason).message(item.original_row).draft(item.draft_id);
            match found {
                Some(place) => {
                    let why = format!("{} was being sent when its process stopped; found in {place}: recorded as sent, not sent again", item.rfc_message_id);
                    self.store.mark_sent(item.id, ev("reconciled_sent", why)).await?;
                    report.reconciled_sent += 1;
                }
                None => {
                    let why = format!("{} was being sent when its process stopped; not found after {grace}s: sending again", item.rfc_message_id);
                    self.store.requeue_sending(item.id, ev("reconciled_requeued", why)).await?;
                    report.reconciled_requeued += 1;
                }
            }
        }
        Ok(())
    }

    /// Pause (with a reason) or resume all sending for this account.
    pub async fn set_paused(&self, person: &str, reason: Option<&str>) -> Result<()> {
        let audit = match reason {
            Some(r) => AuditEvent::person(person, "paused", format!("sending stopped: {r}")),
            None => AuditEvent::person(person, "resumed", "sending resumed".to_string()),
        };
        self.store.set_paused(self.account(), reason, audit).await?;
        Ok(())
    }

    /// Send everything due now and file what was sent. Returns what happened.
    pub async fn deliver_due(&self, sender: &dyn MailSender, mut filer: Option<&mut ImapFiler>) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        if self.store.paused(self.account()).await?.is_some() {
            report.paused = true;
            return Ok(report);
        }
        self.reconcile(sender, filer.as_deref_mut(), &mut report).await?;
        let claimer = claimer_id();
        let me = self.identity().email;
        loop {
            if let Some(limit) = self.config.outbox.max_per_hour
                && self.store.sent_since(self.account(), now() - 3600).await? >= i64::from(limit)
            {
                report.rate_limited = true;
                break;
            }
            let Some(item) = self.store.claim_due(self.account(), now(), &claimer).await? else { break };
            // Checked again per reply: `pause` stops a batch mid-way.
            if self.store.paused(self.account()).await?.is_some() {
                self.store
                    .requeue_sending(item.id, AuditEvent::system("send_paused", "sending paused before this reply went out".to_string()).draft(item.draft_id))
                    .await?;
                report.paused = true;
                break;
            }
            let mut envelope = item.recipients.clone();
            if self.config.outbox.self_copy && self.config.imap.is_some() && !envelope.iter().any(|r| r.eq_ignore_ascii_case(&me)) {
                envelope.push(me.clone());
            }
            match sender.send(&item.envelope_from, &envelope, &item.raw).await {
                Ok(()) => {
                    let reason = format!("{} to {} via {} (attempt {})", item.rfc_message_id, item.recipients.join(", "), sender.describe(), item.attempts);
                    self.store.mark_sent(item.id, AuditEvent::system("sent", reason).message(item.original_row).draft(item.draft_id)).await?;
                    report.sent += 1;
                }
                Err(e) if e.is_transient() && item.attempts < MAX_ATTEMPTS => {
                    let wait = backoff_seconds(item.attempts, item.id ^ now());
                    let reason = format!("attempt {} failed, retrying in {wait}s: {e}", item.attempts);
                    self.store
                        .mark_retry(
                            item.id,
                            &e.to_string(),
                            now() + wait,
                            AuditEvent::system("send_retry", reason).message(item.original_row).draft(item.draft_id),
                        )
                        .await?;
                    report.retried += 1;
                }
                Err(e) => {
                    let reason = format!("gave up after {} attempt(s); back to you: {e}", item.attempts);
                    self.store
                        .mark_failed(item.id, &e.to_string(), AuditEvent::system("send_failed", reason).message(item.original_row).draft(item.draft_id))
                        .await?;
                    report.failed += 1;
                }
            }
        }
        report.filed = self.file_sent(filer).await?;
        Ok(report)
    }

    /// File every sent-but-not-filed reply. Without IMAP (demo), the Maildir copy
    /// is the record and the original is marked answered in the store only.
    pub async fn file_sent(&self, mut filer: Option<&mut ImapFiler>) -> Result<usize> {
        let mut filed = 0;
        for item in self.store.account_outbox_by_state(self.account(), OutboxState::Sent).await? {
            let note = match filer.as_deref_mut() {
                Some(f) => match self.file_one(f, &item).await {
                    Ok(note) => note,
                    Err(e) => {
                        tracing::warn!("filing reply {} failed, will retry: {e}", item.rfc_message_id);
                        continue;
                    }
                },
                None => "no IMAP account: recorded as answered in the store".to_string(),
            };
            self.store.mark_filed(item.id, AuditEvent::system("filed", note).message(item.original_row).draft(item.draft_id)).await?;
            filed += 1;
        }
        Ok(filed)
    }

    async fn file_one(&self, filer: &mut ImapFiler, item: &OutboxItem) -> Result<String> {
        let original = self.store.message(item.original_row).await?;
        filer.file(&item.raw, &original.mailbox, original.uid).await
    }
}

/// Send due replies every `interval` until aborted: beside `run`'s sync loop,
/// and beside the review UI in the demo.
pub fn spawn_worker(
    app: App,
    sender: std::sync::Arc<dyn MailSender>,
    mut filer: Option<ImapFiler>,
    interval: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match app.deliver_due(sender.as_ref(), filer.as_mut()).await {
                Ok(r) if r.sent + r.failed + r.filed > 0 => {
                    tracing::info!("outbox: {} sent, {} filed, {} retrying, {} failed", r.sent, r.filed, r.retried, r.failed)
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("outbox: {e}"),
            }
            tokio::time::sleep(interval).await;
        }
    })
}
