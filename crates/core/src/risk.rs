//! Risk signals: what in the incoming message, and above all what in the draft,
//! needs a person's eyes. Each signal carries a kind, a severity, a readable
//! explanation and the byte span it came from, so a reviewer sees exactly why.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::draft::{Draft, placeholders};
use crate::message::Message;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Routine,
    Review,
    High,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Routine => "routine",
            RiskLevel::Review => "review",
            RiskLevel::High => "high",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Message,
    Draft,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Money,
    Deadline,
    Commitment,
    Legal,
    Complaint,
    Credentials,
    Confidential,
    NewRecipient,
    ReplyToMismatch,
    FirstContact,
    LargeThread,
    Attachment,
    Link,
    Placeholder,
    LowConfidence,
    ParseProblem,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskSignal {
    pub kind: SignalKind,
    pub severity: Severity,
    pub source: Source,
    pub explanation: String,
    /// Byte range in the message's text or the draft's body (per `source`).
    pub span: Option<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub level: RiskLevel,
    pub signals: Vec<RiskSignal>,
}

impl Assessment {
    pub fn reasons(&self) -> Vec<String> {
        self.signals.iter().map(|s| format!("{}: {}", s.severity_word(), s.explanation)).collect()
    }
}

impl RiskSignal {
    fn severity_word(&self) -> &'static str {
        match self.severity {
            Severity::Low => "note",
            Severity::Medium => "review",
            Severity::High => "HIGH",
        }
    }
}

/// Facts about the person's history that the pure core cannot look up itself.
#[derive(Debug, Clone, Default)]
pub struct AssessContext {
    /// The sender has written before, or the person has written to them.
    pub known_sender: bool,
    /// Messages already in this thread.
    pub thread_len: usize,
}

/// Drafts below this confidence need a person.
pub const LOW_CONFIDENCE: f32 = 0.6;

struct Pattern {
    kind: SignalKind,
    severity: Severity,
    regex: &'static LazyLock<Regex>,
    what: &'static str,
}

macro_rules! re {
    ($name:ident, $pat:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($pat).expect("built-in pattern compiles"));
    };
}

