//! End to end against real servers: a message delivered through Postfix to
//! alice's INBOX on Dovecot is picked up by `autoemail run` (IDLE), drafted,
//! and waits; nothing is sent until `autoemail approve`; then the reply reaches
//! bob with correct threading, lands in alice's Sent folder, and the original is
//! flagged \Answered.
//!
//! Needs the peers of `scripts/mail-peers.sh start` (AUTOEMAIL_TEST_IMAP and
//! AUTOEMAIL_TEST_SMTP). Without them the test skips loudly, except in CI.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Daemon, autoemail, imap_config, peers, search_header};

use autoemail_core::parse_message;
use autoemail_mail::imap::ImapClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_to_approved_reply_through_real_servers() {
    let Some(((imap_host, imap_port), (smtp_host, smtp_port))) = peers() else {
        return;
    };
    autoemail_mail::tls::install_crypto_provider();
    let nonce = format!("{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis());
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[account]
name = "alice"
address = "alice@example.test"
display_name = "Alice Example"

[imap]
host = "{imap_host}"
port = {imap_port}
security = "none"
username = "alice@example.test"
password_env = "AE_TEST_IMAP_PASSWORD"
timeout_seconds = 10

[smtp]
host = "{smtp_host}"
port = {smtp_port}
security = "none"

[store]
path = "store.sqlite"

[outbox]
hold_seconds = 2
"#
        ),
    )
    .unwrap();

    let daemon = Daemon(
        Command::new(env!("CARGO_BIN_EXE_autoemail"))
            .arg("--config")
            .arg(&config)
            .arg("run")
            .env("AE_TEST_IMAP_PASSWORD", "secret")
            .env("AUTOEMAIL_LOG", "autoemail=debug")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start autoemail run"),
    );
    // Let the initial sync finish so the new message arrives while it IDLEs.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let original_id = format!("e2e-{nonce}@example.test");
    let subject = format!("Mockups for the launch {nonce}");
    let raw = format!(
        "From: Bob Builder <bob@example.test>\r\nTo: Alice Example <alice@example.test>\r\nCc: Carol <carol@example.test>\r\nSubject: {subject}\r\nMessage-ID: <{original_id}>\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Alice,\r\n\r\nthanks for the kick-off yesterday, it was great to meet you.\r\n\r\nBob\r\n"
    );
    common::smtp_send(&smtp_host, smtp_port, "bob@example.test", "alice@example.test", raw.as_bytes()).await;

    // The daemon picks it up through IDLE and drafts a reply.
    let started = Instant::now();
    let draft_id = loop {
        let out = autoemail(&config, &["queue", "--json"]);
        let queue: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if let Some(item) = queue.as_array().unwrap().iter().find(|i| i["subject"] == subject.as_str()) {
            break item["draft"]["id"].as_i64().unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no draft for the delivered message after 30 s");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    println!("drafted #{draft_id} {:.1}s after delivery", started.elapsed().as_secs_f64());

    // Nothing goes out before approval.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let bob = imap_config(&imap_host, imap_port, "bob@example.test");
    assert!(search_header(&bob, "INBOX", "In-Reply-To", &original_id).await.is_empty(), "a reply reached bob before approval");

    let out = autoemail(&config, &["approve", &draft_id.to_string()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("held for"), "approval should be held first: {said}");

    // The daemon's outbox sends after the hold; the reply reaches bob.
    let started = Instant::now();
    let reply_raw = loop {
        let found = search_header(&bob, "INBOX", "In-Reply-To", &original_id).await;
        if let Some((_, raw)) = found.into_iter().next() {
            break raw;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the approved reply did not reach bob within 30 s");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let reply = parse_message(&reply_raw).unwrap();
    assert_eq!(reply.subject, format!("Re: {subject}"));
    assert_eq!(reply.in_reply_to, vec![original_id.clone()]);
    assert_eq!(reply.references, vec![original_id.clone()]);
    assert_eq!(reply.from.as_ref().unwrap().email, "alice@example.test");
    assert_eq!(reply.to.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(), vec!["bob@example.test"]);
    assert_eq!(reply.cc.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(), vec!["carol@example.test"], "reply-all keeps Cc, adds nobody");
    assert!(reply.text.contains("> thanks for the kick-off yesterday"), "the original is quoted below: {}", reply.text);
    let reply_id = reply.message_id.clone().unwrap();

    // Exactly one copy reached bob.
    assert_eq!(search_header(&bob, "INBOX", "In-Reply-To", &original_id).await.len(), 1);

    // The same bytes are in alice's Sent folder, and the original is \Answered.
    let alice = imap_config(&imap_host, imap_port, "alice@example.test");
    let started = Instant::now();
    loop {
        let in_sent = search_header(&alice, "Sent", "Message-ID", &reply_id).await;
        if let Some((_, sent_raw)) = in_sent.first() {
            // Byte for byte what the outbox sent (the server may store LF line ends).
            let store = autoemail_store::SqliteStore::open(&tmp.path().join("store.sqlite")).await.unwrap();
            let filed = autoemail_store::Store::outbox_by_state(&store, autoemail_store::OutboxState::Filed).await.unwrap();
            let item = filed.iter().find(|i| i.rfc_message_id == reply_id).expect("outbox row of the reply");
            let lf = |b: &[u8]| String::from_utf8_lossy(b).replace("\r\n", "\n");
            assert_eq!(lf(sent_raw), lf(&item.raw));
            assert_eq!(item.recipients, vec!["bob@example.test".to_string(), "carol@example.test".to_string()]);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "reply not filed in Sent");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut c = ImapClient::connect(&alice).await.unwrap();
    c.select("INBOX").await.unwrap();
    let uids = c.search_message_id(&original_id).await.unwrap();
    assert_eq!(uids.len(), 1);
    let started = Instant::now();
    loop {
        let flags = c.flags(uids[0]).await.unwrap();
        if flags.iter().any(|f| f.contains("Answered")) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "original not flagged \\Answered: {flags:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.noop().await.unwrap();
    }
    c.logout().await;

    // Every step is in the audit log.
    let log = String::from_utf8_lossy(&autoemail(&config, &["log", &draft_id.to_string()]).stdout).to_string();
    for step in ["ingested", "triaged", "drafted", "routed", "approved", "sent", "filed"] {
        assert!(log.contains(step), "audit log lacks {step}:\n{log}");
    }
    drop(daemon);
}
