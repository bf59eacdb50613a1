//! A sync batch through the application layer (SQLite, offline drafter): the
//! messages of a batch share one transaction, their drafts another, and the
//! outcome matches ingesting them one by one: a reply fetched with its
//! original joins its thread, a reply the person sent in the same batch takes
//! its original's new draft out of the queue, a copy is stored once and an empty
//! message is skipped with its reason, in place.

use autoemail::pipeline::{IngestOutcome, Source};
use autoemail::{App, Config};
use autoemail_core::review::DraftState;
use autoemail_store::AuditFilter;

const CONFIG: &str = "[account]\naddress = \"sam@northwind.example\"\ndisplay_name = \"Sam Carter\"\n\n[store]\npath = \"test.sqlite\"\n";

fn mail(id: &str, from: &str, to: &str, subject: &str, in_reply_to: Option<&str>, body: &str) -> Vec<u8> {
    let reply = in_reply_to.map(|r| format!("In-Reply-To: <{r}>\r\nReferences: <{r}>\r\n")).unwrap_or_default();
    format!("From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{reply}Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n{body}\r\n")
        .into_bytes()
}

#[tokio::test]
async fn a_batch_ingests_like_one_message_at_a_time() {
    let tmp = tempfile::tempdir().unwrap();
    autoemail::config::write_private(&tmp.path().join("config.toml"), CONFIG).unwrap();
    let app = App::open(Config::load(&tmp.path().join("config.toml")).unwrap()).await.unwrap();

    let sam = "Sam Carter <sam@northwind.example>";
    let raws = [
        // q1 answers mail this store never saw; q2 names only q1, yet belongs to q1's thread.
        mail("q1@x.example", "Dana <dana@x.example>", sam, "Re: Delivery slot", Some("earlier@x.example"), "Could you tell me which delivery slot suits you?"),
        mail("q2@x.example", "Dana <dana@x.example>", sam, "Re: Delivery slot", Some("q1@x.example"), "Also, could you confirm the address?"),
        mail("a1@northwind.example", sam, "Dana <dana@x.example>", "Re: Delivery slot", Some("q1@x.example"), "Thursday morning works."),
        mail("q3@y.example", "Lee <lee@y.example>", sam, "Catalogue", None, "Could you send me the catalogue?"),
        b"  \r\n".to_vec(),
        mail("q3@y.example", "Lee <lee@y.example>", sam, "Catalogue", None, "Could you send me the catalogue?"),
    ];
    let batch = raws.iter().map(|r| (r.as_slice(), Source { mailbox: "INBOX", uid: None, uidvalidity: None })).collect();
    let out = app.ingest_many(batch).await.unwrap();
    assert_eq!(out.len(), raws.len(), "one outcome per message, in order: {out:?}");

    let stored = |i: usize| match &out[i] {
        IngestOutcome::Stored { message_row, draft, .. } => (*message_row, *draft),
        other => panic!("message {i} not stored: {other:?}"),
    };
    let (q1, q1_draft) = stored(0);
    let (q2, q2_draft) = stored(1);
    let (a1, a1_draft) = stored(2);
    let (q3, q3_draft) = stored(3);
    assert!(matches!(&out[4], IngestOutcome::Skipped(why) if !why.is_empty()), "{:?}", out[4]);
    assert_eq!(out[5], IngestOutcome::Duplicate { message_row: q3 });
    assert_eq!(a1_draft, None, "the person's own reply is not answered");

    let store = &app.store;
    let key = store.message(q1).await.unwrap().thread_key;
    assert_eq!(key, "earlier@x.example");
    assert_eq!(store.message(q2).await.unwrap().thread_key, key, "a reply fetched with its original joins its thread");
    assert_eq!(store.message(a1).await.unwrap().thread_key, key);

    // Sam answered q1 from another client, fetched in this batch: its draft
    // leaves the queue, the follow-up q2 (after his reply) still waits.
    assert_eq!(store.draft(q1_draft.expect("q1 drafted")).await.unwrap().state, DraftState::Obsolete);
    assert!(store.message(q1).await.unwrap().answered);
    assert_eq!(store.draft(q2_draft.expect("q2 drafted")).await.unwrap().state, DraftState::Pending);
    assert_eq!(store.draft(q3_draft.expect("q3 drafted")).await.unwrap().state, DraftState::Pending);

    // Every decision is in the audit log, the copy's none twice.
    let log = store.audit_log(AuditFilter { limit: Some(1000), ..Default::default() }).await.unwrap();
    let count = |action: &str, row: i64| log.iter().filter(|e| e.action == action && e.message_row == Some(row)).count();
    for row in [q1, q2, a1, q3] {
        assert_eq!(count("ingested", row), 1, "row {row}");
        assert_eq!(count("triaged", row), 1, "row {row}");
    }
    for row in [q1, q2, q3] {
        assert_eq!(count("drafted", row), 1, "row {row}");
        assert_eq!(count("routed", row), 1, "row {row}");
    }
    assert_eq!(count("obsolete", q1), 1);
}
