//! Initial sync of a 10,000-message mailbox on the real Dovecot: AutoEmail
//! (`run --once`: fetch, parse, store, and also triage, draft and assess)
//! against mbsync (isync) copying the same folder to a Maildir, in one run.
//! Dovecot indexes the folder once before either is timed; each tool then
//! starts from an empty local state, twice, alternating, and the best run counts.
//!
//!   eval "$(scripts/mail-peers.sh start)"; apt-get install isync
//!   cargo bench -p autoemail --bench initial_sync
//!
//! Needs root (the messages are written straight into the Dovecot user's
//! Maildir and handed to its mail user) and the corpus in ../shared/data.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{USER, corpus, dovecot_folder};

const MESSAGES: usize = 10_000;

fn run(cmd: &mut Command) -> Duration {
    let started = Instant::now();
    let out = cmd.output().expect("the command starts");
    assert!(out.status.success(), "{cmd:?} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    started.elapsed()
}

fn main() {
    let (Ok(imap), Ok(conf)) = (std::env::var("AUTOEMAIL_TEST_IMAP"), std::env::var("AUTOEMAIL_TEST_DOVECOT_CONF")) else {
        println!("initial-sync benchmark skipped: start the mail servers (scripts/mail-peers.sh start) and export what it prints");
        return;
    };
    if Command::new("mbsync").arg("--version").output().is_err() {
        println!("initial-sync benchmark skipped: mbsync is not installed (apt-get install isync)");
        return;
    }
    let corpus = corpus();
    if corpus.is_empty() {
        println!("initial-sync benchmark skipped: no corpus (set AUTOEMAIL_DATA to shared/data)");
        return;
    }
    let (host, port) = imap.rsplit_once(':').expect("HOST:PORT");
    let folder = format!("Bench{}", std::process::id());
    let (maildir, bytes) = dovecot_folder(&conf, &folder, &corpus, 0, MESSAGES);

    let tmp = tempfile::tempdir().unwrap();
    let mbsync_conf = tmp.path().join("mbsyncrc");
    let mbsync_local = tmp.path().join("mbsync-mail");
    std::fs::write(
        &mbsync_conf,
        format!(
            "IMAPAccount bench\nHost {host}\nPort {port}\nUser {USER}\nPass secret\nSSLType None\nAuthMechs LOGIN\n\n\
IMAPStore far\nAccount bench\n\nMaildirStore near\nPath {}/\nInbox {}/INBOX\nSubFolders Verbatim\n\n\
Channel bench\nFar :far:\nNear :near:\nPatterns {folder}\nCreate Near\nSync Pull\nSyncState *\n",
            mbsync_local.display(),
            mbsync_local.display()
        ),
    )
    .unwrap();

    let mbsync = |round: usize| {
        let _ = std::fs::remove_dir_all(&mbsync_local);
        std::fs::create_dir_all(&mbsync_local).unwrap();
        let d = run(Command::new("mbsync").arg("-q").arg("-c").arg(&mbsync_conf).arg("bench"));
        let copied = std::fs::read_dir(mbsync_local.join(&folder).join("cur")).map(|d| d.count()).unwrap_or(0)
            + std::fs::read_dir(mbsync_local.join(&folder).join("new")).map(|d| d.count()).unwrap_or(0);
        assert_eq!(copied, MESSAGES, "mbsync round {round} copied {copied}");
        d
    };
    let autoemail = |round: usize| {
        let config = common::account_config(&tmp.path().join(format!("ae{round}")), &imap, &folder);
        run(Command::new(env!("CARGO_BIN_EXE_autoemail")).arg("--config").arg(&config).args(["run", "--once"]))
    };

    // Warm-up: Dovecot's caches, then two timed rounds each, alternating.
    mbsync(0);
    let mut best_mbsync = Duration::MAX;
    let mut best_ae = Duration::MAX;
    for round in 1..=2 {
        best_mbsync = best_mbsync.min(mbsync(round));
        best_ae = best_ae.min(autoemail(round));
    }
    let _ = std::fs::remove_dir_all(&maildir);
    let rate = |d: Duration| MESSAGES as f64 / d.as_secs_f64();
    println!(
        "initial sync of {MESSAGES} messages ({:.0} MB) from the real Dovecot, best of 2:\n  mbsync (copy to Maildir):                                {:>6.1} s  {:>6.0} messages/s\n  autoemail run --once (fetch, parse, store, triage, draft): {:>6.1} s  {:>6.0} messages/s  ({:.2}× mbsync's time; aim: no slower)",
        bytes as f64 / 1e6,
        best_mbsync.as_secs_f64(),
        rate(best_mbsync),
        best_ae.as_secs_f64(),
        rate(best_ae),
        best_ae.as_secs_f64() / best_mbsync.as_secs_f64()
    );
}
