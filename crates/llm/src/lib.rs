//! Drafters: whatever writes a reply, behind one [`Drafter`] trait.
//!
//! The offline drafter is the embedded default: no network, no model, honest
//! about what it cannot know (it leaves `[[placeholders]]` for the person).
//! Model providers (any OpenAI-compatible server, Anthropic) plug in beside
//! it, alone or in a fallback chain. Drafters return data ([`Draft`]); they
//! never choose recipients or send anything.

mod anthropic;
mod fallback;
pub mod http;
mod offline;
mod openai;
pub mod output;
pub mod prompt;

pub use anthropic::{AnthropicConfig, AnthropicDrafter};
pub use fallback::FallbackDrafter;
pub use offline::OfflineDrafter;
pub use openai::{OpenAiConfig, OpenAiDrafter, StructuredOutput};

use async_trait::async_trait;
use autoemail_core::draft::Draft;
use autoemail_core::intent::Intent;
use autoemail_core::message::Message;
use autoemail_core::reply::Identity;
use autoemail_core::risk::RiskSignal;
use autoemail_core::style::StyleProfile;

/// What the drafter may draw on beyond the thread: all of it the person's own.
#[derive(Debug, Clone, Default)]
pub struct DraftContext {
    /// The person's knowledge notes (prices, hours, policies, links).
    pub notes: Option<String>,
    /// Their style and nearest past replies.
    pub style: StyleProfile,
    /// Earlier messages from the same sender in other threads, newest first.
    pub previous: Vec<Message>,
}

pub struct DraftRequest<'a> {
    pub message: &'a Message,
    /// Earlier messages of the thread, oldest first.
    pub thread: &'a [Message],
    pub me: &'a Identity,
    pub intent: Intent,
    /// What the risk check found in the message itself (found once, by
    /// whoever asks for the draft): the offline drafter holds back on some.
    pub signals: &'a [RiskSignal],
    /// The person's instruction when regenerating ("shorter", "decline politely").
    pub instruction: Option<&'a str>,
    pub context: &'a DraftContext,
}

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// Try again later: rate limits, timeouts, 5xx, the server unreachable.
    #[error("drafting failed for now: {0}")]
    Transient(String),
    /// Will not work as configured: bad key, unknown model, refused content.
    #[error("drafting failed: {0}")]
    Permanent(String),
    /// The model answered, but not with a usable draft.
    #[error("drafting failed: {0}")]
    Malformed(String),
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
    /// Can it draft at all (server reachable, key accepted, model offered)?
    /// Says what it checked, or exactly what is wrong.
    async fn check(&self) -> Result<String, DraftError> {
        Ok(format!("{}: nothing to check", self.name()))
    }
}
