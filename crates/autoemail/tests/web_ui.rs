//! The review UI over real HTTP: its safety rules (CSRF, cross-site requests,
//! the Host check, login, the Content-Security-Policy, hostile HTML), and the
//! JSON API doing what the pages do: approve, undo within the window (nothing
//! sent), the hold passing (sent exactly once), groups, snooze, audit search,
//! and an OpenAPI document that names every route.

mod common;
mod web;

use autoemail::pipeline::Source;
use reqwest::header::HeaderMap;
use serde_json::Value;
use web::{seeded, sent_for_draft};

/// A browser-like client: keeps the session cookie and the page's CSRF token.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Browser {
    async fn open(base: &str) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let resp = http.get(format!("{base}/api/session")).send().await.unwrap();
        let cookie = cookie_of(resp.headers()).expect("a session cookie");
        let v: Value = resp.json().await.unwrap();
        Browser { http, base: base.to_string(), cookie, csrf: v["csrf_token"].as_str().unwrap().to_string() }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base)).header("cookie", &self.cookie)
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base)).header("cookie", &self.cookie).header("x-csrf-token", &self.csrf)
    }

    async fn json(&self, path: &str) -> Value {
        let r = self.get(path).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }
}

fn cookie_of(h: &HeaderMap) -> Option<String> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("autoemail_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
}

