//! The offline drafter: a reply shape per intent, filled from the message itself.
//! What it cannot know (prices, dates, answers) becomes a `[[placeholder]]` and an
//! open question, so such a draft can never be approved unfilled.

use async_trait::async_trait;
use autoemail_core::draft::Draft;
use autoemail_core::intent::Intent;
use autoemail_core::message::sha256_hex;

use crate::{DraftError, DraftRequest, Drafter};

#[derive(Debug, Default, Clone)]
pub struct OfflineDrafter;

const TEMPLATE_VERSION: &str = "offline-v1";

/// Questions the sender asked, as sentences ending in '?', from the fresh text.
fn questions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in text.split_inclusive(['?', '.', '!', '\n']) {
        let s = sentence.trim();
        if s.ends_with('?') && s.len() > 8 && !s.starts_with('>') {
            out.push(s.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    out.truncate(3);
    out
}

fn body_for(intent: Intent, asked: &[String]) -> (String, f32, Vec<String>) {
    let first_question = asked.first().cloned();
    match intent {
        Intent::Complaint => (
            "Thank you for telling me, and I'm sorry for the trouble this has caused. I want to put it right: [[what you will do about it]].\n\nI'll keep you posted.".into(),
            0.3,
            vec!["What will you offer to resolve the complaint?".into()],
        ),
        Intent::PriceRequest => (
            "Thanks for your interest. [[price or quote, with what it includes]]\n\nLet me know if you have any other questions.".into(),
            0.35,
            vec!["Which price or quote applies?".into()],
        ),
        Intent::Scheduling => (
            "Thanks for reaching out, happy to find a time. Would [[day and time]] work for you?".into(),
            0.45,
            vec!["Which time suits you?".into()],
        ),
        Intent::Question => {
            let q = first_question.clone().unwrap_or_else(|| "the question".into());
            (format!("Thanks for your message. [[answer to: {q}]]"), 0.4, asked.iter().map(|q| format!("They ask: {q}")).collect())
        }
        Intent::Request => ("Thanks for your message. I'll look into it and get back to you shortly.".into(), 0.65, vec![]),
        Intent::ThankYou => ("You're welcome, glad it helped!".into(), 0.85, vec![]),
        Intent::Information => ("Thanks for letting me know, noted.".into(), 0.8, vec![]),
    }
}

#[async_trait]
impl Drafter for OfflineDrafter {
    async fn draft(&self, request: &DraftRequest<'_>) -> Result<Draft, DraftError> {
        let msg = request.message;
        let fresh = if msg.fresh_text.trim().is_empty() { &msg.text } else { &msg.fresh_text };
        let asked = questions(fresh);
        let (core, confidence, open_questions) = body_for(request.intent, &asked);
        let greeting = match msg.from.as_ref().and_then(|f| f.first_name()) {
            Some(name) => format!("Hi {name},"),
            None => "Hello,".to_string(),
        };
        let sign = request.me.name.as_deref().and_then(|n| n.split_whitespace().next()).unwrap_or("").to_string();
        let mut body = format!("{greeting}\n\n{core}\n\nBest regards,\n");
        if !sign.is_empty() {
            body.push_str(&sign);
            body.push('\n');
        }
        let prompt_hash = sha256_hex(format!("{TEMPLATE_VERSION}\n{}\n{}", request.intent.as_str(), msg.dedup_key()).as_bytes());
        Ok(Draft { body, confidence, open_questions, drafter: "offline".into(), model: TEMPLATE_VERSION.into(), prompt_hash })
    }

    fn name(&self) -> String {
        "offline (built-in templates, no model)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_questions() {
        assert_eq!(questions("Hi. Can you send the report? Thanks!\nAlso, when is the call?"), vec!["Can you send the report?", "Also, when is the call?"]);
    }
}
