//! A reply sent from another mail client: the server flags the original
//! \Answered; the next sync (CONDSTORE: only the flags changed since the last
//! look) takes the pending draft out of the queue, and says why.

mod common;

use std::time::Duration;

use autoemail_mail::imap::ImapClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_on_the_server_leaves_the_queue() {
    let Some((imap, smtp)) = common::peers() else { return };
    let ((imap_host, imap_port), (smtp_host, smtp_port)) = (imap.clone(), smtp.clone());
    autoemail_mail::tls::install_crypto_provider();
    let tmp = tempfile::tempdir().unwrap();
    let config = common::alice_config(tmp.path(), &imap, &smtp, "", "");
    let nonce = common::nonce();
    let subject = format!("Answered elsewhere {nonce}");
    let id = format!("elsewhere-{nonce}@example.test");
    let raw = format!("From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\r\nLunch tomorrow?\r\n");
    common::smtp_send(&smtp_host, smtp_port, "bob@example.test", "alice@example.test", raw.as_bytes()).await;

    let queued = |config: &std::path::Path| {
        let out = common::autoemail(config, &["queue", "--json"]);
        let queue: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        queue.as_array().unwrap().iter().any(|i| i["subject"] == subject.as_str())
    };
    let started = std::time::Instant::now();
    while !queued(&config) {
        assert!(started.elapsed() < Duration::from_secs(20), "not drafted");
        common::autoemail(&config, &["run", "--once"]);
    }

    // Alice replies from her phone: her client flags the original \Answered.
    let alice = common::imap_config(&imap_host, imap_port, "alice@example.test");
    let mut c = ImapClient::connect(&alice).await.unwrap();
    assert!(c.has_capability("CONDSTORE"), "Dovecot offers CONDSTORE: {:?}", c.capabilities);
    c.select("INBOX").await.unwrap();
    let uid = c.search_message_id(&id).await.unwrap()[0];
    c.add_flags(uid, "\\Answered").await.unwrap();
    c.logout().await;

    common::autoemail(&config, &["run", "--once"]);
    assert!(!queued(&config), "the draft is still in the queue");
    let log = String::from_utf8_lossy(&common::autoemail(&config, &["log"]).stdout).to_string();
    assert!(log.contains("answered this elsewhere") && log.contains("Answered on the server"), "{log}");
}
