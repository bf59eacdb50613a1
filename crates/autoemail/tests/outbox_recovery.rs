//! The outbox's recovery rules without a server (Maildir transport):
//! a claim left by a dead process is settled before any retry (found → not
//! sent again; not found → sent once), `pause` stops all sending at once, and
//! a thread answered from another mail client leaves the queue.

use autoemail::pipeline::{IngestOutcome, Source};
use autoemail::{App, Config};
use autoemail_core::review::DraftState;
use autoemail_store::{AuditFilter, OutboxState};

async fn open(dir: &std::path::Path) -> App {
    let config =
        "[account]\naddress = \"sam@northwind.example\"\n\n[store]\npath = \"s.sqlite\"\n\n[outbox]\nmaildir = \"sent\"\nreconcile_grace_seconds = 0\n";
    autoemail::config::write_private(&dir.join("config.toml"), config).unwrap();
    App::open(Config::load(&dir.join("config.toml")).unwrap()).await.unwrap()
}

async fn approved_reply(app: &App, n: usize) -> i64 {
    let raw = format!(
        "From: Dana <dana@example.org>\r\nTo: Sam <sam@northwind.example>\r\nSubject: Q{n}\r\nMessage-ID: <q{n}@example.org>\r\n\r\nDid you get it?\r\n"
    );
    let IngestOutcome::Stored { draft: Some(d), .. } = app.ingest(raw.as_bytes(), Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap()
    else {
        panic!()
    };
    app.approve(d, "tester", Some("Yes, got it.\n\nSam".into())).await.unwrap();
    d
}

fn copies(dir: &std::path::Path, message_id: &str) -> usize {
    let needle = format!("<{message_id}>");
    autoemail_mail::maildir::maildir_files(&dir.join("sent"))
        .unwrap_or_default()
        .iter()
        .filter(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).contains(&needle))
        .count()
}

#[tokio::test]
async fn an_interrupted_send_is_settled_before_any_retry() {
    let tmp = tempfile::tempdir().unwrap();
    let app = open(tmp.path()).await;
    let sender = app.sender().unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "localhost".into());
    // A process on this host that is not running (pid above the kernel's limit).
    let dead_here = format!("{host}:4194303:1");

    // 1: the dead process had handed the reply over (it is in the Maildir).
    approved_reply(&app, 1).await;
    let delivered = app.store.claim_due(app.account(), autoemail::now(), &dead_here).await.unwrap().unwrap();
    sender.send(&delivered.envelope_from, &delivered.recipients, &delivered.raw).await.unwrap();
    // 2: the dead process never got that far.
    approved_reply(&app, 2).await;
    let undelivered = app.store.claim_due(app.account(), autoemail::now(), &dead_here).await.unwrap().unwrap();
    // 3: claimed a moment ago on another host, which may still be sending it.
    approved_reply(&app, 3).await;
    let elsewhere = app.store.claim_due(app.account(), autoemail::now(), "another-host:1:1").await.unwrap().unwrap();

    let r = app.deliver_due(sender.as_ref(), None).await.unwrap();
    assert_eq!((r.reconciled_sent, r.reconciled_requeued, r.sent), (1, 1, 1), "{r:?}");
    assert_eq!(copies(tmp.path(), &delivered.rfc_message_id), 1, "the delivered reply is not sent again");
    assert_eq!(copies(tmp.path(), &undelivered.rfc_message_id), 1, "the undelivered reply is sent once");
    assert_eq!(copies(tmp.path(), &elsewhere.rfc_message_id), 0, "a live claim elsewhere is left alone");
    assert_eq!(app.store.outbox_item(elsewhere.id).await.unwrap().state, OutboxState::Sending);
    let log = app.store.audit_log(AuditFilter::default()).await.unwrap();
    assert!(log.iter().any(|e| e.action == "reconciled_sent"));
    assert!(log.iter().any(|e| e.action == "reconciled_requeued"));
}

#[tokio::test]
async fn pause_stops_all_sending_until_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let app = open(tmp.path()).await;
    let sender = app.sender().unwrap();
    approved_reply(&app, 3).await;
    app.set_paused("tester", Some("checking something")).await.unwrap();
    let r = app.deliver_due(sender.as_ref(), None).await.unwrap();
    assert!(r.paused);
    assert_eq!(r.sent, 0);
    assert_eq!(app.store.outbox_by_state(OutboxState::Queued).await.unwrap().len(), 1);
    app.set_paused("tester", None).await.unwrap();
    assert_eq!(app.deliver_due(sender.as_ref(), None).await.unwrap().sent, 1);
    let log = app.store.audit_log(AuditFilter::default()).await.unwrap();
    assert!(log.iter().any(|e| e.action == "paused" && e.reason.contains("checking something")));
    assert!(log.iter().any(|e| e.action == "resumed"));
}

#[tokio::test]
async fn a_thread_answered_elsewhere_leaves_the_queue() {
    let tmp = tempfile::tempdir().unwrap();
    let app = open(tmp.path()).await;
    let raw =
        b"From: Dana <dana@example.org>\r\nTo: Sam <sam@northwind.example>\r\nSubject: Lunch\r\nMessage-ID: <lunch@example.org>\r\n\r\nLunch on Friday?\r\n";
    let IngestOutcome::Stored { draft: Some(d), .. } = app.ingest(raw, Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap() else {
        panic!()
    };
    assert_eq!(app.store.draft(d).await.unwrap().state, DraftState::Pending);
    // Sam answers from his phone; the copy shows up in Sent.
    let reply = b"From: Sam <sam@northwind.example>\r\nTo: Dana <dana@example.org>\r\nSubject: Re: Lunch\r\nMessage-ID: <phone-1@northwind.example>\r\nIn-Reply-To: <lunch@example.org>\r\n\r\nSure!\r\n";
    app.ingest(reply, Source { mailbox: "Sent", uid: Some(1), uidvalidity: Some(1) }).await.unwrap();
    assert_eq!(app.store.draft(d).await.unwrap().state, DraftState::Obsolete);
    assert!(app.store.queue(None).await.unwrap().is_empty());
    let log = app.store.audit_log(AuditFilter::default()).await.unwrap();
    assert!(log.iter().any(|e| e.action == "obsolete" && e.reason.contains("answered this elsewhere")));
}

#[tokio::test]
async fn the_hourly_limit_holds_the_rest_back() {
    let tmp = tempfile::tempdir().unwrap();
    let config = "[account]\naddress = \"sam@northwind.example\"\n\n[store]\npath = \"s.sqlite\"\n\n[outbox]\nmaildir = \"sent\"\nmax_per_hour = 2\n";
    autoemail::config::write_private(&tmp.path().join("config.toml"), config).unwrap();
    let app = App::open(Config::load(&tmp.path().join("config.toml")).unwrap()).await.unwrap();
    for n in 10..13 {
        approved_reply(&app, n).await;
    }
    let r = app.deliver_due(app.sender().unwrap().as_ref(), None).await.unwrap();
    assert_eq!((r.sent, r.rate_limited), (2, true));
    assert_eq!(app.store.outbox_by_state(OutboxState::Queued).await.unwrap().len(), 1);
}
