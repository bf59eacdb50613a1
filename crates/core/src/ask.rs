//! Requests and commitments, sentence by sentence: does this text ask someone
//! to act, or promise that someone will? A draft that does must be reviewed,
//! because it commits the person to something.
//!
//! The detector is a logistic model over two kinds of feature: named cues
//! (regexes a person can read: "please", "I'll", an imperative opening, a
//! question) and the sentence's words and word pairs. The weights live in
//! `data/ask_model.tsv`, trained by `examples/train_ask_model.rs` on labelled
//! email sentences; the cue that weighs most names the reason and the span.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AskKind {
    /// Someone is asked to act (a question, a request, an instruction).
    Request,
    /// The writer promises to act.
    Commitment,
}

/// A sentence that asks or commits, with the byte span it covers in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub kind: AskKind,
    pub span: (usize, usize),
    /// The cue that weighed most, as a person would quote it ("please", "I'll").
    pub cue: Option<String>,
    pub score: f64,
}

struct Cue {
    name: &'static str,
    regex: Regex,
}

/// Cues that make an asking sentence a commitment rather than a request.
const COMMITMENT_CUES: &[&str] = &["i_will", "we_will", "happy_to"];

const IMPERATIVE_VERBS: &str = "please|kindly|let|call|send|give|tell|check|review|confirm|take|make|see|add|forward|contact|email|e-mail|reply|respond|schedule|set|get|find|look|read|sign|fill|complete|provide|submit|bring|keep|note|remember|visit|join|come|plan|feel|don't|do not|go|try|ask|attach|print|update|fax|arrange|book|reserve|register|apply|download|click|select|choose|enter|buy|order|pay|approve|put|use|talk|discuss|meet|stop|hold|wait|follow|prepare|advise|inform|notify|return|pick|drop|pass|share|write|circulate|coordinate|verify|ensure|be sure|make sure|mark|start|finish|open|activate|paste|expect|save|shop|sell|move|run|create|think|consider|remove|change|cancel|include|grab|swing|stay|leave|sit|hurry|act|claim|earn|watch|listen|learn|discover|text|ring|shoot|ping|pls|plz|cover|line|fix|handle|draft|sort";

