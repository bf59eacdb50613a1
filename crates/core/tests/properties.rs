//! Properties that must hold for any input: a reply never goes to an address the
//! original did not carry, never to the person themselves; a high-risk draft never
//! auto-sends, whatever the policy.

use autoemail_core::address::Mailbox;
use autoemail_core::intent::Intent;
use autoemail_core::parse_message;
use autoemail_core::policy::{Action, DefaultAction, Facts, Policy, Route, Rule, SenderClass, route};
use autoemail_core::reply::{Identity, ReplyMode, plan_reply};
use autoemail_core::risk::{RiskLevel, RiskSignal, Severity, SignalKind, Source, combine};
use autoemail_core::triage::{Category, Triage};
use proptest::prelude::*;

fn addr() -> impl Strategy<Value = String> {
    ("[a-d]{1,3}", prop::sample::select(vec!["example.com", "example.org", "me.test"])).prop_map(|(l, d)| format!("{l}@{d}"))
}

fn header(name: &str, list: &[String]) -> String {
    if list.is_empty() { String::new() } else { format!("{name}: {}\r\n", list.join(", ")) }
}

proptest! {
    #[test]
    fn reply_recipients_come_only_from_the_original(
        from in addr(),
        to in prop::collection::vec(addr(), 0..4),
        cc in prop::collection::vec(addr(), 0..4),
        reply_to in prop::collection::vec(addr(), 0..2),
        body in "[ -~]{0,80}",
        all in any::<bool>(),
    ) {
        let me = Identity { name: None, email: "a@me.test".into(), aliases: vec!["b@me.test".into()] };
        let raw = format!("From: {from}\r\n{}{}{}Subject: x\r\n\r\n{body}\r\n", header("To", &to), header("Cc", &cc), header("Reply-To", &reply_to));
        let msg = parse_message(raw.as_bytes()).unwrap();
        let mode = if all { ReplyMode::All } else { ReplyMode::Sender };
        if let Ok(plan) = plan_reply(&msg, &me, mode) {
            let allowed: Vec<&str> = msg.participants().map(|m: &Mailbox| m.email.as_str()).collect();
            let mut seen = Vec::new();
            for r in plan.recipients() {
                prop_assert!(allowed.contains(&r.email.as_str()), "{} not in the original", r.email);
                prop_assert!(!me.is_me(&r.email), "replied to self");
                prop_assert!(!seen.contains(&r.email), "duplicate recipient");
                seen.push(r.email.clone());
            }
            prop_assert!(!plan.to.is_empty());
        }
    }

    #[test]
    fn high_risk_never_auto_sends(
        severities in prop::collection::vec(prop::sample::select(vec![Severity::Low, Severity::Medium, Severity::High]), 0..6),
        auto in any::<bool>(),
        hold in 0u64..10_000,
        rules in prop::collection::vec(rule(), 0..4),
        facts in facts(),
        promoted in any::<bool>(),
    ) {
        let signals: Vec<RiskSignal> = severities.iter().map(|s| RiskSignal { kind: SignalKind::Money, severity: *s, source: Source::Draft, explanation: String::new(), span: None }).collect();
        let assessment = combine(signals);
        let policy = Policy { default: if auto { DefaultAction::AutoSendRoutine } else { DefaultAction::Review }, auto_send_hold_seconds: hold, review_hold_seconds: 1800, rules: rules.clone() };
        let triage = Triage { needs_reply: true, category: facts.2, reasons: vec!["x".into()], spam_score: 0 };
        let f = Facts { sender: Some(&facts.0), thread: "t", category: facts.2, intent: facts.1, sender_class: facts.3, autonomy_promoted: promoted };
        let routed = route(&triage, &assessment, &policy, &f);
        let any_high = severities.contains(&Severity::High);
        let any_medium = severities.contains(&Severity::Medium);
        if let Route::AutoSend { hold_seconds, .. } = routed {
            prop_assert!(!any_high, "a reply with a high signal auto-sent");
            let explicit = rules.iter().any(|r| r.action == Action::AutoSend);
            prop_assert!(auto || explicit || promoted, "auto-sent with no policy or promotion allowing it");
            if any_medium {
                prop_assert!(rules.iter().any(|r| r.action == Action::AutoSend && r.risk.contains(&RiskLevel::Review)), "review-level reply auto-sent without a rule naming risk review");
                prop_assert!(hold_seconds >= 1800, "review-level auto-send held only {}s", hold_seconds);
            }
        }
    }

    #[test]
    fn the_default_policy_never_auto_sends(severities in prop::collection::vec(prop::sample::select(vec![Severity::Low, Severity::Medium, Severity::High]), 0..6), facts in facts()) {
        let signals: Vec<RiskSignal> = severities.iter().map(|s| RiskSignal { kind: SignalKind::Money, severity: *s, source: Source::Draft, explanation: String::new(), span: None }).collect();
        let triage = Triage { needs_reply: true, category: facts.2, reasons: vec!["x".into()], spam_score: 0 };
        let f = Facts { sender: Some(&facts.0), thread: "t", category: facts.2, intent: facts.1, sender_class: facts.3, autonomy_promoted: false };
        let auto_sent = matches!(route(&triage, &combine(signals), &Policy::default(), &f), Route::AutoSend { .. });
        prop_assert!(!auto_sent, "the default policy auto-sent");
    }
}

fn facts() -> impl Strategy<Value = (String, Intent, Category, SenderClass)> {
    (
        addr(),
        prop::sample::select(vec![Intent::Scheduling, Intent::Question, Intent::ThankYou, Intent::PriceRequest, Intent::Complaint]),
        prop::sample::select(vec![Category::Personal, Category::Fyi]),
        prop::sample::select(vec![SenderClass::Internal, SenderClass::Known, SenderClass::Unknown]),
    )
}

/// Any rule the validator accepts: random matchers, any action.
fn rule() -> impl Strategy<Value = Rule> {
    (
        prop::sample::select(vec![Action::AutoSend, Action::Review, Action::NoDraft]),
        prop::collection::vec(prop::sample::select(vec!["*@example.com", "a@example.org", "*"]), 0..2),
        prop::collection::vec(prop::sample::select(vec![RiskLevel::Routine, RiskLevel::Review]), 0..3),
        prop::collection::vec(prop::sample::select(vec![Intent::Scheduling, Intent::Question]), 0..2),
        prop::option::of(0u64..100),
    )
        .prop_map(|(action, sender, risk, intent, hold)| Rule {
            name: "r".into(),
            sender: sender.into_iter().map(|s| s.replace('*', "*@*").replacen("*@*@", "*@", 1)).collect(),
            domain: vec![],
            thread: vec![],
            category: vec![],
            intent,
            sender_class: vec![],
            risk: if action == Action::NoDraft { vec![] } else { risk },
            action,
            hold_seconds: if action == Action::AutoSend { hold } else { None },
            priority: None,
            line: 1,
        })
}
