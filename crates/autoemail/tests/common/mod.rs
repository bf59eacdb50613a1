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

/// A tag unique to this run (process and time), so runs never see each other's mail.
pub fn nonce() -> String {
    format!("{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis())
}

/// alice's config on the real servers, in `dir`: her password comes from
/// AE_TEST_IMAP_PASSWORD (which `autoemail()` sets), the store is store.sqlite;
/// `imap_extra` lines go in [imap], `sections` after [store].
pub fn alice_config(
    dir: &Path,
    (imap_host, imap_port): &(String, u16),
    (smtp_host, smtp_port): &(String, u16),
    imap_extra: &str,
    sections: &str,
) -> std::path::PathBuf {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[account]\nname = \"alice\"\naddress = \"alice@example.test\"\n\n[imap]\nhost = \"{imap_host}\"\nport = {imap_port}\nsecurity = \"none\"\n\
username = \"alice@example.test\"\npassword_env = \"AE_TEST_IMAP_PASSWORD\"\n{imap_extra}\n[smtp]\nhost = \"{smtp_host}\"\nport = {smtp_port}\nsecurity = \"none\"\n\n\
[store]\npath = \"store.sqlite\"\n\n{sections}"
        ),
    )
    .unwrap();
    config
}

/// Runs the binary with `config`, whether it succeeds or not.
pub fn run_autoemail(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_autoemail")).arg("--config").arg(config).args(args).env("AE_TEST_IMAP_PASSWORD", "secret").output().expect("run autoemail")
}

/// Runs the binary with `config` and requires it to succeed.
pub fn autoemail(config: &Path, args: &[&str]) -> std::process::Output {
    let out = run_autoemail(config, args);
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

/// A TCP proxy on loopback in front of a real server, for fault tests: it can
/// pass traffic, drop every open connection, stall (accept, forward nothing),
/// or refuse (close new connections at once).
pub mod proxy {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU8, Ordering};

    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::broadcast;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[repr(u8)]
    pub enum Mode {
        Pass = 0,
        Stall = 1,
        Refuse = 2,
    }

    pub struct Proxy {
        pub port: u16,
        mode: Arc<AtomicU8>,
        drop_all: broadcast::Sender<()>,
    }

    impl Proxy {
        pub async fn start(upstream: (String, u16)) -> Proxy {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let mode = Arc::new(AtomicU8::new(Mode::Pass as u8));
            let (drop_all, _) = broadcast::channel(4);
            let (m, d) = (mode.clone(), drop_all.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((mut client, _)) = listener.accept().await else { return };
                    let mode = m.load(Ordering::SeqCst);
                    if mode == Mode::Refuse as u8 {
                        let _ = client.shutdown().await;
                        continue;
                    }
                    let upstream = upstream.clone();
                    let mut dropped = d.subscribe();
                    let stall = mode == Mode::Stall as u8;
                    tokio::spawn(async move {
                        if stall {
                            let _ = dropped.recv().await;
                            return;
                        }
                        let Ok(mut server) = TcpStream::connect((upstream.0.as_str(), upstream.1)).await else { return };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = dropped.recv() => {}
                        }
                    });
                }
            });
            Proxy { port, mode, drop_all }
        }

        pub fn set(&self, mode: Mode) {
            self.mode.store(mode as u8, Ordering::SeqCst);
        }

        /// Cut every open connection mid-whatever-it-was-doing.
        pub fn drop_connections(&self) {
            let _ = self.drop_all.send(());
        }
    }
}

/// Hands one message to the real Postfix, plain SMTP on loopback.
pub async fn smtp_send(host: &str, port: u16, from: &str, to: &str, raw: &[u8]) {
    use autoemail_mail::MailSender;
    let sender = autoemail_mail::smtp::SmtpSender::new(&autoemail_mail::smtp::SmtpConfig {
        host: host.into(),
        port,
        security: Security::None,
        username: None,
        password: None,
        timeout: Duration::from_secs(10),
    })
    .expect("SMTP client");
    sender.send(from, &[to.to_string()], raw).await.expect("deliver through Postfix");
}

