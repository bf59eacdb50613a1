//! Properties that must hold for any input: a reply never goes to an address the
//! original did not carry, never to the person themselves; a high-risk draft never
//! auto-sends, whatever the policy.

use autoemail_core::address::Mailbox;
use autoemail_core::parse_message;
use autoemail_core::policy::{DefaultAction, Policy, Route, route};
use autoemail_core::reply::{Identity, ReplyMode, plan_reply};
use autoemail_core::risk::{RiskSignal, Severity, SignalKind, Source, combine};
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
    ) {
        let signals: Vec<RiskSignal> = severities.iter().map(|s| RiskSignal { kind: SignalKind::Money, severity: *s, source: Source::Draft, explanation: String::new(), span: None }).collect();
        let assessment = combine(signals);
        let policy = Policy { default: if auto { DefaultAction::AutoSendRoutine } else { DefaultAction::Review }, auto_send_hold_seconds: hold };
        let triage = Triage { needs_reply: true, category: Category::Personal, reasons: vec!["x".into()], spam_score: 0 };
        let routed = route(&triage, &assessment, &policy);
        let any_high = severities.contains(&Severity::High);
        let any_medium = severities.contains(&Severity::Medium);
        if let Route::AutoSend { .. } = routed {
            prop_assert!(auto, "the default policy never auto-sends");
            prop_assert!(!any_high && !any_medium, "a reply with a review or high signal auto-sent");
        }
    }
}
