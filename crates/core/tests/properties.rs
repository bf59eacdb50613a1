//! Properties that must hold for any input: a reply never goes to an address the
//! original did not carry, never to the person themselves; a high-risk draft never
//! auto-sends, whatever the policy; a draft that states an amount of money is
//! high risk and one that promises or names a date waits for review, however
//! it is written.

use autoemail_core::address::Mailbox;
use autoemail_core::draft::Draft;
use autoemail_core::intent::Intent;
use autoemail_core::parse_message;
use autoemail_core::policy::{Action, DefaultAction, Facts, Policy, Route, Rule, SenderClass, route};
use autoemail_core::reply::{Identity, ReplyMode, plan_reply};
use autoemail_core::risk::{AssessContext, RiskLevel, RiskSignal, Severity, SignalKind, Source, assess_draft, assess_message, assess_reply, combine};
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

/// Ordinary sentences a routine reply is made of: no amount, promise or date.
const FILLER: &[&str] = &[
    "Hi Dana,",
    "Thanks for the update.",
    "Good to hear from you.",
    "That sounds fine to me.",
    "Have a nice weekend.",
    "Best regards,",
    "Sam",
    "Glad it arrived safely.",
    "",
];

/// A draft body: filler sentences with `middle` among them.
fn draft_around(middle: String) -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(FILLER), 0..3),
        prop::collection::vec(prop::sample::select(FILLER), 0..3),
        prop::sample::select(vec![" ", "\n", "\n\n"]),
    )
        .prop_map(move |(before, after, sep)| before.iter().copied().chain([middle.as_str()]).chain(after.iter().copied()).collect::<Vec<_>>().join(sep))
}

fn signals_of(body: &str) -> Vec<RiskSignal> {
    let draft = Draft { body: body.to_string(), confidence: 0.9, ..Default::default() };
    assess_draft(&draft, "dana@example.com\nThanks for the update.")
}

/// An amount of money as people write it: symbol or code before or after,
/// with or without a space, thousands and decimals either way, or in words.
fn amount() -> impl Strategy<Value = String> {
    let number = prop::sample::select(vec!["5", "40", "500", "1,250", "1.250", "1.250,00", "1,250.00", "12.5", "99,90"]);
    let symbol = prop::sample::select(vec!["$", "€", "£", "¥", "₹", "CHF", "USD", "EUR", "GBP", "usd", "Eur", "JPY", "CAD", "AUD", "SEK"]);
    let word = prop::sample::select(vec!["dollars", "euros", "euro", "pounds", "bucks", "yen", "francs", "rupees", "cents", "grand"]);
    let space = prop::sample::select(vec!["", " "]);
    (number, symbol, word, space, 0..3u8).prop_map(|(n, sym, word, sp, form)| match form {
        0 => format!("{sym}{sp}{n}"),
        1 => format!("{n}{sp}{sym}"),
        _ => format!("{n} {word}"),
    })
}

proptest! {
    #[test]
    fn a_draft_stating_an_amount_is_high_risk(
        (amount, body) in amount().prop_flat_map(|a| (Just(a.clone()), draft_around(format!("The total comes to {a}.")))),
    ) {
        let signals = signals_of(&body);
        let at = body.find(&amount).unwrap();
        let money = signals.iter().find(|s| s.kind == SignalKind::Money);
        prop_assert!(money.is_some_and(|s| s.severity == Severity::High), "no high money signal for {:?}: {:?}", body, signals);
        let (a, b) = money.unwrap().span.unwrap();
        prop_assert!(a < at + amount.len() && at < b, "the money span {:?} misses {:?} in {:?}", (a, b), amount, body);
        prop_assert_eq!(combine(signals).level, RiskLevel::High);
    }

    #[test]
    fn a_draft_that_promises_waits_for_review(
        body in prop::sample::select(vec![
            "I will send you the report.",
            "I'll sign it.",
            "I\u{2019}ll send it over.",
            "We will deliver the parts.",
            "We'll do it.",
            "I promise it won't happen again.",
            "We guarantee delivery.",
            "You will receive the goods soon.",
            "Consider it done.",
            "Count me in.",
            "It will be shipped soon.",
            "I am going to fix it.",
            "Count on me.",
            "You have my word.",
            "Leave it with me.",
            "I'd be happy to send a sample.",
            "We can offer you a replacement.",
            "I've cancelled your subscription.",
            "We have refunded the order.",
            "I have approved the request.",
        ]).prop_flat_map(|s| (Just(s), draft_around(s.to_string()))),
    ) {
        let (promise, body) = body;
        let signals = signals_of(&body);
        let commitment = signals.iter().find(|s| s.kind == SignalKind::Commitment);
        prop_assert!(commitment.is_some(), "no commitment in {:?}: {:?}", body, signals);
        // The span shows the whole promise to the reviewer.
        let at = body.find(promise).unwrap();
        let (a, b) = commitment.unwrap().span.unwrap();
        prop_assert!(a <= at && at + promise.len() <= b, "the span {:?} cuts {:?} in {:?}", (a, b), promise, body);
        prop_assert!(combine(signals).level >= RiskLevel::Review);
    }

    #[test]
    fn a_draft_that_names_a_date_waits_for_review(
        body in prop::sample::select(vec![
            "Delivery on the 3rd.",
            "Delivery by the 21st.",
            "Ready by next week.",
            "Ready by this Friday.",
            "Ready within two weeks.",
            "Ready within a few days.",
            "Ready within 10 working days.",
            "Ready by 5pm.",
            "Ready by noon.",
            "Ready by 12/03/2026.",
            "Ready on 3.12.2026.",
            "Ready before 2026-12-03.",
            "Ready by 12/3.",
            "We ship on Monday.",
            "I can meet tomorrow at 3pm.",
            "Friday at 3 p.m. suits me.",
            "The parts go out this week.",
            "See you next Tuesday.",
            "The call is at 10:30.",
            "It arrives on 12 March.",
            "It arrives on March 12th.",
            "Delivery on 3/12.",
            "We open at noon.",
        ]).prop_flat_map(|s| draft_around(s.to_string())),
    ) {
        let signals = signals_of(&body);
        prop_assert!(signals.iter().any(|s| s.kind == SignalKind::Deadline), "no date in {:?}: {:?}", body, signals);
        prop_assert!(combine(signals).level >= RiskLevel::Review);
    }

    #[test]
    fn a_routine_reply_stays_routine(body in draft_around("Thanks, see you then.".to_string())) {
        let signals = signals_of(&body);
        prop_assert_eq!(combine(signals.clone()).level, RiskLevel::Routine, "{:?}: {:?}", body, signals);
    }
}

