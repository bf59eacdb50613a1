//! A stateless worker of a multi-account deployment on PostgreSQL: any number
//! of them share one store, and every piece of work is claimed so that exactly
//! one worker does it.
//!
//! - sync: an account's IMAP sync is claimed with a lease (`claim_account`,
//!   `FOR UPDATE SKIP LOCKED`); a worker that dies loses it when the lease runs
//!   out, and the next one resumes from the stored UID (messages are stored once
//!   whatever is fetched twice). The worker keeps the account's IMAP session
//!   open for its next sync (`KeptSessions`), and the others leave the account
//!   to it unless it is late;
//! - draft: each message that needs a first draft is claimed with its own lease
//!   (`claim_draft_job`), and the first draft is stored only if none exists, so
//!   a slow worker whose lease ran out cannot draft a message twice;
//! - send: one query finds the accounts with replies to send, settle or file
//!   (`accounts_with_outbox_work`), so idle accounts cost nothing; replies are
//!   claimed per account (`claim_due`, SKIP LOCKED); a claim whose process
//!   died is reconciled against the mailbox before any retry.
//!
//! LISTEN/NOTIFY wakes the draft and send loops as soon as another process
//! commits a message or an approval; they also poll, so a lost event only delays.
//!
//! The accounts come from a folder of configs that the worker reads again
//! while it runs (`AccountFolder`): every loop takes the roster as it is when
//! it claims a job, so accounts join and leave without a restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use autoemail_core::message::parse_message;
use autoemail_mail::imap::ImapClient;
use tokio::sync::Notify;

use crate::account_folder::{AccountFolder, Changes};
use crate::kept_sessions::KeptSessions;
use crate::outbox::ImapFiler;
use crate::{App, AppError, Result, now};

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Shown in leases and claims.
    pub id: String,
    /// How often each account is synced.
    pub sync_interval: Duration,
    /// How long a claim holds when its worker stops answering.
    pub lease: Duration,
    /// Concurrent draft jobs (drafting waits on a model, so more than the cores).
    pub drafters: usize,
    /// Concurrent account syncs (each waits on an IMAP server).
    pub syncers: usize,
    /// How often the account folder is read again.
    pub reload_interval: Duration,
    /// IMAP sessions kept open between syncs (0: a login per sync).
    pub kept_sessions: usize,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            id: crate::outbox::claimer_id(),
            sync_interval: Duration::from_secs(5),
            lease: Duration::from_secs(60),
            drafters: 2,
            syncers: 4,
            reload_interval: Duration::from_secs(10),
            kept_sessions: 200,
        }
    }
}

/// Say what a look at the account folder changed (problems as warnings).
fn report_changes(changes: &Changes) {
    for problem in &changes.problems {
        tracing::warn!("skipped {problem}");
    }
    for (what, names) in [("joined", &changes.joined), ("left", &changes.left), ("reloaded", &changes.reloaded)] {
        if !names.is_empty() {
            tracing::info!("accounts {what}: {}", names.join(", "));
        }
    }
}

