//! What every Store must do, run against both implementations: SQLite always,
//! PostgreSQL when AUTOEMAIL_TEST_POSTGRES_URL names a server (CI sets it;
//! elsewhere the PostgreSQL half skips with a loud message). Each PostgreSQL
//! run gets a database of its own, dropped afterwards.

use std::sync::Arc;

use autoemail_core::audit::AuditEvent;
use autoemail_core::autonomy::{Outcome, State, Verdict};
use autoemail_core::draft::Draft;
use autoemail_core::message::parse_message;
use autoemail_core::policy::Route;
use autoemail_core::review::DraftState;
use autoemail_core::risk::{Assessment, RiskLevel};
use autoemail_core::triage::{TriageContext, triage};
use autoemail_store::*;

fn raw(n: usize, from: &str, subject: &str, in_reply_to: Option<&str>) -> Vec<u8> {
    let reply = in_reply_to.map(|r| format!("In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n")).unwrap_or_default();
    format!(
        "From: Sender {n} <{from}>\r\nTo: sam@northwind.example\r\nSubject: {subject}\r\nMessage-ID: <m{n}@example.com>\r\n{reply}\
Date: Mon, 23 Nov 2026 10:{:02}:00 +0000\r\n\r\nCould you send me the report by Friday?\r\n",
        n % 60
    )
    .into_bytes()
}

async fn insert(store: &dyn Store, account: &str, n: usize, from: &str, thread: &str) -> i64 {
    let bytes = raw(n, from, "Report", None);
    let msg = parse_message(&bytes).unwrap();
    let t = triage(&msg, &TriageContext::new(["sam@northwind.example"]));
    store
        .insert_message(NewMessage {
            account,
            mailbox: "INBOX",
            uid: Some(n as u32),
            uidvalidity: Some(7),
            raw: &bytes,
            parsed: &msg,
            thread_key: thread,
            triage: &t,
        })
        .await
        .unwrap()
        .id()
}

fn new_draft(message_row: i64, body: &str, level: RiskLevel, priority: u8) -> NewDraft {
    NewDraft {
        message_row,
        draft: Draft { body: body.into(), confidence: 0.8, drafter: "offline".into(), model: "templates".into(), ..Default::default() },
        assessment: Assessment { level, signals: vec![] },
        route: Route::Review { priority, reasons: vec!["policy: every reply waits".into()] },
        state: DraftState::Pending,
        autonomy_key: "question/known".into(),
        shadow_auto_send: false,
        instruction: None,
    }
}

fn outbox_entry(n: usize, original_row: i64, not_before: i64) -> NewOutboxEntry {
    NewOutboxEntry {
        account: "a".into(),
        rfc_message_id: format!("reply-{n}@northwind.example"),
        raw: format!("Message-ID: <reply-{n}@northwind.example>\r\n\r\nhi\r\n").into_bytes(),
        envelope_from: "sam@northwind.example".into(),
        recipients: vec!["x@example.com".into()],
        not_before,
        original_row,
    }
}

