//! Network faults between AutoEmail and the real Dovecot and Postfix, made by
//! a TCP proxy in the test: connections dropped in the middle of IDLE, a
//! server that accepts but never answers, and an SMTP server refusing for a
//! while. Everything recovers by itself; nothing is lost or duplicated.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autoemail::pipeline::{IngestOutcome, Source};
use autoemail::{App, Config};
use common::proxy::{Mode, Proxy};

fn nonce() -> String {
    format!("{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis())
}

fn write_config(dir: &std::path::Path, imap: (&str, u16), smtp: (&str, u16)) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    autoemail::config::write_private(&dir.join("imap-password"), "secret\n").unwrap();
    std::fs::write(
        &path,
        format!(
            "[account]\nname = \"alice\"\naddress = \"alice@example.test\"\n\n[imap]\nhost = \"{}\"\nport = {}\nsecurity = \"none\"\n\
username = \"alice@example.test\"\npassword_file = \"imap-password\"\ntimeout_seconds = 3\n\n[smtp]\nhost = \"{}\"\nport = {}\nsecurity = \"none\"\ntimeout_seconds = 3\n\n\
[store]\npath = \"store.sqlite\"\n\n[outbox]\nhold_seconds = 0\nreconcile_grace_seconds = 2\n",
            imap.0, imap.1, smtp.0, smtp.1
        ),
    )
    .unwrap();
    path
}

async fn deliver(smtp: (&str, u16), subject: &str, id: &str) {
    let raw = format!(
        "From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\r\nCould you send me the notes from today?\r\n"
    );
    common::smtp_send(smtp.0, smtp.1, "bob@example.test", "alice@example.test", raw.as_bytes()).await;
}

