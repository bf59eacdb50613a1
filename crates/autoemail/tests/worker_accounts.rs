//! A worker follows its folder of account configs while it runs, on the real
//! Dovecot, Postfix and PostgreSQL: an account added is synced, drafted and
//! shown in the worker's review UI without a restart; a config that does not
//! load (broken TOML, a name another file holds) is skipped with its reason
//! while the others keep working; a broken edit keeps the account on its last
//! good config; an account removed is no longer synced. `doctor --accounts`
//! reports the same folder as the worker reads it.
//!
//! Needs the mail peers and AUTOEMAIL_TEST_POSTGRES_URL; skips loudly without
//! them, fails in CI.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use autoemail_store::{PgStore, Store};
use common::wait_until;

const WAIT: Duration = Duration::from_secs(60);

fn account_config(name: &str, (ih, ip): (&str, u16), (sh, sp): (&str, u16), url: &str, web: &str) -> String {
    format!(
        "[account]\nname = \"{name}\"\naddress = \"{name}@example.test\"\n\n\
[imap]\nhost = \"{ih}\"\nport = {ip}\nsecurity = \"none\"\npassword_file = \"pw\"\ntimeout_seconds = 10\n\n\
[smtp]\nhost = \"{sh}\"\nport = {sp}\nsecurity = \"none\"\n\n[store]\nurl = \"{url}\"\n\n\
[policy]\ndefault = \"review\"\n\n[web]\n{web}"
    )
}

fn log_has(log: &Path, words: &[&str]) -> bool {
    std::fs::read_to_string(log).is_ok_and(|text| text.lines().any(|l| words.iter().all(|w| l.contains(w))))
}

