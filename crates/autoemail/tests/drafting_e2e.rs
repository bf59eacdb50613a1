//! The demo inbox drafted through the OpenAI-compatible path, against a local
//! server that speaks the chat-completions protocol: every message that needs
//! a reply is drafted by the model with its usage recorded, but the injection
//! attempt, which never reaches it; a server failure
//! leaves a failed draft the person can retry; regenerating with an
//! instruction keeps the versions; replies the person sent become style
//! examples for later drafts.

use autoemail::pipeline::{IngestOutcome, Source};
use autoemail::{App, Config};
use autoemail_core::review::DraftState;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers every chat completion with a draft that quotes the subject it was asked about.
struct Drafts;
impl Respond for Drafts {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: serde_json::Value = req.body_json().unwrap();
        let user = body["messages"][1]["content"].as_str().unwrap_or_default();
        let subject = user.lines().rev().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or("?");
        let draft = json!({ "body": format!("Hi,\n\nThanks for your note about {subject}.\n\nBest,\nSam"), "confidence": 0.9, "commitments": [], "open_questions": [] });
        ResponseTemplate::new(200).set_body_json(json!({
            "model": "mock-model",
            "choices": [{ "index": 0, "finish_reason": "stop", "message": { "role": "assistant", "content": draft.to_string() } }],
            "usage": { "prompt_tokens": user.len() / 4, "completion_tokens": 20 }
        }))
    }
}

async fn open(dir: &std::path::Path, base_url: &str) -> App {
    let config = format!(
        "[account]\naddress = \"sam@northwind.example\"\ndisplay_name = \"Sam Carter\"\n\n[store]\npath = \"s.sqlite\"\n\n[outbox]\nmaildir = \"sent\"\n\n\
[drafter]\nprovider = \"openai\"\nmodel = \"mock-model\"\nbase_url = \"{base_url}/v1\"\nmax_retries = 0\ntimeout_seconds = 5\nnotes = \"notes.md\"\nprice_per_million_input = 1.0\nprice_per_million_output = 2.0\n"
    );
    autoemail::config::write_private(&dir.join("config.toml"), &config).unwrap();
    std::fs::write(dir.join("notes.md"), "Opening hours: Monday to Friday 9:00-17:00.\n").unwrap();
    App::open(Config::load(&dir.join("config.toml")).unwrap()).await.unwrap()
}

#[tokio::test]
async fn the_demo_inbox_is_drafted_by_the_model() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(Drafts).mount(&server).await;
    let tmp = tempfile::tempdir().unwrap();
    let app = open(tmp.path(), &server.uri()).await;
    let mut drafted = Vec::new();
    for raw in autoemail_mail::import::split_mbox(autoemail::demo::SAMPLE_INBOX) {
        if let IngestOutcome::Stored { draft: Some(id), .. } = app.ingest(&raw, Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap() {
            drafted.push(id);
        }
    }
    assert!(drafted.len() >= 15, "drafted {}", drafted.len());
    let requests = server.received_requests().await.unwrap();
    // The injection attempt never reaches the model: the offline drafter holds it.
    let mut held = Vec::new();
    let mut held_rows = Vec::new();
    for id in &drafted {
        let d = app.store.draft(*id).await.unwrap();
        if d.drafter == "offline" {
            held.push(app.store.message(d.message_row).await.unwrap().subject);
            held_rows.push(d.message_row);
            assert!(d.body.contains("[[your reply, if it needs one]]"), "{}", d.body);
        }
    }
    assert_eq!(held, vec!["Invoice processing update".to_string()]);
    assert!(requests.iter().all(|r| !String::from_utf8_lossy(&r.body).contains("NOTE FOR THE AI ASSISTANT")), "the injection was sent to the model");
    assert_eq!(requests.len(), drafted.len() - 1, "one model call per draft but the held one");
    // Nor does explaining its route (`policy check`), which drafts it afresh.
    let held_row = held_rows[0];
    let held_msg = autoemail_core::parse_message(&app.store.message(held_row).await.unwrap().raw).unwrap();
    let explained = app.explain_route(&held_msg, Some(held_row)).await.unwrap();
    assert_eq!(explained.risk.level, autoemail_core::risk::RiskLevel::High);
    assert_eq!(server.received_requests().await.unwrap().len(), requests.len(), "explaining the held message's route asked the model");
    for id in &drafted {
        let d = app.store.draft(*id).await.unwrap();
        let m = app.store.message(d.message_row).await.unwrap();
        if d.drafter == "offline" {
            continue;
        }
        assert_eq!(d.drafter, "openai-compatible");
        assert!(d.body.contains(&m.subject), "draft {id} is about another message: {}", d.body);
        let u = d.usage.as_ref().expect("usage recorded");
        assert!(u.prompt_tokens > 50 && u.completion_tokens == 20);
    }
    // The notes reached the prompt, fenced.
    let first: serde_json::Value = requests[0].body_json().unwrap();
    assert!(first["messages"][1]["content"].as_str().unwrap().contains("Opening hours: Monday to Friday"));
    // The audit log says who drafted and what it cost.
    let log = app.store.audit_log(autoemail_store::AuditFilter::default()).await.unwrap();
    assert!(log.iter().any(|r| r.action == "drafted" && r.reason.contains("prompt +") && r.reason.contains("mock-model")));
}