/// Run until an unrecoverable error; transient ones are logged and retried.
/// The folder's configs are read again every `reload_interval`, and its
/// roster (which the review UI may serve too) follows them.
pub async fn run(mut folder: AccountFolder, options: WorkerOptions, events_url: Option<String>) -> Result<()> {
    let (roster, store) = (folder.roster(), folder.store());
    let wake_draft = Arc::new(Notify::new());
    let wake_send = Arc::new(Notify::new());

    if let Some(url) = events_url {
        let (wake_draft, wake_send) = (wake_draft.clone(), wake_send.clone());
        tokio::spawn(async move {
            loop {
                let mut events = match autoemail_store::PgEvents::listen(&url).await {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!("events: {e}; polling only, retrying in 5 s");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        continue;
                    }
                };
                while let Ok(event) = events.next().await {
                    if event.starts_with("message:") {
                        wake_draft.notify_waiters();
                    } else if event.starts_with("approved:") {
                        wake_send.notify_waiters();
                    }
                }
            }
        });
    }

    let sessions = Arc::new(KeptSessions::new(options.kept_sessions));
    let mut tasks = Vec::new();
    {
        let every = options.reload_interval.max(Duration::from_secs(1));
        let (roster, sessions) = (roster.clone(), sessions.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match folder.rescan().await {
                    Ok(changes) => report_changes(&changes),
                    Err(e) => tracing::warn!("reading the account folder again: {e}"),
                }
                // Accounts that left or were reloaded, or went to another worker, give their sessions up.
                sessions.prune(&roster.apps());
            }
        }));
    }
    // Another worker takes an account this one synced last once it is this late.
    let grace = options.sync_interval.max(Duration::from_secs(2)).as_secs() as i64;
    for _ in 0..options.syncers.max(1) {
        let (roster, store, options, sessions) = (roster.clone(), store.clone(), options.clone(), sessions.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                match store.claim_account(&roster.names(), &options.id, now(), options.lease.as_secs() as i64, grace).await {
                    Ok(Some(account)) => {
                        let next = match roster.get(&account) {
                            // It left the roster since the claim: nothing to sync.
                            None => now(),
                            Some(app) => match sync_once(&app, &sessions).await {
                                Ok(()) => now() + options.sync_interval.as_secs() as i64,
                                Err(e) => {
                                    tracing::warn!("[{account}] sync: {e}");
                                    now() + 2 * options.sync_interval.as_secs() as i64
                                }
                            },
                        };
                        if let Err(e) = store.release_account(&account, &options.id, next).await {
                            tracing::warn!("[{account}] release: {e}");
                        }
                    }
                    Ok(None) => tokio::time::sleep(Duration::from_millis(300)).await,
                    Err(e) => {
                        tracing::warn!("claiming a sync: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }));
    }
    for _ in 0..options.drafters.max(1) {
        let (roster, store, options, wake) = (roster.clone(), store.clone(), options.clone(), wake_draft.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                match store.claim_draft_job(&roster.names(), &options.id, now(), options.lease.as_secs() as i64).await {
                    Ok(Some((account, row))) => {
                        // An account that left since the claim: its lease runs out, and a worker that serves it drafts it.
                        let Some(app) = roster.get(&account) else { continue };
                        if let Err(e) = draft_one(&app, row).await {
                            tracing::warn!("[{account}] drafting message {row}: {e}");
                        }
                    }
                    Ok(None) => {
                        let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
                    }
                    Err(e) => {
                        tracing::warn!("claiming a draft job: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }));
    }
    {
        let (roster, store, wake) = (roster.clone(), store.clone(), wake_send.clone());
        tasks.push(tokio::spawn(async move {
            // Built once per account config: a reloaded account gets new ones.
            let mut senders: HashMap<String, (Arc<App>, _, _)> = HashMap::new();
            loop {
                let apps = roster.apps();
                let by_name: HashMap<&str, &Arc<App>> = apps.iter().map(|a| (a.account(), a)).collect();
                senders.retain(|account, (built_for, _, _)| by_name.get(account.as_str()).is_some_and(|a| Arc::ptr_eq(a, built_for)));
                // One query for every account, then only those with replies to send, settle or file.
                let names: Vec<String> = apps.iter().map(|a| a.account().to_string()).collect();
                let busy: std::collections::HashSet<String> = match store.accounts_with_outbox_work(&names, now()).await {
                    Ok(busy) => busy.into_iter().collect(),
                    Err(e) => {
                        tracing::warn!("looking for replies to send: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                for app in apps.iter().filter(|a| busy.contains(a.account())) {
                    let account = app.account();
                    if !senders.contains_key(account) {
                        match (app.sender(), app.config.imap_config()) {
                            (Ok(s), Ok(imap)) => {
                                senders.insert(account.to_string(), (app.clone(), s, imap.map(ImapFiler::new)));
                            }
                            (Err(e), _) | (_, Err(e)) => {
                                tracing::warn!("[{account}] cannot send: {e}");
                                continue;
                            }
                        }
                    }
                    let Some((_, sender, filer)) = senders.get_mut(account) else { continue };
                    match app.deliver_due(sender.as_ref(), filer.as_mut()).await {
                        Ok(r) if r.sent + r.failed + r.reconciled_sent + r.reconciled_requeued > 0 => tracing::info!(
                            "[{account}] outbox: {} sent, {} filed, {} failed, {} settled after a crash",
                            r.sent,
                            r.filed,
                            r.failed,
                            r.reconciled_sent + r.reconciled_requeued
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!("[{account}] outbox: {e}"),
                    }
                }
                let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
            }
        }));
    }
    println!("worker {} serving {} account(s)", options.id, roster.apps().len());
    // The loops run for good; one ending means it panicked.
    let (ended, _, _) = futures::future::select_all(tasks).await;
    Err(AppError::Other(match ended {
        Err(e) => format!("a worker loop stopped: {e}"),
        Ok(()) => "a worker loop stopped".into(),
    }))
}

/// One pass over the account's mailbox: new messages stored (drafting is a
/// separate job). On the account's kept session when there is one; the
/// session is kept again after a good sync.
async fn sync_once(app: &Arc<App>, sessions: &KeptSessions) -> Result<()> {
    let imap = app.config.imap_config()?.ok_or_else(|| AppError::Config(format!("[{}] has no [imap] section", app.account())))?;
    let mailbox = app.config.imap.as_ref().map(|s| s.mailbox.clone()).unwrap_or_else(|| "INBOX".into());
    let (mut client, kept) = match sessions.take(app) {
        Some(client) => (client, true),
        None => (ImapClient::connect(&imap).await?, false),
    };
    let mut result = app.sync_mailbox(&mut client, &mailbox, false).await;
    if kept && let Err(e) = &result {
        // A kept session the server has since closed (its idle limit, a restart): once more on a new one.
        tracing::debug!("[{}] kept IMAP session failed ({e}); logging in again", app.account());
        tokio::spawn(client.logout());
        client = ImapClient::connect(&imap).await?;
        result = app.sync_mailbox(&mut client, &mailbox, false).await;
    }
    match result {
        Ok(report) => {
            sessions.put(app, client);
            if report.new > 0 {
                tracing::info!("[{}] {} new message(s)", app.account(), report.new);
            }
            Ok(())
        }
        Err(e) => {
            client.logout().await;
            Err(e)
        }
    }
}

async fn draft_one(app: &App, row: i64) -> Result<()> {
    let stored = app.store.message(row).await?;
    let msg = parse_message(&stored.raw).map_err(|e| AppError::Other(format!("message {row}: {e}")))?;
    app.draft_message(row, &msg).await?;
    Ok(())
}
