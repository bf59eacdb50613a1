//! Golden tests: tricky messages and what the parser, triage and reply builder
//! make of them. Update with `INSTA_UPDATE=always cargo test -p autoemail-core --test golden`
//! and review the diff.

use std::path::Path;

use autoemail_core::parse_message;
use autoemail_core::reply::{Identity, ReplyMode, build_reply, compose_body, plan_reply};
use autoemail_core::triage::{TriageContext, triage};
use serde::Serialize;

#[derive(Serialize)]
struct Summary {
    message_id: Option<String>,
    from: Option<String>,
    to: Vec<String>,
    subject: String,
    date: Option<i64>,
    in_reply_to: Vec<String>,
    references: Vec<String>,
    fresh_text: String,
    quoted_text: String,
    has_html: bool,
    attachments: Vec<String>,
    warnings: Vec<String>,
    triage: String,
}

fn summarize(name: &str) -> Summary {
    let raw = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap();
    let m = parse_message(&raw).unwrap();
    let t = triage(&m, &TriageContext::new(["alice@example.com"]));
    Summary {
        message_id: m.message_id.clone(),
        from: m.from.as_ref().map(|f| f.display()),
        to: m.to.iter().map(|t| t.display()).collect(),
        subject: m.subject.clone(),
        date: m.date,
        in_reply_to: m.in_reply_to.clone(),
        references: m.references.clone(),
        fresh_text: m.fresh_text.clone(),
        quoted_text: m.quoted_text.clone(),
        has_html: m.html.is_some(),
        attachments: m.attachments.iter().map(|a| format!("{} {} {}", a.filename.as_deref().unwrap_or("-"), a.content_type, a.size)).collect(),
        warnings: m.warnings.iter().map(|w| format!("{:?}: {}", w.code, w.detail)).collect(),
        triage: format!("{} needs_reply={} reasons={:?}", t.category.as_str(), t.needs_reply, t.reasons),
    }
}

macro_rules! golden {
    ($test:ident, $file:expr) => {
        #[test]
        fn $test() {
            insta::assert_yaml_snapshot!(summarize($file));
        }
    };
}

golden!(encoded_words, "encoded_words.eml");
golden!(latin1_body, "latin1_body.eml");
golden!(koi8r, "koi8r.eml");
golden!(nested_multipart, "nested_multipart.eml");
golden!(html_only, "html_only.eml");
golden!(crlf_line_ends, "crlf.eml");
golden!(malformed, "malformed.eml");
golden!(auto_reply, "auto_reply.eml");

#[test]
fn reply_bytes() {
    let raw = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nested_multipart.eml")).unwrap();
    let original = parse_message(&raw).unwrap();
    let me = Identity { name: Some("Alice Example".into()), email: "alice@example.com".into(), aliases: vec![] };
    let plan = plan_reply(&original, &me, ReplyMode::All).unwrap();
    let body = compose_body("Hi Carol,\n\nYes, by Friday.\n\nAlice", &original);
    let bytes = build_reply(&plan, &me, &body, "reply-1@example.com", 1_795_000_000).unwrap();
    let text = String::from_utf8(bytes).unwrap().replace("\r\n", "\n");
    insta::assert_snapshot!(text);
}