re!(MONEY, r"(?i)(?:[$€£¥]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:usd|eur|gbp|dollars?|euros?|pounds)\b|\b(?:price|pricing|quote|quotation|discount|invoice|payment terms?|refund|deposit|fee|rate card|per hour|hourly rate)\b)");
re!(DEADLINE, r"(?i)\b(?:deadline|due (?:date|by|on)|by (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|end of (?:day|week|month)|eod|eow|cob|the end of)|no later than|within \d+ (?:hours?|days?|weeks?)|(?:on|by|before|until) (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}|(?:on|by|before|until) \d{1,2}(?:st|nd|rd|th)? (?:of )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*|asap|urgent(?:ly)?)\b");
re!(COMMITMENT, r"(?i)\b(?:i will|i'll|we will|we'll|i promise|we promise|i guarantee|we guarantee|i commit|we commit|i can confirm|we can confirm|you have my word|count on (?:me|us)|i shall|we shall)\b");
re!(LEGAL, r"(?i)\b(?:contract|agreement|terms and conditions|terms of service|liabilit(?:y|ies)|liable|warrant(?:y|ies)|indemnif\w*|nda|non-disclosure|lawsuit|litigation|attorney|lawyer|legal action|counsel|subpoena|settlement|breach|compliance|regulator\w*|gdpr|copyright|intellectual property|arbitration|court)\b");
re!(COMPLAINT, r"(?i)\b(?:disappointed|unacceptable|complaint|frustrat\w+|angry|furious|terrible|awful|worst|not happy|unhappy|poor service|ridiculous|refund|chargeback|cancel my|escalat\w+|report you|threat\w*|sue\b|lawsuit)");
re!(CREDENTIALS, r"(?i)\b(?:password|passcode|login details|credentials|one-time code|otp|verification code|bank (?:details|account)|account number|routing number|iban|swift|sort code|credit card|card number|cvv|social security|ssn|passport (?:number|copy)|date of birth|wire (?:the )?(?:money|funds|transfer)|gift cards?)\b");
re!(CONFIDENTIAL, r"(?i)\b(?:confidential|privileged|attorney[- ]client|do not (?:forward|distribute|share)|internal only|not for distribution|proprietary|secret)\b");
re!(LINK, r"(?i)\bhttps?://[^\s<>()]+|\bwww\.[^\s<>()]+");
re!(EMAIL, r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b");
re!(PHONE, r"(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b");

const MESSAGE_PATTERNS: &[Pattern] = &[
    Pattern { kind: SignalKind::Complaint, severity: Severity::High, regex: &COMPLAINT, what: "the sender is unhappy or escalating" },
    Pattern { kind: SignalKind::Legal, severity: Severity::High, regex: &LEGAL, what: "legal or regulatory topic" },
    Pattern { kind: SignalKind::Credentials, severity: Severity::High, regex: &CREDENTIALS, what: "asks about credentials, bank or personal data" },
    Pattern { kind: SignalKind::Confidential, severity: Severity::High, regex: &CONFIDENTIAL, what: "marked confidential" },
    Pattern { kind: SignalKind::Money, severity: Severity::Medium, regex: &MONEY, what: "money or prices are discussed" },
    Pattern { kind: SignalKind::Deadline, severity: Severity::Medium, regex: &DEADLINE, what: "a date or deadline is involved" },
];

const DRAFT_PATTERNS: &[Pattern] = &[
    Pattern { kind: SignalKind::Money, severity: Severity::High, regex: &MONEY, what: "the reply states a price, amount or payment term" },
    Pattern { kind: SignalKind::Legal, severity: Severity::High, regex: &LEGAL, what: "the reply uses legal or contractual wording" },
    Pattern { kind: SignalKind::Deadline, severity: Severity::Medium, regex: &DEADLINE, what: "the reply names a date or deadline" },
    Pattern { kind: SignalKind::Commitment, severity: Severity::Medium, regex: &COMMITMENT, what: "the reply commits you to act" },
    Pattern { kind: SignalKind::Credentials, severity: Severity::High, regex: &CREDENTIALS, what: "the reply mentions credentials, bank or personal data" },
];

fn scan(text: &str, patterns: &[Pattern], source: Source, out: &mut Vec<RiskSignal>) {
    for p in patterns {
        if let Some(m) = p.regex.find(text) {
            out.push(RiskSignal {
                kind: p.kind,
                severity: p.severity,
                source,
                explanation: format!("{} (\"{}\")", p.what, m.as_str().trim()),
                span: Some((m.start(), m.end())),
            });
        }
    }
}

/// Signals of the incoming message alone.
pub fn assess_message(msg: &Message, ctx: &AssessContext) -> Vec<RiskSignal> {
    let mut out = Vec::new();
    let text = if msg.fresh_text.is_empty() { &msg.text } else { &msg.fresh_text };
    scan(text, MESSAGE_PATTERNS, Source::Message, &mut out);
    if let Some(s) = MESSAGE_PATTERNS.iter().find(|p| p.regex.is_match(&msg.subject)) {
        if !out.iter().any(|o| o.kind == s.kind) {
            out.push(RiskSignal { kind: s.kind, severity: s.severity, source: Source::Message, explanation: format!("subject: {}", s.what), span: None });
        }
    }
    if !ctx.known_sender {
        out.push(RiskSignal { kind: SignalKind::FirstContact, severity: Severity::Low, source: Source::Message, explanation: "first message from this sender".into(), span: None });
    }
    if let (Some(from), Some(reply_to)) = (&msg.from, msg.reply_to.first()) {
        if from.domain() != reply_to.domain() {
            out.push(RiskSignal {
                kind: SignalKind::ReplyToMismatch,
                severity: Severity::High,
                source: Source::Message,
                explanation: format!("Reply-To {} is not the sender's domain ({})", reply_to.email, from.domain()),
                span: None,
            });
        }
    }
    let parties = msg.participants().map(|m| &m.email).collect::<std::collections::HashSet<_>>().len();
    if parties > 6 || ctx.thread_len > 10 {
        out.push(RiskSignal { kind: SignalKind::LargeThread, severity: Severity::Medium, source: Source::Message, explanation: format!("{parties} people, {} messages in the thread", ctx.thread_len.max(1)), span: None });
    }
    if msg.warnings.iter().any(|w| matches!(w.code, crate::message::WarningCode::Unparseable | crate::message::WarningCode::EncodingProblem)) {
        out.push(RiskSignal { kind: SignalKind::ParseProblem, severity: Severity::Medium, source: Source::Message, explanation: "parts of the message could not be decoded".into(), span: None });
    }
    out
}

/// Signals of a draft: what the reply would commit the person to.
/// `thread_text` is everything the thread already says (for "new" links or addresses).
pub fn assess_draft(draft: &Draft, thread_text: &str) -> Vec<RiskSignal> {
    let mut out = Vec::new();
    scan(&draft.body, DRAFT_PATTERNS, Source::Draft, &mut out);
    let thread_lower = thread_text.to_lowercase();
    for (regex, kind, what) in [(&LINK, SignalKind::Link, "a link"), (&EMAIL, SignalKind::NewRecipient, "an email address"), (&PHONE, SignalKind::Link, "a phone number")] {
        for m in regex.find_iter(&draft.body) {
            if !thread_lower.contains(&m.as_str().to_lowercase()) {
                out.push(RiskSignal {
                    kind,
                    severity: Severity::High,
                    source: Source::Draft,
                    explanation: format!("the reply adds {what} not in the thread ({})", m.as_str()),
                    span: Some((m.start(), m.end())),
                });
                break;
            }
        }
    }
    let holes = placeholders(&draft.body);
    if !holes.is_empty() {
        out.push(RiskSignal { kind: SignalKind::Placeholder, severity: Severity::Medium, source: Source::Draft, explanation: format!("to fill in: {}", holes.join("; ")), span: None });
    }
    if draft.confidence < LOW_CONFIDENCE {
        out.push(RiskSignal { kind: SignalKind::LowConfidence, severity: Severity::Medium, source: Source::Draft, explanation: format!("the drafter is unsure (confidence {:.2})", draft.confidence), span: None });
    }
    out
}

/// Combine signals into one level: any high signal makes it high, any medium
/// makes it review; low signals alone stay routine.
pub fn combine(signals: Vec<RiskSignal>) -> Assessment {
    let level = match signals.iter().map(|s| s.severity).max() {
        Some(Severity::High) => RiskLevel::High,
        Some(Severity::Medium) => RiskLevel::Review,
        _ => RiskLevel::Routine,
    };
    Assessment { level, signals }
}
