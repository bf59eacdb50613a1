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

/// The word lists in the order `hits` counts them.
const LISTS: [&[&str]; 5] = [COMPLAINT, PRICE, SCHEDULING, REQUEST, THANKS];

/// Every word of every list in one automaton: the text is read once for all
/// five lists (five regex sets read it five times, a fifth of the ingest time).
/// A full DFA, as an overlapping search steps through every byte, and without
/// regard to ASCII case, so the text need not be lowercased (see [`case_matchable`]).
struct Lexicon {
    words: aho_corasick::AhoCorasick,
    /// For each pattern, the list it belongs to.
    list_of: Vec<usize>,
}

static LEXICON: std::sync::LazyLock<Lexicon> = std::sync::LazyLock::new(|| {
    let (patterns, list_of): (Vec<&str>, Vec<usize>) = LISTS.iter().enumerate().flat_map(|(list, words)| words.iter().map(move |w| (*w, list))).unzip();
    assert!(patterns.len() <= 128, "a word list outgrew the bit set in `hits`");
    let words = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(patterns)
        .expect("built-in word lists compile");
    Lexicon { words, list_of }
});

/// For each list, how many of its words occur whole in the lower-cased text.
/// Boundaries follow `contains_word` (any alphanumeric character joins words).
#[cfg(test)]
fn hits(text: &str) -> [usize; 5] {
    hits_and_spans(text).0
}

/// The counts of [`hits`], and where the price, scheduling and request words
/// stand (start, end, list) for [`asked_about`].
fn hits_and_spans(text: &str) -> ([usize; 5], Vec<(usize, usize, usize)>) {
    let lexicon = &*LEXICON;
    let mut seen: u128 = 0;
    let mut spans = Vec::new();
    for m in lexicon.words.find_overlapping_iter(text) {
        if is_whole_word(text, m.start(), m.end()) {
            let pattern = m.pattern().as_usize();
            seen |= 1 << pattern;
            let list = lexicon.list_of[pattern];
            if matches!(list, PRICE_LIST | SCHEDULING_LIST | REQUEST_LIST) {
                spans.push((m.start(), m.end(), list));
            }
        }
    }
    let mut counts = [0; 5];
    for (pattern, list) in lexicon.list_of.iter().enumerate() {
        counts[*list] += (seen >> pattern & 1) as usize;
    }
    (counts, spans)
}

/// Indexes of the price, scheduling and request lists in [`LISTS`].
const PRICE_LIST: usize = 1;
const SCHEDULING_LIST: usize = 2;
const REQUEST_LIST: usize = 3;

/// Is the topic of `topic`'s list (a price, a time to meet) asked about: one
/// of its words in the subject (the first line of `text`), or in a sentence
/// that asks (with a question mark or a request word)? "Price caps" or "the
/// committee meeting next week" in a report that asks something else is not.
fn asked_about(text: &str, spans: &[(usize, usize, usize)], topic: usize) -> bool {
    let subject_end = text.find('\n').unwrap_or(text.len());
    spans.iter().filter(|(_, _, list)| *list == topic).any(|&(start, end, _)| {
        if start < subject_end {
            return true;
        }
        let (a, b) = crate::risk::sentence_around(text, start, end);
        text[a..b].contains('?') || spans.iter().any(|&(s, e, list)| list == REQUEST_LIST && s >= a && e <= b)
    })
}

/// The non-ASCII characters that Unicode lowercasing turns into an ASCII
/// letter (the Kelvin sign into "k"; the capital I with a dot into "i" and a
/// combining dot, which is not alphanumeric as the I was). No other character
/// changes whether it is ASCII or alphanumeric when lowercased.
const LOWERS_TO_ASCII: [char; 2] = ['\u{130}', '\u{212A}'];

