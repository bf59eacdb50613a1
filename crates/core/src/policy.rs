//! Routing a drafted reply: send on its own after a hold, wait for review, or
//! draft nothing. The person's policy decides, with three fixed limits:
//! - the default sends nothing on its own;
//! - a high risk level always waits for a person, whatever a rule says (the floor);
//! - nothing a message says can change the policy: rules match on facts the
//!   system derived (sender, domain, thread, category, intent, risk), never on
//!   instructions in the text.
//!
//! A policy file is TOML:
//!
//! ```toml
//! default = "review"              # or "auto_send_routine"
//! auto_send_hold_seconds = 300    # hold before a routine reply goes out
//! review_hold_seconds = 1800      # hold when a rule auto-sends review-level replies
//!
//! [[rules]]
//! name = "newsletters"
//! domain = ["news.example.com"]
//! action = "no_draft"
//!
//! [[rules]]
//! name = "colleagues scheduling"
//! sender_class = ["internal"]
//! intent = ["scheduling"]
//! action = "auto_send"            # routine replies only, unless risk = [...] says more
//! hold_seconds = 600
//! ```
//!
//! `no_draft` rules are applied first, before drafting, in file order; the other
//! rules decide the route after drafting, in file order. The first match wins.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::intent::Intent;
use crate::risk::{Assessment, RiskLevel};
use crate::triage::{Category, Triage};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "route", rename_all = "snake_case")]
pub enum Route {
    NoDraft { reason: String },
    Review { priority: u8, reasons: Vec<String> },
    AutoSend { hold_seconds: u64, reasons: Vec<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultAction {
    /// Every reply waits for a person (the default).
    #[default]
    Review,
    /// Routine replies go out after `auto_send_hold_seconds`; all else waits.
    AutoSendRoutine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    AutoSend,
    Review,
    NoDraft,
}

/// Who the sender is to the person, from the mailbox's own history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderClass {
    /// Same organisation: the account's own domain (not a public mail provider).
    Internal,
    /// Has written before, or been written to.
    Known,
    /// First contact.
    Unknown,
}

impl SenderClass {
    pub fn as_str(self) -> &'static str {
        match self {
            SenderClass::Internal => "internal",
            SenderClass::Known => "known",
            SenderClass::Unknown => "unknown",
        }
    }

    /// Classify a sender from the account's addresses and whether they corresponded before.
    pub fn of(sender: &str, my_addresses: &[&str], known: bool) -> SenderClass {
        let domain = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
        let theirs = domain(sender);
        let shared = my_addresses.iter().any(|a| domain(a) == theirs);
        if shared && !theirs.is_empty() && !PUBLIC_MAIL_DOMAINS.contains(&theirs.as_str()) {
            SenderClass::Internal
        } else if known {
            SenderClass::Known
        } else {
            SenderClass::Unknown
        }
    }
}

/// Sharing one of these domains says nothing about being colleagues.
const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "web.de",
    "fastmail.com",
    "zoho.com",
    "mail.com",
    "yandex.ru",
    "qq.com",
    "163.com",
];

/// One rule: every matcher that is set must match (lists match any of their
/// entries); unset matchers match anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// Sender addresses; `*` matches any run of characters ("*@example.com").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sender: Vec<String>,
    /// Sender domains; a domain also matches its subdomains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domain: Vec<String>,
    /// Thread keys, as `autoemail show` prints them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thread: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<Category>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intent: Vec<Intent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sender_class: Vec<SenderClass>,
    /// Risk levels of the drafted reply. For `auto_send` the default is routine only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk: Vec<RiskLevel>,
    pub action: Action,
    /// `auto_send` only: seconds to hold before sending.
    pub hold_seconds: Option<u64>,
    /// `review` only: queue priority, 0–100 (higher first).
    pub priority: Option<u8>,
    /// Line of the rule in its file (1-based), for messages.
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub default: DefaultAction,
    #[serde(default = "default_hold")]
    pub auto_send_hold_seconds: u64,
    /// The least hold for a review-level reply that a rule lets auto-send.
    #[serde(default = "default_review_hold")]
    pub review_hold_seconds: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

