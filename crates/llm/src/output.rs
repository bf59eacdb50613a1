//! What a model must return, and reading it back robustly: the JSON schema
//! sent to providers that enforce one, and a parser that copes with code
//! fences or text around the JSON from providers that do not.

use serde::Deserialize;

use crate::DraftError;

pub fn schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "body": { "type": "string", "description": "the reply body only, with [[placeholders]] for facts you do not have" },
            "confidence": { "type": "number", "description": "0 to 1: how sure you are the reply is right as written" },
            "commitments": { "type": "array", "items": { "type": "string" }, "description": "what the reply commits the person to" },
            "open_questions": { "type": "array", "items": { "type": "string" }, "description": "what the person must decide before sending" }
        },
        "required": ["body", "confidence", "commitments", "open_questions"],
        "additionalProperties": false
    })
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DraftOutput {
    pub body: String,
    #[serde(default = "half")]
    pub confidence: f32,
    #[serde(default)]
    pub commitments: Vec<String>,
    #[serde(default)]
    pub open_questions: Vec<String>,
}

fn half() -> f32 {
    0.5
}

impl DraftOutput {
    /// From the structured value a provider returned (a tool input, say).
    pub fn from_value(value: serde_json::Value) -> Result<DraftOutput, DraftError> {
        let out: DraftOutput =
            serde_json::from_value(value).map_err(|e| DraftError::Malformed(format!("the model's answer does not fit the draft schema: {e}")))?;
        out.checked()
    }

    /// From text that should hold one JSON object, possibly fenced or wrapped in prose.
    pub fn parse(text: &str) -> Result<DraftOutput, DraftError> {
        let trimmed = text.trim();
        let unfenced = trimmed.strip_prefix("```json").or_else(|| trimmed.strip_prefix("```")).map(|t| t.trim_end_matches("```")).unwrap_or(trimmed);
        let json = match (unfenced.find('{'), unfenced.rfind('}')) {
            (Some(a), Some(b)) if a < b => &unfenced[a..=b],
            _ => return Err(DraftError::Malformed(format!("the model's answer is not JSON: {:?}", preview(text)))),
        };
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| DraftError::Malformed(format!("the model's answer is not valid JSON ({e}): {:?}", preview(text))))?;
        DraftOutput::from_value(value)
    }

    fn checked(mut self) -> Result<DraftOutput, DraftError> {
        if self.body.trim().is_empty() {
            return Err(DraftError::Malformed("the model returned an empty reply".into()));
        }
        self.confidence = if self.confidence.is_finite() { self.confidence.clamp(0.0, 1.0) } else { 0.5 };
        self.body = self.body.replace("\r\n", "\n");
        Ok(self)
    }
}

fn preview(text: &str) -> String {
    text.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_fenced_and_wrapped_json() {
        let plain = r#"{"body":"Hi Dana,\n\nTuesday works.","confidence":0.8,"commitments":["meet Tuesday"],"open_questions":[]}"#;
        assert_eq!(DraftOutput::parse(plain).unwrap().commitments, vec!["meet Tuesday"]);
        let fenced = format!("```json\n{plain}\n```");
        assert_eq!(DraftOutput::parse(&fenced).unwrap().body, "Hi Dana,\n\nTuesday works.");
        let wrapped = format!("Here is the draft:\n{plain}\nHope this helps.");
        assert!(DraftOutput::parse(&wrapped).is_ok());
        let partial = r#"{"body":"Thanks!"}"#;
        let out = DraftOutput::parse(partial).unwrap();
        assert_eq!((out.confidence, out.commitments.len()), (0.5, 0));
        let wild = r#"{"body":"x","confidence":7}"#;
        assert_eq!(DraftOutput::parse(wild).unwrap().confidence, 1.0);
    }

    #[test]
    fn refuses_what_is_not_a_draft() {
        for bad in ["I cannot help with that.", "{\"body\": \"\"}", "{\"body\": 12}", "{not json}"] {
            assert!(matches!(DraftOutput::parse(bad), Err(DraftError::Malformed(_))), "{bad}");
        }
    }
}
