//! `autoemail`: the command-line front end. Parses arguments, loads the config,
//! and calls the application layer; all decisions live in the library crates.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use autoemail::config::{Config, INIT_TEMPLATE, write_private};
use autoemail::pipeline::{IngestOutcome, Source};
use autoemail::sync::RunOptions;
use autoemail::{App, demo, eval};
use autoemail_core::parse_message;
use autoemail_store::{AuditFilter, QueueEntry};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "autoemail",
    version,
    about = "A human-in-the-loop AI email assistant: it reads your inbox, drafts replies, and sends nothing without your approval."
)]
struct Cli {
    /// Config file [default: ~/.config/autoemail/config.toml]
    #[arg(short, long, global = true, env = "AUTOEMAIL_CONFIG")]
    config: Option<PathBuf>,
    /// Your name in the audit log for review actions [default: $USER]
    #[arg(long = "as", global = true, value_name = "NAME")]
    actor: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// How a worker paces its work.
#[derive(clap::Args)]
struct WorkerFlags {
    /// Seconds between syncs of one account
    #[arg(long, default_value_t = 5)]
    sync_interval: u64,
    /// Seconds a claim holds after its worker stops answering
    #[arg(long, default_value_t = 60)]
    lease: u64,
    /// Accounts synced at once by this worker (each sync waits on the IMAP server)
    #[arg(long, default_value_t = 4)]
    syncers: usize,
    /// Seconds between looks at the account folder for added, changed or removed configs
    #[arg(long, default_value_t = 10)]
    reload_interval: u64,
    /// IMAP sessions kept open between syncs, one per account, each an open file (0: log in for every sync)
    #[arg(long, default_value_t = 200)]
    kept_sessions: usize,
}

#[derive(Subcommand)]
enum Command {
    /// Try AutoEmail on a sample inbox: local store, offline drafter, replies to a local Maildir
    Demo {
        /// Folder for the demo's config, store and outbox
        #[arg(long, default_value = "autoemail-demo")]
        dir: PathBuf,
        /// Start over: delete the demo's store and outbox first
        #[arg(long)]
        fresh: bool,
        /// Serve the review UI (the default when run in a terminal); Ctrl-C stops it
        #[arg(long, conflicts_with = "no_serve")]
        serve: bool,
        /// Only load the sample inbox and print the queue
        #[arg(long)]
        no_serve: bool,
    },
    /// Print an argon2 hash of a password (read from stdin) for [web] password_hash
    Password,
    /// Write a commented config file (0600) to fill in
    Init {
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Sync the inbox over IMAP, draft replies, then watch for new mail (IDLE), send approved replies and serve the review UI
    Run {
        /// Sync and send once, then exit
        #[arg(long)]
        once: bool,
        /// Do not serve the review UI ([web] enabled = false does the same)
        #[arg(long)]
        no_web: bool,
        /// More accounts to run in the same process, one config file each; a failing account does not stop the others
        #[arg(long = "also", value_name = "CONFIG")]
        also: Vec<PathBuf>,
    },
    /// Work on many accounts sharing one PostgreSQL store, beside other workers: sync, draft and send, each job claimed by one worker
    Worker {
        /// A folder of account configs (*.toml), all with the same [store] url; read again while the worker runs, so accounts join and leave without a restart
        #[arg(long, value_name = "DIR")]
        accounts: PathBuf,
        /// This worker's name in claims and leases [default: host:pid:start]
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        flags: WorkerFlags,
        /// Also serve the review UI for all these accounts (the first config's [web] settings)
        #[arg(long)]
        web: bool,
    },
    /// Import an mbox file, a Maildir, a folder of .eml files or one .eml file
    Import { path: PathBuf },
    /// Pending drafts, most urgent first, with why each needs review
    Queue {
        #[arg(long)]
        json: bool,
    },
    /// A draft with its original message, risk signals and history
    Show {
        id: i64,
        /// Print the original's HTML, sanitized with remote content blocked (for a browser)
        #[arg(long)]
        html: bool,
    },
    /// Approve a draft as it stands
    Approve { id: i64 },
    /// Edit a draft in $EDITOR, then approve it
    Edit { id: i64 },
    /// Reject a draft, with a reason
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Take back an approved reply still in its hold window
    Undo { id: i64 },
    /// Draft a new version, following an instruction ("shorter", "decline politely", "offer Tuesday instead"); also retries a failed draft
    Regenerate {
        id: i64,
        /// What to change; leave out to simply try again
        instruction: Option<String>,
    },
    /// Check the config, the store, the mail servers and the drafter, and say exactly what is wrong
    Doctor {
        /// Check every account config of a worker's folder instead (as `worker --accounts` reads it)
        #[arg(long, value_name = "DIR")]
        accounts: Option<PathBuf>,
    },
    /// Counts, and what drafting cost: tokens, latency and price per model
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Send approved replies that are due now (after settling any a crash interrupted)
    Send,
    /// Stop all sending at once (the kill switch); approvals still queue up
    Pause {
        #[arg(long, default_value = "paused by you")]
        reason: String,
    },
    /// Resume sending after `pause`
    Resume,
    /// The audit log, for one draft or all
    Log {
        /// A draft id
        id: Option<i64>,
        #[arg(long, default_value_t = 200)]
        limit: i64,
    },
    /// Check the policy file, or explain which rule applies to a message
    Policy {
        #[command(subcommand)]
        action: PolicyCommand,
    },
    /// Earned autonomy: each kind of reply's record, and proposals to accept or decline
    Autonomy {
        #[command(subcommand)]
        action: Option<AutonomyCommand>,
        #[arg(long)]
        json: bool,
    },
    /// Measure triage, risk, request and injection detection on labelled data (a folder laid out like shared/data)
    Eval {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy file: errors name the line and say what to do
    Validate {
        /// The file [default: the one [policy] file names in the config]
        file: Option<PathBuf>,
    },
    /// Explain which rule would apply to a message, and why; nothing is stored or sent
    Check {
        /// A stored message id (see `autoemail log`), or an .eml file
        message: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AutonomyCommand {
    /// Accept a proposal: routine replies of this kind auto-send after the hold
    Accept {
        /// The category, e.g. scheduling/known
        key: String,
    },
    /// Decline a proposal, or revoke an accepted one
    Decline { key: String },
}

fn default_config_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("autoemail").join("config.toml")
}

/// AUTOEMAIL_LOG as the user set it, except that the IMAP library's wire trace
/// stays off whatever they ask for: it prints the LOGIN command, password included.
fn log_filter() -> tracing_subscriber::EnvFilter {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AUTOEMAIL_LOG").unwrap_or_else(|_| "autoemail=info,warn".into());
    match "async_imap::imap_stream=off".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}

fn print_delivery(r: &autoemail::outbox::DeliveryReport) {
    if r.paused {
        println!("sending is paused (`autoemail resume` to continue)");
    }
    if r.rate_limited {
        println!("the hourly sending limit ([outbox] max_per_hour) is reached; the rest go out later");
    }
    if r.reconciled_sent + r.reconciled_requeued > 0 {
        println!("after an interrupted send: {} found delivered (not sent again), {} not found (sent again)", r.reconciled_sent, r.reconciled_requeued);
    }
    println!("outbox: {} sent, {} filed, {} retrying, {} failed", r.sent, r.filed, r.retried, r.failed);
}

/// `autoemail queue | head` closes the pipe early: stop quietly, as other
/// command-line tools do, instead of reporting a failed print as a crash.
fn exit_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload().downcast_ref::<String>().map(String::as_str).or_else(|| info.payload().downcast_ref::<&str>().copied()).unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

#[tokio::main]
async fn main() {
    exit_quietly_on_closed_stdout();
    tracing_subscriber::fmt().with_env_filter(log_filter()).with_writer(std::io::stderr).init();
    autoemail_mail::tls::install_crypto_provider();
    if let Err(e) = real_main().await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn real_main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let actor = cli.actor.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "me".into());
    let config_path = cli.config.clone().unwrap_or_else(default_config_path);
    match cli.command {
        Command::Demo { dir, fresh, serve, no_serve } => {
            let serve = serve || (!no_serve && std::io::stdout().is_terminal() && std::io::stdin().is_terminal());
            return demo_cmd(&dir, fresh, serve, &actor).await;
        }
        Command::Password => return password_cmd(),
        Command::Worker { accounts, id, flags, web } => return worker_cmd(&accounts, id, flags, web, &actor).await,
        Command::Init { force } => return init_cmd(&config_path, force),
        Command::Eval { dir, json } => return eval_cmd(&dir, json),
        Command::Doctor { accounts: None } => return doctor_cmd(&config_path).await,
        Command::Doctor { accounts: Some(dir) } => return doctor_folder_cmd(&dir).await,
        Command::Policy { action: PolicyCommand::Validate { file: Some(file) } } => {
            let policy = autoemail::config::load_policy_file(&file)?;
            println!("{}: valid, {} rule(s)", file.display(), policy.rules.len());
            return Ok(());
        }
        _ => {}
    }
    let app = App::open(Config::load(&config_path)?).await?;
    match cli.command {
        Command::Run { once, no_web, also } => {
            let mut apps = vec![app.clone()];
            for path in &also {
                apps.push(App::open(Config::load(path)?).await.with_context(|| format!("account config {}", path.display()))?);
            }
            let _web = if once || no_web || !app.config.web.enabled {
                None
            } else {
                // Mail keeps flowing when the UI cannot start (its port taken, say); the person is told.
                match autoemail::web::serve(apps.clone(), &actor).await {
                    Ok(server) => {
                        println!("Review UI: {} (press ? there for the keys)", server.url());
                        Some(server)
                    }
                    Err(e) => {
                        eprintln!("warning: {e}\nwarning: running without the review UI; the CLI review commands work as usual");
                        None
                    }
                }
            };
            if apps.len() == 1 {
                app.run(RunOptions { once, progress: std::io::stderr().is_terminal(), ..Default::default() }).await?
            } else {
                autoemail::sync::run_accounts(apps, RunOptions { once, progress: false, ..Default::default() }).await;
            }
        }
        Command::Import { path } => import_cmd(&app, &path).await?,
        Command::Queue { json: true } => println!("{}", serde_json::to_string_pretty(&app.store.queue(Some(app.account())).await?)?),
        // The list needs no signals, versions or usage: the narrow entries read a third as much.
        Command::Queue { json: false } => print_queue(&app.store.queue_entries(Some(app.account())).await?),
        Command::Show { id, html: false } => show_cmd(&app, id).await?,
        Command::Show { id, html: true } => {
            let d = app.store.draft(id).await?;
            let m = app.store.message(d.message_row).await?;
            let msg = parse_message(&m.raw).map_err(|e| anyhow::anyhow!("{e}"))?;
            let Some(html) = &msg.html else { bail!("message {} has no HTML part; `autoemail show {id}` shows its text", m.id) };
            let safe = autoemail::html_view::safe_html(html);
            println!("{}", safe.html);
            if safe.blocked_remote > 0 {
                eprintln!("{} remote image(s) or resource(s) blocked so the sender cannot tell you opened it", safe.blocked_remote);
            }
        }
        Command::Approve { id } => {
            approve_and_maybe_send(&app, id, &actor, None).await?;
        }
        Command::Edit { id } => edit_cmd(&app, id, &actor).await?,
        Command::Reject { id, reason } => {
            let change = app.reject(id, &actor, &reason).await?;
            println!("draft {id} rejected: {reason}");
            print_autonomy_change(change.as_ref());
        }
        Command::Regenerate { id, instruction } => {
            let new_id = app.regenerate(id, instruction.as_deref().unwrap_or(""), &actor).await?;
            let d = app.store.draft(new_id).await?;
            println!("draft {new_id} (version {}) replaces draft {id}, by {}:", d.version, d.drafter);
            println!("{}", d.body.trim_end());
            for r in d.reasons() {
                println!("  - {r}");
            }
        }
        Command::Stats { json } => stats_cmd(&app, json).await?,
        Command::Policy { action: PolicyCommand::Validate { file: None } } => match &app.config.policy_section.file {
            Some(f) => println!("{}: valid, {} rule(s)", app.config.resolve(f).display(), app.policy().rules.len()),
            None => println!("{} has no policy file; the inline [policy] settings are valid (default: {:?})", config_path.display(), app.policy().default),
        },
        Command::Policy { action: PolicyCommand::Check { message, json } } => policy_check_cmd(&app, &message, json).await?,
        Command::Autonomy { action, json } => autonomy_cmd(&app, action, json, &actor).await?,
        Command::Undo { id } => {
            app.undo(id, &actor).await?;
            println!("draft {id} is back in the queue; nothing was sent");
        }
        Command::Send => {
            let sender = app.sender()?;
            let mut filer = app.config.imap_config()?.map(autoemail::outbox::ImapFiler::new);
            let r = app.deliver_due(sender.as_ref(), filer.as_mut()).await?;
            print_delivery(&r);
        }
        Command::Pause { reason } => {
            app.set_paused(&actor, Some(&reason)).await?;
            println!("sending paused: {reason}. Nothing goes out until `autoemail resume`.");
        }
        Command::Resume => {
            app.set_paused(&actor, None).await?;
            println!("sending resumed");
        }
        Command::Log { id, limit } => {
            let records = app
                .store
                .audit_log(AuditFilter {
                    draft_id: None,
                    message_row: match id {
                        Some(d) => Some(app.store.draft(d).await?.message_row),
                        None => None,
                    },
                    limit: Some(limit),
                    text: None,
                })
                .await?;
            for r in records {
                let subject = match (r.message_row, r.draft_id) {
                    (_, Some(d)) => format!("draft {d}"),
                    (Some(m), None) => format!("message {m}"),
                    _ => "-".into(),
                };
                println!("{}  {:<14} {:<12} {:<14} {}", fmt_time(r.at), r.actor, subject, r.action, r.reason);
            }
        }
        Command::Demo { .. }
        | Command::Password
        | Command::Worker { .. }
        | Command::Init { .. }
        | Command::Eval { .. }
        | Command::Doctor { .. }
        | Command::Policy { action: PolicyCommand::Validate { file: Some(_) } } => {
            unreachable!("handled above")
        }
    }
    Ok(())
}

async fn worker_cmd(dir: &Path, id: Option<String>, flags: WorkerFlags, web: bool, actor: &str) -> anyhow::Result<()> {
    let (folder, changes) = autoemail::account_folder::AccountFolder::open(dir).await?;
    for problem in &changes.problems {
        eprintln!("warning: skipped {problem}");
    }
    let url = folder.store_url().to_string();
    let mut options = autoemail::worker::WorkerOptions {
        sync_interval: std::time::Duration::from_secs(flags.sync_interval.max(1)),
        lease: std::time::Duration::from_secs(flags.lease.max(5)),
        syncers: flags.syncers.max(1),
        reload_interval: std::time::Duration::from_secs(flags.reload_interval.max(1)),
        kept_sessions: flags.kept_sessions,
        ..Default::default()
    };
    if let Some(id) = id {
        options.id = id;
    }
    let _ui = if web {
        let server = autoemail::web::serve_roster(folder.roster(), actor).await?;
        println!("Review UI for the folder's accounts: {}", server.url());
        Some(server)
    } else {
        None
    };
    autoemail::worker::run(folder, options, Some(url)).await?;
    Ok(())
}

fn password_cmd() -> anyhow::Result<()> {
    let terminal = std::io::stdin().is_terminal();
    // Keep the password off the screen while it is typed.
    let echo_off = terminal && std::process::Command::new("stty").arg("-echo").status().is_ok_and(|s| s.success());
    if terminal {
        eprint!("Password for the review UI: ");
    }
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if echo_off {
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
    }
    read.context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 8 {
        bail!("use at least 8 characters");
    }
    let hash = autoemail::web::hash_password(password).map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    println!("{hash}");
    eprintln!("Put it in your config as [web] password_hash = \"...\"; the UI then asks for this password.");
    Ok(())
}

async fn demo_cmd(dir: &Path, fresh: bool, serve: bool, actor: &str) -> anyhow::Result<()> {
    let (app, s) = demo::prepare(dir, fresh).await?;
    if s.new == 0 {
        println!("The demo inbox is already loaded in {} (use --fresh to start over).", dir.display());
    } else {
        println!("Loaded the sample inbox: {} messages, {} need a reply, {} drafted with the offline drafter.", s.new, s.needs_reply, s.drafted);
    }
    let stats = app.store.message_stats(Some(app.account())).await?;
    let cats: Vec<String> = stats.by_category.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!("Triage: {}\n", cats.join(", "));
    print_queue(&app.store.queue_entries(Some(app.account())).await?);
    let cfg = s.config_path.display();
    println!("\nReview the drafts (every command takes --config {cfg}, or export AUTOEMAIL_CONFIG={cfg}):");
    println!("  autoemail --config {cfg} show ID        the message, the draft and why it waits");
    println!("  autoemail --config {cfg} approve ID     send it (demo: into the local Maildir)");
    println!("  autoemail --config {cfg} edit ID        edit in $EDITOR, then approve");
    println!("  autoemail --config {cfg} reject ID --reason \"...\"");
    println!("  autoemail --config {cfg} log            every decision, with its reason");
    println!("Approved replies are written to the Maildir {} (open the files in {}/new).", s.outbox.display(), s.outbox.display());
    println!("Nothing is sent until you approve it.");
    if !serve {
        println!("`autoemail demo --serve` opens the same queue in your browser.");
        return Ok(());
    }
    let server = autoemail::web::serve(vec![app.clone()], actor).await?;
    let worker = autoemail::outbox::spawn_worker(app.clone(), app.sender()?, None, std::time::Duration::from_secs(1));
    println!("\nReview UI: {}  (j/k to move, a approve, ? for all keys; Ctrl-C stops)", server.url());
    tokio::signal::ctrl_c().await?;
    worker.abort();
    server.task.abort();
    Ok(())
}

fn init_cmd(path: &Path, force: bool) -> anyhow::Result<()> {
    if path.exists() && !force {
        bail!("{} already exists; use --force to overwrite it", path.display());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    write_private(path, INIT_TEMPLATE).with_context(|| format!("writing {}", path.display()))?;
    println!("Wrote {} (readable by you only). Fill in [account], [imap] and [smtp], export the passwords it names, then run `autoemail run`.", path.display());
    Ok(())
}

fn eval_cmd(dir: &Path, json: bool) -> anyhow::Result<()> {
    if !dir.is_dir() {
        bail!(
            "{} is not a folder; point eval at a folder laid out like shared/data (spamassassin/, enron_berkeley/, parakweet/, bipia/, llmail_benign/)",
            dir.display()
        );
    }
    let bar = if std::io::stderr().is_terminal() { ProgressBar::new(0) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{msg:<28} [{bar:30}] {pos}/{len}").unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> "));
    let started = std::time::Instant::now();
    let report = eval::run(dir, &|dataset, done, total| {
        bar.set_message(dataset.to_string());
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    if report.rows.is_empty() {
        bail!("no dataset found in {}: {}", dir.display(), report.skipped.iter().map(|(d, why)| format!("{d}: {why}")).collect::<Vec<_>>().join("; "));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_eval(&report, started.elapsed());
    }
    let missed = report.missed();
    if !missed.is_empty() {
        bail!(
            "{} target(s) missed: {}",
            missed.len(),
            missed.iter().map(|r| format!("{} {} on {}", r.dataset, r.decision, r.label)).collect::<Vec<_>>().join("; ")
        );
    }
    Ok(())
}

fn print_eval(report: &eval::Report, elapsed: std::time::Duration) {
    let pct = |v: Option<f64>| v.map(|v| format!("{:.3}", v)).unwrap_or_else(|| "-".into());
    println!("{:<15} {:<31} {:<36} {:>6} {:>6} {:>6} {:>6} {:>6}  target", "dataset", "decision", "label", "n", "prec", "recall", "F1", "rate");
    let mut last = "";
    for r in &report.rows {
        if r.dataset != last && !last.is_empty() {
            println!();
        }
        last = &r.dataset;
        let targets: Vec<String> = r
            .targets
            .iter()
            .map(|t| {
                let name = match t.metric {
                    eval::Metric::Precision => "prec",
                    eval::Metric::Recall => "recall",
                    eval::Metric::Rate => "rate",
                };
                format!("{name} {} {:.2} {}", if t.at_least { "≥" } else { "≤" }, t.value, if t.met { "ok" } else { "MISSED" })
            })
            .collect();
        println!(
            "{:<15} {:<31} {:<36} {:>6} {:>6} {:>6} {:>6} {:>6}  {}",
            r.dataset,
            r.decision,
            r.label,
            r.counts.total(),
            pct(r.precision),
            pct(r.recall),
            pct(r.f1),
            pct(r.rate),
            targets.join(", ")
        );
    }
    for (dataset, n) in &report.unparseable {
        println!("{dataset}: {n} message(s) could not be parsed and were left out");
    }
    for (dataset, why) in &report.skipped {
        println!("skipped {dataset}: {why}");
    }
    println!("\nprec = precision, rate = share of items the decision said yes to. Evaluated in {:.1}s.", elapsed.as_secs_f64());
}

/// Messages stored per transaction by `import`.
const IMPORT_BATCH: usize = 50;

async fn import_cmd(app: &App, path: &Path) -> anyhow::Result<()> {
    // Messages stored by an import that was cut short get their drafts first.
    let caught_up = app.draft_missing().await?;
    if caught_up > 0 {
        println!("drafted {caught_up} message(s) left without a draft by an earlier interrupted run");
    }
    let source = autoemail_mail::import::open(path)
        .with_context(|| format!("cannot read {} (import takes an mbox file, a Maildir, a folder of .eml files or one .eml file)", path.display()))?;
    let bar = if std::io::stderr().is_terminal() { ProgressBar::new(source.len as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("importing [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let (mut parsed, mut new, mut duplicates, mut drafted) = (0, 0, 0, 0);
    let mut skipped: Vec<(String, String)> = Vec::new();
    // Batches of messages share one durable commit; an interrupted import
    // leaves whole batches stored, and drafts the rest of the last one on the next run.
    let mut pending: Vec<(String, Vec<u8>)> = Vec::new();
    let mut items = source.into_iter().peekable();
    while let Some(item) = items.next() {
        match item.bytes {
            Ok(b) => pending.push((item.origin, b)),
            Err(e) => {
                bar.inc(1);
                skipped.push((item.origin, format!("unreadable: {e}")));
            }
        }
        if pending.len() < IMPORT_BATCH && items.peek().is_some() {
            continue;
        }
        let batch = pending.iter().map(|(_, b)| (b.as_slice(), Source { mailbox: "import", uid: None, uidvalidity: None })).collect();
        for ((origin, _), outcome) in pending.iter().zip(app.ingest_many(batch).await?) {
            match outcome {
                IngestOutcome::Stored { draft, .. } => {
                    parsed += 1;
                    new += 1;
                    drafted += usize::from(draft.is_some());
                }
                IngestOutcome::Duplicate { .. } => {
                    parsed += 1;
                    duplicates += 1;
                }
                IngestOutcome::Skipped(why) => skipped.push((origin.clone(), why)),
            }
        }
        bar.inc(pending.len() as u64);
        pending.clear();
    }
    bar.finish_and_clear();
    println!("import of {}: {parsed} parsed ({new} new, {duplicates} already stored), {drafted} drafted, {} skipped", path.display(), skipped.len());
    for (origin, why) in skipped.iter().take(20) {
        println!("  skipped {origin}: {why}");
    }
    if skipped.len() > 20 {
        println!("  … and {} more", skipped.len() - 20);
    }
    Ok(())
}

fn fmt_time(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| ts.to_string())
}

fn print_queue(queue: &[QueueEntry]) {
    if queue.is_empty() {
        println!("The review queue is empty.");
        return;
    }
    println!("{} draft(s) waiting for you, most urgent first:", queue.len());
    for item in queue {
        let who = item.from_name.clone().or(item.from_email.clone()).unwrap_or_else(|| "(unknown)".into());
        let level = if item.state == autoemail_core::review::DraftState::Failed { "FAILED".to_string() } else { item.level.as_str().to_uppercase() };
        println!("\n#{:<4} [{level}] {who}: {}", item.draft_id, item.subject);
        for reason in autoemail_core::policy::listed_reasons(item.level, &item.reasons).iter().take(4) {
            println!("       - {reason}");
        }
    }
}

async fn show_cmd(app: &App, id: i64) -> anyhow::Result<()> {
    let d = app.store.draft(id).await?;
    let m = app.store.message(d.message_row).await?;
    let msg = parse_message(&m.raw).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Draft #{} (version {}, {}) by {} [{}], confidence {:.2}", d.id, d.version, d.state.as_str(), d.drafter, d.model, d.confidence);
    if let Some(u) = &d.usage {
        println!(
            "Cost: {} prompt + {} completion tokens, {} ms, {} attempt(s), {}",
            u.prompt_tokens, u.completion_tokens, u.latency_ms, u.attempts, u.provider
        );
    }
    if let Some(i) = &d.instruction {
        println!("Written following your instruction: {i:?}");
    }
    if !d.commitments.is_empty() {
        println!("Commits you to: {}", d.commitments.join("; "));
    }
    println!("Risk: {}", d.assessment.level.as_str());
    for r in d.reasons() {
        println!("  - {r}");
    }
    if !d.open_questions.is_empty() {
        println!("Open questions:");
        for q in &d.open_questions {
            println!("  ? {q}");
        }
    }
    if let Some(reason) = &d.reject_reason {
        println!("Note: {reason}");
    }
    println!("\n--- original (message {}) ---", m.id);
    println!("From: {}", msg.from.as_ref().map(|f| f.display()).unwrap_or_default());
    println!("To: {}", msg.to.iter().map(|t| t.display()).collect::<Vec<_>>().join(", "));
    if !msg.cc.is_empty() {
        println!("Cc: {}", msg.cc.iter().map(|t| t.display()).collect::<Vec<_>>().join(", "));
    }
    println!("Subject: {}", msg.subject);
    if let Some(date) = msg.date {
        println!("Date: {}", fmt_time(date));
    }
    for w in &msg.warnings {
        println!("Warning: {}", w.detail);
    }
    println!("\n{}", msg.text.trim());
    println!("\n--- draft reply ---\n{}", d.body.trim_end());
    let versions = app.store.drafts_for_message(d.message_row).await?;
    if versions.len() > 1 {
        println!("\n--- versions ---");
        for v in versions {
            let how = v.instruction.as_deref().map(|i| format!(" after {i:?}")).unwrap_or_default();
            println!("#{:<5} v{} {:<9} by {}{how}", v.id, v.version, v.state.as_str(), v.drafter);
        }
    }
    Ok(())
}

fn print_autonomy_change(change: Option<&autoemail_core::autonomy::Transition>) {
    use autoemail_core::autonomy::State;
    match change {
        Some(t) if t.to == State::Proposed => {
            println!("AutoEmail proposes auto-send for this kind of reply: {}", t.reason);
            println!("  `autoemail autonomy` shows the record; `autoemail autonomy accept KEY` or `decline KEY` decides.");
        }
        Some(t) => println!("autonomy: {}", t.reason),
        None => {}
    }
}

async fn policy_check_cmd(app: &App, target: &str, json: bool) -> anyhow::Result<()> {
    let (msg, row) = match target.parse::<i64>() {
        Ok(row) => {
            let stored = app.store.message(row).await.with_context(|| format!("message {row}"))?;
            (parse_message(&stored.raw).map_err(|e| anyhow::anyhow!("message {row}: {e}"))?, Some(row))
        }
        Err(_) => {
            let raw = std::fs::read(target).with_context(|| format!("reading {target} (give a stored message id or an .eml file)"))?;
            (parse_message(&raw).map_err(|e| anyhow::anyhow!("{target}: {e}"))?, None)
        }
    };
    let x = app.explain_route(&msg, row).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&x)?);
        return Ok(());
    }
    println!("Message: from {}, subject {:?}", x.sender.as_deref().unwrap_or("(no sender)"), msg.subject);
    println!(
        "Facts rules match on: category {}{}, intent {}, sender {}, thread {}",
        x.category,
        if x.needs_reply { "" } else { " (no reply needed)" },
        x.intent,
        x.sender_class,
        x.thread
    );
    println!("Earned autonomy: {} is {}", x.autonomy_key, x.autonomy_state);
    println!("Risk of the reply: {}", x.risk.level.as_str());
    for r in x.risk.reasons() {
        println!("  - {r}");
    }
    if x.rules.is_empty() {
        println!("Rules: none (the policy's default applies)");
    } else {
        println!("Rules, in order (no_draft rules apply before drafting):");
        for r in &x.rules {
            let verdict = if r.matched { "MATCHES".to_string() } else { format!("no: {}", r.mismatch.as_deref().unwrap_or("")) };
            println!("  line {:>3}  {:<24} {:<10} {verdict}", r.line, format!("{:?}", r.name), format!("{:?}", r.action).to_lowercase());
        }
    }
    match &x.route {
        autoemail_core::policy::Route::NoDraft { reason } => {
            println!("Decision: no draft — {reason}")
        }
        autoemail_core::policy::Route::Review { priority, reasons } => {
            println!("Decision: wait for review (priority {priority}) — {}", reasons.first().map(String::as_str).unwrap_or(""))
        }
        autoemail_core::policy::Route::AutoSend { hold_seconds, reasons } => {
            println!("Decision: auto-send after a {hold_seconds}s hold — {}", reasons.first().map(String::as_str).unwrap_or(""))
        }
    }
    Ok(())
}

async fn autonomy_cmd(app: &App, action: Option<AutonomyCommand>, json: bool, actor: &str) -> anyhow::Result<()> {
    match action {
        Some(AutonomyCommand::Accept { key }) => {
            app.accept_autonomy(&key, actor).await?;
            println!("{key}: accepted. Routine replies of this kind now auto-send after the hold; any high-risk signal still waits for you.");
            return Ok(());
        }
        Some(AutonomyCommand::Decline { key }) => {
            app.decline_autonomy(&key, actor).await?;
            println!("{key}: declined; replies of this kind wait for your review.");
            return Ok(());
        }
        None => {}
    }
    let report = app.autonomy_report().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if report.is_empty() {
        println!("No reviewed drafts yet. Each approval, edit or reject builds the record that earns a kind of reply auto-send.");
        return Ok(());
    }
    println!(
        "{:<24} {:<9} {:>8} {:>9} {:>6} {:>8} {:>7} {:>11}  would have sent (approved as is)",
        "kind (intent/sender)", "state", "reviewed", "unchanged", "edited", "rejected", "change", "run"
    );
    for r in &report {
        let bar_len = 10usize;
        let filled = (r.streak.min(r.needed) * bar_len).checked_div(r.needed).unwrap_or(0);
        let bar = format!("{}{}", "#".repeat(filled), ".".repeat(bar_len - filled));
        println!(
            "{:<24} {:<9} {:>8} {:>9} {:>6} {:>8} {:>6.1}% {bar} {:>2}/{:<2} {} ({})",
            r.key,
            r.state.as_str(),
            r.reviewed,
            r.approved_unchanged,
            r.edited,
            r.rejected,
            r.mean_change * 100.0,
            r.streak.min(r.needed),
            r.needed,
            r.shadow_would_send,
            r.shadow_approved_unchanged
        );
    }
    for r in report.iter().filter(|r| r.state == autoemail_core::autonomy::State::Proposed) {
        println!("\nProposed: {} — {}\n  accept: autoemail autonomy accept {}    decline: autoemail autonomy decline {}", r.key, r.reason, r.key, r.key);
    }
    for r in report.iter().filter(|r| r.state != autoemail_core::autonomy::State::Proposed && r.changed_at.is_some()) {
        println!("{}: {} ({})", r.key, r.reason, r.changed_at.map(fmt_time).unwrap_or_default());
    }
    Ok(())
}

async fn doctor_cmd(config_path: &Path) -> anyhow::Result<()> {
    let mut failed = 0;
    let mut report = |ok: bool, what: &str, detail: String| {
        failed += usize::from(!ok);
        println!("{} {what}: {detail}", if ok { "ok    " } else { "FAILED" });
    };
    let config = match Config::load(config_path) {
        Ok(c) => {
            report(true, "config", format!("{} (policy: {} rule(s), default {:?})", config_path.display(), c.policy.rules.len(), c.policy.default));
            c
        }
        Err(e) => {
            report(false, "config", e.to_string());
            bail!("fix the config first");
        }
    };
    let app = match App::open(config.clone()).await {
        Ok(app) => {
            match app.store.integrity_check().await {
                Ok(verdict) if verdict == "ok" => {
                    let which = if config.store.url.is_some() || config.store.url_env.is_some() {
                        "PostgreSQL".to_string()
                    } else {
                        config.resolve(&config.store.path).display().to_string()
                    };
                    report(true, "store", format!("{which} (integrity ok)"))
                }
                Ok(verdict) => report(false, "store", format!("integrity check: {verdict}")),
                Err(e) => report(false, "store", e.to_string()),
            }
            app
        }
        Err(e) => {
            report(false, "store or drafter setup", e.to_string());
            bail!("1 check failed");
        }
    };
    for (ok, what, detail) in account_checks(&app).await {
        report(ok, what, detail);
    }
    if failed > 0 {
        bail!("{failed} check(s) failed");
    }
    println!("All checks passed.");
    Ok(())
}

/// The checks of one account that reach out: its IMAP login and mailbox, its
/// way of sending, its drafter and its notes. (ok, what, detail) each.
async fn account_checks(app: &App) -> Vec<(bool, &'static str, String)> {
    let mut out = Vec::new();
    let mut report = |ok: bool, what: &'static str, detail: String| out.push((ok, what, detail));
    match app.config.imap_config() {
        Ok(Some(imap)) => match autoemail_mail::imap::ImapClient::connect(&imap).await {
            Ok(mut c) => {
                let mailbox = app.config.imap.as_ref().map(|i| i.mailbox.clone()).unwrap_or_else(|| "INBOX".into());
                match c.select(&mailbox).await {
                    Ok(_) => report(true, "IMAP", format!("logged in to {}:{} as {}, {mailbox} opens", imap.host, imap.port, imap.username)),
                    Err(e) => report(false, "IMAP", format!("logged in, but {mailbox} does not open: {e}")),
                }
                c.logout().await;
            }
            Err(e) => report(false, "IMAP", format!("{}:{}: {e}", imap.host, imap.port)),
        },
        Ok(None) => report(true, "IMAP", "not configured (import files with `autoemail import`)".into()),
        Err(e) => report(false, "IMAP", e.to_string()),
    }
    match app.sender() {
        Ok(sender) => match sender.check().await {
            Ok(()) => report(true, "sending", sender.describe()),
            Err(e) => report(false, "sending", format!("{}: {e}", sender.describe())),
        },
        Err(e) => report(false, "sending", e.to_string()),
    }
    match app.drafter.check().await {
        Ok(s) => report(true, "drafter", s.replace('\n', "; ")),
        Err(e) => report(false, "drafter", e.to_string().replace('\n', "; ")),
    }
    match app.notes() {
        Ok(Some(n)) => report(true, "notes", format!("{} lines", n.lines().count())),
        Ok(None) => report(true, "notes", "none configured ([drafter] notes = \"notes.md\" gives drafts your facts)".into()),
        Err(e) => report(false, "notes", e.to_string()),
    }
    out
}

/// `doctor --accounts DIR`: every config of a worker's folder as the worker
/// reads it (which are skipped and why), then each account's own checks.
async fn doctor_folder_cmd(dir: &Path) -> anyhow::Result<()> {
    use futures::StreamExt;
    let (folder, changes) = autoemail::account_folder::AccountFolder::open(dir).await?;
    let mut failed = changes.problems.len();
    for problem in &changes.problems {
        println!("FAILED {problem}");
    }
    match folder.store().integrity_check().await {
        Ok(verdict) if verdict == "ok" => println!("ok     store: PostgreSQL (integrity ok)"),
        Ok(verdict) => {
            failed += 1;
            println!("FAILED store: integrity check: {verdict}");
        }
        Err(e) => {
            failed += 1;
            println!("FAILED store: {e}");
        }
    }
    let apps = folder.apps();
    // A few accounts at a time: each check waits on a server.
    let mut checks = futures::stream::iter(apps.iter().map(|app| async move { (app.account().to_string(), account_checks(app).await) })).buffered(8);
    while let Some((account, results)) = checks.next().await {
        for (ok, what, detail) in results {
            failed += usize::from(!ok);
            println!("{} [{account}] {what}: {detail}", if ok { "ok    " } else { "FAILED" });
        }
    }
    if failed > 0 {
        bail!("{failed} check(s) failed over {} account(s) and {} skipped config(s)", apps.len(), changes.problems.len());
    }
    println!("All checks passed for {} account(s).", apps.len());
    Ok(())
}

async fn stats_cmd(app: &App, json: bool) -> anyhow::Result<()> {
    let stats = app.store.message_stats(Some(app.account())).await?;
    let drafts = app.store.drafts_with_usage().await?;
    // Prices come from the configured provider that wrote the draft.
    let prices = |drafter: &str, endpoint: &str| -> (Option<f64>, Option<f64>) {
        use autoemail::drafting::Provider;
        let kind = if drafter == "anthropic" { Provider::Anthropic } else { Provider::Openai };
        let d = &app.config.drafter;
        let candidates: Vec<_> = std::iter::once(&d.primary).chain(d.fallback.iter()).filter(|p| p.provider == kind).collect();
        candidates
            .iter()
            .find(|p| p.base_url.as_deref().is_some_and(|b| b == endpoint))
            .or(candidates.first())
            .map(|p| (p.price_per_million_input, p.price_per_million_output))
            .unwrap_or((None, None))
    };
    #[derive(serde::Serialize, Default)]
    struct ModelStats {
        drafter: String,
        model: String,
        drafts: u64,
        prompt_tokens: u64,
        completion_tokens: u64,
        mean_latency_ms: u64,
        retried: u64,
        cost: Option<f64>,
    }
    let mut by_model: Vec<ModelStats> = Vec::new();
    for d in &drafts {
        let Some(u) = &d.usage else { continue };
        let i = match by_model.iter().position(|m| m.drafter == d.drafter && m.model == d.model) {
            Some(i) => i,
            None => {
                by_model.push(ModelStats { drafter: d.drafter.clone(), model: d.model.clone(), ..Default::default() });
                by_model.len() - 1
            }
        };
        let m = &mut by_model[i];
        m.drafts += 1;
        m.prompt_tokens += u.prompt_tokens;
        m.completion_tokens += u.completion_tokens;
        m.mean_latency_ms += u.latency_ms;
        m.retried += u64::from(u.attempts > 1);
        let (pi, po) = prices(&d.drafter, &u.provider);
        if let (Some(pi), Some(po)) = (pi, po) {
            *m.cost.get_or_insert(0.0) += (u.prompt_tokens as f64 * pi + u.completion_tokens as f64 * po) / 1e6;
        }
    }
    for m in &mut by_model {
        m.mean_latency_ms /= m.drafts.max(1);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "messages": stats, "models": by_model }))?);
        return Ok(());
    }
    println!("{} messages, {} need a reply", stats.messages, stats.needs_reply);
    println!("drafts: {}", stats.drafts_by_state.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(", "));
    if by_model.is_empty() {
        println!("No model-written drafts yet (the offline drafter costs nothing).");
    } else {
        println!("\n{:<20} {:<28} {:>6} {:>10} {:>10} {:>9} {:>7} {:>9}", "drafter", "model", "drafts", "prompt", "completion", "latency", "retried", "cost");
        for m in &by_model {
            let cost = m.cost.map(|c| format!("{c:.4}")).unwrap_or_else(|| "-".into());
            println!(
                "{:<20} {:<28} {:>6} {:>10} {:>10} {:>7}ms {:>7} {:>9}",
                m.drafter, m.model, m.drafts, m.prompt_tokens, m.completion_tokens, m.mean_latency_ms, m.retried, cost
            );
        }
    }
    Ok(())
}

