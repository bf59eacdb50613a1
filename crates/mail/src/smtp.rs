//! Sending over SMTP with lettre: plain (loopback only), STARTTLS or implicit TLS,
//! with AUTH when credentials are given. The bytes are sent as they are.

use std::time::Duration;

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::{MailSender, Security, SendError};

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    describe: String,
}

impl SmtpSender {
    pub fn new(config: &SmtpConfig) -> Result<Self, SendError> {
        crate::tls::install_crypto_provider();
        let tls_params = || TlsParameters::new(config.host.clone()).map_err(|e| SendError::Permanent(format!("TLS setup for {}: {e}", config.host)));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host).port(config.port).timeout(Some(config.timeout));
        builder = match config.security {
            Security::None => builder.tls(Tls::None),
            Security::StartTls => builder.tls(Tls::Required(tls_params()?)),
            Security::Tls => builder.tls(Tls::Wrapper(tls_params()?)),
        };
        if let (Some(user), Some(pass)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        let scheme = match config.security {
            Security::None => "smtp",
            Security::StartTls => "smtp+starttls",
            Security::Tls => "smtps",
        };
        Ok(SmtpSender { transport: builder.build(), describe: format!("{scheme}://{}:{}", config.host, config.port) })
    }
}

fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let text = e.to_string();
    if e.is_permanent() {
        SendError::Permanent(text)
    } else {
        // 4xx, timeouts, dropped connections, TLS hiccups: try again later.
        SendError::Transient(text)
    }
}

#[async_trait]
impl MailSender for SmtpSender {
    async fn send(&self, envelope_from: &str, recipients: &[String], raw: &[u8]) -> Result<(), SendError> {
        let from: Address = envelope_from.parse().map_err(|e| SendError::Permanent(format!("sender address {envelope_from:?}: {e}")))?;
        let to = recipients
            .iter()
            .map(|r| r.parse::<Address>().map_err(|e| SendError::Permanent(format!("recipient {r:?}: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(Some(from), to).map_err(|e| SendError::Permanent(format!("envelope: {e}")))?;
        self.transport.send_raw(&envelope, raw).await.map(|_| ()).map_err(classify)
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }

    async fn check(&self) -> Result<(), SendError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError::Transient("the server did not accept a NOOP".into())),
            Err(e) => Err(classify(e)),
        }
    }
}
