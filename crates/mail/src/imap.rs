//! The IMAP side: log in, read new messages by UID, wait for more with IDLE,
//! file sent replies in the \Sent folder and flag originals \Answered.
//!
//! Every command runs under a timeout so a stalled server becomes a transient
//! error instead of a hang; the caller reconnects with backoff.

use std::collections::HashSet;
use std::fmt::Debug;
use std::time::Duration;

use async_imap::Session;
use async_imap::extensions::idle::IdleResponse;
use async_imap::types::NameAttribute;
use futures::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::Security;

pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> AsyncStream for T {}
type Stream = Box<dyn AsyncStream>;

#[derive(Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
    /// Limit for each command (not for IDLE, which has its own).
    pub timeout: Duration,
}

impl Debug for ImapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot reach {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, String),
    #[error("login as {0} refused: {1}")]
    Login(String, String),
    #[error("the IMAP server timed out during {0}")]
    Timeout(&'static str),
    #[error("IMAP {0} failed: {1}")]
    Command(&'static str, String),
    #[error("the IMAP connection was lost during {0}: {1}")]
    Lost(&'static str, String),
}

impl ImapError {
    /// Worth a reconnect and retry (network, timeouts); a refused login or a
    /// rejected command is not.
    pub fn is_transient(&self) -> bool {
        matches!(self, ImapError::Connect(..) | ImapError::Timeout(_) | ImapError::Lost(..))
    }
}

fn command_error(what: &'static str, e: async_imap::error::Error) -> ImapError {
    use async_imap::error::Error;
    match e {
        Error::Io(io) => ImapError::Lost(what, io.to_string()),
        Error::ConnectionLost => ImapError::Lost(what, "connection closed".into()),
        other => ImapError::Command(what, other.to_string()),
    }
}

async fn timed<T>(limit: Duration, what: &'static str, fut: impl Future<Output = Result<T, async_imap::error::Error>>) -> Result<T, ImapError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(result) => result.map_err(|e| command_error(what, e)),
        Err(_) => Err(ImapError::Timeout(what)),
    }
}

#[derive(Debug, Clone, Copy)]
pub struct MailboxStatus {
    pub uidvalidity: u32,
    pub uid_next: Option<u32>,
    pub exists: u32,
    /// HIGHESTMODSEQ, when the server offers CONDSTORE.
    pub highest_modseq: Option<u64>,
}

pub enum IdleEvent {
    /// The server announced a change (new mail, expunge, flags).
    Changed,
    /// Nothing happened within the wait; re-issue IDLE (servers drop idlers after ~30 min).
    TimedOut,
}

pub struct ImapClient {
    session: Session<Stream>,
    timeout: Duration,
    pub capabilities: Vec<String>,
}

impl ImapClient {
    pub async fn connect(config: &ImapConfig) -> Result<Self, ImapError> {
        let addr = format!("{}:{}", config.host, config.port);
        let tcp = tokio::time::timeout(config.timeout, TcpStream::connect(&addr))
            .await
            .map_err(|_| ImapError::Timeout("connect"))?
            .map_err(|e| ImapError::Connect(addr.clone(), e))?;
        let _ = tcp.set_nodelay(true);
        let stream: Stream = match config.security {
            Security::None => Box::new(tcp),
            Security::Tls => Box::new(tls_wrap(&config.host, tcp).await?),
            Security::StartTls => {
                let mut client = async_imap::Client::new(tcp);
                read_greeting(&mut client, config.timeout).await?;
                timed(config.timeout, "STARTTLS", client.run_command_and_check_ok("STARTTLS", None)).await?;
                Box::new(tls_wrap(&config.host, client.into_inner()).await?)
            }
        };
        let mut client = async_imap::Client::new(stream);
        if config.security != Security::StartTls {
            read_greeting(&mut client, config.timeout).await?;
        }
        let session = tokio::time::timeout(config.timeout, client.login(&config.username, &config.password))
            .await
            .map_err(|_| ImapError::Timeout("LOGIN"))?
            .map_err(|(e, _)| match e {
                async_imap::error::Error::Io(io) => ImapError::Lost("LOGIN", io.to_string()),
                other => ImapError::Login(config.username.clone(), other.to_string()),
            })?;
        let mut this = ImapClient { session, timeout: config.timeout, capabilities: Vec::new() };
        let caps = timed(this.timeout, "CAPABILITY", this.session.capabilities()).await?;
        this.capabilities = caps.iter().map(|c| format!("{c:?}")).collect();
        Ok(this)
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities.iter().any(|c| c.to_ascii_uppercase().contains(&name.to_ascii_uppercase()))
    }

    pub async fn select(&mut self, mailbox: &str) -> Result<MailboxStatus, ImapError> {
        // With CONDSTORE the server reports a modification sequence, so flag
        // changes can be fetched since the last look instead of asked one by one.
        let mb = if self.has_capability("CONDSTORE") {
            timed(self.timeout, "SELECT (CONDSTORE)", self.session.select_condstore(mailbox)).await?
        } else {
            timed(self.timeout, "SELECT", self.session.select(mailbox)).await?
        };
        Ok(MailboxStatus {
            uidvalidity: mb.uid_validity.ok_or_else(|| ImapError::Command("SELECT", format!("{mailbox} has no UIDVALIDITY")))?,
            uid_next: mb.uid_next,
            exists: mb.exists,
            highest_modseq: mb.highest_modseq,
        })
    }

    /// UIDs and flags of the messages whose flags changed since `modseq` (CONDSTORE).
    pub async fn flag_changes_since(&mut self, modseq: u64) -> Result<Vec<(u32, Vec<String>)>, ImapError> {
        let session = &mut self.session;
        timed(self.timeout, "UID FETCH CHANGEDSINCE", async move {
            let stream = session.uid_fetch("1:*", format!("(UID FLAGS) (CHANGEDSINCE {modseq})")).await?;
            let fetched: Vec<_> = stream.try_collect().await?;
            Ok(fetched.iter().filter_map(|f| Some((f.uid?, f.flags().map(|fl| format!("{fl:?}")).collect()))).collect())
        })
        .await
    }

    /// UIDs above `last_uid` in the selected mailbox, ascending.
    pub async fn uids_after(&mut self, last_uid: u32) -> Result<Vec<u32>, ImapError> {
        let found: HashSet<u32> = timed(self.timeout, "UID SEARCH", self.session.uid_search(format!("UID {}:*", last_uid.saturating_add(1)))).await?;
        let mut uids: Vec<u32> = found.into_iter().filter(|&u| u > last_uid).collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Fetch whole messages without setting \Seen.
    pub async fn fetch_raw(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        if uids.is_empty() {
            return Ok(vec![]);
        }
        let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let limit = self.timeout * 4;
        let session = &mut self.session;
        let mut out: Vec<(u32, Vec<u8>)> = timed(limit, "UID FETCH", async move {
            let stream = session.uid_fetch(set, "(UID BODY.PEEK[])").await?;
            let fetches: Vec<_> = stream.try_collect().await?;
            Ok(fetches.iter().filter_map(|f| Some((f.uid?, f.body()?.to_vec()))).collect())
        })
        .await?;
        out.sort_by_key(|(u, _)| *u);
        Ok(out)
    }

    /// Wait up to `wait` for the server to report a change in the selected mailbox.
    pub async fn idle(self, wait: Duration) -> Result<(Self, IdleEvent), ImapError> {
        let timeout = self.timeout;
        let mut handle = self.session.idle();
        timed(timeout, "IDLE", handle.init()).await?;
        let event = {
            let (fut, _stop) = handle.wait_with_timeout(wait);
            // The outer limit catches a dead connection that never answers at all.
            match tokio::time::timeout(wait + timeout, fut).await {
                Ok(Ok(IdleResponse::NewData(_))) => IdleEvent::Changed,
                Ok(Ok(_)) => IdleEvent::TimedOut,
                Ok(Err(e)) => return Err(command_error("IDLE", e)),
                Err(_) => return Err(ImapError::Timeout("IDLE")),
            }
        };
        let session = timed(timeout, "DONE", handle.done()).await?;
        Ok((ImapClient { session, timeout, capabilities: self.capabilities }, event))
    }

    /// The mailbox marked \Sent (RFC 6154), else one named like a sent folder.
    pub async fn find_sent_mailbox(&mut self) -> Result<Option<String>, ImapError> {
        let session = &mut self.session;
        let names: Vec<(String, bool)> = timed(self.timeout, "LIST", async move {
            let stream = session.list(Some(""), Some("*")).await?;
            let names: Vec<_> = stream.try_collect().await?;
            Ok(names.iter().map(|n| (n.name().to_string(), n.attributes().iter().any(|a| matches!(a, NameAttribute::Sent)))).collect())
        })
        .await?;
        if let Some((name, _)) = names.iter().find(|(_, sent)| *sent) {
            return Ok(Some(name.clone()));
        }
        const USUAL: [&str; 5] = ["Sent", "Sent Items", "Sent Messages", "INBOX.Sent", "[Gmail]/Sent Mail"];
        Ok(USUAL.iter().find_map(|u| names.iter().find(|(n, _)| n.eq_ignore_ascii_case(u)).map(|(n, _)| n.clone())))
    }

    pub async fn append(&mut self, mailbox: &str, raw: &[u8], flags: &str) -> Result<(), ImapError> {
        timed(self.timeout, "APPEND", self.session.append(mailbox, Some(flags), None, raw)).await
    }

    /// Add flags (e.g. `\Answered`) to a message of the selected mailbox.
    pub async fn add_flags(&mut self, uid: u32, flags: &str) -> Result<(), ImapError> {
        let session = &mut self.session;
        timed(self.timeout, "UID STORE", async move {
            let stream = session.uid_store(uid.to_string(), format!("+FLAGS ({flags})")).await?;
            let _: Vec<_> = stream.try_collect().await?;
            Ok(())
        })
        .await
    }

    /// UIDs in the selected mailbox whose Message-ID header matches.
    pub async fn search_message_id(&mut self, message_id: &str) -> Result<Vec<u32>, ImapError> {
        let clean: String = message_id.chars().filter(|c| !matches!(c, '"' | '\\' | '\r' | '\n')).collect();
        let found = timed(self.timeout, "UID SEARCH", self.session.uid_search(format!("HEADER Message-ID \"{clean}\""))).await?;
        let mut uids: Vec<u32> = found.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Flags of one message of the selected mailbox, as the server spells them.
    pub async fn flags(&mut self, uid: u32) -> Result<Vec<String>, ImapError> {
        let session = &mut self.session;
        timed(self.timeout, "UID FETCH FLAGS", async move {
            let stream = session.uid_fetch(uid.to_string(), "(UID FLAGS)").await?;
            let fetches: Vec<_> = stream.try_collect().await?;
            Ok(fetches.iter().flat_map(|f| f.flags().map(|fl| format!("{fl:?}"))).collect())
        })
        .await
    }

    pub async fn noop(&mut self) -> Result<(), ImapError> {
        timed(self.timeout, "NOOP", self.session.noop()).await
    }

    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(self.timeout, self.session.logout()).await;
    }
}

async fn read_greeting<T: AsyncRead + AsyncWrite + Unpin + Send + Debug>(client: &mut async_imap::Client<T>, limit: Duration) -> Result<(), ImapError> {
    match tokio::time::timeout(limit, client.read_response()).await {
        Err(_) => Err(ImapError::Timeout("greeting")),
        Ok(Err(e)) => Err(ImapError::Lost("greeting", e.to_string())),
        Ok(Ok(None)) => Err(ImapError::Lost("greeting", "closed before the greeting".into())),
        Ok(Ok(Some(_))) => Ok(()),
    }
}

async fn tls_wrap(host: &str, tcp: TcpStream) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ImapError> {
    let config = crate::tls::client_config().map_err(|e| ImapError::Tls(host.into(), e))?;
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| ImapError::Tls(host.into(), e.to_string()))?;
    tokio_rustls::TlsConnector::from(config).connect(name, tcp).await.map_err(|e| ImapError::Tls(host.into(), e.to_string()))
}
