//! The review UI in a real browser: Debian's Chromium driven by playwright-core
//! (tests/browser/review.test.mjs) against a real server with a seeded store.
//! Keyboard approve, edit and approve, reject with a reason, regenerate, undo
//! within the window, snooze, group approval, a hostile HTML message; then the
//! Maildir is checked: every approved reply sent exactly once, the undone one
//! never. Screenshots land in target/browser-artifacts/.
//!
//! Needs node, /usr/bin/chromium (or $CHROMIUM) and `npm ci` in tests/browser.
//! Without them it skips loudly, unless AUTOEMAIL_TEST_BROWSER=1 (CI) makes it fail.

mod web;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn missing_parts(dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    if std::process::Command::new("node").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        missing.push("node".to_string());
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        missing.push(format!("{chromium} (apt-get install chromium)"));
    }
    if !dir.join("node_modules/playwright-core").is_dir() {
        missing.push(format!("playwright-core (npm ci --prefix {})", dir.display()));
    }
    missing
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_in_a_real_browser() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let missing = missing_parts(&dir);
    if !missing.is_empty() {
        if std::env::var("AUTOEMAIL_TEST_BROWSER").is_ok_and(|v| v == "1") {
            panic!("AUTOEMAIL_TEST_BROWSER=1 but missing: {}", missing.join(", "));
        }
        eprintln!("\n*** SKIPPED review_in_a_real_browser: missing {} ***\n", missing.join(", "));
        return;
    }
    let undo_seconds = 6;
    let s = web::seeded(undo_seconds, "").await;
    let artifacts: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();

    // The browser test asks (by creating a file) for a message to arrive while the page is open.
    let trigger = artifacts.join("deliver-now");
    let _ = std::fs::remove_file(&trigger);
    let live = {
        let app = s.app.clone();
        let trigger = trigger.clone();
        tokio::spawn(async move {
            while !trigger.exists() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let raw = "From: Nora Quinn <nora@quinn.example>\r\nTo: sam@northwind.example\r\nSubject: Live: are you free on Monday?\r\n\
Message-ID: <live-1@quinn.example>\r\nDate: Tue, 24 Nov 2026 08:00:00 +0000\r\n\r\nHi Sam, are you free for a call on Monday at 10?\r\nNora\r\n";
            app.ingest(raw.as_bytes(), autoemail::pipeline::Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap();
        })
    };
    let run = tokio::process::Command::new("node")
        .args(["--test", "--test-reporter=spec", "review.test.mjs"])
        .current_dir(&dir)
        .env("BASE_URL", s.server.url())
        .env("ARTIFACTS", &artifacts)
        .env("UNDO_SECONDS", undo_seconds.to_string())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), run).await.expect("the browser tests finish within 5 minutes").expect("node starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser tests failed (output above)");
    live.abort();

    // What the browser did reached the outbox exactly as it should.
    let results: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(artifacts.join("results.json")).unwrap()).unwrap();
    let ids =
        |key: &str| -> Vec<i64> { results[key].as_array().unwrap().iter().map(|r| r.as_str().unwrap().rsplit_once('/').unwrap().1.parse().unwrap()).collect() };
    let approved = ids("approved");
    assert!(approved.len() >= 5, "{results}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while approved.iter().any(|&id| web::sent_for_draft(&s.outbox, id) == 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for id in &approved {
        assert_eq!(web::sent_for_draft(&s.outbox, *id), 1, "approved draft {id} is sent exactly once");
    }
    for id in ids("undone").iter().chain(ids("rejected").iter()) {
        assert_eq!(web::sent_for_draft(&s.outbox, *id), 0, "draft {id} was undone or rejected and must not be sent");
    }
    assert_eq!(web::sent_total(&s.outbox), approved.len(), "nothing else was sent");
    for shot in ["queue.png", "stats.png", "group.png"] {
        assert!(artifacts.join(shot).metadata().is_ok_and(|m| m.len() > 10_000), "screenshot {shot}");
    }
}