fn default_hold() -> u64 {
    300
}
fn default_review_hold() -> u64 {
    1800
}

impl Default for Policy {
    fn default() -> Self {
        Policy { default: DefaultAction::Review, auto_send_hold_seconds: default_hold(), review_hold_seconds: default_review_hold(), rules: vec![] }
    }
}

/// A policy file that cannot be used, with the line and what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct PolicyError {
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    default: DefaultAction,
    #[serde(default = "default_hold")]
    auto_send_hold_seconds: u64,
    #[serde(default = "default_review_hold")]
    review_hold_seconds: u64,
    #[serde(default)]
    rules: Vec<toml::Spanned<Rule>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

impl Policy {
    /// Parse and validate a policy file. Errors name the line and say what to do.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            PolicyError { line, message: format!("{}; see the policy reference in README.md", e.message().trim_end()) }
        })?;
        let rules = file
            .rules
            .into_iter()
            .map(|spanned| {
                let line = line_of(text, spanned.span().start);
                let mut rule = spanned.into_inner();
                rule.line = line;
                rule
            })
            .collect();
        let policy =
            Policy { default: file.default, auto_send_hold_seconds: file.auto_send_hold_seconds, review_hold_seconds: file.review_hold_seconds, rules };
        policy.validate()?;
        Ok(policy)
    }

    /// Checks that a rule cannot mean something other than what it says.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let mut names = HashSet::new();
        for r in &self.rules {
            let fail = |message: String| Err(PolicyError { line: r.line, message: format!("rule {:?}: {message}", r.name) });
            if r.name.trim().is_empty() {
                return fail("give the rule a name (name = \"...\"), so decisions can say which rule applied".into());
            }
            if !names.insert(r.name.as_str()) {
                return fail("another rule has the same name; names must be unique".into());
            }
            if r.action == Action::AutoSend && r.risk.contains(&RiskLevel::High) {
                return fail("auto_send cannot apply to risk \"high\": high-risk replies always wait for a person. Remove \"high\" from risk".into());
            }
            if r.action == Action::NoDraft && !r.risk.is_empty() {
                return fail(
                    "no_draft rules are applied before a reply is drafted, when its risk is not known yet. Remove risk, or use action = \"review\"".into(),
                );
            }
            if r.hold_seconds.is_some() && r.action != Action::AutoSend {
                return fail("hold_seconds applies to auto_send rules only. Remove it, or set action = \"auto_send\"".into());
            }
            if r.priority.is_some() && r.action != Action::Review {
                return fail("priority applies to review rules only. Remove it, or set action = \"review\"".into());
            }
            if r.priority.is_some_and(|p| p > 100) {
                return fail("priority must be between 0 and 100".into());
            }
            for s in &r.sender {
                if !s.contains('@') {
                    return fail(format!("sender {s:?} is not an address or pattern like \"*@example.com\"; to match a whole domain use domain = [{s:?}]"));
                }
            }
            for d in &r.domain {
                if d.contains('@') || d.trim().is_empty() || d.contains('*') {
                    return fail(format!(
                        "domain {d:?} should be a plain domain like \"example.com\" (subdomains match too); to match addresses use sender = [...]"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What routing knows about a message and its draft. All derived by the system:
/// nothing here is read from instructions in the message.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub sender: Option<&'a str>,
    pub thread: &'a str,
    pub category: Category,
    pub intent: Intent,
    pub sender_class: SenderClass,
    /// The person accepted auto-send for this intent × sender class (earned autonomy).
    pub autonomy_promoted: bool,
}

/// Why a matcher did or did not match, for `policy check`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCheck {
    pub name: String,
    pub line: usize,
    pub action: Action,
    pub matched: bool,
    /// The first matcher that failed, in words.
    pub mismatch: Option<String>,
}

fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_ascii_lowercase(), text.to_ascii_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

impl Rule {
    /// The first matcher that fails for these facts; None when the rule matches.
    /// `risk` is None before drafting (risk matchers are then not checked).
    pub fn mismatch(&self, facts: &Facts<'_>, risk: Option<RiskLevel>) -> Option<String> {
        let sender = facts.sender.unwrap_or("");
        let domain = sender.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
        if !self.sender.is_empty() && !self.sender.iter().any(|p| glob_match(p, sender)) {
            return Some(format!("sender {sender} is not one of {:?}", self.sender));
        }
        if !self.domain.is_empty()
            && !self.domain.iter().any(|d| {
                let d = d.to_ascii_lowercase();
                domain == d || domain.ends_with(&format!(".{d}"))
            })
        {
            return Some(format!("domain {domain} is not one of {:?}", self.domain));
        }
        if !self.thread.is_empty() && !self.thread.iter().any(|t| t == facts.thread) {
            return Some("another thread".into());
        }
        if !self.category.is_empty() && !self.category.contains(&facts.category) {
            return Some(format!("category is {}", facts.category.as_str()));
        }
        if !self.intent.is_empty() && !self.intent.contains(&facts.intent) {
            return Some(format!("intent is {}", facts.intent.as_str()));
        }
        if !self.sender_class.is_empty() && !self.sender_class.contains(&facts.sender_class) {
            return Some(format!("sender is {}", facts.sender_class.as_str()));
        }
        if let Some(level) = risk {
            let allowed: &[RiskLevel] = if self.risk.is_empty() && self.action == Action::AutoSend { &[RiskLevel::Routine] } else { &self.risk };
            if !allowed.is_empty() && !allowed.contains(&level) {
                return Some(format!("risk is {}", level.as_str()));
            }
        }
        None
    }

    fn describe(&self) -> String {
        format!("rule {:?} (line {})", self.name, self.line)
    }
}

/// Review priority from risk: high first, then review, then routine.
pub fn priority(level: RiskLevel) -> u8 {
    match level {
        RiskLevel::High => 90,
        RiskLevel::Review => 60,
        RiskLevel::Routine => 30,
    }
}

/// Before drafting: does a `no_draft` rule say to leave this message alone?
pub fn no_draft_rule<'p>(policy: &'p Policy, facts: &Facts<'_>) -> Option<&'p Rule> {
    policy.rules.iter().filter(|r| r.action == Action::NoDraft).find(|r| r.mismatch(facts, None).is_none())
}

/// Each rule's verdict for these facts, in order (for `policy check`).
pub fn check_rules(policy: &Policy, facts: &Facts<'_>, risk: Option<RiskLevel>) -> Vec<RuleCheck> {
    policy
        .rules
        .iter()
        .map(|r| {
            let risk = if r.action == Action::NoDraft { None } else { risk };
            let mismatch = r.mismatch(facts, risk);
            RuleCheck { name: r.name.clone(), line: r.line, action: r.action, matched: mismatch.is_none(), mismatch }
        })
        .collect()
}

/// Route a drafted reply. The order of precedence: triage (no reply needed),
/// Why a high-risk draft waits: the floor no policy lowers.
pub const HIGH_RISK_FLOOR: &str = "high risk: always reviewed by a person";
/// Why a draft waits under the default policy.
pub const EVERY_REPLY_WAITS: &str = "policy: every reply waits for your approval";

/// The reasons a list shows beside a draft's level: those that tell it from
/// the others. "High risk: always reviewed" beside a HIGH badge, or "every
/// reply waits" beside a REVIEW one, says what the badge says; beside a
/// ROUTINE draft the second says why it waits, and stays.
pub fn listed_reasons(level: RiskLevel, reasons: &[String]) -> Vec<String> {
    reasons
        .iter()
        .filter(|r| {
            let badge_says = (level == RiskLevel::High && r.as_str() == HIGH_RISK_FLOOR) || (level != RiskLevel::Routine && r.as_str() == EVERY_REPLY_WAITS);
            !badge_says
        })
        .cloned()
        .collect()
}

/// `no_draft` rules, the high-risk floor, the first matching rule, earned
/// autonomy, then the policy's default.
pub fn route(triage: &Triage, assessment: &Assessment, policy: &Policy, facts: &Facts<'_>) -> Route {
    if !triage.needs_reply {
        return Route::NoDraft { reason: triage.reasons.first().cloned().unwrap_or_default() };
    }
    if let Some(rule) = no_draft_rule(policy, facts) {
        return Route::NoDraft { reason: format!("{} says draft nothing", rule.describe()) };
    }
    let level = assessment.level;
    let mut reasons = assessment.reasons();
    if level == RiskLevel::High {
        reasons.insert(0, HIGH_RISK_FLOOR.into());
        return Route::Review { priority: priority(level), reasons };
    }
    let hold_for = |requested: u64| {
        if level == RiskLevel::Review { requested.max(policy.review_hold_seconds) } else { requested }
    };
    if let Some(rule) = policy.rules.iter().filter(|r| r.action != Action::NoDraft).find(|r| r.mismatch(facts, Some(level)).is_none()) {
        return match rule.action {
            Action::AutoSend => {
                let hold = hold_for(rule.hold_seconds.unwrap_or(policy.auto_send_hold_seconds));
                reasons.insert(0, format!("{} auto-sends {} replies", rule.describe(), level.as_str()));
                Route::AutoSend { hold_seconds: hold, reasons }
            }
            Action::Review | Action::NoDraft => {
                reasons.insert(0, format!("{} asks for review", rule.describe()));
                Route::Review { priority: rule.priority.unwrap_or_else(|| priority(level)), reasons }
            }
        };
    }
    if facts.autonomy_promoted && level == RiskLevel::Routine {
        reasons.insert(0, format!("{} replies to {} senders earned auto-send (accepted by you)", facts.intent.as_str(), facts.sender_class.as_str()));
        return Route::AutoSend { hold_seconds: policy.auto_send_hold_seconds, reasons };
    }
    match policy.default {
        DefaultAction::AutoSendRoutine if level == RiskLevel::Routine => {
            reasons.insert(0, "policy auto-sends routine replies".into());
            Route::AutoSend { hold_seconds: policy.auto_send_hold_seconds, reasons }
        }
        DefaultAction::AutoSendRoutine => {
            reasons.insert(0, format!("{} risk: policy sends only routine replies on its own", level.as_str()));
            Route::Review { priority: priority(level), reasons }
        }
        DefaultAction::Review => {
            reasons.insert(0, EVERY_REPLY_WAITS.into());
            Route::Review { priority: priority(level), reasons }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list leaves out what the level badge already says, and nothing else.
    #[test]
    fn the_list_leaves_out_what_the_badge_says() {
        let reasons = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let high = reasons(&[HIGH_RISK_FLOOR, "HIGH: legal or regulatory topic", EVERY_REPLY_WAITS]);
        assert_eq!(listed_reasons(RiskLevel::High, &high), reasons(&["HIGH: legal or regulatory topic"]));
        let review = reasons(&[EVERY_REPLY_WAITS, "review: to fill in: day and time"]);
        assert_eq!(listed_reasons(RiskLevel::Review, &review), reasons(&["review: to fill in: day and time"]));
        // A routine draft waits only because of the policy: that stays.
        let routine = reasons(&[EVERY_REPLY_WAITS, "note: first message from this sender"]);
        assert_eq!(listed_reasons(RiskLevel::Routine, &routine), routine);
    }
    use crate::risk::combine;

    fn facts(sender: &str) -> Facts<'_> {
        Facts {
            sender: Some(sender),
            thread: "t1",
            category: Category::Personal,
            intent: Intent::Scheduling,
            sender_class: SenderClass::Known,
            autonomy_promoted: false,
        }
    }
    fn needs_reply() -> Triage {
        Triage { needs_reply: true, category: Category::Personal, reasons: vec!["a person wrote to you".into()], spam_score: 0 }
    }

    #[test]
    fn parses_rules_with_lines_and_applies_the_first_match() {
        let text = "default = \"review\"\n\n[[rules]]\nname = \"news\"\ndomain = [\"news.example.com\"]\naction = \"no_draft\"\n\n[[rules]]\nname = \"team\"\nsender = [\"*@example.com\"]\nintent = [\"scheduling\"]\naction = \"auto_send\"\nhold_seconds = 60\n";
        let policy = Policy::from_toml(text).unwrap();
        assert_eq!(policy.rules[0].line, 3);
        assert_eq!(policy.rules[1].line, 8);
        let routine = combine(vec![]);
        match route(&needs_reply(), &routine, &policy, &facts("ann@example.com")) {
            Route::AutoSend { hold_seconds, reasons } => {
                assert_eq!(hold_seconds, 60);
                assert!(reasons[0].contains("\"team\" (line 8)"), "{reasons:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(route(&needs_reply(), &routine, &policy, &facts("x@news.example.com")), Route::NoDraft { .. }));
        assert!(matches!(route(&needs_reply(), &routine, &policy, &facts("x@other.org")), Route::Review { .. }));
    }

    #[test]
    fn errors_name_the_line_and_say_what_to_do() {
        let bad_value = "[[rules]]\nname = \"x\"\naction = \"send_everything\"\n";
        let e = Policy::from_toml(bad_value).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let high = "\n[[rules]]\nname = \"x\"\nrisk = [\"high\"]\naction = \"auto_send\"\n";
        let e = Policy::from_toml(high).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("always wait for a person"), "{e}");
        let unknown = "[[rules]]\nname = \"x\"\naction = \"review\"\nsendr = [\"a@b.c\"]\n";
        let e = Policy::from_toml(unknown).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(Policy::from_toml("[[rules]]\nname = \"x\"\naction = \"review\"\nhold_seconds = 5\n").unwrap_err().message.contains("auto_send rules only"));
        assert!(Policy::from_toml("[[rules]]\nname = \"x\"\naction = \"no_draft\"\nrisk = [\"routine\"]\n").is_err());
        assert!(Policy::from_toml("[[rules]]\nname = \"x\"\naction = \"review\"\nsender = [\"example.com\"]\n").is_err());
    }

    #[test]
    fn review_level_auto_send_needs_an_explicit_risk_and_holds_longer() {
        let text = "review_hold_seconds = 3600\n[[rules]]\nname = \"a\"\naction = \"auto_send\"\nhold_seconds = 60\n[[rules]]\nname = \"b\"\nrisk = [\"routine\", \"review\"]\naction = \"auto_send\"\nhold_seconds = 60\n";
        let policy = Policy::from_toml(text).unwrap();
        let review = combine(vec![crate::risk::RiskSignal {
            kind: crate::risk::SignalKind::Commitment,
            severity: crate::risk::Severity::Medium,
            source: crate::risk::Source::Draft,
            explanation: "x".into(),
            span: None,
        }]);
        match route(&needs_reply(), &review, &policy, &facts("a@b.org")) {
            Route::AutoSend { hold_seconds, reasons } => {
                assert_eq!(hold_seconds, 3600);
                assert!(reasons[0].contains("\"b\""), "rule a covers routine only: {reasons:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sender_class_and_globs() {
        assert_eq!(SenderClass::of("bob@acme.com", &["me@acme.com"], false), SenderClass::Internal);
        assert_eq!(SenderClass::of("bob@gmail.com", &["me@gmail.com"], false), SenderClass::Unknown);
        assert_eq!(SenderClass::of("bob@gmail.com", &["me@gmail.com"], true), SenderClass::Known);
        assert!(glob_match("*@example.com", "Ann@Example.com"));
        assert!(glob_match("ann*@*.org", "anna@x.org"));
        assert!(!glob_match("*@example.com", "ann@example.com.evil.test"));
    }
}
