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

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const MESSAGES: usize = 10_000;
const USER: &str = "mallory@example.test";

fn corpus() -> Vec<Vec<u8>> {
    let data = std::env::var("AUTOEMAIL_DATA").map(PathBuf::from).unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let mut out = Vec::new();
    for sub in ["spamassassin/easy-ham-1", "spamassassin/hard-ham-1", "spamassassin/spam-1", "enron_berkeley"] {
        let Ok(dir) = std::fs::read_dir(data.join(sub)) else { continue };
        let mut paths: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_none_or(|e| e != "cats")).collect();
        paths.sort();
        out.extend(
            paths.into_iter().filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("LICENSE"))).filter_map(|p| std::fs::read(p).ok()),
        );
    }
    out
}

/// The message with its own Message-ID, so that copies are distinct messages.
fn with_message_id(raw: &[u8], n: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\n\n").or_else(|| text.split_once("\r\n\r\n")).unwrap_or((&text, ""));
    let mut out = format!("Message-ID: <bench-{n}@bench.example>\n");
    for line in head.lines() {
        if !line.to_ascii_lowercase().starts_with("message-id:") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(body);
    out.into_bytes()
}

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
    let peers = Path::new(&conf).parent().expect("the Dovecot config's folder");
    let folder = format!("Bench{}", std::process::id());

    // The folder, written straight into the user's Maildir (Maildir++: ".Name").
    let maildir = peers.join("mail").join(USER).join(format!(".{folder}"));
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let mut bytes = 0usize;
    for n in 0..MESSAGES {
        let raw = with_message_id(&corpus[n % corpus.len()], n);
        bytes += raw.len();
        std::fs::write(maildir.join("cur").join(format!("1795000000.bench{n}.host,S={}:2,S", raw.len())), &raw).unwrap();
    }
    let chown = Command::new("chown").args(["-R", "vmail:vmail"]).arg(peers.join("mail").join(USER)).status();
    assert!(chown.is_ok_and(|s| s.success()), "chown to the mail user failed (run as root)");
    let index = Command::new("doveadm").args(["-c", &conf, "index", "-u", USER, &folder]).output();
    if !index.is_ok_and(|o| o.status.success()) {
        println!("note: doveadm index failed; the first client pays for indexing");
    }

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
    autoemail::config::write_private(&tmp.path().join("pw"), "secret\n").unwrap();

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
        let dir = tmp.path().join(format!("ae{round}"));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config.toml");
        autoemail::config::write_private(
            &config,
            &format!(
                "[account]\nname = \"bench\"\naddress = \"{USER}\"\n\n[imap]\nhost = \"{host}\"\nport = {port}\nsecurity = \"none\"\nusername = \"{USER}\"\npassword_file = \"../pw\"\nmailbox = \"{folder}\"\n\n\
[smtp]\nhost = \"127.0.0.1\"\nport = 1\nsecurity = \"none\"\n\n[store]\npath = \"s.sqlite\"\n\n[web]\nenabled = false\n"
            ),
        )
        .unwrap();
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
