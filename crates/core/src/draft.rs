//! A drafted reply as every drafter returns it, whatever produced it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

/// The `[[...]]` placeholders a drafter left for facts it did not have.
pub fn placeholders(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("[[") {
        let after = &rest[start + 2..];
        match after.find("]]") {
            Some(end) => {
                found.push(after[..end].trim().to_string());
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_placeholders() {
        assert_eq!(super::placeholders("Price is [[confirm price]] by [[date]]."), vec!["confirm price", "date"]);
        assert!(super::placeholders("no [single] brackets").is_empty());
    }
}
