//! Latency from delivery to review: a message handed to Postfix until its
//! draft is in the queue, with `autoemail run` (IDLE, offline drafter) against
//! the real Dovecot. p50/p95/p99 over 500 messages, against the aim of p95 < 1 s.
//!
//!   eval "$(scripts/mail-peers.sh start)"; cargo bench -p autoemail --bench latency

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autoemail_mail::MailSender;
use autoemail_mail::smtp::{SmtpConfig, SmtpSender};
use autoemail_store::{SqliteStore, Store};

const MESSAGES: usize = 500;

fn split(v: &str) -> (String, u16) {
    let (h, p) = v.rsplit_once(':').expect("HOST:PORT");
    (h.to_string(), p.parse().expect("port"))
}

#[tokio::main]
async fn main() {
    let (Ok(imap), Ok(smtp)) = (std::env::var("AUTOEMAIL_TEST_IMAP"), std::env::var("AUTOEMAIL_TEST_SMTP")) else {
        println!("latency benchmark skipped: start the mail servers (scripts/mail-peers.sh start) and export what it prints");
        return;
    };
    let ((ih, ip), (sh, sp)) = (split(&imap), split(&smtp));
    let tmp = tempfile::tempdir().unwrap();
    autoemail::config::write_private(&tmp.path().join("pw"), "secret\n").unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[account]\nname = \"alice\"\naddress = \"alice@example.test\"\n\n[imap]\nhost = \"{ih}\"\nport = {ip}\nsecurity = \"none\"\nusername = \"alice@example.test\"\npassword_file = \"pw\"\n\n\
[smtp]\nhost = \"{sh}\"\nport = {sp}\nsecurity = \"none\"\n\n[store]\npath = \"s.sqlite\"\n"
        ),
    )
    .unwrap();
    let mut daemon =
        Command::new(env!("CARGO_BIN_EXE_autoemail")).arg("--config").arg(&config).arg("run").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    // Wait for the initial sync to end (the store exists and the daemon idles).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let store = SqliteStore::open(&tmp.path().join("s.sqlite")).await.unwrap();
    let sender = SmtpSender::new(&SmtpConfig {
        host: sh.clone(),
        port: sp,
        security: autoemail_mail::Security::None,
        username: None,
        password: None,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    let nonce = std::process::id();
    let mut sent_at: HashMap<String, Instant> = HashMap::new();
    let mut latencies: Vec<f64> = Vec::new();
    let started = Instant::now();
    let mut next = 0;
    // Deliver at a steady 20 messages/s while watching the queue every 10 ms.
    while latencies.len() < MESSAGES && started.elapsed() < Duration::from_secs(300) {
        if next < MESSAGES && started.elapsed() >= Duration::from_millis(50 * next as u64) {
            let subject = format!("Latency {nonce} #{next}");
            let raw = format!(
                "From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: {subject}\r\nMessage-ID: <lat-{nonce}-{next}@example.test>\r\n\r\nCan we talk tomorrow about item {next}?\r\n"
            );
            sender.send("bob@example.test", &["alice@example.test".to_string()], raw.as_bytes()).await.unwrap();
            sent_at.insert(subject, Instant::now());
            next += 1;
        }
        for item in store.queue(None).await.unwrap() {
            if let Some(t) = sent_at.remove(&item.subject) {
                latencies.push(t.elapsed().as_secs_f64());
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    latencies.sort_by(f64::total_cmp);
    let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "delivery → draft in the queue, {} of {MESSAGES} messages at 20/s (offline drafter, real Postfix + Dovecot, IDLE): p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms, max {:.0} ms (aim: p95 under 1000 ms)",
        latencies.len(),
        p(0.5) * 1000.0,
        p(0.95) * 1000.0,
        p(0.99) * 1000.0,
        latencies.last().copied().unwrap_or(0.0) * 1000.0
    );
}