static CUES: LazyLock<Vec<Cue>> = LazyLock::new(|| {
    let defs: &[(&str, &str)] = &[
        ("question", r"\?"),
        ("please", r"\b(?:please|pls|plz|kindly)\b"),
        ("let_know", r"\blet (?:me|us) know\b"),
        ("i_will", r"\b(?:i(?:'ll| will| shall)|i am going to|i'm going to)\b"),
        ("we_will", r"\b(?:we(?:'ll| will| shall)|we are going to|we're going to)\b"),
        ("i_want", r"\bi(?: would like|'d like| want to| wanted to| need| would love|'d love| am interested| hope to)\b"),
        ("we_want", r"\bwe(?: would like|'d like| want to| need| would love|'d love| are interested| hope to)\b"),
        ("modal_you", r"\b(?:can|could|would|will|won't|wouldn't|do|did) you\b"),
        ("we_could", r"\bwe (?:could|should|can|might)\b"),
        ("need_to", r"\bneeds? to\b"),
        ("no_hesitate", r"\b(?:don'?t|do not) hesitate\b|\bfeel free\b"),
        ("call_me", r"\b(?:call|email|e-mail|ping|text|contact) (?:me|us)\b|\bgive (?:me|us) a (?:call|ring|holler|shout)\b"),
        ("you_should", r"\byou (?:should|must|need|have to|will need)\b"),
        ("appreciate", r"\bappreciate\b|\bwould be (?:great|helpful|appreciated|fine|good)\b"),
        ("if_you", r"\bif you (?:could|can|would|want|wish|'d like|like|have (?:any )?questions|need|are interested)\b"),
        ("invite", r"\binvit\w+\b|\bjoin (?:us|me)\b"),
        ("you_may_want", r"\byou (?:may|might) (?:want|wish|like)\b"),
        ("lets", r"\blet'?s\b"),
        ("remind", r"\bremind\w*\b"),
        ("suggest", r"\bwonder(?:ing)? (?:if|whether)\b|\bwhy don'?t you\b|\bi (?:would )?suggest\b"),
        ("happy_to", r"\b(?:happy|glad|available) to\b|\bi'?m available\b"),
        ("meeting", r"\b(?:discuss\w*|schedul\w+|meet(?:ing)?|call|lunch|dinner|coffee|conference call)\b"),
        ("follow_up", r"\bfollow(?:ing)? up\b|\bcatch up\b|\bget together\b|\bget back to\b"),
        (
            "time",
            r"\b(?:today|tomorrow|tonight|next week|this week|asap|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(?::\d\d)?\s?(?:am|pm))\b",
        ),
        ("promo", r"\b(?:free|offer|deal|sale|discount|save|win|shop|app store|subscribe|unsubscribe|click|\$link|coupon|trial|promo)\b"),
        (
            "boilerplate",
            r"\b(?:unsubscribe|address book|white ?list|safe sender|opt[- ]?out|privacy policy|intended recipient|named addressee|receiving this)\b",
        ),
        ("you", r"\byou\b|\byour\b"),
        ("first_person", r"^\s*(?:i|we)\b"),
    ];
    let mut cues: Vec<Cue> = defs.iter().map(|(name, pat)| Cue { name, regex: crate::risk::ascii_regex(&format!("(?i){pat}")) }).collect();
    let verbs = IMPERATIVE_VERBS;
    cues.push(Cue {
        name: "imperative",
        regex: crate::risk::ascii_regex(&format!(
            r"(?i)^\W*(?:\d+\.\s*)?(?:(?:hi|hello|dear|hey|ok|okay|also|and|so|but|then|now|just|first|finally|again|[A-Z][a-z]+)[,:\-]*\s+)?(?:{verbs})\b"
        )),
    });
    cues.push(Cue {
        name: "if_imperative",
        regex: crate::risk::ascii_regex(&format!(r"(?i)^\W*(?:if|when|once|to) [^,;]{{3,80}}[,;:]\s*(?:(?:just|simply|then|please)\s+)?(?:{verbs})\b")),
    });
    cues
});

static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[a-z']+|\?|\$link").expect("built-in pattern compiles"));

/// Features of one sentence: `cue:NAME` for each cue that fires, `w:WORD` and
/// `w:WORD_WORD` for its words and word pairs.
pub fn features(sentence: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for cue in CUES.iter() {
        if cue.regex.is_match(sentence) {
            out.insert(format!("cue:{}", cue.name));
        }
    }
    let lower = sentence.to_lowercase();
    let words: Vec<&str> = WORD.find_iter(&lower).map(|m| m.as_str()).collect();
    for w in &words {
        out.insert(format!("w:{w}"));
    }
    for pair in words.windows(2) {
        out.insert(format!("w:{}_{}", pair[0], pair[1]));
    }
    out
}

/// Weights of a trained detector.
#[derive(Debug, Clone, PartialEq)]
pub struct AskModel {
    pub bias: f64,
    /// A sentence scoring above this asks or commits.
    pub threshold: f64,
    pub weights: HashMap<String, f64>,
}

#[derive(Debug, thiserror::Error)]
#[error("ask model line {line}: {problem}")]
pub struct ModelError {
    pub line: usize,
    pub problem: String,
}

impl AskModel {
    pub fn score(&self, features: &HashSet<String>) -> f64 {
        self.bias + features.iter().filter_map(|f| self.weights.get(f)).sum::<f64>()
    }

    /// Reads the TSV written by [`AskModel::to_tsv`]: `name<TAB>weight` lines,
    /// with `#` comments and the two special names `bias` and `threshold`.
    pub fn from_tsv(text: &str) -> Result<AskModel, ModelError> {
        let mut model = AskModel { bias: 0.0, threshold: 0.0, weights: HashMap::new() };
        for (i, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |problem: &str| ModelError { line: i + 1, problem: problem.to_string() };
            let (name, value) = line.split_once('\t').ok_or_else(|| err("expected name<TAB>weight"))?;
            let value: f64 = value.trim().parse().map_err(|_| err("weight is not a number"))?;
            match name {
                "bias" => model.bias = value,
                "threshold" => model.threshold = value,
                _ => {
                    model.weights.insert(name.to_string(), value);
                }
            }
        }
        Ok(model)
    }

    pub fn to_tsv(&self, header: &str) -> String {
        let mut names: Vec<_> = self.weights.iter().filter(|(_, w)| w.abs() >= 0.005).collect();
        names.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = String::new();
        for line in header.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        out.push_str(&format!("bias\t{:.4}\nthreshold\t{:.4}\n", self.bias, self.threshold));
        for (name, w) in names {
            out.push_str(&format!("{name}\t{w:.4}\n"));
        }
        out
    }
}

static MODEL: LazyLock<AskModel> =
    LazyLock::new(|| AskModel::from_tsv(include_str!("../data/ask_model.tsv")).expect("the shipped ask model parses (checked by a unit test)"));

/// The shipped model.
pub fn model() -> &'static AskModel {
    &MODEL
}

