//! Anthropic's Messages API. Structured output comes through a forced tool
//! call whose input schema is the draft schema.

use async_trait::async_trait;
use autoemail_core::draft::{Draft, Usage};

use crate::http::{RetryPolicy, get_json, post_json};
use crate::output::{DraftOutput, schema};
use crate::prompt::Templates;
use crate::{DraftError, DraftRequest, Drafter};

pub const API_VERSION: &str = "2023-06-01";

#[derive(Debug, Clone)]
pub struct AnthropicConfig {
    /// `https://api.anthropic.com` unless a proxy is in between.
    pub base_url: String,
    pub model: String,
    pub api_key: String,
    pub temperature: f32,
    pub max_tokens: u32,
    pub retry: RetryPolicy,
}

pub struct AnthropicDrafter {
    config: AnthropicConfig,
    templates: Templates,
    client: reqwest::Client,
}

impl AnthropicDrafter {
    pub fn new(config: AnthropicConfig, templates: Templates) -> Result<AnthropicDrafter, DraftError> {
        let client = reqwest::Client::builder().build().map_err(|e| DraftError::Permanent(format!("HTTP client: {e}")))?;
        Ok(AnthropicDrafter { config, templates, client })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.config.base_url.trim_end_matches('/'))
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![("x-api-key", self.config.api_key.clone()), ("anthropic-version", API_VERSION.to_string())]
    }
}

#[async_trait]
impl Drafter for AnthropicDrafter {
    async fn draft(&self, request: &DraftRequest<'_>) -> Result<Draft, DraftError> {
        let prompt = self.templates.render(request)?;
        let body = serde_json::json!({
            "model": self.config.model,
            "max_tokens": self.config.max_tokens,
            "temperature": self.config.temperature,
            "system": prompt.system,
            "messages": [{ "role": "user", "content": prompt.user }],
            "tools": [{ "name": "reply_draft", "description": "Return the drafted reply.", "input_schema": schema() }],
            "tool_choice": { "type": "tool", "name": "reply_draft" },
        });
        let resp = post_json(&self.client, &self.url("messages"), &self.headers(), &body, &self.config.retry).await?;
        if resp.body.get("stop_reason").and_then(|s| s.as_str()) == Some("refusal") {
            return Err(DraftError::Permanent("the model refused to draft this reply".into()));
        }
        let content = resp.body.get("content").and_then(|c| c.as_array()).ok_or_else(|| DraftError::Malformed("the answer has no content".into()))?;
        let out = match content.iter().find(|c| c.get("type").and_then(|t| t.as_str()) == Some("tool_use")) {
            Some(tool) => DraftOutput::from_value(tool.get("input").cloned().unwrap_or_default())?,
            // No tool call: read JSON from the text, leniently.
            None => {
                let text: String = content.iter().filter_map(|c| c.get("text")?.as_str()).collect();
                DraftOutput::parse(&text)?
            }
        };
        let tokens = |k: &str| resp.body.pointer(&format!("/usage/{k}")).and_then(|v| v.as_u64()).unwrap_or(0);
        Ok(Draft {
            body: out.body,
            confidence: out.confidence,
            open_questions: out.open_questions,
            commitments: out.commitments,
            drafter: "anthropic".into(),
            model: resp.body.get("model").and_then(|m| m.as_str()).unwrap_or(&self.config.model).to_string(),
            prompt_hash: prompt.hash,
            usage: Some(Usage {
                provider: self.config.base_url.clone(),
                prompt_tokens: tokens("input_tokens"),
                completion_tokens: tokens("output_tokens"),
                latency_ms: resp.latency.as_millis() as u64,
                attempts: resp.attempts,
            }),
        })
    }

    fn name(&self) -> String {
        format!("{} (Anthropic)", self.config.model)
    }

    async fn check(&self) -> Result<String, DraftError> {
        let models = get_json(&self.client, &self.url("models"), &self.headers(), self.config.retry.timeout).await?;
        let ids: Vec<&str> =
            models.get("data").and_then(|d| d.as_array()).map(|a| a.iter().filter_map(|m| m.get("id")?.as_str()).collect()).unwrap_or_default();
        if !ids.is_empty() && !ids.contains(&self.config.model.as_str()) {
            return Err(DraftError::Permanent(format!("the API does not offer the model {:?}; it offers: {}", self.config.model, ids.join(", "))));
        }
        Ok(format!("the Anthropic API answers and offers {}", self.config.model))
    }
}
