//! A drafted reply as every drafter returns it, whatever produced it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub body: String,
    /// 0.0 ..= 1.0: how sure the drafter is that this reply is right as it stands.
    pub confidence: f32,
    /// Things the person must decide or fill in before sending.
    pub open_questions: Vec<String>,
    /// Which drafter wrote it (e.g. "offline") and with which model.
    pub drafter: String,
    pub model: String,
    /// Hash of the exact prompt or template input, so a draft can be traced and reproduced.
    pub prompt_hash: String,
    /// What the reply commits the person to, as the drafter reports it.
    #[serde(default)]
    pub commitments: Vec<String>,
    /// Tokens, latency and provider, when a model wrote it.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// What one draft cost: shown in stats, kept with the draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub provider: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub latency_ms: u64,
    /// Attempts it took (retries after 429/5xx/timeouts count).
    pub attempts: u32,
}

/// Byte ranges of the `[[...]]` placeholders in `body`, brackets included; an
/// unclosed `[[` ends the search.
pub(crate) fn placeholder_spans(body: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(start) = body[from..].find("[[").map(|i| from + i) {
        let Some(end) = body[start + 2..].find("]]").map(|i| start + 2 + i + 2) else { break };
        spans.push((start, end));
        from = end;
    }
    spans
}

/// The `[[...]]` placeholders a drafter left for facts it did not have.
pub fn placeholders(body: &str) -> Vec<String> {
    placeholder_spans(body).into_iter().map(|(start, end)| body[start + 2..end - 2].trim().to_string()).collect()
}

/// `body` with each `[[...]]` placeholder blanked out by spaces, so byte
/// offsets still point into `body`: what the reply will say around its holes.
/// A hole quoting their question ("[[answer to: Can you…?]]") is not the reply
/// asking them anything.
pub fn without_placeholders(body: &str) -> String {
    let mut out = body.to_string();
    for (start, end) in placeholder_spans(body) {
        out.replace_range(start..end, &" ".repeat(end - start));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_placeholders() {
        assert_eq!(super::placeholders("Price is [[confirm price]] by [[date]]."), vec!["confirm price", "date"]);
        assert!(super::placeholders("no [single] brackets").is_empty());
    }

    #[test]
    fn blanks_placeholders_in_place() {
        let body = "Hi. [[answer to: Can you?]] By [[date]], ok? [[unclosed";
        let blanked = super::without_placeholders(body);
        assert_eq!(blanked, format!("Hi. {} By {}, ok? [[unclosed", " ".repeat(23), " ".repeat(8)));
        assert_eq!(blanked.len(), body.len());
        assert_eq!(super::without_placeholders("Préférez-vous [[jour]] ?"), format!("Préférez-vous {} ?", " ".repeat(8)));
    }
}