/// The signals of a reply to `incoming`, as the pipeline assesses a draft.
fn reply_to(incoming: &str, reply: &str) -> Vec<RiskSignal> {
    let raw = format!("From: dana@example.com\r\nSubject: Order\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{incoming}\r\n");
    let msg = parse_message(raw.as_bytes()).unwrap();
    let draft = Draft { body: reply.to_string(), confidence: 0.9, ..Default::default() };
    assess_reply(&msg, &assess_message(&msg, &AssessContext { known_sender: true, thread_len: 1 }), &draft, &msg.text)
}

const YES: &[&str] = &[
    "Yes, we can do that.",
    "Sure, that works.",
    "Sounds good, thanks!",
    "OK, will do.",
    "Agreed.",
    "No problem at all.",
    "That works for us.",
    "We accept.",
    "Let's do it.",
    "Go ahead.",
];

proptest! {
    /// Saying yes to a price or a date commits to it as much as repeating it.
    #[test]
    fn agreeing_to_a_price_or_a_date_is_not_routine(
        (incoming, money) in prop::sample::select(vec![
            ("Can you deliver 500 units by Friday for $2,000?", true),
            ("Could you do the whole job for 1.250 €?", true),
            ("From January the price per unit is USD 40.", true),
            ("We need the files by next week.", false),
            ("Can we move the deadline to 12/03?", false),
        ]),
        reply in prop::sample::select(YES).prop_flat_map(|y| draft_around(y.to_string())),
    ) {
        let signals = reply_to(incoming, &reply);
        let level = combine(signals.clone()).level;
        prop_assert!(level >= RiskLevel::Review, "{:?} to {:?} is routine: {:?}", reply, incoming, signals);
        if money {
            prop_assert_eq!(level, RiskLevel::High, "{:?} to {:?}: {:?}", reply, incoming, signals);
        }
    }

    #[test]
    fn agreeing_to_a_plain_request_stays_routine(reply in prop::sample::select(YES).prop_flat_map(|y| draft_around(y.to_string()))) {
        let signals = reply_to("Could you send me the brochure as a PDF?", &reply);
        prop_assert_eq!(combine(signals.clone()).level, RiskLevel::Routine, "{:?}: {:?}", reply, signals);
    }
}

/// Two patterns find dates in a reply; a yes to a dated message still gives one signal, not one for each.
#[test]
fn a_yes_to_a_date_is_one_signal() {
    let signals = reply_to("Can we move the deadline to 12/03?", "Sure, that works.");
    let yes: Vec<_> = signals.iter().filter(|s| s.kind == SignalKind::Deadline && s.source == Source::Draft).collect();
    assert_eq!(yes.len(), 1, "{signals:?}");
    assert!(yes[0].explanation.starts_with("the reply says \"Sure\" to a message that names a date"), "{yes:?}");
}

