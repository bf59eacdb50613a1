//! The AutoEmail application layer: wires the pure core to its adapters.
//!
//! One place for the product's workflows, used by every front end: ingest
//! (parse → thread → triage → draft → assess → route), review (approve, edit,
//! reject, undo), the outbox (send exactly what was approved, file it in Sent,
//! flag the original), and IMAP sync. The CLI in `main.rs` is a thin shell.

pub mod account_folder;
pub mod autonomy;
pub mod config;
pub mod demo;
pub mod drafting;
pub mod eval;
pub mod html_view;
pub mod kept_sessions;
pub mod outbox;
pub mod pipeline;
pub mod review;
pub mod roster;
pub mod sync;
pub mod web;
pub mod worker;

use std::sync::Arc;

use autoemail_core::policy::Policy;
use autoemail_core::reply::Identity;
use autoemail_llm::Drafter;
use autoemail_store::{SqliteStore, Store};

pub use config::Config;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] autoemail_store::StoreError),
    #[error(transparent)]
    Review(#[from] autoemail_core::review::ReviewError),
    #[error(transparent)]
    Reply(#[from] autoemail_core::reply::ReplyError),
    #[error(transparent)]
    Imap(#[from] autoemail_mail::imap::ImapError),
    #[error(transparent)]
    Send(#[from] autoemail_mail::SendError),
    #[error(transparent)]
    Draft(#[from] autoemail_llm::DraftError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The request does not fit the current state; the message says what to do.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Other(String),
}

impl AppError {
    pub fn is_transient(&self) -> bool {
        match self {
            AppError::Store(e) => e.is_transient(),
            AppError::Imap(e) => e.is_transient(),
            AppError::Send(e) => e.is_transient(),
            AppError::Draft(e) => e.is_transient(),
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

/// Everything a workflow needs: configuration, store, drafter.
#[derive(Clone)]
pub struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub drafter: Arc<dyn Drafter>,
    /// Draft each message as it is stored (one process), or leave drafting to
    /// the draft jobs that workers claim (`autoemail worker`).
    pub drafting_inline: bool,
    /// Parsed sent replies for style learning, with the store fingerprint they match.
    pub(crate) sent_cache: Arc<tokio::sync::Mutex<Option<drafting::CachedSentHistory>>>,
}

impl App {
    pub async fn open(config: Config) -> Result<App> {
        let store: Arc<dyn Store> = match config.store.postgres_url()? {
            Some(url) => Arc::new(autoemail_store::PgStore::connect(&url).await?),
            None => {
                let db = config.resolve(&config.store.path);
                if let Some(parent) = db.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                Arc::new(SqliteStore::open(&db).await?)
            }
        };
        let drafter = drafting::build_drafter(&config)?;
        Ok(App { config, store, drafter, drafting_inline: true, sent_cache: Default::default() })
    }

    /// An account on a store already open (many accounts of a deployment share one pool).
    pub fn with_store(config: Config, store: Arc<dyn Store>) -> Result<App> {
        let drafter = drafting::build_drafter(&config)?;
        Ok(App { config, store, drafter, drafting_inline: true, sent_cache: Default::default() })
    }

    pub fn account(&self) -> &str {
        &self.config.account.name
    }

    pub fn identity(&self) -> Identity {
        self.config.identity()
    }

    pub fn policy(&self) -> &Policy {
        &self.config.policy
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
