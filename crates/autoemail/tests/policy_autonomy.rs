//! The policy file and earned autonomy through the application layer, on the
//! SQLite store with the offline drafter and a Maildir outbox:
//! - a `no_draft` rule leaves a sender alone and says which rule did;
//! - an `auto_send` rule sends routine replies of its kind, but never a high-risk one;
//! - 20 clean approvals propose a category; accepting promotes it; its next
//!   routine reply auto-sends; taking that reply back demotes it, with the reason
//!   in the audit log.

use autoemail::pipeline::{IngestOutcome, Source};
use autoemail::{App, Config};
use autoemail_core::autonomy::State;
use autoemail_core::review::DraftState;
use autoemail_store::AuditFilter;

const CONFIG: &str = r#"
[account]
address = "sam@northwind.example"
display_name = "Sam Carter"

[store]
path = "test.sqlite"

[outbox]
hold_seconds = 0
maildir = "sent-mail"

[policy]
file = "policy.toml"
"#;

const POLICY: &str = r#"
default = "review"
auto_send_hold_seconds = 60

[[rules]]
name = "vendor spam"
domain = ["pushy-vendor.example"]
action = "no_draft"

[[rules]]
name = "team thanks"
sender_class = ["internal"]
intent = ["thank_you"]
action = "auto_send"
hold_seconds = 0
"#;

fn mail(n: usize, from: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: Sam Carter <sam@northwind.example>\r\nSubject: {subject}\r\nMessage-ID: <m{n}@test.example>\r\nDate: Mon, 23 Nov 2026 10:{:02}:00 +0000\r\n\r\n{body}\r\n",
        n % 60
    )
    .into_bytes()
}

async fn open(dir: &std::path::Path) -> App {
    autoemail::config::write_private(&dir.join("config.toml"), CONFIG).unwrap();
    std::fs::write(dir.join("policy.toml"), POLICY).unwrap();
    App::open(Config::load(&dir.join("config.toml")).unwrap()).await.unwrap()
}