/// Words that agree only when they say yes: denied, conditional, asked or
/// "make sure", they do not make the message's price or date the reply's own.
#[test]
fn agreeing_words_that_do_not_say_yes_do_not_commit() {
    let incoming = "Can you deliver 500 units by Friday for $2,000?";
    for reply in [
        "I'm not sure we can do that, I'll check with the workshop.",
        "We can't do that this week, sorry.",
        "Let me make sure the workshop has capacity first.",
        "Be sure to send the artwork by then.",
        "Would Monday be OK instead?",
        "If that works for you, I'll ask the workshop.",
    ] {
        let signals = reply_to(incoming, reply);
        assert!(!signals.iter().any(|s| s.source == Source::Draft && s.explanation.contains("the reply says")), "{reply}: {signals:?}");
    }
    // A yes later in the reply still counts.
    let signals = reply_to(incoming, "I wasn't sure at first, but yes, we can do that.");
    assert!(signals.iter().any(|s| s.source == Source::Draft && s.explanation.starts_with("the reply says \"yes\"")), "{signals:?}");
}

/// A hole for a price weighs as the price it will hold, and says so: the
/// reply does not state a price yet. A closing offering more help is no request.
#[test]
fn a_hole_for_a_price_is_named_as_one_and_an_offer_of_help_asks_nothing() {
    let signals = signals_of("Thanks for your interest. [[price or quote, with what it includes]]\n\nLet me know if you have any other questions.");
    let money: Vec<&RiskSignal> = signals.iter().filter(|s| s.kind == SignalKind::Money && s.source == Source::Draft).collect();
    assert_eq!(money.len(), 1, "{signals:?}");
    assert_eq!(money[0].severity, Severity::High);
    assert!(money[0].explanation.starts_with("once filled in, the reply states a price"), "{}", money[0].explanation);
    assert!(!signals.iter().any(|s| s.kind == SignalKind::Request), "{signals:?}");
    // Words of its own around the hole are the reply's own, as before.
    let own = signals_of("The price is [[amount]] per menu.");
    assert!(own.iter().any(|s| s.kind == SignalKind::Money && s.explanation.starts_with("the reply states a price")), "{own:?}");
    // A real request in the closing still is one.
    assert!(signals_of("Let me know if you want the A4 version by Friday.").iter().any(|s| s.kind == SignalKind::Request));
}

#[test]
fn a_placeholder_quoting_their_question_is_not_the_reply_asking() {
    let kinds = |body: &str| signals_of(body).iter().map(|s| s.kind).collect::<Vec<_>>();
    assert!(!kinds("Thanks for your message. [[answer to: Can you also do an A4 version?]]").contains(&SignalKind::Request));
    assert!(kinds("Thanks for your message. [[answer to: Can you also do an A4 version?]]").contains(&SignalKind::Placeholder));
    assert!(kinds("Would [[day and time]] work for you?").contains(&SignalKind::Request));
}

/// The keyword checks read English: mail or a reply in another language must
/// not pass as routine for want of a signal they could not see.
#[test]
fn another_language_waits_for_review() {
    let german = "Hallo Sam,\n\nwir haben die Rechnung heute überwiesen, bitte ändert ab sofort die Bankverbindung für alle Zahlungen.\n\nViele Grüße\nJürgen";
    let reply = signals_of(german);
    assert!(reply.iter().any(|s| s.kind == SignalKind::OtherLanguage && s.source == Source::Draft && s.explanation.contains("German")), "{reply:?}");
    assert_eq!(combine(reply).level, RiskLevel::Review);
    let raw = format!("From: j@example.de\r\nSubject: Rechnung\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{german}\r\n");
    let msg = parse_message(raw.as_bytes()).unwrap();
    let signals = assess_message(&msg, &AssessContext { known_sender: true, thread_len: 1 });
    assert!(signals.iter().any(|s| s.kind == SignalKind::OtherLanguage && s.source == Source::Message && s.severity == Severity::Medium), "{signals:?}");
    // English mail and replies carry no such signal.
    let english = "Hi Sam,\n\nwe paid the invoice today; please confirm that it arrived.\n\nBest,\nJürgen";
    assert!(!signals_of(english).iter().any(|s| s.kind == SignalKind::OtherLanguage));
}

#[test]
fn discounts_and_free_offers_are_money() {
    for body in [
        "I can give you 10% off.",
        "We can do 15 percent off.",
        "We'll add it free of charge.",
        "There is no charge for the repair.",
        "We can fix it at no extra cost.",
        "We will reimburse you.",
        "Your order has been refunded.",
        "You can have it for half the usual price.",
        "It's on the house.",
        "Please transfer the balance to the usual account.",
    ] {
        let signals = signals_of(body);
        assert!(signals.iter().any(|s| s.kind == SignalKind::Money && s.severity == Severity::High), "{body}: {signals:?}");
    }
}

#[test]
fn accepting_terms_or_an_offer_is_legal_wording() {
    for body in ["I agree to the terms.", "I accept your offer.", "We accept the revised proposal.", "We agree to the new price."] {
        let signals = signals_of(body);
        assert!(signals.iter().any(|s| s.kind == SignalKind::Legal && s.severity == Severity::High), "{body}: {signals:?}");
    }
    // Agreeing with a person is not accepting terms.
    assert!(!signals_of("I agree, it was a great talk.").iter().any(|s| s.kind == SignalKind::Legal));
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