fn ev(action: &str) -> AuditEvent {
    AuditEvent::person("tester", action, format!("test {action}"))
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn messages_and_threads(store: &dyn Store) {
    let a = insert(store, "a", 1, "ann@example.com", "t1").await;
    let again = parse_message(&raw(1, "ann@example.com", "Report", None)).unwrap();
    let t = triage(&again, &TriageContext::new(["sam@northwind.example"]));
    let dup = store
        .insert_message(NewMessage {
            account: "a",
            mailbox: "Archive",
            uid: Some(99),
            uidvalidity: Some(7),
            raw: &raw(1, "ann@example.com", "Report", None),
            parsed: &again,
            thread_key: "t1",
            triage: &t,
        })
        .await
        .unwrap();
    assert_eq!(dup, Inserted::Duplicate(a), "the same message is stored once");
    assert_eq!(store.message(a).await.unwrap().mailbox, "Archive", "a moved message keeps its row under the new UID");
    // The same message in another account is another row.
    let other = insert(store, "b", 1, "ann@example.com", "t1").await;
    assert_ne!(other, a);

    let b = insert(store, "a", 2, "bob@example.com", "t1").await;
    assert_eq!(store.thread_key_of("a", &["nope@x", "m2@example.com"]).await.unwrap().as_deref(), Some("t1"));
    let (thread, others) = store.thread_tail("a", "t1", i64::MAX, 10).await.unwrap();
    assert_eq!((thread.iter().map(|m| m.id).collect::<Vec<_>>(), others), (vec![a, b], 2));
    assert!(store.known_correspondent("a", "ann@example.com", b).await.unwrap());
    assert!(!store.known_correspondent("a", "bob@example.com", b).await.unwrap());
    assert_eq!(store.message_by_uid("a", "INBOX", 2).await.unwrap().map(|m| m.id), Some(b));
    assert_eq!(store.message_by_message_id("a", "m2@example.com").await.unwrap().map(|m| m.id), Some(b));
    let m = store.message(b).await.unwrap();
    assert!(m.needs_reply && !m.answered);
    assert_eq!(m.raw, raw(2, "bob@example.com", "Report", None), "raw bytes are kept exactly");
    assert!(store.messages_needing_draft("a").await.unwrap().contains(&b));
    store.set_no_draft(b, "rule: newsletters").await.unwrap();
    assert!(!store.messages_needing_draft("a").await.unwrap().contains(&b));
    store.mark_answered(a).await.unwrap();
    assert!(store.message(a).await.unwrap().answered);
    let one = |account: &str| vec![account.to_string()];
    assert_eq!(store.answered_counts_of(&one("a")).await.unwrap()["a"].get("ann@example.com"), Some(&1));
    store.mark_answered(other).await.unwrap();
    let many = store.answered_counts_of(&["a".to_string(), "b".to_string(), "nobody".to_string()]).await.unwrap();
    assert_eq!(many.get("a"), store.answered_counts_of(&one("a")).await.unwrap().get("a"), "the same counts as asked one account at a time");
    assert_eq!(many.get("b"), store.answered_counts_of(&one("b")).await.unwrap().get("b"));
    assert_eq!((many["a"]["ann@example.com"], many["b"]["ann@example.com"]), (1, 1), "each account counts its own answers");
    assert!(!many.contains_key("nobody"));
    assert!(!store.answered_counts_of(&["b".to_string()]).await.unwrap().contains_key("a"), "only the accounts asked for");
    let stats = store.message_stats(None).await.unwrap();
    assert_eq!(stats.messages, 3);
    assert_eq!(stats.needs_reply, 3);
    assert_eq!(store.recent_from("a", "ann@example.com", "other-thread", 5).await.unwrap().len(), 1);
    assert!(store.message(123_456).await.is_err());
}

async fn drafts_review_and_outbox(store: &dyn Store) {
    let m1 = insert(store, "a", 10, "ann@example.com", "t10").await;
    let m2 = insert(store, "a", 11, "cy@example.com", "t11").await;
    let low = store.insert_draft(new_draft(m1, "v1", RiskLevel::Routine, 10)).await.unwrap();
    let v2 = store.insert_draft(new_draft(m1, "v2", RiskLevel::Routine, 10)).await.unwrap();
    assert_eq!(store.draft(low).await.unwrap().state, DraftState::Obsolete, "a newer version supersedes the pending one");
    assert_eq!(store.draft(v2).await.unwrap().version, 2);
    let high = store.insert_draft(new_draft(m2, "urgent", RiskLevel::High, 90)).await.unwrap();
    let elsewhere = insert(store, "b", 12, "dee@example.com", "t12").await;
    let other = store.insert_draft(new_draft(elsewhere, "another account's", RiskLevel::High, 99)).await.unwrap();
    let queue = store.queue(Some("a")).await.unwrap();
    assert_eq!(queue.iter().map(|q| q.draft.id).collect::<Vec<_>>(), vec![high, v2], "most urgent first, this account's only");
    assert_eq!(queue[0].account, "a");
    let everyone = store.queue(None).await.unwrap();
    assert_eq!(everyone.iter().map(|q| q.draft.id).collect::<Vec<_>>(), vec![other, high, v2], "the whole store");
    assert_eq!(everyone[0].account, "b");
    // The review list's narrow rows: the same drafts in the same order, with what it shows.
    let entries = store.queue_entries(None).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.draft_id).collect::<Vec<_>>(), vec![other, high, v2]);
    for (e, q) in entries.iter().zip(&everyone) {
        assert_eq!(
            (e.message_row, e.state, &e.body, e.level, e.priority),
            (q.draft.message_row, q.draft.state, &q.draft.body, q.draft.assessment.level, q.draft.priority)
        );
        assert_eq!((&e.reasons, &e.autonomy_key, e.snoozed_until), (&q.draft.reasons(), &q.draft.autonomy_key, q.draft.snoozed_until));
        assert_eq!(
            (&e.account, &e.from_email, &e.from_name, &e.subject, e.date, e.received_at),
            (&q.account, &q.from_email, &q.from_name, &q.subject, q.date, q.received_at)
        );
    }
    assert_eq!(entries[1].level, RiskLevel::High);
    assert_eq!(store.queue_entries(Some("a")).await.unwrap().iter().map(|e| e.draft_id).collect::<Vec<_>>(), vec![high, v2], "this account's only");
    store.transition(other, DraftState::Pending, DraftState::Rejected, Some("test"), ev("rejected")).await.unwrap();
    assert_eq!(store.drafts_for_message(m1).await.unwrap().len(), 2);

    // Approval is all or nothing, and only once.
    let t = now();
    let ob = store.approve(v2, "edited v2", outbox_entry(1, m1, t - 1), ev("approved").message(m1)).await.unwrap();
    assert_eq!(store.draft(v2).await.unwrap().body, "edited v2");
    assert!(matches!(store.approve(v2, "x", outbox_entry(2, m1, t), ev("approved").message(m1)).await, Err(StoreError::Conflict(_))));
    assert!(matches!(
        store.transition(v2, DraftState::Pending, DraftState::Rejected, Some("no"), ev("rejected").message(m1)).await,
        Err(StoreError::Conflict(_))
    ));

    // Undo while queued, approve again, claim, send, file.
    store.cancel_queued(v2, ev("undone").message(m1)).await.unwrap();
    assert_eq!(store.draft(v2).await.unwrap().state, DraftState::Pending);
    let ob = {
        let _ = ob;
        store.approve(v2, "edited v2", outbox_entry(3, m1, t - 1), ev("approved").message(m1)).await.unwrap()
    };
    let both = ["a".to_string(), "b".to_string()];
    let work = async |at: i64| store.accounts_with_outbox_work(&both, at).await.unwrap();
    assert!(work(t - 100).await.is_empty(), "a reply in its hold is no work yet");
    assert_eq!(work(t).await, vec!["a".to_string()], "a due reply is work for its account only");
    assert!(store.accounts_with_outbox_work(&["b".to_string()], t).await.unwrap().is_empty());
    assert!(store.claim_due("a", t - 100, "w1").await.unwrap().is_none(), "not due before its hold ends");
    assert!(store.claim_due("b", t, "w1").await.unwrap().is_none(), "another account's sender never takes this reply");
    let claimed = store.claim_due("a", t, "w1").await.unwrap().expect("due");
    assert_eq!(work(t - 100).await, vec!["a".to_string()], "a reply being sent is work (settled if its process died)");
    assert_eq!(store.account_outbox_by_state("a", OutboxState::Sending).await.unwrap().len(), 1);
    assert!(store.account_outbox_by_state("b", OutboxState::Sending).await.unwrap().is_empty(), "only the account's own");
    assert_eq!((claimed.id, claimed.state, claimed.attempts, claimed.claimed_by.as_deref()), (ob, OutboxState::Sending, 1, Some("w1")));
    assert!(store.claim_due("a", t, "w2").await.unwrap().is_none(), "a claimed reply is not claimed again");
    assert!(store.cancel_queued(v2, ev("undone").message(m1)).await.is_err(), "too late to undo once sending");
    store.mark_retry(ob, "421 try later", t, ev("retry").message(m1)).await.unwrap();
    let again = store.claim_due("a", t, "w2").await.unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    let before = store.sent_fingerprint("a").await.unwrap();
    store.mark_sent(ob, ev("sent").message(m1)).await.unwrap();
    assert_ne!(store.sent_fingerprint("a").await.unwrap(), before, "sending changes the sent fingerprint");
    assert_eq!(store.sent_fingerprint("a").await.unwrap().0, 1);
    assert!(store.mark_sent(ob, ev("sent").message(m1)).await.is_err(), "sent once");
    assert_eq!(store.draft(v2).await.unwrap().state, DraftState::Sent);
    assert_eq!(store.sent_since("a", t - 10).await.unwrap(), 1);
    assert_eq!(work(t - 100).await, vec!["a".to_string()], "a sent reply is work until it is filed");
    assert_eq!(store.account_outbox_by_state("a", OutboxState::Sent).await.unwrap().len(), 1);
    store.mark_filed(ob, ev("filed").message(m1)).await.unwrap();
    assert!(work(t + 100).await.is_empty(), "nothing left once filed");
    assert!(store.message(m1).await.unwrap().answered);
    assert_eq!(store.outbox_by_state(OutboxState::Filed).await.unwrap().len(), 1);
    assert_eq!(store.sent_replies("a", 10).await.unwrap().len(), 1);
    assert!(store.known_correspondent("a", "x@example.com", i64::MAX).await.unwrap(), "written to by the person");

    // Failure hands the draft back; requeue after a crash.
    let m3 = insert(store, "a", 12, "di@example.com", "t12").await;
    let d3 = store.insert_draft(new_draft(m3, "d3", RiskLevel::Review, 50)).await.unwrap();
    let o3 = store.approve(d3, "d3", outbox_entry(4, m3, t - 1), ev("approved")).await.unwrap();
    store.claim_due("a", t, "w1").await.unwrap().unwrap();
    store.requeue_sending(o3, ev("requeued")).await.unwrap();
    assert_eq!(store.outbox_item(o3).await.unwrap().state, OutboxState::Queued);
    store.claim_due("a", t + 1, "w1").await.unwrap().unwrap();
    store.mark_failed(o3, "550 no such user", ev("failed")).await.unwrap();
    let failed = store.draft(d3).await.unwrap();
    assert_eq!(failed.state, DraftState::Failed);
    assert!(failed.reject_reason.unwrap().contains("550"));

    // Snooze, pause, audit search, facts.
    store.snooze(high, Some(t + 3600), ev("snoozed")).await.unwrap();
    assert_eq!(store.draft(high).await.unwrap().snoozed_until, Some(t + 3600));
    assert!(store.snooze(v2, None, ev("snoozed")).await.is_err(), "only waiting drafts snooze");
    store.set_paused("a", Some("holiday"), ev("paused")).await.unwrap();
    assert_eq!(store.paused("a").await.unwrap().map(|p| p.0), Some("holiday".to_string()));
    let ab = ["a".to_string(), "b".to_string()];
    let paused = store.paused_of(&ab).await.unwrap();
    assert!(store.paused_of(&ab[1..]).await.unwrap().is_empty(), "only the accounts asked for");
    assert_eq!((paused.len(), paused.get("a")), (1, store.paused("a").await.unwrap().as_ref()), "only the paused account, as asked alone");
    store.set_paused("a", None, ev("resumed")).await.unwrap();
    assert!(store.paused("a").await.unwrap().is_none());
    assert!(store.paused_of(&ab).await.unwrap().is_empty());
    let undone = store.audit_log(AuditFilter { text: Some("UNDONE".into()), ..Default::default() }).await.unwrap();
    assert_eq!(undone.len(), 1, "search ignores case");
    assert_eq!(store.audit_log(AuditFilter { message_row: Some(m1), ..Default::default() }).await.unwrap().len(), 6);
    let facts_of = async |accounts: &[String], since: i64| store.draft_facts_of(accounts, since).await.unwrap();
    let facts = facts_of(&ab[..1], 0).await.remove("a").unwrap();
    assert_eq!(facts.len(), 4);
    assert_eq!(facts.iter().find(|f| f.id == v2).unwrap().outbox_state, Some(OutboxState::Filed));
    assert!(facts.iter().all(|f| !f.auto_approved));
    // A reply the policy let through is told apart from one a person approved.
    store.audit(AuditEvent::system("approved", "policy: routine reply 50% sent").draft(d3)).await.unwrap();
    let facts = facts_of(&ab[..1], 0).await.remove("a").unwrap();
    assert_eq!(facts.iter().filter(|f| f.auto_approved).map(|f| f.id).collect::<Vec<_>>(), vec![d3]);
    // Several accounts in one query, each with its own drafts only.
    let mb = insert(store, "b", 13, "bo@example.com", "t13").await;
    let db = store.insert_draft(new_draft(mb, "b's draft", RiskLevel::Review, 50)).await.unwrap();
    let both = facts_of(&[ab.to_vec(), vec!["nobody".into()]].concat(), 0).await;
    let ids = |f: &[autoemail_store::DraftFacts]| f.iter().map(|f| f.id).collect::<Vec<_>>();
    assert_eq!(ids(&both["a"]), ids(&facts), "the same drafts as asked alone");
    assert!(!facts_of(&ab[1..], 0).await.contains_key("a"), "only the accounts asked for");
    let b_alone = facts_of(&ab[1..], 0).await.remove("b").unwrap();
    assert_eq!((ids(&both["b"]), both.len()), (ids(&b_alone), 2), "b's own drafts as asked alone; nobody is absent");
    assert!(ids(&b_alone).contains(&db) && !ids(&facts).contains(&db));
    assert_eq!(b_alone.iter().find(|f| f.id == db).unwrap().words, 2);
    assert!(facts_of(&ab, i64::MAX).await.is_empty(), "none made since then");
    // The search text is plain text, not a pattern.
    assert_eq!(store.audit_log(AuditFilter { text: Some("50% SENT".into()), ..Default::default() }).await.unwrap().len(), 1);
    assert!(store.audit_log(AuditFilter { text: Some("%".into()), ..Default::default() }).await.unwrap().len() == 1, "% is a character here");
    assert!(store.audit_log(AuditFilter { text: Some("_".into()), ..Default::default() }).await.unwrap().is_empty(), "_ is a character here");
    assert_eq!(store.drafts_with_usage().await.unwrap().len(), 0);
    let mut used = new_draft(m3, "with usage", RiskLevel::Review, 50);
    used.draft.usage = Some(autoemail_core::draft::Usage { latency_ms: 1234, ..Default::default() });
    let with_usage = store.insert_draft(used).await.unwrap();
    let listed = store.drafts_with_usage().await.unwrap();
    assert_eq!((listed.len(), listed[0].id, listed[0].usage.as_ref().map(|u| u.latency_ms)), (1, with_usage, Some(1234)));
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

