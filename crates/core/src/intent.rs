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
    "disappointed",
    "unacceptable",
    "complaint",
    "frustrated",
    "frustrating",
    "angry",
    "terrible",
    "awful",
    "worst",
    "refund",
    "still not",
    "never received",
    "not happy",
    "unhappy",
    "poor service",
    "broken",
    "doesn't work",
    "does not work",
    "escalate",
    "cancel my",
    "ridiculous",
    "waste of",
];
const PRICE: &[&str] =
    &["price", "pricing", "quote", "quotation", "how much", "cost", "rates", "discount", "estimate", "invoice", "fee", "fees", "budget", "per unit", "tariff"];
const SCHEDULING: &[&str] = &[
    "meeting",
    "meet",
    "call",
    "schedule",
    "reschedule",
    "available",
    "availability",
    "calendar",
    "appointment",
    "slot",
    "catch up",
    "catch-up",
    "next week",
    "tomorrow",
    "this week",
    "zoom",
    "teams invite",
];
const THANKS: &[&str] = &["thank you", "thanks", "much appreciated", "grateful"];
const REQUEST: &[&str] = &[
    "could you",
    "can you",
    "would you",
    "please",
    "i need",
    "we need",
    "let me know",
    "send me",
    "kindly",
    "would it be possible",
    "i'd like",
    "i would like",
    "request",
];

/// One pass over the text per word list: how many of its words occur whole.
/// Boundaries follow `contains_word` (any alphanumeric character joins words).
struct WordSet(regex::RegexSet);

impl WordSet {
    fn new(words: &[&str]) -> WordSet {
        // `\W` is Unicode-aware (unicode-perl): letters of any script join words, as in `contains_word`.
        let patterns = words.iter().map(|w| format!(r"(?:^|\W){}(?:$|\W)", regex::escape(w)));
        WordSet(regex::RegexSet::new(patterns).expect("built-in word list compiles"))
    }
    fn hits(&self, text: &str) -> usize {
        self.0.matches(text).iter().count()
    }
}

macro_rules! word_set {
    ($name:ident, $words:expr) => {
        static $name: std::sync::LazyLock<WordSet> = std::sync::LazyLock::new(|| WordSet::new($words));
    };
}
word_set!(COMPLAINT_SET, COMPLAINT);
word_set!(PRICE_SET, PRICE);
word_set!(SCHEDULING_SET, SCHEDULING);
word_set!(REQUEST_SET, REQUEST);
word_set!(THANKS_SET, THANKS);

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
    let complaint = COMPLAINT_SET.hits(&text);
    let price = PRICE_SET.hits(&text);
    let scheduling = SCHEDULING_SET.hits(&text);
    let request = REQUEST_SET.hits(&text);
    let thanks = THANKS_SET.hits(&text);
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

#[cfg(test)]
mod word_set_tests {
    use super::*;

    #[test]
    fn word_sets_count_whole_words_like_contains_word() {
        let text = "please call me; the pricing is fine. thanks!";
        for (set, words) in [(&*PRICE_SET, PRICE), (&*SCHEDULING_SET, SCHEDULING), (&*REQUEST_SET, REQUEST), (&*THANKS_SET, THANKS)] {
            assert_eq!(set.hits(text), words.iter().filter(|w| contains_word(text, w)).count());
        }
        assert_eq!(PRICE_SET.hits("price"), 1);
        assert_eq!(PRICE_SET.hits("prices2"), 0);
    }
}
