//! Drafters: whatever writes a reply, behind one [`Drafter`] trait.
//!
//! The offline drafter is the embedded default: no network, no model, honest
//! about what it cannot know (it leaves `[[placeholders]]` for the person).
//! Model providers plug in beside it. Drafters return data ([`Draft`]); they
//! never choose recipients or send anything.

mod offline;

pub use offline::OfflineDrafter;

use async_trait::async_trait;
use autoemail_core::draft::Draft;
use autoemail_core::intent::Intent;
use autoemail_core::message::Message;
use autoemail_core::reply::Identity;

pub struct DraftRequest<'a> {
    pub message: &'a Message,
    /// Earlier messages of the thread, oldest first.
    pub thread: &'a [Message],
    pub me: &'a Identity,
    pub intent: Intent,
    /// The person's instruction when regenerating ("shorter", "decline politely").
    pub instruction: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// Try again later: rate limits, timeouts, 5xx.
    #[error("drafting failed for now: {0}")]
    Transient(String),
    /// Will not work as configured: bad key, unknown model, refused content.
    #[error("drafting failed: {0}")]
    Permanent(String),
}

impl DraftError {
    pub fn is_transient(&self) -> bool {
        matches!(self, DraftError::Transient(_))
    }
}

#[async_trait]
pub trait Drafter: Send + Sync {
    async fn draft(&self, request: &DraftRequest<'_>) -> Result<Draft, DraftError>;
    /// Name shown in the audit log and the UI.
    fn name(&self) -> String;
}