async fn ingest(app: &App, raw: &[u8]) -> Option<i64> {
    match app.ingest(raw, Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap() {
        IngestOutcome::Stored { draft, .. } => draft,
        other => panic!("not stored: {other:?}"),
    }
}

#[tokio::test]
async fn policy_rules_route_and_explain() {
    let tmp = tempfile::tempdir().unwrap();
    let app = open(tmp.path()).await;

    // no_draft: nothing drafted, and the audit log names the rule and its line.
    assert_eq!(ingest(&app, &mail(1, "Rep <rep@pushy-vendor.example>", "Quick question?", "Can we talk about your needs?")).await, None);
    let log = app.store.audit_log(AuditFilter::default()).await.unwrap();
    assert!(log.iter().any(|r| r.action == "routed" && r.reason.contains("\"vendor spam\" (line 5)")), "{log:?}");
    assert!(app.draft_missing().await.unwrap() == 0, "a no_draft message is not drafted later either");

    // auto_send for a colleague's thanks: approved by the system, no person involved.
    let thanks = ingest(&app, &mail(2, "Ann <ann@northwind.example>", "Thanks!", "Thank you for the help yesterday, much appreciated.")).await.unwrap();
    let d = app.store.draft(thanks).await.unwrap();
    assert_eq!(d.state, DraftState::Approved, "reasons: {:?}", d.reasons());
    assert!(d.reasons()[0].contains("\"team thanks\""), "{:?}", d.reasons());

    // The same kind of mail from outside the team waits for review (default policy).
    let outside = ingest(&app, &mail(3, "Bob <bob@elsewhere.example>", "Thanks!", "Thank you for the help yesterday.")).await.unwrap();
    assert_eq!(app.store.draft(outside).await.unwrap().state, DraftState::Pending);

    // A colleague's thanks that also raises a legal matter is high risk: it waits, whatever the rule says.
    let legal = ingest(&app, &mail(4, "Ann <ann@northwind.example>", "Thanks", "Thanks for the help! Our attorney says the contract breach needs a look."))
        .await
        .unwrap();
    let d = app.store.draft(legal).await.unwrap();
    assert_eq!(d.state, DraftState::Pending);
    assert_eq!(d.assessment.level.as_str(), "high");

    // policy check explains the decision without storing anything.
    let msg = autoemail_core::parse_message(&mail(5, "Ann <ann@northwind.example>", "Thanks!", "Thank you so much.")).unwrap();
    let x = app.explain_route(&msg, None).await.unwrap();
    assert_eq!(x.rules.len(), 2);
    assert!(!x.rules[0].matched && x.rules[1].matched, "{:?}", x.rules);
    assert!(matches!(x.route, autoemail_core::policy::Route::AutoSend { hold_seconds: 0, .. }));
    assert_eq!(app.store.message_stats(None).await.unwrap().messages, 4, "policy check stores nothing");
}

#[tokio::test]
async fn autonomy_is_earned_accepted_and_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let app = open(tmp.path()).await;
    let key = "thank_you/unknown";

    // Shadow mode: routine thank-you replies to new senders wait, marked "would have sent".
    let mut proposal = None;
    for n in 0..20 {
        let id = ingest(&app, &mail(100 + n, &format!("P{n} <p{n}@customers.example>"), "Thank you", "Thanks a lot for the quick delivery.")).await.unwrap();
        let d = app.store.draft(id).await.unwrap();
        assert_eq!(d.state, DraftState::Pending);
        assert_eq!(d.autonomy_key, key);
        assert!(d.shadow_auto_send, "a routine draft in shadow mode is marked would-have-sent");
        let approved = app.approve(id, "tester", None).await.unwrap();
        if n < 19 {
            assert!(approved.autonomy.is_none(), "proposed too early, after {} approvals", n + 1);
        } else {
            proposal = approved.autonomy;
        }
    }
    let proposal = proposal.expect("20 clean approvals propose the category");
    assert_eq!(proposal.to, State::Proposed);
    let report = app.autonomy_report().await.unwrap();
    let row = report.iter().find(|r| r.key == key).unwrap();
    assert_eq!((row.state, row.reviewed, row.approved_unchanged, row.streak, row.shadow_would_send), (State::Proposed, 20, 20, 20, 20));

    // Still nothing auto-sends until the person accepts.
    let waiting = ingest(&app, &mail(200, "Q <q@customers.example>", "Thank you", "Thanks for the quick delivery.")).await.unwrap();
    assert_eq!(app.store.draft(waiting).await.unwrap().state, DraftState::Pending);
    app.accept_autonomy(key, "tester").await.unwrap();
    assert_eq!(app.autonomy_state(key).await.unwrap(), State::Promoted);

    // Promoted: the next routine reply of this kind goes out on its own (after the policy's hold).
    let auto = ingest(&app, &mail(201, "R <r@customers.example>", "Thank you", "Thanks for the quick delivery.")).await.unwrap();
    let d = app.store.draft(auto).await.unwrap();
    assert_eq!(d.state, DraftState::Approved, "{:?}", d.reasons());
    assert!(d.reasons()[0].contains("earned auto-send"), "{:?}", d.reasons());

    // Taking it back during the hold is a verdict against it: demoted, and said so.
    app.undo(auto, "tester").await.unwrap();
    assert_eq!(app.autonomy_state(key).await.unwrap(), State::Shadow);
    let log = app.store.audit_log(AuditFilter::default()).await.unwrap();
    let demoted = log.iter().find(|r| r.action == "autonomy_demoted").expect("demotion is audited");
    assert!(demoted.reason.contains(&format!("draft #{auto} was rejected")), "{}", demoted.reason);
    for action in ["autonomy_proposed", "autonomy_promoted"] {
        assert!(log.iter().any(|r| r.action == action), "{action} missing from the audit log");
    }

    // After demotion the kind waits again.
    let again = ingest(&app, &mail(202, "S <s@customers.example>", "Thank you", "Thanks for the quick delivery.")).await.unwrap();
    assert_eq!(app.store.draft(again).await.unwrap().state, DraftState::Pending);

    // Accepting something not proposed is refused with a clear message.
    let err = app.accept_autonomy(key, "tester").await.unwrap_err();
    assert!(err.to_string().contains("not proposed"), "{err}");
}
