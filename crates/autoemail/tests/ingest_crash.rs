//! Store durability: `autoemail import` killed with SIGKILL at random moments,
//! five times, then run to the end. Every message is stored exactly once,
//! every message that needs a reply has exactly one draft, and SQLite's own
//! integrity check passes (WAL with synchronous=FULL: a commit survives the
//! crash of the process and of the machine; a half-done one is rolled back).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use autoemail::{App, Config};

const MESSAGES: usize = 1_000;

fn random_ms(min: u64, max: u64) -> u64 {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    min + (n ^ (n >> 9)) % (max - min)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_imports_leave_a_consistent_store() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    autoemail::config::write_private(&config, "[account]\naddress = \"sam@northwind.example\"\n\n[store]\npath = \"s.sqlite\"\n").unwrap();
    let mut mbox = String::new();
    for i in 0..MESSAGES {
        mbox.push_str(&format!(
            "From sender{i}@example.org Mon Nov 23 10:00:00 2026\nFrom: Sender {i} <sender{i}@example.org>\nTo: Sam <sam@northwind.example>\nSubject: Question {i}\nMessage-ID: <ingest-{i}@example.org>\n\nHi Sam, could you send me the price list for item {i}?\n\n"
        ));
    }
    std::fs::write(tmp.path().join("inbox.mbox"), mbox).unwrap();
    let import = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_autoemail"));
        c.arg("--config").arg(&config).arg("import").arg(tmp.path().join("inbox.mbox")).stdout(Stdio::null()).stderr(Stdio::null());
        c
    };
    let mut killed = 0;
    for _ in 0..5 {
        let mut child = import().spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(random_ms(30, 600))).await;
        let _ = child.kill();
        killed += usize::from(!child.wait().unwrap().success());
    }
    assert!(import().status().unwrap().success(), "the final import must finish");

    let app = App::open(Config::load(&config).unwrap()).await.unwrap();
    assert_eq!(app.store.integrity_check().await.unwrap(), "ok");
    let stats = app.store.message_stats(None).await.unwrap();
    assert_eq!(stats.messages, MESSAGES as i64, "stored once each, none lost");
    assert_eq!(stats.needs_reply, MESSAGES as i64);
    let queue = app.store.queue(None).await.unwrap();
    assert_eq!(queue.len(), MESSAGES, "one pending draft per message");
    let mut rows: Vec<i64> = queue.iter().map(|q| q.draft.message_row).collect();
    rows.sort_unstable();
    rows.dedup();
    assert_eq!(rows.len(), MESSAGES, "no message has two pending drafts");
    assert!(killed > 0, "no import was killed mid-way: the test proved nothing");
    let figures = format!(
        "ingest crash test (kill -9 during `autoemail import`): {killed} of 5 imports killed mid-way, {MESSAGES} messages, duplicates 0, lost 0, integrity ok"
    );
    common::record_figures(&figures);
}