fn draft_ref_where(queue: &Value, pred: impl Fn(&Value) -> bool) -> String {
    queue["drafts"].as_array().unwrap().iter().find(|d| pred(d)).unwrap_or_else(|| panic!("no such draft in {queue}"))["ref"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_refuse_forged_requests() {
    let s = seeded(20, "").await;
    let base = s.server.url();
    let b = Browser::open(&base).await;

    let page = b.get("/").send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    for directive in ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(html.contains(&b.csrf), "the page carries the CSRF token for its requests");

    let queue = b.json("/api/queue").await;
    let thanks = draft_ref_where(&queue, |d| d["subject"].as_str().unwrap().contains("brochures"));

    // No token, a wrong token, another site's origin: refused, nothing changes.
    let no_token = b.http.post(format!("{base}/api/drafts/{thanks}/approve")).header("cookie", &b.cookie).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
    let wrong = b.http.post(format!("{base}/api/drafts/{thanks}/approve")).header("cookie", &b.cookie).header("x-csrf-token", "0000").send().await.unwrap();
    assert_eq!(wrong.status(), 403);
    let cross = b.post(&format!("/api/drafts/{thanks}/approve")).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(cross.status(), 403);
    let fetch_meta = b.post(&format!("/api/drafts/{thanks}/approve")).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(fetch_meta.status(), 403);
    // A form post without the token (what another site's page could make) is refused too.
    let form = b
        .http
        .post(format!("{base}/draft/{thanks}/reject"))
        .header("cookie", &b.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("reason", "forged")]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403);
    assert_eq!(b.json(&format!("/api/drafts/{thanks}")).await["state"], "pending");

    // The page's own form, with its token as a field, works.
    let ok = b
        .http
        .post(format!("{base}/draft/{thanks}/snooze"))
        .header("cookie", &b.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("minutes", "60"), ("csrf", b.csrf.as_str())]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let queue = b.json("/api/queue").await;
    assert!(!queue["drafts"].as_array().unwrap().iter().any(|d| d["ref"] == thanks.as_str()), "a snoozed draft leaves the queue");
    let snoozed = b.post(&format!("/api/drafts/{thanks}/snooze")).json(&serde_json::json!({"minutes": 0})).send().await.unwrap();
    assert_eq!(snoozed.status(), 200);
    assert!(b.json("/api/queue").await["drafts"].as_array().unwrap().iter().any(|d| d["ref"] == thanks.as_str()), "unsnoozed, it is back");

    // DNS rebinding: the loopback UI without a password answers only to loopback names.
    let rebound = b.get("/api/queue").header("host", "evil.example:8025").send().await.unwrap();
    assert_eq!(rebound.status(), 421);
}

#[tokio::test]
async fn hostile_html_and_subjects_are_inert() {
    let s = seeded(20, "").await;
    let b = Browser::open(&s.server.url()).await;
    let queue = b.json("/api/queue").await;
    let hostile = draft_ref_where(&queue, |d| d["from_email"] == "mallory@evil.example");
    for path in ["/".to_string(), format!("/draft/{hostile}")] {
        let html = b.get(&path).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains("<script>window"), "{path}: a script from the email reached the page");
        assert!(!html.contains("onerror=\"window"), "{path}: an event handler reached the page");
        assert!(!html.contains("javascript:"), "{path}: a javascript: URL reached the page");
        assert!(!html.contains("<iframe") && !html.contains("<form action=\"https://evil"), "{path}");
        assert!(!html.contains("tracker.evil.example"), "{path}: the remote image must be blocked");
        assert!(
            html.contains("&#60;img src=x onerror=") || html.contains("&lt;img src=x onerror="),
            "{path}: the subject is shown, escaped: {}",
            html.lines().filter(|l| l.contains("Invoice")).collect::<Vec<_>>().join("\n")
        );
    }
    let page = b.get(&format!("/draft/{hostile}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("remote images blocked"), "the reader is told about the blocked image");
    assert!(page.contains("can you confirm our meeting"), "the readable text is shown");
}

#[tokio::test]
async fn approve_undo_and_the_hold_through_the_api() {
    let s = seeded(2, "").await;
    let b = Browser::open(&s.server.url()).await;
    let queue = b.json("/api/queue").await;
    let routine: Vec<String> = queue["drafts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["level"] == "routine" && d["has_placeholder"] == false)
        .map(|d| d["ref"].as_str().unwrap().to_string())
        .collect();
    assert!(routine.len() >= 4, "{routine:?}");
    let (keep, take_back) = (&routine[0], &routine[1]);
    let id = |r: &str| r.rsplit_once('/').unwrap().1.parse::<i64>().unwrap();

    let approved: Value = b.post(&format!("/api/drafts/{keep}/approve")).send().await.unwrap().json().await.unwrap();
    assert!(approved["undo_seconds"].as_i64().unwrap() >= 1, "{approved}");
    let r = b.post(&format!("/api/drafts/{take_back}/approve")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let held = b.json("/api/held").await;
    assert_eq!(held["held"].as_array().unwrap().len(), 2, "{held}");
    let undo = b.post(&format!("/api/drafts/{take_back}/undo")).send().await.unwrap();
    assert_eq!(undo.status(), 200);
    assert_eq!(b.json(&format!("/api/drafts/{take_back}")).await["state"], "pending");
    // Approving twice is refused with a reason, not sent twice.
    let again = b.post(&format!("/api/drafts/{keep}/approve")).send().await.unwrap();
    assert_eq!(again.status(), 409);

    // The hold passes: the kept one is sent once, the undone one never.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while sent_for_draft(&s.outbox, id(keep)) == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(sent_for_draft(&s.outbox, id(keep)), 1);
    assert_eq!(sent_for_draft(&s.outbox, id(take_back)), 0);
    assert_eq!(b.json(&format!("/api/drafts/{keep}")).await["state"], "sent");

    // Group approval approves the routine members shown, each with its own hold.
    let groups = b.json("/api/groups").await;
    let group = &groups["groups"][0];
    let refs: Vec<Value> = group["members"].as_array().unwrap().iter().map(|m| m["row"]["ref"].clone()).collect();
    assert!(refs.len() >= 3, "the seeded thank-you notes form a group: {groups}");
    let high = draft_ref_where(&queue, |d| d["level"] == "high");
    let mut with_high = refs.clone();
    with_high.push(Value::String(high.clone()));
    // More than a group holds is refused whole, even from the API: nothing is approved.
    let too_many: Vec<Value> = with_high.iter().cycle().take(26).cloned().collect();
    let refused = b.post("/api/groups/approve").json(&serde_json::json!({"refs": too_many})).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("at most 25"));
    assert_eq!(b.json(&format!("/api/drafts/{}", refs[0].as_str().unwrap())).await["state"], "pending");
    let result: Value = b.post("/api/groups/approve").json(&serde_json::json!({"refs": with_high})).send().await.unwrap().json().await.unwrap();
    assert_eq!(result["approved"].as_array().unwrap().len(), refs.len(), "{result}");
    assert!(result["refused"][0].as_str().unwrap().contains("not routine"), "a high-risk draft is never approved in a group: {result}");
    assert_eq!(b.json(&format!("/api/drafts/{high}")).await["state"], "pending");

    // Every action is in the audit log, searchable.
    let log = b.json("/api/audit?q=undone").await;
    assert!(log["entries"].as_array().unwrap().iter().any(|e| e["action"] == "undone" && e["actor"] == "person:tester"), "{log}");
    let stats = b.json("/api/stats").await;
    assert!(stats["sent"].as_u64().unwrap() >= 1, "{stats}");
    let stats_page = b.get("/stats").send().await.unwrap().text().await.unwrap();
    assert!(stats_page.contains("<svg class=\"chart\""), "the stats page draws its charts");
    // No draft was edited: no edit size to speak of, rather than a median of 0%.
    assert!(stats["median_edit_percent"].is_null(), "{stats}");
    assert!(stats_page.contains("<div class=\"num\">–</div><div class=\"label\">median edit size"), "the stats page shows no edit size yet");
}

#[tokio::test]
async fn openapi_documents_every_api_route() {
    let s = seeded(20, "").await;
    let b = Browser::open(&s.server.url()).await;
    let doc = b.json("/api/openapi.json").await;
    assert_eq!(doc["openapi"], "3.0.3");
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    let source = include_str!("../src/web/api.rs");
    let routes: Vec<&str> =
        source.lines().filter_map(|l| l.trim().strip_prefix(".route(\"")).map(|l| l.split('"').next().unwrap()).filter(|r| *r != "/openapi.json").collect();
    assert!(routes.len() >= 15);
    for r in routes {
        assert!(paths.iter().any(|p| p.as_str() == r), "route {r} is not in openapi.json");
    }
}

#[tokio::test]
async fn a_password_requires_login_and_rotates_the_session() {
    let hash = autoemail::web::hash_password("correct horse battery").unwrap();
    let s = seeded(20, &format!("password_hash = \"{hash}\"")).await;
    let base = s.server.url();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let r = http.get(&base).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let api = http.get(format!("{base}/api/queue")).send().await.unwrap();
    assert_eq!(api.status(), 401);

    let login = http.get(format!("{base}/login")).send().await.unwrap();
    let cookie = cookie_of(login.headers()).unwrap();
    let html = login.text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();

    let wrong = http
        .post(format!("{base}/login"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("password", "guess"), ("csrf", &csrf)]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = http
        .post(format!("{base}/login"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string([("password", "correct horse battery"), ("csrf", &csrf)]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 303);
    let set = right.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let session = cookie_of(right.headers()).unwrap();
    assert_ne!(session, cookie, "the session id changes at login");
    let queue = http.get(format!("{base}/api/queue")).header("cookie", &session).send().await.unwrap();
    assert_eq!(queue.status(), 200);
    // The pre-login id is worth nothing.
    assert_eq!(http.get(format!("{base}/api/queue")).header("cookie", &cookie).send().await.unwrap().status(), 401);
}

#[test]
fn a_public_bind_without_a_password_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    autoemail::config::write_private(&path, "[account]\naddress = \"sam@northwind.example\"\n\n[web]\nbind = \"0.0.0.0:8025\"\n").unwrap();
    let err = autoemail::Config::load(&path).unwrap_err().to_string();
    assert!(err.contains("password_hash") && err.contains("autoemail password"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_store_wakes_the_page_when_another_process_stores_mail() {
    let Some(admin_url) = common::postgres_admin_url("a_postgres_store_wakes_the_page_when_another_process_stores_mail") else { return };
    let db = format!("autoemail_web_{}", std::process::id());
    let url = common::fresh_database(&admin_url, &db).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    autoemail::config::write_private(
        &path,
        &format!("[account]\nname = \"pg\"\naddress = \"sam@northwind.example\"\n\n[store]\nurl = \"{url}\"\n\n[outbox]\nmaildir = \"sent\"\n\n[web]\nbind = \"127.0.0.1:0\"\n"),
    )
    .unwrap();
    let ui_app = autoemail::App::open(autoemail::Config::load(&path).unwrap()).await.unwrap();
    let server = autoemail::web::serve(vec![ui_app], "tester").await.unwrap();
    let b = Browser::open(&server.url()).await;
    // Another process (here: another App on the same database) stores a message.
    let other = autoemail::App::open(autoemail::Config::load(&path).unwrap()).await.unwrap();
    let waiting = tokio::spawn({
        let req = b.get("/api/events/wait");
        async move { req.send().await.unwrap() }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let raw = b"From: Ann <ann@example.com>\r\nTo: sam@northwind.example\r\nSubject: Are you free on Monday?\r\nMessage-ID: <live-pg@example.com>\r\n\r\nCould we meet on Monday at 10?\r\n";
    other.ingest(raw, autoemail::pipeline::Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap();
    let resp = tokio::time::timeout(std::time::Duration::from_secs(10), waiting).await.expect("the page is woken").unwrap();
    assert_eq!(resp.status(), 200);
    let event: Value = resp.json().await.unwrap();
    assert!(event["event"].as_str().unwrap().starts_with("message:pg") || event["event"] == "draft", "{event}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "woken in {:?}", started.elapsed());
    assert!(b.json("/api/queue").await["drafts"].as_array().unwrap().iter().any(|d| d["subject"] == "Are you free on Monday?"));
    drop(b);
    server.task.abort();
    drop(other);
    common::drop_database(&admin_url, &db).await;
}

/// A long queue: the page lists the most urgent 200 and says how many more
/// wait; the API still returns every one.
#[tokio::test]
async fn a_long_queue_lists_the_most_urgent_page() {
    let s = seeded(20, "").await;
    let before = s.app.store.queue(None).await.unwrap().len();
    let extra = 230;
    let batch: Vec<Vec<u8>> = (0..extra)
        .map(|n| {
            format!(
                "From: Client {n} <client{n}@example.com>\r\nTo: Sam Carter <sam@northwind.example>\r\nSubject: Order {n}\r\nMessage-ID: <order-{n}@example.com>\r\n\
Date: Mon, 23 Nov 2026 08:00:00 +0000\r\n\r\nHi Sam, could you confirm the delivery date for order {n}?\r\n"
            )
            .into_bytes()
        })
        .collect();
    s.app.ingest_many(batch.iter().map(|r| (r.as_slice(), Source { mailbox: "INBOX", uid: None, uidvalidity: None })).collect()).await.unwrap();
    let total = s.app.store.queue(None).await.unwrap().len();
    assert_eq!(total, before + extra, "every order was drafted");

    let b = Browser::open(&s.server.url()).await;
    assert_eq!(b.json("/api/queue").await["drafts"].as_array().unwrap().len(), total, "the API lists them all");
    let html = b.get("/").send().await.unwrap().text().await.unwrap();
    let listed = html.matches("<div class=\"item").count();
    let groups = html.matches("<div class=\"item group").count();
    assert_eq!(listed - groups, 200, "the page lists a page of drafts");
    let grouped: usize = html.split("<span class=\"from\">").skip(1).filter_map(|s| s.split(" similar replies").next()?.parse::<usize>().ok()).sum();
    let more = total - grouped - 200;
    assert!(html.contains(&format!("and {more} less urgent drafts")), "the page says how many more wait ({more})");
}

#[tokio::test]
async fn a_long_thread_shows_its_latest_messages() {
    let s = seeded(20, "").await;
    let batch: Vec<Vec<u8>> = (0..60)
        .map(|n| {
            let refs = if n > 0 { "In-Reply-To: <plan-0@example.com>\r\nReferences: <plan-0@example.com>\r\n" } else { "" };
            format!(
                "From: Client <client@example.com>\r\nTo: Sam Carter <sam@northwind.example>\r\nSubject: Re: the plan\r\nMessage-ID: <plan-{n}@example.com>\r\n{refs}\
Date: Mon, 23 Nov 2026 08:{n:02}:00 +0000\r\n\r\nHi Sam, could you confirm item {n} of the plan?\r\n"
            )
            .into_bytes()
        })
        .collect();
    s.app.ingest_many(batch.iter().map(|r| (r.as_slice(), Source { mailbox: "INBOX", uid: None, uidvalidity: None })).collect()).await.unwrap();

    let b = Browser::open(&s.server.url()).await;
    let row = s.app.store.message_by_message_id("demo", "plan-59@example.com").await.unwrap().expect("the last message is stored").id;
    let last = format!("demo/{}", s.app.store.drafts_for_message(row).await.unwrap()[0].id);
    let detail = b.json(&format!("/api/drafts/{last}")).await;
    let thread = detail["thread"].as_array().unwrap();
    assert_eq!((thread.len(), detail["thread_not_shown"].as_u64()), (50, Some(9)), "the 50 latest of the 59 others");
    assert!(thread[0]["text"].as_str().unwrap().contains("item 9 "), "oldest shown first: {}", thread[0]["text"]);
    assert!(thread[49]["text"].as_str().unwrap().contains("item 58 "));
    let page = b.get(&format!("/draft/{last}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Earlier in this thread (59)") && page.contains("The 50 latest are shown; 9 older ones are not."), "{page}");
}

/// A question to `to`, which the offline drafter answers with a routine reply.
fn question(n: usize, to: &str) -> String {
    format!(
        "From: Dana Reyes <dana@customer.example>\r\nTo: {to}\r\nSubject: Samples\r\nMessage-ID: <q{n}-{to}>\r\n\
Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi,\r\n\r\nThank you for the samples, they arrived today.\r\n\r\nDana\r\n"
    )
}

/// Two accounts, each with a SQLite store of its own (so their draft ids are
/// the same numbers): the stats page shows each account on its own or both
/// together, and the sums of the two are the figures of both.
#[tokio::test]
async fn stats_of_each_account_and_of_both() {
    let dir = tempfile::tempdir().unwrap();
    let mut apps = Vec::new();
    for name in ["ann", "ben"] {
        let home = dir.path().join(name);
        std::fs::create_dir_all(&home).unwrap();
        let config = format!(
            "[account]\nname = \"{name}\"\naddress = \"{name}@northwind.example\"\n\n[store]\npath = \"store.sqlite\"\n\n\
[outbox]\nhold_seconds = 0\nmaildir = \"sent-mail\"\n\n[policy]\ndefault = \"review\"\n\n[web]\nbind = \"127.0.0.1:0\"\n"
        );
        autoemail::config::write_private(&home.join("config.toml"), &config).unwrap();
        apps.push(autoemail::App::open(autoemail::Config::load(&home.join("config.toml")).unwrap()).await.unwrap());
    }
    let mut drafts = Vec::new();
    for app in &apps {
        let mut ids = Vec::new();
        for n in 0..2 {
            let to = format!("{}@northwind.example", app.account());
            match app.ingest(question(n, &to).as_bytes(), Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap() {
                autoemail::pipeline::IngestOutcome::Stored { draft: Some(d), .. } => ids.push(d),
                other => panic!("no draft for {}: {other:?}", app.account()),
            }
        }
        drafts.push(ids);
    }
    assert_eq!(drafts[0], drafts[1], "the two stores number their drafts alike");
    let (ann, ben) = (&apps[0], &apps[1]);
    // ann rewrites her first reply before sending it; ben sends his as drafted and rejects his second.
    ann.approve(drafts[0][0], "tester", Some("Hi Dana,\n\nGlad they arrived safely. Tell me which one you prefer and I will set it aside.\n\nAnn".into()))
        .await
        .unwrap();
    ben.approve(drafts[1][0], "tester", None).await.unwrap();
    ben.reject(drafts[1][1], "tester", "not needed").await.unwrap();
    for app in &apps {
        let report = app.deliver_due(app.sender().unwrap().as_ref(), None).await.unwrap();
        assert_eq!(report.sent, 1, "{}: {report:?}", app.account());
    }

    let server = autoemail::web::serve(apps.clone(), "tester").await.unwrap();
    let b = Browser::open(&server.url()).await;
    let both = b.json("/api/stats").await;
    let of_ann = b.json("/api/stats?account=ann").await;
    let of_ben = b.json("/api/stats?account=ben&days=7").await;
    assert_eq!((&both["account"], &of_ann["account"], &of_ben["account"]), (&Value::Null, &Value::from("ann"), &Value::from("ben")));
    let n = |v: &Value, k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));
    for k in ["drafts", "sent", "edited", "rejected", "approved_unchanged"] {
        assert_eq!(n(&both, k), n(&of_ann, k) + n(&of_ben, k), "{k}: both accounts are the sum of each");
    }
    assert_eq!((n(&of_ann, "drafts"), n(&of_ann, "edited"), n(&of_ann, "rejected")), (2.0, 1.0, 0.0));
    assert_eq!((n(&of_ben, "drafts"), n(&of_ben, "approved_unchanged"), n(&of_ben, "rejected")), (2.0, 1.0, 1.0));
    // Each sent reply's saving counts its own account's edit, though both drafts have one id.
    assert!(n(&of_ann, "minutes_saved") < n(&of_ben, "minutes_saved") + 0.25, "ann's edit costs review time: {of_ann} {of_ben}");
    assert!((n(&both, "minutes_saved") - (n(&of_ann, "minutes_saved") + n(&of_ben, "minutes_saved"))).abs() < 1e-9, "{both}");
    let accounts_of = |v: &Value| {
        let mut a: Vec<String> = v["autonomy"].as_array().unwrap().iter().map(|c| c["account"].as_str().unwrap().to_string()).collect();
        a.dedup();
        a
    };
    let reviewed = |kinds: &Value| kinds.as_array().unwrap().iter().map(|c| c["reviewed"].as_u64().unwrap()).sum::<u64>();
    assert_eq!(accounts_of(&of_ann), vec!["ann"], "{of_ann}");
    assert_eq!(accounts_of(&both), vec!["ann", "ben"], "each account's kinds of reply, named: {both}");
    assert_eq!((reviewed(&of_ann["autonomy"]), reviewed(&of_ben["autonomy"]), reviewed(&both["autonomy"])), (1, 2, 3));
    assert_eq!(b.get("/api/stats?account=carl").send().await.unwrap().status(), 404);

    let page = b.get("/stats").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<option value=\"ben\">ben</option>"), "the page offers each account");
    assert!(page.contains("<th>Account</th>"), "the autonomy table names the account of each row when both are shown");
    let ben_page = b.get("/stats?account=ben&days=7").send().await.unwrap().text().await.unwrap();
    assert!(ben_page.contains("The last 7 days · ben"), "the heading names the account");
    assert!(ben_page.contains("<option value=\"ben\" selected>ben</option>") && ben_page.contains("<option value=\"7\" selected>7 days</option>"));
    assert!(!ben_page.contains("<th>Account</th>"));
    // The policy page and API show each account's own autonomy record.
    let policy = b.json("/api/policy").await;
    let each: Vec<(String, u64)> =
        policy["accounts"].as_array().unwrap().iter().map(|a| (a["account"].as_str().unwrap().to_string(), reviewed(&a["autonomy"]))).collect();
    assert_eq!(each, vec![("ann".to_string(), 1), ("ben".to_string(), 2)], "{policy}");
    server.task.abort();
}
