//! Exactly once through kill -9, against the real Dovecot and Postfix: in each
//! of 30 rounds three replies are approved, `autoemail send` is killed at a
//! random moment while it sends them, and a fresh `autoemail send` finishes
//! the job (settling anything the dead process left half-done). At the end,
//! every reply is in bob's INBOX exactly once.

mod common;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use autoemail::pipeline::{IngestOutcome, Source};
use autoemail::{App, Config};
use autoemail_core::parse_message;
use autoemail_store::OutboxState;

const ROUNDS: usize = 30;
const PER_ROUND: usize = 3;

/// A pseudo-random delay (no rand dependency): nanoseconds of the clock, folded.
fn random_ms(max: u64) -> u64 {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    (n ^ (n >> 7)) % max
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reply_is_delivered_exactly_once_through_kill_9() {
    let Some((imap, smtp)) = common::peers() else { return };
    let (imap_host, imap_port) = imap.clone();
    autoemail_mail::tls::install_crypto_provider();
    let nonce = common::nonce();
    let tmp = tempfile::tempdir().unwrap();
    let config = common::alice_config(tmp.path(), &imap, &smtp, "timeout_seconds = 10\n", "[outbox]\nhold_seconds = 0\nreconcile_grace_seconds = 3\n");
    let app = App::open(Config::load(&config).unwrap()).await.unwrap();
    let mut drafts = Vec::new();
    for i in 0..ROUNDS * PER_ROUND {
        let raw = format!(
            "From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: Crash test {nonce} #{i}\r\nMessage-ID: <crash-{nonce}-{i}@example.test>\r\n\r\nCould you confirm you got item {i}?\r\n"
        );
        match app.ingest(raw.as_bytes(), Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap() {
            IngestOutcome::Stored { draft: Some(d), .. } => drafts.push(d),
            other => panic!("message {i} was not drafted: {other:?}"),
        }
    }

    let (mut killed_mid_batch, mut reconciled) = (0, 0);
    for round in 0..ROUNDS {
        for d in &drafts[round * PER_ROUND..(round + 1) * PER_ROUND] {
            app.approve(*d, "tester", Some(format!("Hi Bob,\n\nyes, got it (round {round}).\n\nAlice"))).await.unwrap();
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_autoemail"))
            .arg("--config")
            .arg(&config)
            .arg("send")
            .env("AE_TEST_IMAP_PASSWORD", "secret")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(random_ms(300))).await;
        let _ = child.kill(); // SIGKILL: no chance to clean up.
        let status = child.wait().unwrap();
        killed_mid_batch += usize::from(!status.success());
        let out = common::autoemail(&config, &["send"]);
        let said = String::from_utf8_lossy(&out.stdout);
        if said.contains("after an interrupted send") {
            reconciled += 1;
        }
    }

    // Count every reply in bob's INBOX by Message-ID.
    let outbox = app.store.outbox_by_state(OutboxState::Filed).await.unwrap();
    let ours: Vec<String> = outbox.iter().map(|o| o.rfc_message_id.clone()).collect();
    assert_eq!(ours.len(), ROUNDS * PER_ROUND, "every reply reached Filed: {}", ours.len());
    let bob = common::imap_config(&imap_host, imap_port, "bob@example.test");
    let mut client = autoemail_mail::imap::ImapClient::connect(&bob).await.unwrap();
    client.select("INBOX").await.unwrap();
    let uids = client.uids_after(0).await.unwrap();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for chunk in uids.chunks(200) {
        for (_, raw) in client.fetch_raw(chunk).await.unwrap() {
            if let Some(id) = parse_message(&raw).ok().and_then(|m| m.message_id) {
                *counts.entry(id).or_default() += 1;
            }
        }
    }
    client.logout().await;
    let lost = ours.iter().filter(|id| !counts.contains_key(*id)).count();
    let duplicates: usize = ours.iter().map(|id| counts.get(id).copied().unwrap_or(0).saturating_sub(1)).sum();
    let figures = format!(
        "outbox crash test (kill -9 during `autoemail send`, real Dovecot + Postfix): {ROUNDS} rounds, {} replies, {killed_mid_batch} sends killed, {reconciled} rounds settled an interrupted send, duplicates {duplicates}, lost {lost}",
        ours.len()
    );
    common::record_figures(&figures);
    assert_eq!((duplicates, lost), (0, 0));
}
