//! OpenAI-compatible chat completions: OpenAI itself, and the servers that
//! speak its protocol (Ollama, vLLM, llama.cpp server, LM Studio, OpenRouter).

use async_trait::async_trait;
use autoemail_core::draft::{Draft, Usage};

use crate::http::{RetryPolicy, get_json, post_json};
use crate::output::{DraftOutput, schema};
use crate::prompt::Templates;
use crate::{DraftError, DraftRequest, Drafter};

/// How to ask for JSON: servers differ in what they support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructuredOutput {
    /// `response_format: json_schema` (OpenAI, vLLM, recent Ollama and llama.cpp).
    #[default]
    JsonSchema,
    /// `response_format: json_object`: JSON, no schema.
    JsonObject,
    /// Nothing: the prompt asks for JSON and the answer is parsed leniently.
    None,
}

#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Up to and including `/v1`, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub structured: StructuredOutput,
    pub temperature: f32,
    pub max_tokens: u32,
    pub retry: RetryPolicy,
}

pub struct OpenAiDrafter {
    config: OpenAiConfig,
    templates: Templates,
    client: reqwest::Client,
}

impl OpenAiDrafter {
    pub fn new(config: OpenAiConfig, templates: Templates) -> Result<OpenAiDrafter, DraftError> {
        let client = reqwest::Client::builder().build().map_err(|e| DraftError::Permanent(format!("HTTP client: {e}")))?;
        Ok(OpenAiDrafter { config, templates, client })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        self.config.api_key.iter().map(|k| ("authorization", format!("Bearer {k}"))).collect()
    }
}

#[async_trait]
impl Drafter for OpenAiDrafter {
    async fn draft(&self, request: &DraftRequest<'_>) -> Result<Draft, DraftError> {
        let prompt = self.templates.render(request)?;
        let mut body = serde_json::json!({
            "model": self.config.model,
            "messages": [
                { "role": "system", "content": prompt.system },
                { "role": "user", "content": prompt.user },
            ],
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        });
        match self.config.structured {
            StructuredOutput::JsonSchema => {
                body["response_format"] =
                    serde_json::json!({ "type": "json_schema", "json_schema": { "name": "reply_draft", "strict": true, "schema": schema() } });
            }
            StructuredOutput::JsonObject => body["response_format"] = serde_json::json!({ "type": "json_object" }),
            StructuredOutput::None => {}
        }
        let resp = post_json(&self.client, &self.url("chat/completions"), &self.headers(), &body, &self.config.retry).await?;
        let choice = resp.body.pointer("/choices/0").ok_or_else(|| DraftError::Malformed("the answer has no choices".into()))?;
        if let Some(refusal) = choice.pointer("/message/refusal").and_then(|r| r.as_str()).filter(|r| !r.is_empty()) {
            return Err(DraftError::Permanent(format!("the model refused: {refusal}")));
        }
        if choice.get("finish_reason").and_then(|f| f.as_str()) == Some("content_filter") {
            return Err(DraftError::Permanent("the provider's content filter stopped the draft".into()));
        }
        let content =
            choice.pointer("/message/content").and_then(|c| c.as_str()).ok_or_else(|| DraftError::Malformed("the answer has no message content".into()))?;
        let out = DraftOutput::parse(content)?;
        let tokens = |k: &str| resp.body.pointer(&format!("/usage/{k}")).and_then(|v| v.as_u64()).unwrap_or(0);
        let model = resp.body.get("model").and_then(|m| m.as_str()).unwrap_or(&self.config.model).to_string();
        Ok(Draft {
            body: out.body,
            confidence: out.confidence,
            open_questions: out.open_questions,
            commitments: out.commitments,
            drafter: "openai-compatible".into(),
            model,
            prompt_hash: prompt.hash,
            usage: Some(Usage {
                provider: self.config.base_url.clone(),
                prompt_tokens: tokens("prompt_tokens"),
                completion_tokens: tokens("completion_tokens"),
                latency_ms: resp.latency.as_millis() as u64,
                attempts: resp.attempts,
            }),
        })
    }

    fn name(&self) -> String {
        format!("{} at {}", self.config.model, self.config.base_url)
    }

    async fn check(&self) -> Result<String, DraftError> {
        let models = get_json(&self.client, &self.url("models"), &self.headers(), self.config.retry.timeout).await?;
        let ids: Vec<&str> =
            models.get("data").and_then(|d| d.as_array()).map(|a| a.iter().filter_map(|m| m.get("id")?.as_str()).collect()).unwrap_or_default();
        if !ids.is_empty() && !ids.contains(&self.config.model.as_str()) {
            return Err(DraftError::Permanent(format!(
                "{} does not offer the model {:?}; it offers: {}",
                self.config.base_url,
                self.config.model,
                ids.iter().take(10).copied().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(format!("{} answers and offers {}", self.config.base_url, self.config.model))
    }
}
