//! The demo loop through the library: the sample inbox is triaged and drafted,
//! and review actions behave: approve sends once into the Maildir, a second
//! approval is refused, placeholders block approval, rejects need a reason,
//! undo within the hold sends nothing.

use autoemail::demo;
use autoemail_core::parse_message;
use autoemail_core::review::DraftState;

#[tokio::test]
async fn demo_inbox_review_and_send() {
    let tmp = tempfile::tempdir().unwrap();
    let (app, summary) = demo::prepare(tmp.path(), false).await.unwrap();
    assert!(summary.messages >= 25, "the sample inbox has at least 25 messages");
    assert_eq!(summary.new, summary.messages);
    assert!(summary.drafted >= 10 && summary.drafted < summary.messages, "drafted {}", summary.drafted);

    // Loading again stores nothing twice.
    let (_, again) = demo::prepare(tmp.path(), false).await.unwrap();
    assert_eq!(again.new, 0);

    let queue = app.store.queue(None).await.unwrap();
    let subjects: Vec<&str> = queue.iter().map(|q| q.subject.as_str()).collect();
    for never in [
        "CONGRATULATIONS!!! YOU HAVE BEEN SELECTED",
        "This week: 12 type trends for 2027",
        "Automatic reply: Invoice 2026-118",
        "Undelivered Mail Returned to Sender",
    ] {
        assert!(!subjects.contains(&never), "{never} should get no draft");
    }
    // Most urgent first.
    let priorities: Vec<u8> = queue.iter().map(|q| q.draft.priority).collect();
    assert!(priorities.windows(2).all(|w| w[0] >= w[1]), "queue not sorted by priority: {priorities:?}");
    let complaint = queue.iter().find(|q| q.subject.contains("damaged")).unwrap();
    assert_eq!(complaint.draft.assessment.level.as_str(), "high");

    // A placeholder blocks approval until the person fills it in.
    let quote = queue.iter().find(|q| q.subject.contains("Quote")).unwrap();
    let err = app.approve(quote.draft.id, "tester", None).await.unwrap_err();
    assert!(err.to_string().contains("placeholder"), "{err}");
    assert_eq!(app.draft_state(quote.draft.id).await.unwrap(), DraftState::Pending);

    // Approve a routine one: it is delivered once into the Maildir with threading headers.
    let thanks = queue.iter().find(|q| q.subject.contains("Thank you")).unwrap();
    let approved = app.approve(thanks.draft.id, "tester", None).await.unwrap();
    let sender = app.sender().unwrap();
    let report = app.deliver_due(sender.as_ref(), None).await.unwrap();
    assert_eq!((report.sent, report.filed), (1, 1));
    assert!(app.approve(thanks.draft.id, "tester", None).await.is_err(), "a second approval must be refused");
    assert_eq!(app.deliver_due(sender.as_ref(), None).await.unwrap().sent, 0, "nothing is sent twice");
    let files: Vec<_> = std::fs::read_dir(summary.outbox.join("new")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let sent = parse_message(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(sent.message_id.as_deref(), Some(approved.message_id.as_str()));
    assert_eq!(sent.subject, "Re: Thank you for the brochures!");
    assert_eq!(sent.to[0].email, "grace@okafor-law.example");
    assert_eq!(app.draft_state(thanks.draft.id).await.unwrap(), DraftState::Sent);

    // Edit then approve, with a hold: undo takes it back and nothing is sent.
    let mut config = app.config.clone();
    config.outbox.hold_seconds = 3600;
    let mut held = app.clone();
    held.config = config;
    let lunch = queue.iter().find(|q| q.subject.contains("Lunch")).unwrap();
    held.approve(lunch.draft.id, "tester", Some("Hi Ben,\n\nFriday works, see you at noon.\n\nSam".into())).await.unwrap();
    assert_eq!(held.deliver_due(sender.as_ref(), None).await.unwrap().sent, 0, "held replies wait");
    held.undo(lunch.draft.id, "tester").await.unwrap();
    assert_eq!(app.draft_state(lunch.draft.id).await.unwrap(), DraftState::Pending);

    // Rejecting needs a reason and is final.
    let nda = queue.iter().find(|q| q.subject.contains("NDA")).unwrap();
    assert!(app.reject(nda.draft.id, "tester", " ").await.is_err());
    app.reject(nda.draft.id, "tester", "legal will answer").await.unwrap();
    assert!(app.approve(nda.draft.id, "tester", Some("ok".into())).await.is_err());

    // Every action is in the audit log.
    let log = app.store.audit_log(Default::default()).await.unwrap();
    for action in ["ingested", "triaged", "drafted", "routed", "approved", "sent", "filed", "edit_approved", "undone", "rejected"] {
        assert!(log.iter().any(|r| r.action == action), "no {action} in the audit log");
    }
    assert_eq!(std::fs::read_dir(summary.outbox.join("new")).unwrap().count(), 1, "exactly one reply went out");
}
