//! The scale-out proof: three `autoemail worker` processes share one
//! PostgreSQL store and serve 50 accounts on the real Dovecot; 2,000 messages
//! arrive through the real Postfix. One worker is killed (kill -9) while they
//! draft, another while they send. Every message must be stored and drafted
//! exactly once, and every approved reply must reach its recipient exactly once.
//!
//! Needs the mail peers and AUTOEMAIL_TEST_POSTGRES_URL (a role that may create
//! databases); skips loudly without them, fails in CI.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use autoemail::{App, Config};
use autoemail_store::{OutboxState, PgStore, Store};
use common::{Daemon, wait_until};

const ACCOUNTS: usize = 50;
const PER_ACCOUNT: usize = 40;
const APPROVED_PER_ACCOUNT: usize = 10;

fn start_worker(dir: &Path, name: &str, web: bool) -> Daemon {
    let mut args = vec!["--id", name, "--sync-interval", "1", "--lease", "8"];
    if web {
        args.push("--web");
    }
    common::start_worker(&dir.join("accounts"), &dir.join(format!("{name}.log")), &args)
}

fn account(i: usize) -> String {
    format!("scale{:02}-{}", i, std::process::id())
}

async fn drafts(store: &dyn Store) -> i64 {
    store.message_stats(None).await.unwrap().drafts_by_state.iter().map(|(_, n)| n).sum()
}

async fn delivered(store: &dyn Store) -> usize {
    store.outbox_by_state(OutboxState::Sent).await.unwrap().len() + store.outbox_by_state(OutboxState::Filed).await.unwrap().len()
}

