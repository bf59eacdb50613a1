//! IMAP sync: the initial catch-up (with a progress bar), then IDLE for new mail,
//! reconnecting with backoff. The last UID seen is saved after every batch so a
//! restart resumes where it stopped; a UIDVALIDITY change resyncs the mailbox,
//! and the store's de-duplication keeps messages from doubling.

use std::sync::Arc;
use std::time::Duration;

use autoemail_core::audit::AuditEvent;
use autoemail_mail::MailSender;
use autoemail_mail::imap::{IdleEvent, ImapClient};
use autoemail_store::SyncState;
use indicatif::{ProgressBar, ProgressStyle};

use crate::outbox::ImapFiler;
use crate::pipeline::{IngestOutcome, Source};
use crate::{App, AppError, Result};

const BATCH: usize = 50;
/// Without CONDSTORE, how many of the newest pending messages have their flags checked per sync.
const FLAG_POLL_LIMIT: i64 = 200;
/// Sent messages read on the first sync, for learning the person's style.
pub const SENT_HISTORY: usize = 500;

#[derive(Debug, Default, Clone, Copy)]
pub struct SyncReport {
    pub fetched: usize,
    /// The highest UID stored by this sync.
    pub last_uid: u32,
    pub new: usize,
    pub drafted: usize,
    /// The mailbox's HIGHESTMODSEQ at this sync, when the server offers CONDSTORE.
    pub highest_modseq: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Sync and send once, then return (for cron and tests).
    pub once: bool,
    /// How long one IDLE waits before re-issuing it.
    pub idle_wait: Duration,
    pub progress: bool,
    /// How often the outbox worker looks for replies due.
    pub outbox_interval: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { once: false, idle_wait: Duration::from_secs(240), progress: true, outbox_interval: Duration::from_secs(1) }
    }
}