async fn approve_and_maybe_send(app: &App, id: i64, actor: &str, body: Option<String>) -> anyhow::Result<()> {
    let approved = app.approve(id, actor, body).await?;
    let wait = approved.send_at - autoemail::now();
    println!("draft {id} approved: reply {} to {}", approved.message_id, approved.recipients.join(", "));
    print_autonomy_change(approved.autonomy.as_ref());
    if wait > 0 {
        println!("it is held for {wait}s; `autoemail undo {id}` takes it back. `autoemail run` sends it when the hold ends.");
        return Ok(());
    }
    // Nothing to wait for: send now. The outbox claim makes this safe beside a running daemon.
    let sender = app.sender()?;
    let mut filer = app.config.imap_config()?.map(autoemail::outbox::ImapFiler::new);
    let r = app.deliver_due(sender.as_ref(), filer.as_mut()).await?;
    if r.sent > 0 {
        println!("sent via {}", sender.describe());
    } else if r.retried > 0 || r.failed > 0 {
        println!("sending did not succeed yet; see `autoemail log {id}`");
    }
    Ok(())
}

async fn edit_cmd(app: &App, id: i64, actor: &str) -> anyhow::Result<()> {
    let d = app.store.draft(id).await?;
    let editor = std::env::var("VISUAL").or_else(|_| std::env::var("EDITOR")).unwrap_or_else(|_| "vi".into());
    let dir = std::env::temp_dir();
    let file = dir.join(format!("autoemail-draft-{id}.txt"));
    write_private(&file, &d.body)?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&file)
        .status()
        .with_context(|| format!("starting {editor}"))?;
    if !status.success() {
        bail!("{editor} exited with {status}; the draft is unchanged");
    }
    let body = std::fs::read_to_string(&file)?;
    let _ = std::fs::remove_file(&file);
    if body.trim() == d.body.trim() {
        println!("no changes made");
    }
    approve_and_maybe_send(app, id, actor, Some(body)).await
}