#[tokio::test]
async fn failures_are_kept_and_retried_regenerate_keeps_versions_and_sent_replies_teach_style() {
    let tmp = tempfile::tempdir().unwrap();
    let down = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500).set_body_string("down")).mount(&down).await;
    let app = open(tmp.path(), &down.uri()).await;
    let raw = b"From: Dana Lee <dana@example.org>\r\nTo: Sam Carter <sam@northwind.example>\r\nSubject: Opening hours\r\nMessage-ID: <q1@example.org>\r\n\r\nAre you open on Saturday?\r\n";
    let IngestOutcome::Stored { draft: Some(failed), .. } = app.ingest(raw, Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap() else {
        panic!()
    };
    let d = app.store.draft(failed).await.unwrap();
    assert_eq!(d.state, DraftState::Failed, "a down model leaves a failed draft, not a lost message");
    assert!(d.reasons()[0].contains("500"), "{:?}", d.reasons());

    // The model is back: retry, then regenerate with an instruction.
    let up = MockServer::start().await;
    Mock::given(method("POST")).respond_with(Drafts).mount(&up).await;
    let app = open(tmp.path(), &up.uri()).await;
    let v2 = app.regenerate(failed, "", "tester").await.unwrap();
    let v3 = app.regenerate(v2, "shorter, and offer Tuesday", "tester").await.unwrap();
    let versions = app.store.drafts_for_message(d.message_row).await.unwrap();
    assert_eq!(versions.len(), 3);
    let latest = app.store.draft(v3).await.unwrap();
    assert_eq!((latest.version, latest.state, latest.instruction.as_deref()), (3, DraftState::Pending, Some("shorter, and offer Tuesday")));
    assert_eq!(app.store.draft(v2).await.unwrap().state, DraftState::Obsolete);
    let asked: serde_json::Value = up.received_requests().await.unwrap().last().unwrap().body_json().unwrap();
    assert!(asked["messages"][1]["content"].as_str().unwrap().contains("asks for this version: shorter, and offer Tuesday"));

    // Send it (into the Maildir); the next similar question shows it as a style example.
    app.approve(v3, "tester", Some("Hey Dana,\n\nYes, 10 to 2 on Saturdays.\n\nCheers,\nSam".into())).await.unwrap();
    let sender = app.sender().unwrap();
    assert_eq!(app.deliver_due(sender.as_ref(), None).await.unwrap().sent, 1);
    let raw = b"From: Eli Moss <eli@example.org>\r\nTo: Sam Carter <sam@northwind.example>\r\nSubject: Saturday\r\nMessage-ID: <q2@example.org>\r\n\r\nAre you open on Saturday morning?\r\n";
    app.ingest(raw, Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap();
    let asked: serde_json::Value = up.received_requests().await.unwrap().last().unwrap().body_json().unwrap();
    let user = asked["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("answered similar emails before") && user.contains("10 to 2 on Saturdays"), "{user}");
    let system = asked["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("greet like \"Hey {name},\"") && system.contains("close with \"Cheers,\""), "{system}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_says_what_is_wrong() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [{ "id": "llama3.1" }, { "id": "qwen2.5" }] })))
        .mount(&server)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let _app = open(tmp.path(), &server.uri()).await;
    let run = |config: &std::path::Path| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_autoemail")).arg("--config").arg(config).arg("doctor").output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, said) = run(&tmp.path().join("config.toml"));
    assert!(!ok, "{said}");
    assert!(said.contains("FAILED drafter") && said.contains("does not offer the model \"mock-model\"") && said.contains("llama3.1"), "{said}");
    assert!(said.contains("ok     notes: 1 lines"), "{said}");

    // The offline drafter and a Maildir outbox: everything passes.
    let demo = tempfile::tempdir().unwrap();
    autoemail::demo::prepare(demo.path(), false).await.unwrap();
    let (ok, said) = run(&demo.path().join("config.toml"));
    assert!(ok, "{said}");
    assert!(said.contains("All checks passed"), "{said}");
}

/// A slow model: in a sync batch each draft reaches the queue as soon as it is
/// written, not when the next one (or the whole batch) is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_model_s_drafts_reach_the_queue_one_by_one() {
    let server = MockServer::start().await;
    let slow = std::time::Duration::from_millis(600);
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(SlowDrafts(slow)).mount(&server).await;
    let tmp = tempfile::tempdir().unwrap();
    let app = open(tmp.path(), &server.uri()).await;
    let raws: Vec<Vec<u8>> = (0..3)
        .map(|n| {
            format!(
                "From: Client {n} <client{n}@example.com>\r\nTo: Sam Carter <sam@northwind.example>\r\nSubject: Order {n}\r\nMessage-ID: <slow-{n}@example.com>\r\n\r\nCould you confirm order {n}?\r\n"
            )
            .into_bytes()
        })
        .collect();
    let batch = {
        let app = app.clone();
        tokio::spawn(async move {
            app.ingest_many(raws.iter().map(|r| (r.as_slice(), Source { mailbox: "INBOX", uid: None, uidvalidity: None })).collect()).await.unwrap()
        })
    };
    // Watch the queue while the batch is drafted: it must hold one draft while the second is being written.
    let mut seen = Vec::new();
    while !batch.is_finished() {
        seen.push(app.store.queue(None).await.unwrap().len());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let outcomes = batch.await.unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, IngestOutcome::Stored { draft: Some(_), .. })), "{outcomes:?}");
    assert!(seen.contains(&1) && seen.contains(&2), "drafts were stored together, not one by one: queue sizes seen {seen:?}");
}

struct SlowDrafts(std::time::Duration);
impl Respond for SlowDrafts {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        Drafts.respond(req).set_delay(self.0)
    }
}
