//! `[drafter]` in the config: which model writes drafts (or the offline
//! drafter), with what fallbacks, notes and prompt templates; and the context
//! every draft gets: the person's notes, their style learned from the replies
//! they sent, and earlier mail from the same sender.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use autoemail_core::message::{Message, parse_message};
use autoemail_core::style::StyleProfile;
use autoemail_llm::http::RetryPolicy;
use autoemail_llm::prompt::Templates;
use autoemail_llm::{AnthropicConfig, AnthropicDrafter, DraftContext, Drafter, FallbackDrafter, OfflineDrafter, OpenAiConfig, OpenAiDrafter, StructuredOutput};
use serde::Deserialize;

use crate::{App, AppError, Config, Result};

/// Sent replies, newest first, each with the message it answered when known.
pub type SentHistory = Vec<(Option<Message>, Message)>;
/// The parsed history with the store fingerprint it was read at.
pub type CachedSentHistory = ((i64, i64, i64), Arc<SentHistory>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Built-in templates and retrieval; no network.
    #[default]
    Offline,
    /// Any server speaking OpenAI's chat completions (OpenAI, Ollama, vLLM, llama.cpp, LM Studio, OpenRouter).
    Openai,
    Anthropic,
}

/// One drafter: the primary in `[drafter]`, or an entry of `[[drafter.fallback]]`.
#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    #[serde(default)]
    pub provider: Provider,
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// Environment variable holding the API key (keys are never written in the config).
    pub api_key_env: Option<String>,
    #[serde(default)]
    pub structured_output: StructuredOutput,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    #[serde(default = "default_temperature")]
    pub temperature: f32,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// Prices per million tokens, for the cost in `autoemail stats`.
    pub price_per_million_input: Option<f64>,
    pub price_per_million_output: Option<f64>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("api_key_env", &self.api_key_env)
            .finish()
    }
}

fn default_timeout() -> u64 {
    60
}
fn default_retries() -> u32 {
    3
}
fn default_temperature() -> f32 {
    0.3
}
fn default_max_tokens() -> u32 {
    800
}

// No deny_unknown_fields here: serde cannot combine it with `flatten`; the
// flattened ProviderConfig rejects unknown keys instead.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct DrafterConfig {
    #[serde(flatten)]
    pub primary: ProviderConfig,
    /// Tried in order when the primary fails (e.g. a hosted model, then offline).
    #[serde(default)]
    pub fallback: Vec<ProviderConfig>,
    /// Your knowledge notes: facts drafts may use (prices, hours, policies, links).
    pub notes: Option<PathBuf>,
    /// A folder with `system.j2` and/or `user.j2` replacing the built-in prompt templates.
    pub templates: Option<PathBuf>,
    /// How many of your past replies to show as style examples.
    #[serde(default = "default_examples")]
    pub style_examples: usize,
}

fn default_examples() -> usize {
    3
}

fn api_key(p: &ProviderConfig, required: bool) -> Result<Option<String>> {
    match &p.api_key_env {
        Some(var) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
            _ => Err(AppError::Config(format!("[drafter] api_key_env names {var}, but that environment variable is not set: export it first"))),
        },
        None if required => Err(AppError::Config("[drafter] provider \"anthropic\" needs api_key_env = \"NAME_OF_THE_VARIABLE\" holding the key".into())),
        None => Ok(None),
    }
}

fn build_one(p: &ProviderConfig, templates: &Templates) -> Result<Arc<dyn Drafter>> {
    let retry = RetryPolicy { timeout: Duration::from_secs(p.timeout_seconds.max(1)), max_retries: p.max_retries, ..Default::default() };
    let model = |default: &str| p.model.clone().unwrap_or_else(|| default.to_string());
    Ok(match p.provider {
        Provider::Offline => Arc::new(OfflineDrafter),
        Provider::Openai => {
            let model = p.model.clone().ok_or_else(|| {
                AppError::Config("[drafter] provider \"openai\" needs model = \"...\" (e.g. \"gpt-4o-mini\", or \"llama3.1\" for Ollama)".into())
            })?;
            let base_url = p.base_url.clone().unwrap_or_else(|| "https://api.openai.com/v1".into());
            let config = OpenAiConfig {
                base_url,
                model,
                api_key: api_key(p, false)?,
                structured: p.structured_output,
                temperature: p.temperature,
                max_tokens: p.max_tokens,
                retry,
            };
            Arc::new(OpenAiDrafter::new(config, templates.clone())?)
        }
        Provider::Anthropic => {
            let config = AnthropicConfig {
                base_url: p.base_url.clone().unwrap_or_else(|| "https://api.anthropic.com".into()),
                model: model("claude-3-5-haiku-latest"),
                api_key: api_key(p, true)?.unwrap_or_default(),
                temperature: p.temperature,
                max_tokens: p.max_tokens,
                retry,
            };
            Arc::new(AnthropicDrafter::new(config, templates.clone())?)
        }
    })
}