/// Sentences of a text with their byte spans: split after . ! ? and at line
/// breaks that end a line without running text (blank lines, bullets, short lines).
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let end_here = match c {
            b'.' | b'!' | b'?' => bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()),
            b'\n' => bytes.get(i + 1).is_none_or(|n| *n == b'\n' || *n == b'-' || *n == b'*' || *n == b'\r') || text[start..i].trim().len() < 50,
            _ => false,
        };
        if end_here {
            push_trimmed(text, start, i + 1, &mut out);
            start = i + 1;
        }
        i += 1;
    }
    push_trimmed(text, start, text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if piece.trim().chars().any(char::is_alphanumeric) {
        out.push((start + lead, end - trail));
    }
}

/// Every sentence of `text` that asks or commits, by the shipped model.
pub fn detect(text: &str) -> Vec<Ask> {
    detect_with(model(), text)
}

/// Thanks for news received ("Thanks for letting me know"): it asks nothing,
/// though its words ("let me know") weigh as a request in the model.
static THANKS_FOR_NEWS: LazyLock<Regex> = LazyLock::new(|| {
    crate::risk::ascii_regex(
        r"(?i)^\W*(?:many thanks|thanks|thank you)(?: so much| very much| a lot)? for (?:letting (?:me|us) know|the (?:heads[- ]up|update|info|information|reminder|note|notice|news)|telling (?:me|us))\b",
    )
});

/// Thanks for news with at most a word or two after it ("…, noted.", "…, got it!").
/// A longer sentence is scored whole: the model weighs its thanks as well.
fn only_thanks_for_news(sentence: &str) -> bool {
    THANKS_FOR_NEWS.find(sentence).is_some_and(|m| {
        let rest = &sentence[m.end()..];
        !rest.contains('?') && rest.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count() <= 2
    })
}

