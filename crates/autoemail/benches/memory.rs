//! Memory: resident memory of `autoemail run` holding 100,000 messages.
//!
//!   eval "$(scripts/mail-peers.sh start)"
//!   cargo bench -p autoemail --bench memory
//!
//! Imports 100,000 messages, half of them the real SpamAssassin and Enron
//! corpus repeated with distinct Message-IDs, half direct questions to the
//! person that each get a pending draft (each one parsed, triaged, drafted and audited)
//! with `autoemail import`, then starts `autoemail run` against a folder of 500
//! more on the real Dovecot. Once the initial sync has stored them and the
//! process has sat in IDLE for 15 s, it reads VmRSS and VmHWM from /proc.
//! Needs root (the folder is written into the Dovecot user's Maildir).
//! Set BENCH_MESSAGES for a smaller store.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autoemail_store::{SqliteStore, Store};
use common::{corpus, dovecot_folder};

const AIM_MB: f64 = 150.0;
const SYNCED: usize = 500;

fn proc_kb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A direct question to the person: it needs a reply, so it gets a pending draft.
fn question(n: usize) -> Vec<u8> {
    format!(
        "From: Client {n} <client{n}@example.com>\r\nTo: {}\r\nSubject: Order {n}\r\nMessage-ID: <question-{n}@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nHi,\r\n\r\nCould you confirm the delivery date for order {n}?\r\n\r\nThanks,\r\nClient {n}\r\n",
        common::USER
    )
    .into_bytes()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (Ok(imap), Ok(conf)) = (std::env::var("AUTOEMAIL_TEST_IMAP"), std::env::var("AUTOEMAIL_TEST_DOVECOT_CONF")) else {
        println!("memory benchmark skipped: start the mail servers (scripts/mail-peers.sh start) and export what it prints");
        return;
    };
    let corpus = corpus();
    if corpus.is_empty() {
        println!("memory benchmark skipped: no corpus (set AUTOEMAIL_DATA to shared/data)");
        return;
    }
    let stored: usize = std::env::var("BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let tmp = tempfile::tempdir().unwrap();
    let import_dir = tmp.path().join("import");
    std::fs::create_dir_all(&import_dir).unwrap();
    for n in 0..stored {
        let raw = if n % 2 == 0 { common::with_message_id(&corpus[n / 2 % corpus.len()], n) } else { question(n) };
        std::fs::write(import_dir.join(format!("{n:06}.eml")), raw).unwrap();
    }
    let folder = format!("Memory{}", std::process::id());
    let (maildir, _) = dovecot_folder(&conf, &folder, &corpus, stored, SYNCED);
    let dir = tmp.path().join("ae");
    let config = common::account_config(&dir, &imap, &folder);
    let autoemail = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_autoemail"));
        c.arg("--config").arg(&config);
        c
    };

    let started = Instant::now();
    let out = autoemail().arg("import").arg(&import_dir).output().unwrap();
    assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    let import_time = started.elapsed();

    let mut run = autoemail().arg("run").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let pid = run.id();
    let store = SqliteStore::open(&dir.join("s.sqlite")).await.unwrap();
    let want = (stored + SYNCED) as i64;
    let waiting = Instant::now();
    let mut have = 0;
    while waiting.elapsed() < Duration::from_secs(600) {
        have = store.message_stats(None).await.unwrap().messages;
        if have >= want || run.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(have, want, "the initial sync did not finish (or `run` stopped)");
    tokio::time::sleep(Duration::from_secs(15)).await;
    let (rss, hwm) = (proc_kb(pid, "VmRSS:"), proc_kb(pid, "VmHWM:"));
    let _ = run.kill();
    let _ = run.wait();
    let stats = store.message_stats(None).await.unwrap();
    let pending = stats.drafts_by_state.iter().find(|(s, _)| s == "pending").map(|(_, n)| *n).unwrap_or(0);
    let _ = std::fs::remove_dir_all(&maildir);

    let (rss, hwm) = (rss.expect("VmRSS of `run`") / 1024.0, hwm.expect("VmHWM of `run`") / 1024.0);
    println!(
        "import of {stored} messages (parse, triage, draft, audit; synchronous = FULL, 50 per commit): {:.0} s, {:.0} messages/s",
        import_time.as_secs_f64(),
        stored as f64 / import_time.as_secs_f64()
    );
    println!(
        "autoemail run holding {} messages and {pending} pending drafts, after the initial sync of {SYNCED} from the real Dovecot and 15 s in IDLE:\n  resident {rss:.1} MB, peak {hwm:.1} MB  (aim: under {AIM_MB:.0} MB: {})",
        stats.messages,
        if hwm < AIM_MB { "met" } else { "NOT met" }
    );
}
