//! What the sender wants, from the fresh text of a message. Drives the offline
//! drafter's choice of reply shape and feeds risk assessment.

use serde::{Deserialize, Serialize};

use crate::message::Message;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Complaint,
    PriceRequest,
    Scheduling,
    Question,
    Request,
    ThankYou,
    Information,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Complaint => "complaint",
            Intent::PriceRequest => "price_request",
            Intent::Scheduling => "scheduling",
            Intent::Question => "question",
            Intent::Request => "request",
            Intent::ThankYou => "thank_you",
            Intent::Information => "information",
        }
    }
}

const COMPLAINT: &[&str] = &[
    "disappointed", "unacceptable", "complaint", "frustrated", "frustrating", "angry", "terrible", "awful",
    "worst", "refund", "still not", "never received", "not happy", "unhappy", "poor service", "broken",
    "doesn't work", "does not work", "escalate", "cancel my", "ridiculous", "waste of",
];
const PRICE: &[&str] = &[
    "price", "pricing", "quote", "quotation", "how much", "cost", "rates", "discount", "estimate", "invoice",
    "fee", "fees", "budget", "per unit", "tariff",
];
const SCHEDULING: &[&str] = &[
    "meeting", "meet", "call", "schedule", "reschedule", "available", "availability", "calendar", "appointment",
    "slot", "catch up", "catch-up", "next week", "tomorrow", "this week", "zoom", "teams invite",
];
const THANKS: &[&str] = &["thank you", "thanks", "much appreciated", "grateful"];
const REQUEST: &[&str] = &[
    "could you", "can you", "would you", "please", "i need", "we need", "let me know", "send me", "kindly",
    "would it be possible", "i'd like", "i would like", "request",
];

fn hits(text: &str, words: &[&str]) -> usize {
    words.iter().filter(|w| contains_word(text, w)).count()
}

/// Whole-word (or whole-phrase) containment on lower-cased text.
pub fn contains_word(text: &str, word: &str) -> bool {
    let mut start = 0;
    while let Some(pos) = text[start..].find(word) {
        let at = start + pos;
        let end = at + word.len();
        let before_ok = text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after_ok = text[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        start = end;
    }
    false
}

pub fn classify(msg: &Message) -> Intent {
    let body = if msg.fresh_text.trim().is_empty() { &msg.text } else { &msg.fresh_text };
    let text = format!("{}\n{}", msg.subject, body).to_lowercase();
    let complaint = hits(&text, COMPLAINT);
    let price = hits(&text, PRICE);
    let scheduling = hits(&text, SCHEDULING);
    let request = hits(&text, REQUEST);
    let thanks = hits(&text, THANKS);
    let question = text.contains('?');

    if complaint >= 2 || (complaint >= 1 && !question && price == 0 && scheduling == 0) {
        Intent::Complaint
    } else if price >= 1 && (question || request >= 1) {
        Intent::PriceRequest
    } else if scheduling >= 2 || (scheduling >= 1 && (question || request >= 1)) {
        Intent::Scheduling
    } else if question {
        Intent::Question
    } else if request >= 1 {
        Intent::Request
    } else if thanks >= 1 {
        Intent::ThankYou
    } else {
        Intent::Information
    }
}
