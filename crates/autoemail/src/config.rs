//! The TOML configuration: one account, where its mail comes from and goes to,
//! the store, the outbox and the policy. Secrets come from environment variables
//! or 0600 files, never from a file others can read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use autoemail_core::policy::Policy;
use autoemail_core::reply::Identity;
use autoemail_mail::Security;
use autoemail_mail::imap::ImapConfig;
use autoemail_mail::smtp::SmtpConfig;
use serde::Deserialize;

use crate::AppError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub account: AccountConfig,
    pub imap: Option<ServerConfig>,
    pub smtp: Option<ServerConfig>,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub outbox: OutboxConfig,
    #[serde(default, rename = "policy")]
    pub policy_section: PolicySection,
    /// Which model writes drafts, with notes and prompt templates.
    #[serde(default)]
    pub drafter: crate::drafting::DrafterConfig,
    /// The review UI that `run` and `demo` serve.
    #[serde(default)]
    pub web: WebConfig,
    /// The policy in force: from `[policy] file`, or the inline settings.
    #[serde(skip)]
    pub policy: Policy,
    /// Where the file was read from; relative paths are taken from its folder.
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// A short label for this inbox, used in the store and the audit log.
    #[serde(default = "default_account_name")]
    pub name: String,
    pub address: String,
    pub display_name: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

fn default_account_name() -> String {
    "main".into()
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub host: String,
    /// Left out: the standard port for the protocol and `security`
    /// (IMAP 993 with TLS, else 143; SMTP 465 with TLS, 587 with STARTTLS, else 25).
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    pub username: Option<String>,
    /// Name of an environment variable holding the password.
    pub password_env: Option<String>,
    /// A file holding the password (must be readable by its owner only).
    pub password_file: Option<PathBuf>,
    /// The password itself: allowed only when the config file is 0600.
    pub password: Option<String>,
    /// IMAP only: the folder to watch.
    #[serde(default = "default_mailbox")]
    pub mailbox: String,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn default_mailbox() -> String {
    "INBOX".into()
}
fn default_timeout() -> u64 {
    30
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// SQLite database file (when no PostgreSQL URL is given).
    #[serde(default = "default_db")]
    pub path: PathBuf,
    /// A `postgres://` URL: the shared store of a multi-worker deployment.
    pub url: Option<String>,
    /// The environment variable holding that URL (keeps its password out of the file).
    pub url_env: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { path: default_db(), url: None, url_env: None }
    }
}

impl StoreConfig {
    /// The PostgreSQL URL, when the store is PostgreSQL.
    pub fn postgres_url(&self) -> Result<Option<String>, AppError> {
        let url = match (&self.url, &self.url_env) {
            (Some(_), Some(_)) => return Err(AppError::Config("[store] has both url and url_env; keep one".into())),
            (Some(u), None) => u.clone(),
            (None, Some(var)) => std::env::var(var)
                .map_err(|_| AppError::Config(format!("[store] url_env names {var}, but that environment variable is not set: export it first")))?,
            (None, None) => return Ok(None),
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(AppError::Config("[store] url must start with postgres:// (leave it out for the embedded SQLite file)".into()));
        }
        Ok(Some(url))
    }
}

fn default_db() -> PathBuf {
    "autoemail.sqlite".into()
}

/// `[policy]`: either a policy file with rules, or the two simple settings inline.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    /// A policy file (TOML with [[rules]]), relative to this config's folder.
    pub file: Option<PathBuf>,
    pub default: Option<autoemail_core::policy::DefaultAction>,
    pub auto_send_hold_seconds: Option<u64>,
    pub review_hold_seconds: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    /// Seconds an approved reply waits before it is sent, so it can be taken back.
    #[serde(default)]
    pub hold_seconds: u64,
    /// Deliver replies into this Maildir instead of SMTP (demo mode).
    pub maildir: Option<PathBuf>,
    /// Add your own address to the SMTP envelope (not the headers): the copy that
    /// arrives in your INBOX proves the server took the reply, so a crash between
    /// "accepted" and "recorded" never leads to sending it twice.
    #[serde(default = "default_true")]
    pub self_copy: bool,
    /// After a crash, how long to look for that copy before sending again.
    #[serde(default = "default_grace")]
    pub reconcile_grace_seconds: u64,
    /// At most this many replies per hour; the rest wait (a brake on runaway sending).
    pub max_per_hour: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Serve the review UI from `run` (and an interactive `demo`).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Address and port; anything but loopback requires `password_hash`.
    #[serde(default = "default_bind")]
    pub bind: String,
    /// Argon2 hash of the UI password (`autoemail password` prints one). Set, it
    /// requires login even on loopback.
    pub password_hash: Option<String>,
    /// Seconds a reply approved in the UI waits, with an Undo button, before it
    /// is sent (at least `[outbox] hold_seconds`).
    #[serde(default = "default_undo")]
    pub undo_seconds: u64,
    /// Mark the session cookie Secure (HTTPS only). Default: on unless bound to
    /// loopback; put a TLS proxy in front when the UI is reachable from elsewhere.
    pub secure_cookies: Option<bool>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { enabled: true, bind: default_bind(), password_hash: None, undo_seconds: default_undo(), secure_cookies: None }
    }
}