/// The text for lower-case word lists matched without regard to ASCII case:
/// as it is, which finds and bounds words as its Unicode lowercasing would,
/// unless it holds one of [`LOWERS_TO_ASCII`] (then lowercased).
pub(crate) fn case_matchable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.is_ascii() && LOWERS_TO_ASCII.iter().any(|c| text.contains(*c)) {
        std::borrow::Cow::Owned(text.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// What follows "please" only points at something ("please note", "please
/// find attached", "please be advised", "please join me in welcoming"): it asks nothing.
fn only_informs(after_please: &str) -> bool {
    let rest = after_please.trim_start();
    let starts = |w: &str| crate::quote::starts_with_ci(rest, w) && rest.as_bytes().get(w.len()).is_none_or(|b| !b.is_ascii_alphanumeric());
    // "Please note down…" asks them to write something.
    [
        "note",
        "find",
        "see attached",
        "see the attached",
        "be advised",
        "be aware",
        "disregard",
        "ignore",
        "join me in welcoming",
        "join us in welcoming",
        "join me in congratulating",
        "join us in congratulating",
        "welcome",
    ]
    .iter()
    .any(|w| starts(w))
        && !starts("note down")
}

/// `text[start..end]` stands alone: no alphanumeric character touches either end.
fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    text[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric()) && text[end..].chars().next().is_none_or(|c| !c.is_alphanumeric())
}

/// Whole-word (or whole-phrase) containment on lower-cased text.
pub fn contains_word(text: &str, word: &str) -> bool {
    let mut start = 0;
    while let Some(pos) = text[start..].find(word) {
        let at = start + pos;
        let end = at + word.len();
        if is_whole_word(text, at, end) {
            return true;
        }
        start = end;
    }
    false
}

pub fn classify(msg: &Message) -> Intent {
    let body = if msg.fresh_text.trim().is_empty() { &msg.text } else { &msg.fresh_text };
    let text = format!("{}\n{}", msg.subject, body);
    let matchable = case_matchable(&text);
    let ([complaint, price, scheduling, mut request, thanks], mut spans) = hits_and_spans(&matchable);
    // "Please note", "please find attached": a courtesy, not a request.
    let is_please = |&(s, e, list): &(usize, usize, usize)| list == REQUEST_LIST && matchable[s..e].eq_ignore_ascii_case("please");
    let pleas = spans.iter().filter(|s| is_please(s)).count();
    spans.retain(|s| !(is_please(s) && only_informs(&matchable[s.1..])));
    if pleas > 0 && !spans.iter().any(is_please) {
        request -= 1;
    }
    // A reply's subject repeats the question it answers ("Re: Lunch?"), and a
    // quoted header line ("Subject: …?") is someone else's: neither asks you.
    let question = (!crate::quote::is_header_line(&msg.subject) && msg.subject.contains('?'))
        || memchr::memchr_iter(b'?', body.as_bytes()).any(|at| {
            let line = &body[body[..at].rfind('\n').map_or(0, |i| i + 1)..at];
            !line.trim_start().starts_with('>') && !crate::quote::is_header_line(line)
        });

    if complaint >= 2 || (complaint >= 1 && !question && price == 0 && scheduling == 0) {
        Intent::Complaint
    } else if price >= 1 && (question || request >= 1) && asked_about(&matchable, &spans, PRICE_LIST) {
        Intent::PriceRequest
    } else if scheduling >= 1 && (question || request >= 1) && asked_about(&matchable, &spans, SCHEDULING_LIST) {
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
mod lexicon_tests {
    use super::*;
    use proptest::prelude::*;

    fn expected(text: &str) -> [usize; 5] {
        LISTS.map(|words| words.iter().filter(|w| contains_word(text, w)).count())
    }

    fn intent_of(subject: &str, body: &str) -> Intent {
        let raw = format!("From: a@example.org\r\nTo: b@example.com\r\nSubject: {subject}\r\n\r\n{body}\r\n");
        classify(&crate::parse_message(raw.as_bytes()).unwrap())
    }

    /// A price request asks for a price: in the subject, or in a sentence
    /// that asks. A report that names prices and asks something else is not one.
    #[test]
    fn a_price_request_asks_for_the_price() {
        assert_eq!(intent_of("Quote for 50 branded menus", "Hi Sam, we are opening in May. Could you help?"), Intent::PriceRequest);
        assert_eq!(intent_of("Menus", "We need 50 menus for the opening. What would that cost?"), Intent::PriceRequest);
        assert_eq!(intent_of("Menus", "Could you send me a quote\nfor 50 menus by May?"), Intent::PriceRequest);
        assert_eq!(intent_of("Menus", "I'd like a quote. We need 50 menus."), Intent::PriceRequest);
        assert_eq!(intent_of("Senate hearing", "Two governors spoke against price caps.\n\nPlease feel free to comment on the draft."), Intent::Request);
        assert_eq!(intent_of("Update", "The board set new retail rates today. Did you see the game?"), Intent::Question);
    }

    /// Likewise a time to meet: asked in the subject or in a sentence that
    /// asks, not named in a report.
    #[test]
    fn scheduling_asks_for_a_time() {
        assert_eq!(intent_of("Call next week about the new website?", "Hi Sam, we are redoing our site."), Intent::Scheduling);
        assert_eq!(intent_of("Website", "Are you free for a call on Monday at 10?"), Intent::Scheduling);
        assert_eq!(intent_of("Website", "Could we meet\nnext week to go over it?"), Intent::Scheduling);
        assert_eq!(intent_of("Legislative update", "The committee meeting is next week; the vote follows on Friday."), Intent::Information);
        assert_eq!(intent_of("Legislative update", "The committee meeting is next week.\n\nPlease send comments on the draft letter."), Intent::Request);
    }

    #[test]
    fn a_question_in_a_reply_subject_or_a_quoted_header_is_not_asked() {
        assert_eq!(intent_of("Re: Skilling Get Davis Straightened Out?", "I'm still waiting for Davis' office to call."), Intent::Information);
        assert_eq!(intent_of("Update", "Thanks for the summary.\n\nSubject: Skilling Get Davis Straightened Out?"), Intent::ThankYou);
        assert_eq!(intent_of("Lunch on Friday?", "Hi Sam, the usual place."), Intent::Question);
        assert_eq!(intent_of("Re: Lunch", "Does 12:30 suit you?"), Intent::Question);
    }

    #[test]
    fn please_note_asks_nothing() {
        assert_eq!(intent_of("FINAL", "Attached is the final letter.  Please note - there was a small change at the top of page 2."), Intent::Information);
        assert_eq!(intent_of("Prices", "Please find attached our new price list. Please be advised that rates rise in May."), Intent::Information);
        assert_eq!(intent_of("Prices", "Please note the new rates. Please send me your order by Friday."), Intent::Request);
        assert_eq!(intent_of("Layout", "Please note the new layout, and let me know what you think."), Intent::Request);
        assert_eq!(intent_of("Notes", "Please note down what they say for me."), Intent::Request);
        assert_eq!(intent_of("Notes", "Please take notes for me."), Intent::Request);
        assert_eq!(intent_of("Welcome", "Please join me in welcoming Tom Brown to the team."), Intent::Information);
        assert_eq!(intent_of("Welcome", "Please welcome Sara to the desk."), Intent::Information);
        assert_eq!(intent_of("Brochure", "Please see the attached brochure for the details."), Intent::Information);
        assert_eq!(intent_of("Brochure", "Please see the attached brochure and let me know which class suits you."), Intent::Request);
        assert_eq!(intent_of("Lunch", "Please join us in the canteen at noon."), Intent::Request);
    }

    #[test]
    fn counts_whole_words_like_contains_word() {
        let text = "please call me; the pricing is fine. thanks!";
        assert_eq!(hits(text), expected(text));
        assert_eq!(hits(text), [0, 1, 1, 1, 1]);
        assert_eq!(hits("price"), [0, 1, 0, 0, 0]);
        assert_eq!(hits("prices2"), [0, 0, 0, 0, 0]);
        // Overlapping words all count: "meet" inside "meeting" does not, "meeting" does.
        assert_eq!(hits("a meeting, a call; can you meet?")[2], 3);
    }

    #[test]
    fn only_the_listed_characters_change_class_when_lowercased() {
        let found: Vec<char> = ('\u{80}'..='\u{10FFFF}')
            .filter(|c| {
                let lower: Vec<char> = c.to_lowercase().collect();
                let alnum = c.is_alphanumeric();
                lower.iter().any(char::is_ascii) || lower[0].is_alphanumeric() != alnum || lower[lower.len() - 1].is_alphanumeric() != alnum
            })
            .collect();
        assert_eq!(found, LOWERS_TO_ASCII);
    }

    proptest! {
        /// Matching without regard to ASCII case counts what matching the lowercased text counted.
        #[test]
        fn any_case_counts_what_the_lowercased_text_counts(
            parts in proptest::collection::vec((prop_oneof![Just("price"), Just("meeting"), Just("thanks"), Just("can you"), Just("as\u{212A}"), Just("\u{130}"), Just("É"), Just("é"), Just("x"), Just(" "), Just(", ")], proptest::num::u32::ANY), 0..12),
        ) {
            let text: String = parts.iter().map(|(p, bits)| p.chars().enumerate().map(|(i, c)| if bits >> (i % 32) & 1 == 1 { c.to_ascii_uppercase() } else { c }).collect::<String>()).collect();
            prop_assert_eq!(hits(&case_matchable(&text)), expected(&text.to_lowercase()), "{:?}", text);
        }

        #[test]
        fn one_pass_counts_what_each_word_search_counts(words in proptest::collection::vec(
            prop_oneof![Just("price"), Just("meet"), Just("meeting"), Just("can you"), Just("thanks"), Just("still not"), Just("x"), Just("é"), Just("fees")], 0..12),
            seps in proptest::collection::vec(prop_oneof![Just(" "), Just(""), Just(", "), Just("1"), Just("\n")], 12)) {
            let text: String = words.iter().zip(&seps).map(|(w, s)| format!("{w}{s}")).collect();
            prop_assert_eq!(hits(&text), expected(&text));
        }
    }
}