/// The drafter the config asks for: the primary, then its fallbacks in order.
pub fn build_drafter(config: &Config) -> Result<Arc<dyn Drafter>> {
    let d = &config.drafter;
    let templates = Templates { dir: d.templates.as_ref().map(|t| config.resolve(t)) };
    if let Some(dir) = &templates.dir {
        if !dir.is_dir() {
            return Err(AppError::Config(format!("[drafter] templates = {}: no such folder", dir.display())));
        }
        autoemail_llm::prompt::validate_dir(dir)?;
    }
    let primary = build_one(&d.primary, &templates)?;
    if d.fallback.is_empty() {
        return Ok(primary);
    }
    let mut chain = vec![primary];
    for f in &d.fallback {
        chain.push(build_one(f, &templates)?);
    }
    Ok(Arc::new(FallbackDrafter::new(chain)))
}

/// How many sent replies style learning looks at.
const STYLE_SOURCE: i64 = 400;

impl App {
    /// The person's notes, read fresh for each draft (they may edit them any time).
    pub fn notes(&self) -> Result<Option<String>> {
        let Some(path) = &self.config.drafter.notes else { return Ok(None) };
        let path = self.config.resolve(path);
        std::fs::read_to_string(&path).map(Some).map_err(|e| AppError::Config(format!("[drafter] notes = {}: {e}", path.display())))
    }

    /// Notes, style and earlier mail from the sender, for drafting `msg`.
    /// The person's sent replies (with what they answered), parsed once and
    /// kept until a reply is sent or synced: drafting reads them for every draft.
    async fn sent_history(&self) -> Result<Arc<SentHistory>> {
        let fingerprint = self.store.sent_fingerprint(self.account()).await?;
        let mut cache = self.sent_cache.lock().await;
        if let Some((f, history)) = cache.as_ref()
            && *f == fingerprint
        {
            return Ok(history.clone());
        }
        let sent = self.store.sent_replies(self.account(), STYLE_SOURCE).await?;
        let mut replies: SentHistory = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in sent {
            let Ok(reply) = parse_message(&s.raw) else { continue };
            // A reply sent through the outbox is also in the Sent folder once synced.
            if !seen.insert(reply.message_id.clone().unwrap_or_else(|| reply.raw_sha256.clone())) {
                continue;
            }
            let original = match s.original_row {
                Some(row) => Some(self.store.message(row).await?),
                None => match reply.in_reply_to.first() {
                    Some(id) => self.store.message_by_message_id(self.account(), id).await?,
                    None => None,
                },
            };
            replies.push((original.and_then(|o| parse_message(&o.raw).ok()), reply));
        }
        let history = Arc::new(replies);
        *cache = Some((fingerprint, history.clone()));
        Ok(history)
    }

    pub async fn draft_context(&self, msg: &Message, thread_key: &str) -> Result<DraftContext> {
        let replies = self.sent_history().await?;
        let pairs: Vec<(Option<&Message>, &Message)> = replies.iter().map(|(o, r)| (o.as_ref(), r)).collect();
        let me = self.identity();
        let first = me.name.as_deref().and_then(|n| n.split_whitespace().next());
        let style = StyleProfile::learn(&pairs, msg, first, self.config.drafter.style_examples);
        let previous = match &msg.from {
            Some(f) => self.store.recent_from(self.account(), &f.email, thread_key, 3).await?.into_iter().filter_map(|m| parse_message(&m.raw).ok()).collect(),
            None => vec![],
        };
        Ok(DraftContext { notes: self.notes()?, style, previous })
    }
}