fn default_bind() -> String {
    "127.0.0.1:8025".into()
}
fn default_undo() -> u64 {
    20
}

impl WebConfig {
    pub fn socket_addr(&self) -> Result<std::net::SocketAddr, AppError> {
        self.bind.parse().map_err(|_| AppError::Config(format!("[web] bind = {:?} is not an address and port such as \"127.0.0.1:8025\"", self.bind)))
    }

    pub fn is_loopback(&self) -> bool {
        self.socket_addr().is_ok_and(|a| a.ip().is_loopback())
    }
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig { hold_seconds: 0, maildir: None, self_copy: true, reconcile_grace_seconds: default_grace(), max_per_hour: None }
    }
}

fn default_true() -> bool {
    true
}
fn default_grace() -> u64 {
    30
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, AppError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| AppError::Config(format!("cannot read {}: {e}. Create one with `autoemail init` or try `autoemail demo`.", path.display())))?;
        let mut config: Config = toml::from_str(&text).map_err(|e| AppError::Config(format!("{}: {e}", path.display())))?;
        config.path = path.to_path_buf();
        config.validate()?;
        config.policy = config.load_policy()?;
        Ok(config)
    }

    fn load_policy(&self) -> Result<Policy, AppError> {
        let s = &self.policy_section;
        let Some(file) = &s.file else {
            let mut policy = Policy::default();
            policy.default = s.default.unwrap_or_default();
            policy.auto_send_hold_seconds = s.auto_send_hold_seconds.unwrap_or(policy.auto_send_hold_seconds);
            policy.review_hold_seconds = s.review_hold_seconds.unwrap_or(policy.review_hold_seconds);
            return Ok(policy);
        };
        if s.default.is_some() || s.auto_send_hold_seconds.is_some() || s.review_hold_seconds.is_some() {
            return Err(AppError::Config(format!(
                "{}: [policy] names a file, so set default and the hold times in {} instead of here",
                self.path.display(),
                file.display()
            )));
        }
        let file = self.resolve(file);
        load_policy_file(&file)
    }

    fn validate(&self) -> Result<(), AppError> {
        let web = &self.web;
        web.socket_addr().map_err(|e| AppError::Config(format!("{}: {e}", self.path.display())))?;
        if web.enabled && !web.is_loopback() && web.password_hash.is_none() {
            return Err(AppError::Config(format!(
                "{}: [web] bind = {:?} is reachable from other machines, so the UI needs a password: set [web] password_hash (`autoemail password` prints one), or bind to 127.0.0.1",
                self.path.display(),
                web.bind
            )));
        }
        if let Some(h) = &web.password_hash
            && argon2::PasswordHash::new(h).is_err()
        {
            return Err(AppError::Config(format!("{}: [web] password_hash is not an argon2 hash; make one with `autoemail password`", self.path.display())));
        }
        if !autoemail_core::address::is_plausible_email(&self.account.address) {
            return Err(AppError::Config(format!("{}: [account] address {:?} is not an email address", self.path.display(), self.account.address)));
        }
        for (section, server) in [("imap", &self.imap), ("smtp", &self.smtp)] {
            if let Some(s) = server
                && s.security == Security::None
                && !is_loopback(&s.host)
            {
                return Err(AppError::Config(format!(
                    "{}: [{section}] security = \"none\" would send your password in clear text to {}; use \"tls\" or \"starttls\" (plain text is allowed only for 127.0.0.1/localhost)",
                    self.path.display(),
                    s.host
                )));
            }
        }
        Ok(())
    }

    pub fn base_dir(&self) -> PathBuf {
        self.path.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() { p.to_path_buf() } else { self.base_dir().join(p) }
    }

    pub fn identity(&self) -> Identity {
        Identity { name: self.account.display_name.clone(), email: self.account.address.clone(), aliases: self.account.aliases.clone() }
    }

    pub fn imap_config(&self) -> Result<Option<ImapConfig>, AppError> {
        let Some(s) = &self.imap else { return Ok(None) };
        Ok(Some(ImapConfig {
            host: s.host.clone(),
            port: s.port.unwrap_or(match s.security {
                Security::Tls => 993,
                Security::StartTls | Security::None => 143,
            }),
            security: s.security,
            username: s.username.clone().unwrap_or_else(|| self.account.address.clone()),
            password: self.secret("imap", s)?.unwrap_or_default(),
            timeout: Duration::from_secs(s.timeout_seconds),
        }))
    }

    pub fn smtp_config(&self) -> Result<Option<SmtpConfig>, AppError> {
        let Some(s) = &self.smtp else { return Ok(None) };
        let password = self.secret("smtp", s)?;
        Ok(Some(SmtpConfig {
            host: s.host.clone(),
            port: s.port.unwrap_or(match s.security {
                Security::Tls => 465,
                Security::StartTls => 587,
                Security::None => 25,
            }),
            security: s.security,
            username: password.as_ref().map(|_| s.username.clone().unwrap_or_else(|| self.account.address.clone())),
            password,
            timeout: Duration::from_secs(s.timeout_seconds),
        }))
    }

    fn secret(&self, section: &str, s: &ServerConfig) -> Result<Option<String>, AppError> {
        if let Some(var) = &s.password_env {
            return match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Some(v)),
                _ => Err(AppError::Config(format!("[{section}] password_env names {var}, but that environment variable is not set: export it first"))),
            };
        }
        if let Some(file) = &s.password_file {
            let file = self.resolve(file);
            check_private(&file)?;
            let text = std::fs::read_to_string(&file).map_err(|e| AppError::Config(format!("[{section}] password_file {}: {e}", file.display())))?;
            return Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()));
        }
        if let Some(p) = &s.password {
            check_private(&self.path)?;
            return Ok(Some(p.clone()));
        }
        Ok(None)
    }
}