/// Several accounts in one process, each in its own task with its own store,
/// connections and outbox: an account that fails (server down, password
/// refused) is retried on its own, with backoff, and never stops the others.
pub async fn run_accounts(apps: Vec<App>, options: RunOptions) {
    let mut tasks = Vec::new();
    for app in apps {
        let options = options.clone();
        tasks.push(tokio::spawn(async move {
            let name = app.account().to_string();
            let mut backoff = Duration::from_secs(5);
            loop {
                match app.run(options.clone()).await {
                    Ok(()) if options.once => return,
                    Ok(()) => {}
                    Err(e) if options.once => {
                        tracing::error!(account = %name, "account {name}: {e}");
                        return;
                    }
                    Err(e) => tracing::error!(account = %name, "account {name} stopped: {e}; trying again in {}s", backoff.as_secs()),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(600));
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

impl App {
    /// Fetch and ingest every message above the saved UID of the selected mailbox.
    pub async fn sync_mailbox(&self, client: &mut ImapClient, mailbox: &str, progress: bool) -> Result<SyncReport> {
        let status = client.select(mailbox).await?;
        let account = self.account();
        let stored = self.store.sync_state(account, mailbox).await?;
        let mut last_uid = match stored {
            Some(s) if s.uidvalidity == status.uidvalidity => s.last_uid,
            Some(s) => {
                let why =
                    format!("{mailbox} UIDVALIDITY changed from {} to {}: resyncing (stored messages are not duplicated)", s.uidvalidity, status.uidvalidity);
                tracing::warn!("{why}");
                self.store.audit(AuditEvent::system("resync", why)).await?;
                0
            }
            None => 0,
        };
        let uids = client.uids_after(last_uid).await?;
        let mut report = SyncReport { highest_modseq: status.highest_modseq, ..Default::default() };
        if uids.is_empty() {
            // Nothing new: written only when it moved (a new UIDVALIDITY), not on every idle sync.
            let state = SyncState { uidvalidity: status.uidvalidity, last_uid };
            if stored != Some(state) {
                self.store.set_sync_state(account, mailbox, state).await?;
            }
            return Ok(report);
        }
        let bar = if progress && uids.len() > 1 {
            let bar = ProgressBar::new(uids.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message(format!("syncing {mailbox}"));
            bar
        } else {
            ProgressBar::hidden()
        };
        // The next batch is fetched while the last one is ingested on another
        // task; the sync position moves only past batches fully stored.
        let mut in_flight: Option<tokio::task::JoinHandle<Result<SyncReport>>> = None;
        let finish = async |handle: tokio::task::JoinHandle<Result<SyncReport>>, report: &mut SyncReport, last_uid: &mut u32| -> Result<()> {
            let done = handle.await.map_err(|e| AppError::Other(format!("ingest task: {e}")))??;
            report.fetched += done.fetched;
            report.new += done.new;
            report.drafted += done.drafted;
            *last_uid = (*last_uid).max(done.last_uid);
            self.store.set_sync_state(account, mailbox, SyncState { uidvalidity: status.uidvalidity, last_uid: *last_uid }).await?;
            Ok(())
        };
        for chunk in uids.chunks(BATCH) {
            let fetched = client.fetch_raw(chunk).await;
            if let Some(handle) = in_flight.take() {
                finish(handle, &mut report, &mut last_uid).await?;
            }
            let fetched = fetched?;
            let app = self.clone();
            let (mailbox, uidvalidity, bar) = (mailbox.to_string(), status.uidvalidity, bar.clone());
            in_flight = Some(tokio::spawn(async move { app.ingest_batch(&mailbox, uidvalidity, fetched, &bar).await }));
        }
        if let Some(handle) = in_flight.take() {
            finish(handle, &mut report, &mut last_uid).await?;
        }
        bar.finish_and_clear();
        Ok(report)
    }

    /// Store and draft one fetched batch, in UID order.
    async fn ingest_batch(&self, mailbox: &str, uidvalidity: u32, fetched: Vec<(u32, Vec<u8>)>, bar: &ProgressBar) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let batch = fetched.iter().map(|(uid, raw)| (raw.as_slice(), Source { mailbox, uid: Some(*uid), uidvalidity: Some(uidvalidity) })).collect();
        let outcomes = self.ingest_many(batch).await?;
        for ((uid, _), outcome) in fetched.iter().zip(outcomes) {
            report.fetched += 1;
            match outcome {
                IngestOutcome::Stored { draft, .. } => {
                    report.new += 1;
                    report.drafted += usize::from(draft.is_some());
                }
                IngestOutcome::Duplicate { .. } => {}
                IngestOutcome::Skipped(why) => {
                    self.store.audit(AuditEvent::system("skipped", format!("{mailbox} UID {uid}: {why}"))).await?;
                }
            }
            report.last_uid = report.last_uid.max(*uid);
        }
        bar.inc(fetched.len() as u64);
        Ok(report)
    }

    /// Pending drafts whose original the server shows as \Answered (the person
    /// replied from another client) leave the queue. With CONDSTORE only the
    /// flags changed since the last look are fetched; without it, the flags of
    /// each pending message are asked for (few are pending, so it stays cheap).
    pub async fn obsolete_answered_on_server(&self, client: &mut ImapClient, mailbox: &str, highest_modseq: Option<u64>) -> Result<usize> {
        let account = self.account();
        let answered_uids: Vec<u32> = match (highest_modseq, self.store.modseq(account, mailbox).await?) {
            (Some(now_seq), Some(seen)) if now_seq == seen => vec![],
            (Some(now_seq), Some(seen)) => {
                let changed = client.flag_changes_since(seen).await?;
                self.store.set_modseq(account, mailbox, now_seq).await?;
                changed.into_iter().filter(|(_, flags)| flags.iter().any(|f| f.contains("Answered"))).map(|(uid, _)| uid).collect()
            }
            // First look with CONDSTORE: remember where we are; changes from now on are fetched.
            (Some(now_seq), None) => {
                self.store.set_modseq(account, mailbox, now_seq).await?;
                vec![]
            }
            // No CONDSTORE: ask for the flags of the newest pending messages only.
            (None, _) => {
                let mut uids = Vec::new();
                for (_, _, uid) in self.store.pending_in_mailbox(account, mailbox, FLAG_POLL_LIMIT).await? {
                    if client.flags(uid).await?.iter().any(|f| f.contains("Answered")) {
                        uids.push(uid);
                    }
                }
                uids
            }
        };
        let mut obsoleted = 0;
        for uid in answered_uids {
            let Some(original) = self.store.message_by_uid(account, mailbox, uid).await? else { continue };
            obsoleted += self.obsolete_pending(original.id, &format!("{mailbox} UID {uid} is \\Answered on the server")).await?;
        }
        Ok(obsoleted)
    }

    /// Bring in the replies the person sent from elsewhere (their Sent folder),
    /// so drafts learn their style. The first time, only the latest
    /// [`SENT_HISTORY`] messages are read. Never drafted: triage sees they are from the person.
    pub async fn sync_sent(&self, client: &mut ImapClient) -> Result<SyncReport> {
        let Some(sent) = client.find_sent_mailbox().await? else { return Ok(SyncReport::default()) };
        if self.store.sync_state(self.account(), &sent).await?.is_none() {
            let status = client.select(&sent).await?;
            let uids = client.uids_after(0).await?;
            if uids.len() > SENT_HISTORY {
                let last_uid = uids[uids.len() - SENT_HISTORY - 1];
                self.store.set_sync_state(self.account(), &sent, SyncState { uidvalidity: status.uidvalidity, last_uid }).await?;
            }
        }
        self.sync_mailbox(client, &sent, false).await
    }

    /// The long-running loop: sync, IDLE, repeat; the outbox worker runs beside it.
    pub async fn run(&self, options: RunOptions) -> Result<()> {
        let imap = self.config.imap_config()?.ok_or_else(|| AppError::Config("`run` needs an [imap] section in the config".into()))?;
        let mailbox = self.config.imap.as_ref().map(|s| s.mailbox.clone()).unwrap_or_else(|| "INBOX".into());
        let sender = self.sender()?;
        self.draft_missing().await?;

        if options.once {
            let mut client = ImapClient::connect(&imap).await?;
            self.sync_sent(&mut client).await?;
            let report = self.sync_mailbox(&mut client, &mailbox, options.progress).await?;
            self.obsolete_answered_on_server(&mut client, &mailbox, report.highest_modseq).await?;
            client.logout().await;
            println!("synced {mailbox}: {} fetched, {} new, {} drafted", report.fetched, report.new, report.drafted);
            let mut filer = ImapFiler::new(imap.clone());
            let delivered = self.deliver_due(sender.as_ref(), Some(&mut filer)).await?;
            println!("outbox: {} sent, {} filed, {} retrying, {} failed", delivered.sent, delivered.filed, delivered.retried, delivered.failed);
            return Ok(());
        }

        let worker = crate::outbox::spawn_worker(self.clone(), sender, Some(ImapFiler::new(imap.clone())), options.outbox_interval);

        let mut backoff = Duration::from_secs(1);
        let mut first = true;
        loop {
            let result: Result<()> = async {
                let mut client = ImapClient::connect(&imap).await?;
                tracing::info!("connected to {}:{} as {}", imap.host, imap.port, imap.username);
                let sent = self.sync_sent(&mut client).await?;
                if sent.new > 0 {
                    tracing::info!("{} sent message(s) read for your writing style", sent.new);
                }
                loop {
                    let report = self.sync_mailbox(&mut client, &mailbox, options.progress && first).await?;
                    let answered = self.obsolete_answered_on_server(&mut client, &mailbox, report.highest_modseq).await?;
                    if answered > 0 {
                        tracing::info!("{answered} draft(s) left the queue: answered from another mail client");
                    }
                    if first {
                        println!(
                            "[{}] initial sync of {mailbox}: {} fetched, {} new, {} drafted; watching for new mail (IDLE)",
                            self.account(),
                            report.fetched,
                            report.new,
                            report.drafted
                        );
                        first = false;
                    } else if report.new > 0 {
                        tracing::info!("{} new message(s), {} drafted", report.new, report.drafted);
                    }
                    backoff = Duration::from_secs(1);
                    let (c, event) = client.idle(options.idle_wait).await?;
                    client = c;
                    if let IdleEvent::TimedOut = event {
                        client.noop().await?;
                    }
                }
            }
            .await;
            match result {
                Err(e) if e.is_transient() => {
                    tracing::warn!("IMAP: {e}; reconnecting in {}s", backoff.as_secs());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
                Err(e) => {
                    worker.abort();
                    return Err(e);
                }
                Ok(()) => {}
            }
        }
    }

    /// The configured transport: a Maildir in demo mode, else SMTP.
    pub fn sender(&self) -> Result<Arc<dyn MailSender>> {
        if let Some(dir) = &self.config.outbox.maildir {
            let dir = self.config.resolve(dir);
            return Ok(Arc::new(autoemail_mail::maildir::MaildirSender::create(&dir)?));
        }
        match self.config.smtp_config()? {
            Some(smtp) => Ok(Arc::new(autoemail_mail::smtp::SmtpSender::new(&smtp)?)),
            None => Err(AppError::Config("no way to send: add an [smtp] section (or [outbox] maildir for a local test)".into())),
        }
    }
}
