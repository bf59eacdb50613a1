//! The real Dovecot restarted while `autoemail run` sits in IDLE: the daemon
//! notices, reconnects with backoff, and mail delivered after the restart is
//! drafted once. (Its own test binary: the restart would disturb other tests.)

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_restart_during_idle_is_survived() {
    let Some(((imap_host, imap_port), (smtp_host, smtp_port))) = common::peers() else { return };
    let Ok(conf) = std::env::var("AUTOEMAIL_TEST_DOVECOT_CONF") else {
        if std::env::var_os("CI").is_some() {
            panic!("AUTOEMAIL_TEST_DOVECOT_CONF is required in CI (scripts/mail-peers.sh env prints it)");
        }
        eprintln!("\n*** SKIPPED: AUTOEMAIL_TEST_DOVECOT_CONF not set ***\n");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    autoemail::config::write_private(&tmp.path().join("pw"), "secret\n").unwrap();
    std::fs::write(
        &config,
        format!(
            "[account]\nname = \"alice\"\naddress = \"alice@example.test\"\n\n[imap]\nhost = \"{imap_host}\"\nport = {imap_port}\nsecurity = \"none\"\n\
username = \"alice@example.test\"\npassword_file = \"pw\"\ntimeout_seconds = 3\n\n[smtp]\nhost = \"{smtp_host}\"\nport = {smtp_port}\nsecurity = \"none\"\n\n[store]\npath = \"s.sqlite\"\n"
        ),
    )
    .unwrap();
    let _daemon = common::Daemon(
        Command::new(env!("CARGO_BIN_EXE_autoemail"))
            .arg("--config")
            .arg(&config)
            .arg("run")
            .env("AUTOEMAIL_LOG", "autoemail=info")
            .stdout(std::fs::File::create(tmp.path().join("daemon.out")).unwrap())
            .stderr(std::fs::File::create(tmp.path().join("daemon.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    // Wait until the daemon sits in IDLE.
    let waiting = Instant::now();
    while !std::fs::read_to_string(tmp.path().join("daemon.out")).unwrap_or_default().contains("watching for new mail (IDLE)") {
        assert!(waiting.elapsed() < Duration::from_secs(30), "the daemon did not reach IDLE");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Stop Dovecot under the IDLE, wait, start it again.
    // Detached from this test's output: the restarted server outlives the test.
    let quiet = |c: &mut Command| {
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    };
    let mut stop = Command::new("doveadm");
    stop.args(["-c", &conf, "stop"]);
    quiet(&mut stop);
    let stopped = stop.status().map(|s| s.success()).unwrap_or(false);
    // Client sessions may outlive the master process; a real restart ends them.
    let mut kick = Command::new("pkill");
    kick.args(["-f", "dovecot/imap"]);
    quiet(&mut kick);
    let _ = kick.status();
    assert!(stopped, "doveadm stop failed");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut start = Command::new("dovecot");
    start.args(["-c", &conf]);
    quiet(&mut start);
    assert!(start.status().unwrap().success(), "dovecot did not start again");
    let started = Instant::now();
    while std::net::TcpStream::connect((imap_host.as_str(), imap_port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "dovecot is not listening again");
        std::thread::sleep(Duration::from_millis(200));
    }

    let nonce = format!("{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis());
    let subject = format!("After the restart {nonce}");
    let raw = format!(
        "From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: {subject}\r\nMessage-ID: <restart-{nonce}@example.test>\r\n\r\nStill there?\r\n"
    );
    common::smtp_send(&smtp_host, smtp_port, "bob@example.test", "alice@example.test", raw.as_bytes()).await;
    let started = Instant::now();
    loop {
        let out = common::autoemail(&config, &["queue", "--json"]);
        let queue: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let n = queue.as_array().unwrap().iter().filter(|i| i["subject"] == subject.as_str()).count();
        if n > 0 {
            assert_eq!(n, 1);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no draft after the Dovecot restart");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // It was a real reconnect, not a connection that survived the restart.
    let log = std::fs::read_to_string(tmp.path().join("daemon.log")).unwrap();
    assert!(log.matches("connected to").count() >= 2, "the daemon never reconnected:\n{log}");
}
