//! Helpers shared by the tests that run against the real mail peers.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use autoemail_core::parse_message;
use autoemail_mail::Security;
use autoemail_mail::imap::{ImapClient, ImapConfig};

pub fn peers() -> Option<((String, u16), (String, u16))> {
    let split = |v: String| -> (String, u16) {
        let (h, p) = v.rsplit_once(':').expect("HOST:PORT");
        (h.to_string(), p.parse().expect("port"))
    };
    match (std::env::var("AUTOEMAIL_TEST_IMAP"), std::env::var("AUTOEMAIL_TEST_SMTP")) {
        (Ok(i), Ok(s)) => Some((split(i), split(s))),
        _ => {
            if std::env::var_os("CI").is_some() || std::env::var_os("AUTOEMAIL_REQUIRE_PEERS").is_some() {
                panic!("AUTOEMAIL_TEST_IMAP/AUTOEMAIL_TEST_SMTP are required here: start them with scripts/mail-peers.sh start");
            }
            eprintln!("\n*** SKIPPED: no mail servers (run `scripts/mail-peers.sh start` and export what it prints) ***\n");
            None
        }
    }
}

pub fn imap_config(host: &str, port: u16, user: &str) -> ImapConfig {
    ImapConfig { host: host.into(), port, security: Security::None, username: user.into(), password: "secret".into(), timeout: Duration::from_secs(10) }
}

pub struct Daemon(pub Child);
impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn autoemail(config: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_autoemail"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("AE_TEST_IMAP_PASSWORD", "secret")
        .output()
        .expect("run autoemail");
    assert!(out.status.success(), "autoemail {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

pub async fn search_header(imap: &ImapConfig, mailbox: &str, header: &str, value: &str) -> Vec<(u32, Vec<u8>)> {
    let mut c = ImapClient::connect(imap).await.expect("imap login");
    c.select(mailbox).await.expect("select");
    let clean: String = value.chars().filter(|ch| *ch != '"').collect();
    let uids = if header.eq_ignore_ascii_case("Message-ID") { c.search_message_id(&clean).await.unwrap() } else { search_other(&mut c, header, &clean).await };
    let found = c.fetch_raw(&uids).await.unwrap();
    c.logout().await;
    found
}

async fn search_other(c: &mut ImapClient, header: &str, value: &str) -> Vec<u32> {
    // Only In-Reply-To is needed; reuse the Message-ID search path's quoting.
    assert_eq!(header, "In-Reply-To");
    let all = c.uids_after(0).await.unwrap();
    let fetched = c.fetch_raw(&all).await.unwrap();
    fetched.into_iter().filter(|(_, raw)| parse_message(raw).is_ok_and(|m| m.in_reply_to.iter().any(|i| i == value))).map(|(u, _)| u).collect()
}