async fn autonomy_and_sync(store: &dyn Store) {
    let m = insert(store, "a", 20, "ann@example.com", "t20").await;
    let d = store.insert_draft(new_draft(m, "x", RiskLevel::Routine, 10)).await.unwrap();
    store.set_autonomy_state("a", "question/known", State::Proposed, "20 clean", ev("autonomy_proposed")).await.unwrap();
    store.set_autonomy_state("a", "question/known", State::Promoted, "accepted", ev("autonomy_accepted")).await.unwrap();
    let states = store.autonomy_states("a").await.unwrap();
    assert_eq!((states.len(), states[0].state), (1, State::Promoted));
    store.set_autonomy_state("b", "thanks/known", State::Proposed, "20 clean", ev("autonomy_proposed")).await.unwrap();
    let ab = ["a".to_string(), "b".to_string(), "nobody".to_string()];
    let of = store.autonomy_states_of(&ab).await.unwrap();
    let keys = |r: &[autoemail_store::AutonomyRecord]| r.iter().map(|r| (r.key.clone(), r.state)).collect::<Vec<_>>();
    assert_eq!(keys(&of["a"]), keys(&states), "the same states as asked alone");
    assert_eq!((keys(&of["b"]), of.len()), (vec![("thanks/known".to_string(), State::Proposed)], 2));
    assert!(!store.autonomy_states_of(&ab[1..]).await.unwrap().contains_key("a"), "only the accounts asked for");
    let outcome = StoredOutcome {
        key: "question/known".into(),
        outcome: Outcome { draft_id: d, verdict: Verdict::Edited, change: 0.25, high_risk: true },
        shadow_auto_send: true,
        at: 100,
    };
    store.record_outcome("a", &outcome).await.unwrap();
    store.record_outcome("a", &StoredOutcome { at: 200, ..outcome.clone() }).await.unwrap();
    let got = store.outcomes("a", Some("question/known"), 0).await.unwrap();
    assert_eq!(got.len(), 1, "the first record of a draft stands");
    assert_eq!(
        (got[0].outcome.verdict, got[0].outcome.change, got[0].outcome.high_risk, got[0].shadow_auto_send, got[0].at),
        (Verdict::Edited, 0.25, true, true, 100)
    );
    assert!(store.outcomes("a", Some("other/key"), 0).await.unwrap().is_empty());
    assert_eq!(store.outcomes("a", None, 101).await.unwrap().len(), 0);
    let mb = insert(store, "b", 21, "bo@example.com", "t21").await;
    let db = store.insert_draft(new_draft(mb, "y", RiskLevel::Routine, 10)).await.unwrap();
    let b_outcome = Outcome { draft_id: db, ..outcome.outcome.clone() };
    store.record_outcome("b", &StoredOutcome { key: "thanks/known".into(), outcome: b_outcome, at: 150, ..outcome.clone() }).await.unwrap();
    let of = store.outcomes_of(&ab, 0).await.unwrap();
    let seen = |o: &[StoredOutcome]| o.iter().map(|o| (o.key.clone(), o.outcome.draft_id, o.at)).collect::<Vec<_>>();
    assert_eq!(seen(&of["a"]), seen(&got), "the same outcomes as asked alone");
    assert_eq!((seen(&of["b"]), of.len()), (vec![("thanks/known".to_string(), db, 150)], 2), "each account's own");
    assert!(!store.outcomes_of(&ab[1..], 0).await.unwrap().contains_key("a"), "only the accounts asked for");
    let later = store.outcomes_of(&ab, 101).await.unwrap();
    assert_eq!((later.len(), later["b"].len()), (1, 1), "since counts: a's outcome at 100 is older");

    assert!(store.sync_state("a", "INBOX").await.unwrap().is_none());
    store.set_sync_state("a", "INBOX", SyncState { uidvalidity: u32::MAX, last_uid: 42 }).await.unwrap();
    store.set_sync_state("a", "INBOX", SyncState { uidvalidity: u32::MAX, last_uid: 43 }).await.unwrap();
    assert_eq!(store.sync_state("a", "INBOX").await.unwrap(), Some(SyncState { uidvalidity: u32::MAX, last_uid: 43 }));
    store.set_modseq("a", "INBOX", 1 << 40).await.unwrap();
    assert_eq!(store.modseq("a", "INBOX").await.unwrap(), Some(1 << 40));
    assert_eq!(store.pending_in_mailbox("a", "INBOX", 10).await.unwrap(), vec![(d, m, 20)]);
}