/// Waits until the queue holds a draft for `subject`; panics after `limit`.
async fn wait_for_draft(config: &std::path::Path, subject: &str, limit: Duration) -> f64 {
    let started = Instant::now();
    loop {
        let out = common::autoemail(config, &["queue", "--json"]);
        let queue: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if queue.as_array().unwrap().iter().any(|i| i["subject"] == subject) {
            return started.elapsed().as_secs_f64();
        }
        assert!(started.elapsed() < limit, "no draft for {subject:?} within {limit:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_drops_and_a_stalled_server_are_survived() {
    let Some(((imap_host, imap_port), (smtp_host, smtp_port))) = common::peers() else { return };
    let proxy = Proxy::start((imap_host.clone(), imap_port)).await;
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), ("127.0.0.1", proxy.port), (&smtp_host, smtp_port));
    let _daemon = common::Daemon(
        Command::new(env!("CARGO_BIN_EXE_autoemail"))
            .arg("--config")
            .arg(&config)
            .arg("run")
            .env("AE_TEST_IMAP_PASSWORD", "secret")
            .env("AUTOEMAIL_LOG", "autoemail=info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let n = nonce();
    let smtp = (smtp_host.as_str(), smtp_port);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let a = format!("Fault A {n}");
    deliver(smtp, &a, &format!("fa-{n}@example.test")).await;
    wait_for_draft(&config, &a, Duration::from_secs(30)).await;

    // The connection drops in the middle of IDLE: the daemon reconnects and resumes.
    proxy.drop_connections();
    let b = format!("Fault B {n}");
    deliver(smtp, &b, &format!("fb-{n}@example.test")).await;
    let took_b = wait_for_draft(&config, &b, Duration::from_secs(40)).await;

    // The server stalls (accepts, never answers): commands time out, the daemon
    // keeps retrying, and picks up where it left off once the server answers again.
    proxy.set(Mode::Stall);
    proxy.drop_connections();
    let c = format!("Fault C {n}");
    deliver(smtp, &c, &format!("fc-{n}@example.test")).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    proxy.set(Mode::Pass);
    proxy.drop_connections();
    let took_c = wait_for_draft(&config, &c, Duration::from_secs(60)).await;

    // Nothing twice: one message and one draft per delivery.
    let app = App::open(Config::load(&config).unwrap()).await.unwrap();
    let queue = app.store.queue(None).await.unwrap();
    for s in [&a, &b, &c] {
        assert_eq!(queue.iter().filter(|q| &q.subject == s).count(), 1, "{s} queued more than once");
    }
    println!("recovered from a dropped IDLE in {took_b:.1}s and from a stalled server in {took_c:.1}s after it answered again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_refusing_for_a_while_delivers_once_when_it_comes_back() {
    let Some(((imap_host, imap_port), (smtp_host, smtp_port))) = common::peers() else { return };
    autoemail_mail::tls::install_crypto_provider();
    let proxy = Proxy::start((smtp_host.clone(), smtp_port)).await;
    proxy.set(Mode::Refuse);
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), (&imap_host, imap_port), ("127.0.0.1", proxy.port));
    let app = App::open(Config::load(&config).unwrap()).await.unwrap();
    let n = nonce();
    let original = format!("refuse-{n}@example.test");
    let raw = format!(
        "From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: Refused {n}\r\nMessage-ID: <{original}>\r\n\r\nAre we on for Friday?\r\n"
    );
    let IngestOutcome::Stored { draft: Some(d), .. } = app.ingest(raw.as_bytes(), Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap()
    else {
        panic!()
    };
    let approved = app.approve(d, "tester", Some("Yes, Friday it is.\n\nAlice".into())).await.unwrap();

    // Refused: a transient failure, retried later, the draft stays approved.
    let sender = app.sender().unwrap();
    let imap = app.config.imap_config().unwrap().unwrap();
    let mut filer = autoemail::outbox::ImapFiler::new(imap.clone());
    let r = app.deliver_due(sender.as_ref(), Some(&mut filer)).await.unwrap();
    assert_eq!((r.sent, r.retried, r.failed), (0, 1, 0), "{r:?}");

    // The server comes back; the retry (after its backoff) delivers exactly once.
    proxy.set(Mode::Pass);
    let started = Instant::now();
    loop {
        let r = app.deliver_due(sender.as_ref(), Some(&mut filer)).await.unwrap();
        if r.sent == 1 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(40), "not sent within 40 s of the server coming back");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let bob = common::imap_config(&imap_host, imap_port, "bob@example.test");
    let started = Instant::now();
    loop {
        let found = common::search_header(&bob, "INBOX", "Message-ID", &approved.message_id).await;
        if !found.is_empty() {
            assert_eq!(found.len(), 1, "delivered more than once");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the reply did not arrive");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let log = app.store.audit_log(autoemail_store::AuditFilter::default()).await.unwrap();
    assert!(log.iter().any(|e| e.action == "send_retry"), "the refusal is in the audit log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_account_does_not_stop_another() {
    let Some(((imap_host, imap_port), (smtp_host, smtp_port))) = common::peers() else { return };
    let proxy = Proxy::start((imap_host.clone(), imap_port)).await;
    proxy.set(Mode::Refuse);
    let alice_dir = tempfile::tempdir().unwrap();
    let alice = write_config(alice_dir.path(), ("127.0.0.1", proxy.port), (&smtp_host, smtp_port));
    let bob_dir = tempfile::tempdir().unwrap();
    let bob = write_config(bob_dir.path(), (&imap_host, imap_port), (&smtp_host, smtp_port));
    let text = std::fs::read_to_string(&bob).unwrap().replace("alice", "bob");
    std::fs::write(&bob, text).unwrap();
    let _daemon = common::Daemon(
        Command::new(env!("CARGO_BIN_EXE_autoemail"))
            .arg("--config")
            .arg(&alice)
            .args(["run", "--also"])
            .arg(&bob)
            .env("AUTOEMAIL_LOG", "autoemail=info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let n = nonce();
    // Alice's server refuses her; Bob's mail is drafted all the same.
    let to_bob = format!("For Bob {n}");
    let raw = format!(
        "From: Carol <carol@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: {to_bob}\r\nMessage-ID: <tob-{n}@example.test>\r\n\r\nCan you review the plan?\r\n"
    );
    common::smtp_send(&smtp_host, smtp_port, "carol@example.test", "bob@example.test", raw.as_bytes()).await;
    wait_for_draft(&bob, &to_bob, Duration::from_secs(30)).await;

    // Alice's server comes back: her account recovers by itself.
    proxy.set(Mode::Pass);
    let to_alice = format!("For Alice {n}");
    deliver((smtp_host.as_str(), smtp_port), &to_alice, &format!("toa-{n}@example.test")).await;
    wait_for_draft(&alice, &to_alice, Duration::from_secs(90)).await;
}