async fn drafted(store: &dyn Store, account: &str, message_id: &str) -> bool {
    match store.message_by_message_id(account, message_id).await.unwrap() {
        Some(m) => !store.drafts_for_message(m.id).await.unwrap().is_empty(),
        None => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_follows_its_account_folder() {
    let Some(((ih, ip), (sh, sp))) = common::peers() else { return };
    let Some(admin_url) = common::postgres_admin_url("a_worker_follows_its_account_folder") else { return };
    let pid = std::process::id();
    let db = format!("autoemail_folder_{pid}");
    let url = common::fresh_database(&admin_url, &db).await;
    let (ann, ben) = (format!("folder-ann-{pid}"), format!("folder-ben-{pid}"));
    common::add_imap_users(&ih, ip, &[ann.clone(), ben.clone()]).await;

    let dir = tempfile::tempdir().unwrap();
    let accounts = dir.path().join("accounts");
    std::fs::create_dir_all(&accounts).unwrap();
    autoemail::config::write_private(&accounts.join("pw"), "secret\n").unwrap();
    let ui_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (imap, smtp) = ((ih.as_str(), ip), (sh.as_str(), sp));
    let ann_config = account_config(&ann, imap, smtp, &url, &format!("bind = \"127.0.0.1:{ui_port}\"\n"));
    let write = |file: &str, text: &str| autoemail::config::write_private(&accounts.join(file), text).unwrap();
    write("ann.toml", &ann_config);
    write("broken.toml", "[account\nname = \"nobody\"\n");

    // `doctor --accounts` reads the folder as the worker will: what is skipped, and each account's servers.
    let doctor = std::process::Command::new(env!("CARGO_BIN_EXE_autoemail")).args(["doctor", "--accounts"]).arg(&accounts).output().unwrap();
    let said = String::from_utf8_lossy(&doctor.stdout);
    assert!(!doctor.status.success(), "a config that does not load fails the check:\n{said}");
    assert!(said.lines().any(|l| l.starts_with("FAILED") && l.contains("broken.toml")), "{said}");
    assert!(said.contains(&format!("ok     [{ann}] IMAP: logged in")), "{said}");
    assert!(said.contains(&format!("ok     [{ann}] sending")), "{said}");

    let log = dir.path().join("worker.log");
    let _worker = common::start_worker(&accounts, &log, &["--sync-interval", "1", "--reload-interval", "1", "--web"]);
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
    let send = async |to: &str, n: usize| -> String {
        let id = format!("folder-{pid}-{to}-{n}@example.test");
        let raw = format!(
            "From: Bob <bob@example.test>\r\nTo: {to}@example.test\r\nSubject: Samples ({n})\r\nMessage-ID: <{id}>\r\n\r\n\
Hi,\r\n\r\nThank you so much for the samples, they arrived today and look great.\r\n\r\nBest,\r\nBob\r\n"
        );
        common::smtp_send(&sh, sp, "bob@example.test", &format!("{to}@example.test"), raw.as_bytes()).await;
        id
    };

    // The broken config is skipped and said; ann works.
    wait_until("the worker to say it skipped broken.toml", WAIT, async || log_has(&log, &["skipped", "broken.toml"])).await;
    let first = send(&ann, 1).await;
    wait_until("ann's message drafted", WAIT, async || drafted(store.as_ref(), &ann, &first).await).await;

    // ben joins without a restart; a second file naming ann is refused.
    write("ben.toml", &account_config(&ben, imap, smtp, &url, ""));
    write("copy-of-ann.toml", &account_config(&ann, imap, smtp, &url, ""));
    wait_until("ben to join", WAIT, async || log_has(&log, &["accounts joined", &ben])).await;
    let to_ben = send(&ben, 1).await;
    wait_until("ben's message drafted", WAIT, async || drafted(store.as_ref(), &ben, &to_ben).await).await;
    assert!(log_has(&log, &["copy-of-ann.toml", "is taken by", "ann.toml"]), "the second file naming ann is refused with its reason");

    // The worker's review UI shows ben's draft.
    let ui = format!("http://127.0.0.1:{ui_port}");
    let http = reqwest::Client::new();
    let session = http.get(format!("{ui}/api/session")).send().await.expect("the worker serves the review UI");
    let cookie = session.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with("autoemail_session=")).unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let refs = async || -> Vec<String> {
        let queue: serde_json::Value = http.get(format!("{ui}/api/queue")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
        queue["drafts"].as_array().unwrap().iter().filter_map(|d| d["ref"].as_str().map(str::to_string)).collect()
    };
    // Which accounts the audit log shows entries of (each under its own account).
    let audited = async || -> std::collections::BTreeSet<String> {
        let log: serde_json::Value = http.get(format!("{ui}/api/audit?q=triaged")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
        log["entries"].as_array().unwrap().iter().filter_map(|e| e["account"].as_str().map(str::to_string)).collect()
    };
    let listed = refs().await;
    assert!(listed.iter().any(|r| r.starts_with(&format!("{ben}/"))), "the UI lists the new account's draft: {listed:?}");
    assert_eq!(audited().await, [ann.clone(), ben.clone()].into(), "the audit log shows both accounts' decisions");
    assert!(listed.iter().any(|r| r.starts_with(&format!("{ann}/"))), "and still ann's: {listed:?}");

    // A broken edit of ann's config is said, and ann keeps working on the last good one.
    std::fs::remove_file(accounts.join("copy-of-ann.toml")).unwrap();
    write("ann.toml", "[account]\nname = \"ann\"\n[store]\nurl = 5\n");
    let ann_path = format!("{}:", accounts.join("ann.toml").display());
    wait_until("the worker to refuse the broken edit", WAIT, async || log_has(&log, &["skipped", &ann_path])).await;
    let second = send(&ann, 2).await;
    wait_until("ann's second message drafted", WAIT, async || drafted(store.as_ref(), &ann, &second).await).await;
    assert!(!log_has(&log, &["accounts left", &ann]), "ann stayed on her last good config");
    let ui_still = reqwest::get(format!("{ui}/api/session")).await.expect("the UI keeps serving after the broken edit");
    assert_eq!(ui_still.status(), 200);

    // ben leaves: his mail is no longer synced, and the UI stops listing him.
    std::fs::remove_file(accounts.join("ben.toml")).unwrap();
    wait_until("ben to leave", WAIT, async || log_has(&log, &["accounts left", &ben])).await;
    let after = send(&ben, 2).await;
    let third = send(&ann, 3).await;
    wait_until("ann's third message drafted", WAIT, async || drafted(store.as_ref(), &ann, &third).await).await;
    tokio::time::sleep(Duration::from_secs(4)).await; // several sync rounds of one second
    assert!(store.message_by_message_id(&ben, &after).await.unwrap().is_none(), "a removed account is not synced");
    let listed = refs().await;
    assert!(!listed.iter().any(|r| r.starts_with(&format!("{ben}/"))), "the UI no longer lists ben: {listed:?}");
    assert_eq!(audited().await, [ann.clone()].into(), "nor his audit entries");
    // Mended, ann's config is taken anew, once: an unchanged file is never reloaded.
    assert!(!log_has(&log, &["accounts reloaded"]), "nothing was reloaded while no good config changed");
    write("ann.toml", &ann_config);
    wait_until("ann's mended config to load", WAIT, async || log_has(&log, &["accounts reloaded", &ann])).await;
    let fourth = send(&ann, 4).await;
    wait_until("ann's fourth message drafted", WAIT, async || drafted(store.as_ref(), &ann, &fourth).await).await;
    let reloads = std::fs::read_to_string(&log).unwrap().lines().filter(|l| l.contains("accounts reloaded")).count();
    assert_eq!(reloads, 1, "one reload for one change");
    let said = std::fs::read_to_string(&log).unwrap().lines().filter(|l| l.contains("skipped") && l.contains("broken.toml")).count();
    assert_eq!(said, 1, "a config that does not load is said once, not at every look");
    assert!(
        !log_has(&log, &["a worker loop stopped"]) && !log_has(&log, &["panicked"]),
        "the worker ran throughout:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    drop(store);
    common::drop_database(&admin_url, &db).await;
}