/// Replies in bob's Maildir, by the Message-ID they answer.
fn replies_to_bob(peers_dir: &Path, prefix: &str) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(peers_dir.join("mail/bob@example.test").join(sub)) else { continue };
        for e in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(e.path()) else { continue };
            let head = text.split("\n\n").next().unwrap_or("");
            if let Some(line) = head.lines().find(|l| l.to_ascii_lowercase().starts_with("in-reply-to:"))
                && let Some(id) = line.split('<').nth(1).and_then(|r| r.split('>').next())
                && id.starts_with(prefix)
            {
                *seen.entry(id.to_string()).or_insert(0) += 1;
            }
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_fifty_accounts_one_killed() {
    let Some(((ih, ip), (sh, sp))) = common::peers() else { return };
    let Some(admin_url) = common::postgres_admin_url("three_workers_fifty_accounts_one_killed") else { return };
    let peers_dir = common::peers_dir();

    // A database of its own, and 50 IMAP users.
    let db = format!("autoemail_scale_{}", std::process::id());
    let url = common::fresh_database(&admin_url, &db).await;
    common::add_imap_users(&ih, ip, &(0..ACCOUNTS).map(account).collect::<Vec<_>>()).await;
    let dir = tempfile::tempdir().unwrap();
    let accounts_dir = dir.path().join("accounts");
    std::fs::create_dir_all(&accounts_dir).unwrap();
    autoemail::config::write_private(&accounts_dir.join("pw"), "secret\n").unwrap();
    // One worker also serves the review UI of every account, on the first config's [web] address.
    let ui_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for i in 0..ACCOUNTS {
        let name = account(i);
        let bind = if i == 0 { format!("bind = \"127.0.0.1:{ui_port}\"\n") } else { String::new() };
        autoemail::config::write_private(
            &accounts_dir.join(format!("{name}.toml")),
            &format!(
                "[account]\nname = \"{name}\"\naddress = \"{name}@example.test\"\n\n\
[imap]\nhost = \"{ih}\"\nport = {ip}\nsecurity = \"none\"\npassword_file = \"pw\"\ntimeout_seconds = 10\n\n\
[smtp]\nhost = \"{sh}\"\nport = {sp}\nsecurity = \"none\"\n\n[store]\nurl = \"{url}\"\n\n\
[outbox]\nhold_seconds = 0\nreconcile_grace_seconds = 3\n\n[policy]\ndefault = \"review\"\n\n[web]\nenabled = false\nundo_seconds = 1\n{bind}"
            ),
        )
        .unwrap();
    }

    let mut workers: Vec<Option<Daemon>> = (1..=3).map(|n| Some(start_worker(dir.path(), &format!("w{n}"), n == 3))).collect();
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());

    // 2,000 messages through Postfix, four senders at once.
    let prefix = format!("scale-{}-", std::process::id());
    let started = Instant::now();
    let mut senders = Vec::new();
    for s in 0..4 {
        let (sh, prefix) = (sh.clone(), prefix.clone());
        senders.push(tokio::spawn(async move {
            for k in (s..ACCOUNTS * PER_ACCOUNT).step_by(4) {
                let (acct, n) = (account(k % ACCOUNTS), k / ACCOUNTS);
                let raw = format!(
                    "From: Bob <bob@example.test>\r\nTo: {acct}@example.test\r\nSubject: Thank you for the samples ({n})\r\nMessage-ID: <{prefix}{acct}-{n}@example.test>\r\n\r\n\
Hi,\r\n\r\nThank you so much for the samples, they arrived today and look great.\r\n\r\nBest,\r\nBob\r\n"
                );
                common::smtp_send(&sh, sp, "bob@example.test", &format!("{acct}@example.test"), raw.as_bytes()).await;
            }
        }));
    }
    // Kill one worker midway through the drafting.
    wait_until("a third of the drafts", Duration::from_secs(300), async || drafts(store.as_ref()).await >= 600).await;
    let mut w1 = workers[0].take().unwrap();
    let _ = w1.0.kill(); // SIGKILL
    let _ = w1.0.wait();
    for s in senders {
        s.await.unwrap();
    }
    let total = (ACCOUNTS * PER_ACCOUNT) as i64;
    wait_until("every message drafted", Duration::from_secs(300), async || drafts(store.as_ref()).await >= total).await;
    tokio::time::sleep(Duration::from_secs(10)).await; // lease of the killed worker and a few more sync rounds
    let drafting_secs = started.elapsed().as_secs_f64();

    // Exactly once: every message stored once, with exactly one draft.
    let mut apps = HashMap::new();
    for i in 0..ACCOUNTS {
        let name = account(i);
        let config = Config::load(&accounts_dir.join(format!("{name}.toml"))).unwrap();
        apps.insert(name, App::with_store(config, store.clone()).unwrap());
    }
    let mut to_approve = Vec::new();
    for i in 0..ACCOUNTS {
        let name = account(i);
        for n in 0..PER_ACCOUNT {
            let id = format!("{prefix}{name}-{n}@example.test");
            let m = store.message_by_message_id(&name, &id).await.unwrap().unwrap_or_else(|| panic!("{id} was not stored"));
            let ds = store.drafts_for_message(m.id).await.unwrap();
            assert_eq!(ds.len(), 1, "{id} has {} drafts", ds.len());
            if n < APPROVED_PER_ACCOUNT {
                to_approve.push((name.clone(), ds[0].id, id));
            }
        }
    }
    assert_eq!(drafts(store.as_ref()).await, total, "no draft beyond one per message");

    // Approve 500 replies; restart the killed worker and kill another while they send.
    workers[0] = Some(start_worker(dir.path(), "w1b", false));
    // The worker's review UI shows every account's drafts, and its approvals go out like the others.
    let ui = format!("http://127.0.0.1:{ui_port}");
    let http = reqwest::Client::new();
    let session = http.get(format!("{ui}/api/session")).send().await.expect("the worker serves the review UI");
    let cookie = session.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with("autoemail_session=")).unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let csrf = session.json::<serde_json::Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let queue: serde_json::Value = http.get(format!("{ui}/api/queue")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
    let refs: Vec<&str> = queue["drafts"].as_array().unwrap().iter().filter_map(|d| d["ref"].as_str()).collect();
    assert_eq!(refs.len() as i64, total, "the UI lists every pending draft");
    let shown: std::collections::HashSet<&str> = refs.iter().filter_map(|r| r.rsplit_once('/').map(|(a, _)| a)).collect();
    assert_eq!(shown.len(), ACCOUNTS, "the UI shows every account's drafts");
    let (ui_name, ui_draft, _) = &to_approve[0];
    let approved_in_ui =
        http.post(format!("{ui}/api/drafts/{ui_name}/{ui_draft}/approve")).header("cookie", &cookie).header("x-csrf-token", &csrf).send().await.unwrap();
    assert_eq!(approved_in_ui.status(), 200, "{}", approved_in_ui.text().await.unwrap_or_default());
    for (name, draft, _) in &to_approve[1..] {
        apps[name].approve(*draft, "tester", None).await.unwrap();
    }
    let approved = to_approve.len();
    wait_until("a third of the replies sent", Duration::from_secs(300), async || delivered(store.as_ref()).await >= approved / 3).await;
    let mut w2 = workers[1].take().unwrap();
    let _ = w2.0.kill();
    let _ = w2.0.wait();
    wait_until("every approved reply sent", Duration::from_secs(300), async || delivered(store.as_ref()).await >= approved).await;
    wait_until("every reply in bob's mailbox", Duration::from_secs(120), async || replies_to_bob(&peers_dir, &prefix).len() >= approved).await;
    tokio::time::sleep(Duration::from_secs(5)).await; // a duplicate would arrive by now
    let replies = replies_to_bob(&peers_dir, &prefix);
    let duplicates: Vec<_> = replies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "replies delivered more than once: {duplicates:?}");
    for (_, _, id) in &to_approve {
        assert_eq!(replies.get(id), Some(&1), "the reply to {id} arrived {:?} times", replies.get(id));
    }
    assert_eq!(replies.len(), approved, "only approved replies were sent");
    let reconciled =
        store.audit_log(autoemail_store::AuditFilter { text: Some("reconciled".into()), limit: Some(10_000), ..Default::default() }).await.unwrap().len();
    common::record_figures(&format!(
        "scale-out test (3 workers, PostgreSQL, {ACCOUNTS} accounts, real Dovecot + Postfix): {total} messages stored and drafted once each in {drafting_secs:.0} s with a worker killed midway; {approved} approved replies sent once each with another killed while sending ({reconciled} interrupted sends settled); duplicates 0, lost 0"
    ));
    drop(workers);
    drop(apps);
    drop(store);
    common::drop_database(&admin_url, &db).await;
}