/// The PostgreSQL admin URL of AUTOEMAIL_TEST_POSTGRES_URL (a role that may
/// create databases); None, said loudly, when it is not set outside CI.
pub fn postgres_admin_url(test: &str) -> Option<String> {
    match std::env::var("AUTOEMAIL_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => {
            if std::env::var_os("CI").is_some() || std::env::var_os("AUTOEMAIL_REQUIRE_PEERS").is_some() {
                panic!("AUTOEMAIL_TEST_POSTGRES_URL is required here");
            }
            eprintln!("\n*** SKIPPED {test}: set AUTOEMAIL_TEST_POSTGRES_URL ***\n");
            None
        }
    }
}

/// A new empty database `name` next to the admin URL's; its URL.
pub async fn fresh_database(admin_url: &str, name: &str) -> String {
    let admin = autoemail_store::PgStore::admin(admin_url).await.unwrap();
    autoemail_store::PgStore::drop_database(&admin, name).await.unwrap();
    autoemail_store::PgStore::create_database(&admin, name).await.unwrap();
    autoemail_store::PgStore::database_url(admin_url, name)
}

pub async fn drop_database(admin_url: &str, name: &str) {
    if let Ok(admin) = autoemail_store::PgStore::admin(admin_url).await {
        let _ = autoemail_store::PgStore::drop_database(&admin, name).await;
    }
}

/// The folder of the running Dovecot's config (its users file, its mail).
pub fn peers_dir() -> std::path::PathBuf {
    Path::new(&std::env::var("AUTOEMAIL_TEST_DOVECOT_CONF").expect("AUTOEMAIL_TEST_DOVECOT_CONF")).parent().unwrap().to_path_buf()
}

/// Adds IMAP users (`NAME@example.test`, password "secret") to the running
/// Dovecot and waits until it knows them.
pub async fn add_imap_users(imap_host: &str, imap_port: u16, names: &[String]) {
    let users_file = peers_dir().join("users");
    let mut users = std::fs::read_to_string(&users_file).unwrap();
    for name in names {
        let line = format!("{name}@example.test:{{PLAIN}}secret::::::\n");
        if !users.contains(&line) {
            users.push_str(&line);
        }
    }
    // Replaced whole, by a rename, so it is never read half written; and
    // Dovecot looks for changes at most once a second, so wait until it knows
    // the new users: deliveries before that bounced ("User doesn't exist").
    let fresh = peers_dir().join(format!("users.{}", std::process::id()));
    std::fs::write(&fresh, users).unwrap();
    std::fs::rename(&fresh, &users_file).unwrap();
    for name in names {
        let config = imap_config(imap_host, imap_port, &format!("{name}@example.test"));
        wait_until(&format!("Dovecot to know {name}"), Duration::from_secs(30), async || ImapClient::connect(&config).await.is_ok()).await;
    }
}

pub async fn wait_until<F: AsyncFn() -> bool>(what: &str, limit: Duration, check: F) {
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// An `autoemail worker` on the folder `accounts`, its log in `log`; killed when dropped.
pub fn start_worker(accounts: &Path, log: &Path, args: &[&str]) -> Daemon {
    let log = std::fs::File::create(log).unwrap();
    Daemon(
        Command::new(env!("CARGO_BIN_EXE_autoemail"))
            .args(["worker", "--accounts"])
            .arg(accounts)
            .args(args)
            .env("AUTOEMAIL_LOG", "autoemail=info,warn")
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start a worker"),
    )
}

/// Prints a measured figure and appends it to the file scripts/test shows at the end.
pub fn record_figures(line: &str) {
    println!("{line}");
    if let Some(path) = std::env::var_os("AUTOEMAIL_TEST_FIGURES") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{line}");
        }
    }
}
