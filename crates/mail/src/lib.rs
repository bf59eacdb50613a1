//! Mail adapters of AutoEmail: everything that talks to a mail server or a mail
//! file. The IMAP source (sync, IDLE, Sent folder, flags), the SMTP sender, a
//! Maildir "sender" for demo mode, and readers for mbox, Maildir and .eml files.
//!
//! It owns no decisions: it moves bytes, and classifies its failures as
//! transient (retry later) or permanent (tell the person) so callers can act.

pub mod imap;
pub mod import;
pub mod maildir;
pub mod smtp;
pub mod tls;

use async_trait::async_trait;

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain text: only for servers on this machine (tests, a local relay).
    None,
    /// Connect in plain text, then upgrade with STARTTLS (SMTP 587, IMAP 143).
    /// Written "starttls", as the README and `init` say ("start_tls" is read too).
    #[serde(rename = "starttls", alias = "start_tls")]
    StartTls,
    /// TLS from the first byte (SMTP 465, IMAP 993).
    #[default]
    Tls,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: 4xx replies, dropped connections, timeouts.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Will not succeed as it stands: 5xx replies, rejected recipients, bad credentials.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient(_))
    }
}

/// Where approved replies go.
#[async_trait]
pub trait MailSender: Send + Sync {
    /// Hand one message to the transport. `raw` is sent unchanged.
    async fn send(&self, envelope_from: &str, recipients: &[String], raw: &[u8]) -> Result<(), SendError>;
    /// A short description for logs and the audit log ("smtp://host:587").
    fn describe(&self) -> String;
    /// Can it deliver at all (server reachable and greeting, folder writable)?
    async fn check(&self) -> Result<(), SendError> {
        Ok(())
    }
    /// Did a message with this Message-ID (without brackets) already go out?
    /// None when the transport cannot tell (SMTP keeps no record to ask).
    async fn was_delivered(&self, _message_id: &str) -> Option<bool> {
        None
    }
}