/// Read and validate a policy file; errors name the file and the line.
pub fn load_policy_file(file: &Path) -> Result<Policy, AppError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| AppError::Config(format!("cannot read the policy file {}: {e}. Create it, or remove `file` from [policy]", file.display())))?;
    Policy::from_toml(&text).map_err(|e| AppError::Config(format!("{}:{}: {}", file.display(), e.line, e.message)))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.starts_with("127.") || host == "::1" || host == "[::1]"
}

/// Refuse a secret in a file that others can read.
pub fn check_private(path: &Path) -> Result<(), AppError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(|e| AppError::Config(format!("{}: {e}", path.display())))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(AppError::Config(format!(
                "{} holds a password but others can read it (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            )));
        }
    }
    Ok(())
}

/// Write a file readable by its owner only.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

pub const INIT_TEMPLATE: &str = r#"# AutoEmail configuration. Reference: README.md, "Configuration".
# This file is created readable by you only (0600). Passwords are best kept in
# environment variables (password_env) or in a separate 0600 file (password_file).

[account]
name = "main"                      # a short label for this inbox
address = "you@example.com"        # your address: replies are sent from it
display_name = "Your Name"
aliases = []                       # other addresses that are also you

[imap]                             # where mail is read
host = "imap.example.com"
port = 993                         # may be left out: 993 with tls, else 143
security = "tls"                   # "tls" (port 993), "starttls" (143), "none" (127.0.0.1 only)
username = "you@example.com"
password_env = "AUTOEMAIL_IMAP_PASSWORD"
# password_file = "imap-password"  # alternative: a file readable by you only
mailbox = "INBOX"

[smtp]                             # where approved replies are sent
host = "smtp.example.com"
port = 465                         # may be left out: 465 with tls, 587 with starttls, 25 with none
security = "tls"                   # "tls" (465) or "starttls" (587)
username = "you@example.com"
password_env = "AUTOEMAIL_SMTP_PASSWORD"

[store]
path = "autoemail.sqlite"          # relative to this file's folder

[outbox]
hold_seconds = 20                  # an approved reply waits this long; `autoemail undo ID` takes it back

[web]                              # the review UI that `autoemail run` serves
bind = "127.0.0.1:8025"            # another address needs password_hash (login, Secure cookies behind TLS)
# password_hash = "$argon2id$..."  # `autoemail password` prints one
undo_seconds = 20                  # approved in the UI: an Undo button counts down this long