pub fn detect_with(model: &AskModel, text: &str) -> Vec<Ask> {
    let mut out = Vec::new();
    for (start, end) in sentences(text) {
        let sentence = &text[start..end];
        if only_thanks_for_news(sentence) {
            continue;
        }
        let feats = features(sentence);
        let score = model.score(&feats);
        if score <= model.threshold {
            continue;
        }
        // The reason shown is the strongest positive cue, quoted from the sentence.
        let best = CUES
            .iter()
            .filter_map(|c| {
                let w = *model.weights.get(&format!("cue:{}", c.name))?;
                let m = c.regex.find(sentence)?;
                (w > 0.0).then_some((w, m))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let commits = CUES.iter().any(|c| COMMITMENT_CUES.contains(&c.name) && c.regex.is_match(sentence));
        let kind = if commits { AskKind::Commitment } else { AskKind::Request };
        let cue = best.map(|(_, m)| m.as_str().trim().to_string()).filter(|s| !s.is_empty());
        out.push(Ask { kind, span: (start, end), cue, score });
    }
    out
}

/// One labelled sentence for training.
pub struct Example<'a> {
    pub text: &'a str,
    pub asks: bool,
}

/// Logistic regression by plain SGD with L2, deterministic for a given seed.
/// Features seen in fewer than `min_count` examples are left out.
pub fn train(examples: &[Example<'_>], min_count: usize, seed: u64) -> AskModel {
    let feats: Vec<HashSet<String>> = examples.iter().map(|e| features(e.text)).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for f in &feats {
        for name in f {
            *counts.entry(name.as_str()).or_default() += 1;
        }
    }
    let kept: Vec<Vec<&str>> = feats.iter().map(|f| f.iter().map(String::as_str).filter(|n| counts[n] >= min_count).collect()).collect();
    let mut weights: HashMap<String, f64> = HashMap::new();
    let mut bias = 0.0;
    // Chosen by 5-fold cross-validation (see examples/train_ask_model.rs).
    let (rate, l2, epochs) = (0.02, 3e-3, 40);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = seed.max(1);
    for _ in 0..epochs {
        // Fisher-Yates with xorshift: reproducible without a rand dependency.
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            let z: f64 = bias + kept[i].iter().map(|n| weights.get(*n).copied().unwrap_or(0.0)).sum::<f64>();
            let p = 1.0 / (1.0 + (-z.clamp(-30.0, 30.0)).exp());
            let g = p - if examples[i].asks { 1.0 } else { 0.0 };
            bias -= rate * g;
            for n in &kept[i] {
                let w = weights.entry((*n).to_string()).or_insert(0.0);
                *w -= rate * (g + l2 * *w);
            }
        }
    }
    AskModel { bias, threshold: 0.0, weights }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_model_parses_and_has_cues() {
        let m = model();
        assert!(m.weights.contains_key("cue:please"));
        assert!(m.weights.len() > 100);
    }

    #[test]
    fn finds_requests_and_commitments_and_not_plain_statements() {
        let text = "Thanks for the notes. Could you send the signed copy? I'll ship the parts on Friday.\nThe weather was nice.";
        let asks = detect(text);
        let quoted: Vec<&str> = asks.iter().map(|a| &text[a.span.0..a.span.1]).collect();
        assert!(quoted.contains(&"Could you send the signed copy?"), "{quoted:?}");
        assert!(quoted.contains(&"I'll ship the parts on Friday."), "{quoted:?}");
        assert!(!quoted.contains(&"The weather was nice."), "{quoted:?}");
        let ship = asks.iter().find(|a| text[a.span.0..a.span.1].starts_with("I'll")).unwrap();
        assert_eq!(ship.kind, AskKind::Commitment);
    }

    /// Thanks for news is an acknowledgement, not a request; a sentence that
    /// goes on to ask still counts.
    #[test]
    fn thanks_for_news_asks_nothing() {
        for text in
            ["Thanks for letting me know, noted.", "Thank you so much for the update!", "Many thanks for the heads-up.", "Thanks for telling me, got it."]
        {
            assert!(detect(text).is_empty(), "{text}: {:?}", detect(text));
        }
        let text = "Thanks for letting me know, could you send the new invoice?";
        let asks = detect(text);
        assert_eq!(asks.len(), 1, "{asks:?}");
        assert_eq!(asks[0].kind, AskKind::Request);
        assert_eq!(asks[0].span, (0, text.len()));
    }

    #[test]
    fn splits_sentences_with_spans() {
        let text = "One. Two?\n\n- three\nfour";
        let s: Vec<&str> = sentences(text).into_iter().map(|(a, b)| &text[a..b]).collect();
        assert_eq!(s, vec!["One.", "Two?", "- three", "four"]);
    }

    #[test]
    fn model_round_trips_through_tsv() {
        let m = AskModel { bias: -1.5, threshold: -0.25, weights: HashMap::from([("cue:please".to_string(), 2.5), ("w:a_b".to_string(), -0.75)]) };
        assert_eq!(AskModel::from_tsv(&m.to_tsv("test")).unwrap(), m);
        let err = AskModel::from_tsv("bias\tx").unwrap_err();
        assert_eq!(err.line, 1);
    }
}