/// Many claimers at once: every due reply is claimed exactly once.
async fn concurrent_claims(store: Arc<dyn Store>) {
    let t = now();
    let mut drafts = Vec::new();
    for n in 0..40 {
        let m = insert(store.as_ref(), "a", 100 + n, &format!("p{n}@example.com"), &format!("t{}", 100 + n)).await;
        let d = store.insert_draft(new_draft(m, "ok", RiskLevel::Routine, 10)).await.unwrap();
        store.approve(d, "ok", outbox_entry(100 + n, m, t - 1), ev("approved")).await.unwrap();
        drafts.push(d);
    }
    let mut tasks = Vec::new();
    for w in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                match store.claim_due("a", t, &format!("w{w}")).await {
                    Ok(Some(item)) => mine.push(item.id),
                    Ok(None) => break,
                    Err(e) if e.is_transient() => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
                    Err(e) => panic!("{e}"),
                }
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let unique = {
        let mut u = all.clone();
        u.dedup();
        u
    };
    assert_eq!(all.len(), 40, "every reply claimed");
    assert_eq!(unique.len(), 40, "no reply claimed twice");
}

/// Leases: an account is synced by one worker at a time, and a worker that
/// dies gives it up when its lease runs out; a message gets one first draft.
async fn leases_and_draft_jobs(store: Arc<dyn Store>) {
    let t = now();
    let accounts: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
    for a in &accounts {
        store.register_account(a).await.unwrap();
        store.register_account(a).await.unwrap();
    }
    let first = store.claim_account(&accounts, "w1", t, 60, 0).await.unwrap().unwrap();
    let second = store.claim_account(&accounts, "w2", t, 60, 0).await.unwrap().unwrap();
    assert_ne!(first, second);
    assert!(store.claim_account(&accounts, "w3", t, 60, 0).await.unwrap().is_none(), "both are held");
    // w1 dies: after its lease, w3 takes its account; w2 gives its own back, due later.
    assert_eq!(store.claim_account(&accounts, "w3", t + 61, 60, 0).await.unwrap(), Some(first.clone()));
    store.release_account(&second, "w1", t).await.unwrap();
    assert!(store.claim_account(&accounts, "w4", t + 1, 60, 0).await.unwrap().is_none(), "only the holder releases");
    store.release_account(&second, "w2", t + 30).await.unwrap();
    assert!(store.claim_account(&accounts, "w4", t + 1, 60, 0).await.unwrap().is_none(), "not due before next_sync_at");
    assert_eq!(store.claim_account(&accounts, "w4", t + 30, 60, 0).await.unwrap(), Some(second.clone()));
    // The worker that synced an account last keeps it (and its IMAP session) unless it is late.
    store.release_account(&second, "w4", t + 40).await.unwrap();
    assert!(store.claim_account(&accounts, "w5", t + 44, 60, 5).await.unwrap().is_none(), "left to w4 while less than 5 s overdue");
    assert_eq!(store.claim_account(&accounts, "w4", t + 40, 60, 5).await.unwrap(), Some(second.clone()), "w4 takes its own at once");
    store.release_account(&second, "w4", t + 50).await.unwrap();
    assert_eq!(store.claim_account(&accounts, "w5", t + 55, 60, 5).await.unwrap(), Some(second.clone()), "5 s overdue: another worker takes it");
    store.release_account(&second, "w5", t + 60).await.unwrap();
    assert!(store.claim_account(&accounts, "w4", t + 60, 60, 5).await.unwrap().is_none(), "now w5's");
    assert!(store.claim_account(&["c".to_string()], "w4", t, 60, 0).await.unwrap().is_none(), "unknown accounts are not claimed");

    let m1 = insert(store.as_ref(), "a", 300, "p@example.com", "t300").await;
    let m2 = insert(store.as_ref(), "b", 301, "q@example.com", "t301").await;
    let j1 = store.claim_draft_job(&accounts, "w1", t, 120).await.unwrap().unwrap();
    let j2 = store.claim_draft_job(&accounts, "w2", t, 120).await.unwrap().unwrap();
    assert_eq!([j1.1, j2.1], [m1, m2]);
    assert_eq!(j2.0, "b");
    assert!(store.claim_draft_job(&accounts, "w3", t, 120).await.unwrap().is_none(), "both are claimed");
    let d = store.insert_first_draft_audited(new_draft(m1, "one", RiskLevel::Routine, 10), vec![ev("drafted")]).await.unwrap();
    assert!(d.is_some());
    // w1's lease on m1 runs out but the draft exists: nobody drafts it again.
    assert!(store.claim_draft_job(&accounts, "w3", t + 121, 120).await.unwrap().is_some_and(|j| j.1 == m2), "only the undrafted one comes back");
    assert!(store.insert_first_draft_audited(new_draft(m1, "two", RiskLevel::Routine, 10), vec![]).await.unwrap().is_none(), "a second first draft is refused");
    assert_eq!(store.drafts_for_message(m1).await.unwrap().len(), 1);
    // Many writers racing for one message's first draft: exactly one wins.
    let m3 = insert(store.as_ref(), "a", 302, "r@example.com", "t302").await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                match store.insert_first_draft_audited(new_draft(m3, "race", RiskLevel::Routine, 10), vec![]).await {
                    Ok(r) => return r.is_some(),
                    Err(e) if e.is_transient() => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    assert_eq!(store.drafts_for_message(m3).await.unwrap().len(), 1);
}

/// A sync batch: its messages and their audit entries in one transaction, a
/// duplicate inside the batch stored once; first drafts in one transaction,
/// a message that has its draft already skipped, answers in the given order.
async fn batches(store: &dyn Store) {
    let raws: Vec<Vec<u8>> = [400, 401, 400, 402].iter().map(|&n| raw(n, "ann@example.com", "Report", None)).collect();
    let parsed: Vec<_> = raws.iter().map(|r| parse_message(r).unwrap()).collect();
    let triaged: Vec<_> = parsed.iter().map(|m| triage(m, &TriageContext::new(["sam@northwind.example"]))).collect();
    let batch = (0..raws.len())
        .map(|i| {
            let new = NewMessage {
                account: "a",
                mailbox: "INBOX",
                uid: Some(400 + i as u32),
                uidvalidity: Some(7),
                raw: &raws[i],
                parsed: &parsed[i],
                thread_key: "t400",
                triage: &triaged[i],
            };
            (new, vec![ev("ingested")])
        })
        .collect();
    let inserted = store.insert_messages_audited(batch).await.unwrap();
    assert!(matches!(inserted[..], [Inserted::New(_), Inserted::New(_), Inserted::Duplicate(_), Inserted::New(_)]), "{inserted:?}");
    assert_eq!(inserted[2].id(), inserted[0].id(), "the copy inside the batch is the first one's row");
    assert_eq!(store.message(inserted[0].id()).await.unwrap().uid, Some(402), "the copy moved it to its own UID");
    let logged = store.audit_log(AuditFilter { text: Some("test ingested".into()), ..Default::default() }).await.unwrap();
    assert_eq!(logged.len(), 3, "a duplicate writes no entries");
    let [m1, m2, m3] = [inserted[0].id(), inserted[1].id(), inserted[3].id()];
    store.insert_draft(new_draft(m2, "earlier", RiskLevel::Routine, 10)).await.unwrap();
    let ids = store
        .insert_first_drafts_audited(vec![
            (new_draft(m3, "three", RiskLevel::Routine, 10), vec![ev("drafted")]),
            (new_draft(m2, "two", RiskLevel::Routine, 10), vec![ev("drafted")]),
            (new_draft(m1, "one", RiskLevel::Review, 50), vec![ev("drafted")]),
        ])
        .await
        .unwrap();
    assert!(ids[0].is_some() && ids[1].is_none() && ids[2].is_some(), "{ids:?}");
    assert_eq!(store.draft(ids[0].unwrap()).await.unwrap().body, "three");
    assert_eq!(store.draft(ids[2].unwrap()).await.unwrap().message_row, m1);
    assert_eq!(store.drafts_for_message(m2).await.unwrap().len(), 1, "the message that had a draft keeps only it");
    let drafted = store.audit_log(AuditFilter { text: Some("test drafted".into()), ..Default::default() }).await.unwrap();
    assert_eq!(drafted.len(), 2);
}

/// A thread's tail: its latest messages but one, oldest first, and how many there are.
async fn thread_tails(store: &dyn Store) {
    let mut t = Vec::new();
    // Inserted out of order: the Date (minute = number) orders them, not the insertion.
    for n in [42, 40, 44, 41, 43] {
        t.push((n, insert(store, "a", n, "cara@example.com", "t9").await));
    }
    insert(store, "b", 45, "cara@example.com", "t9").await;
    t.sort();
    let t: Vec<i64> = t.into_iter().map(|(_, id)| id).collect();
    let ids = |tail: Vec<autoemail_store::StoredMessage>| tail.iter().map(|m| m.id).collect::<Vec<_>>();
    let (tail, total) = store.thread_tail("a", "t9", t[3], 2).await.unwrap();
    assert_eq!((ids(tail), total), (vec![t[2], t[4]], 4));
    let (tail, total) = store.thread_tail("a", "t9", i64::MAX, 10).await.unwrap();
    assert_eq!((ids(tail), total), (t.clone(), 5));
    assert_eq!(store.thread_tail("a", "none", i64::MAX, 10).await.unwrap().1, 0);

    // A sender's earlier message in another thread is found among their latest
    // messages, and no further back (one thread of theirs cannot make it read all).
    let earlier = insert(store, "a", 960, "dee@example.com", "old").await;
    for n in 961..961 + autoemail_store::RECENT_FROM_WINDOW as usize - 1 {
        insert(store, "a", n, "dee@example.com", "flood").await;
    }
    assert_eq!(ids(store.recent_from("a", "dee@example.com", "flood", 3).await.unwrap()), vec![earlier]);
    insert(store, "a", 2000, "dee@example.com", "flood").await;
    assert_eq!(ids(store.recent_from("a", "dee@example.com", "flood", 3).await.unwrap()), Vec::<i64>::new());
}

async fn whole_contract(make: impl AsyncFn() -> Arc<dyn Store>) {
    messages_and_threads(make().await.as_ref()).await;
    thread_tails(make().await.as_ref()).await;
    drafts_review_and_outbox(make().await.as_ref()).await;
    autonomy_and_sync(make().await.as_ref()).await;
    concurrent_claims(make().await).await;
    leases_and_draft_jobs(make().await).await;
    batches(make().await.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    whole_contract(async || -> Arc<dyn Store> {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join(format!("s{n}.sqlite"))).await.unwrap());
        store
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_keeps_the_contract() {
    let Some(admin_url) = std::env::var("AUTOEMAIL_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        if std::env::var("AUTOEMAIL_REQUIRE_PEERS").is_ok_and(|v| v == "1") {
            panic!("AUTOEMAIL_REQUIRE_PEERS=1 but AUTOEMAIL_TEST_POSTGRES_URL is not set");
        }
        eprintln!(
            "\n*** SKIPPED postgres_keeps_the_contract: set AUTOEMAIL_TEST_POSTGRES_URL=postgres://user@host/db (a role that may create databases) ***\n"
        );
        return;
    };
    let databases = std::sync::Mutex::new(Vec::new());
    whole_contract(async || -> Arc<dyn Store> {
        let (url, name) = fresh_database(&admin_url).await;
        databases.lock().unwrap().push(name);
        let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
        store
    })
    .await;
    let admin = PgStore::admin(&admin_url).await.unwrap();
    for name in databases.into_inner().unwrap() {
        let _ = PgStore::drop_database(&admin, &name).await;
    }
}

/// A new, empty database on the server, and its URL.
async fn fresh_database(admin_url: &str) -> (String, String) {
    let name = format!("autoemail_test_{}_{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    let admin = PgStore::admin(admin_url).await.unwrap();
    PgStore::create_database(&admin, &name).await.unwrap();
    (PgStore::database_url(admin_url, &name), name)
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