[policy]
default = "review"                 # every reply waits for your approval
# default = "auto_send_routine"    # routine, low-risk replies go out after auto_send_hold_seconds;
#                                  # anything with a risk signal still waits for you
auto_send_hold_seconds = 300
# file = "policy.toml"             # or: rules per sender, domain, intent and risk (README, "Policy");
#                                  # then set default and hold times in that file instead

[drafter]
provider = "offline"               # built-in templates, no network. Or a model:
# provider = "openai"              # any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp, LM Studio, OpenRouter)
# model = "gpt-4o-mini"
# base_url = "https://api.openai.com/v1"   # Ollama: "http://127.0.0.1:11434/v1"
# api_key_env = "OPENAI_API_KEY"   # the variable holding the key; never the key itself
# provider = "anthropic"           # with model = "...", api_key_env = "ANTHROPIC_API_KEY"
# notes = "notes.md"               # facts drafts may use: prices, hours, policies, links
# templates = "prompts"            # your own system.j2 / user.j2 prompt templates
# [[drafter.fallback]]             # tried in order when the model fails
# provider = "offline"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    /// The config and the folder holding its file (kept while the config is read).
    fn load_text(text: &str) -> (Config, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        write_private(&path, text).unwrap();
        (Config::load(&path).unwrap(), dir)
    }

    /// A server's port may be left out: the standard one for its security is used.
    /// (The config `init` writes is read too.)
    #[test]
    fn ports_default_to_the_standard_ones() {
        let ports = |security: &str, port: &str| {
            let (c, _dir) = load_text(&format!(
                "[account]\naddress = \"sam@example.com\"\n[imap]\nhost = \"imap.example.com\"\nsecurity = \"{security}\"\n{port}\n[smtp]\nhost = \"smtp.example.com\"\nsecurity = \"{security}\"\n{port}\n"
            ));
            (c.imap_config().unwrap().unwrap().port, c.smtp_config().unwrap().unwrap().port)
        };
        assert_eq!(ports("tls", ""), (993, 465));
        // "starttls", as the README and `init` write it; "start_tls" is read too.
        assert_eq!(ports("starttls", ""), (143, 587));
        assert_eq!(ports("start_tls", ""), (143, 587));
        assert_eq!(ports("tls", "port = 2525"), (2525, 2525));
        // The commented config `init` writes is valid as it stands, once its
        // password variables are set (every setting it names is read).
        let template = INIT_TEMPLATE
            .replace("password_env = \"AUTOEMAIL_IMAP_PASSWORD\"", "password = \"x\"")
            .replace("password_env = \"AUTOEMAIL_SMTP_PASSWORD\"", "password = \"x\"");
        let (c, _dir) = load_text(&template.replace("security = \"tls\"", "security = \"starttls\""));
        assert_eq!(c.imap_config().unwrap().unwrap().security, Security::StartTls);
    }

    /// Every key the README's configuration table documents is read.
    #[test]
    fn every_documented_key_is_accepted() {
        let text = r#"
[account]
name = "main"
address = "sam@example.com"
display_name = "Sam"
aliases = ["s@example.com"]

[imap]
host = "imap.example.com"
port = 993
security = "tls"
username = "sam"
password = "x"
mailbox = "INBOX"
timeout_seconds = 30

[smtp]
host = "smtp.example.com"
port = 587
security = "starttls"
username = "sam"
password_env = "HOME"
timeout_seconds = 30

[store]
path = "a.sqlite"

[outbox]
hold_seconds = 10
self_copy = true
reconcile_grace_seconds = 30
max_per_hour = 20

[web]
enabled = true
bind = "127.0.0.1:8025"
undo_seconds = 20
secure_cookies = false

[policy]
default = "review"
auto_send_hold_seconds = 300
review_hold_seconds = 1800

[drafter]
provider = "openai"
model = "m"
base_url = "http://127.0.0.1:9/v1"
api_key_env = "HOME"
structured_output = "json_schema"
timeout_seconds = 60
max_retries = 3
temperature = 0.3
max_tokens = 800
price_per_million_input = 1.0
price_per_million_output = 2.0
style_examples = 3

[[drafter.fallback]]
provider = "anthropic"
model = "m2"
base_url = "http://127.0.0.1:9"
api_key_env = "HOME"
timeout_seconds = 60
max_retries = 1
"#;
        let (c, _dir) = load_text(text);
        assert_eq!(c.smtp_config().unwrap().unwrap().port, 587);
    }
}
