//! What the benchmarks against the real Dovecot share: the public corpus,
//! distinct copies of its messages, and a folder written straight into a
//! Dovecot user's Maildir.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The user the benchmarks fill (the mail peers accept any user, password "secret").
pub const USER: &str = "mallory@example.test";

/// The SpamAssassin and Enron messages of ../shared/data (or AUTOEMAIL_DATA), in a fixed order.
pub fn corpus() -> Vec<Vec<u8>> {
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
pub fn with_message_id(raw: &[u8], n: usize) -> Vec<u8> {
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

/// A folder of `USER` holding `count` corpus messages (numbered from `first`),
/// written into the Maildir and indexed by Dovecot. Needs root. Returns the
/// folder's path on disk (remove it when done) and the bytes written.
pub fn dovecot_folder(dovecot_conf: &str, folder: &str, corpus: &[Vec<u8>], first: usize, count: usize) -> (PathBuf, usize) {
    let peers = Path::new(dovecot_conf).parent().expect("the Dovecot config's folder");
    // Maildir++: a folder is ".Name" beside the inbox.
    let maildir = peers.join("mail").join(USER).join(format!(".{folder}"));
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let mut bytes = 0usize;
    for n in first..first + count {
        let raw = with_message_id(&corpus[n % corpus.len()], n);
        bytes += raw.len();
        std::fs::write(maildir.join("cur").join(format!("1795000000.bench{n}.host,S={}:2,S", raw.len())), &raw).unwrap();
    }
    let chown = Command::new("chown").args(["-R", "vmail:vmail"]).arg(peers.join("mail").join(USER)).status();
    assert!(chown.is_ok_and(|s| s.success()), "chown to the mail user failed (run as root)");
    let index = Command::new("doveadm").args(["-c", dovecot_conf, "index", "-u", USER, folder]).output();
    if !index.is_ok_and(|o| o.status.success()) {
        println!("note: doveadm index failed; the first client pays for indexing");
    }
    (maildir, bytes)
}

/// A config for `USER` on the real Dovecot reading `folder`, with a store in `dir`
/// and the password in `dir/../pw`; no review UI.
pub fn account_config(dir: &Path, imap: &str, folder: &str) -> PathBuf {
    let (host, port) = imap.rsplit_once(':').expect("HOST:PORT");
    std::fs::create_dir_all(dir).unwrap();
    autoemail::config::write_private(&dir.join("../pw"), "secret\n").unwrap();
    let config = dir.join("config.toml");
    autoemail::config::write_private(
        &config,
        &format!(
            "[account]\nname = \"bench\"\naddress = \"{USER}\"\n\n[imap]\nhost = \"{host}\"\nport = {port}\nsecurity = \"none\"\nusername = \"{USER}\"\npassword_file = \"../pw\"\nmailbox = \"{folder}\"\n\n\
[smtp]\nhost = \"127.0.0.1\"\nport = 1\nsecurity = \"none\"\n\n[store]\npath = \"s.sqlite\"\n\n[web]\nenabled = false\n"
        ),
    )
    .unwrap();
    config
}
