//! The outbox worker: send replies whose hold has passed, then file each in the
//! Sent folder and flag its original \Answered.
//!
//! A reply is claimed (queued → sending) in one statement before the send, so two
//! workers never send the same row. Transient failures retry with backoff and
//! jitter; permanent ones go back to the person with the server's words.

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
    /// Send everything due now and file what was sent. Returns what happened.
    pub async fn deliver_due(&self, sender: &dyn MailSender, filer: Option<&mut ImapFiler>) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        while let Some(item) = self.store.claim_due(now()).await? {
            match sender.send(&item.envelope_from, &item.recipients, &item.raw).await {
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
        for item in self.store.outbox_by_state(OutboxState::Sent).await? {
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
