//! Workers keep each account's IMAP session between syncs, on the real
//! Dovecot, Postfix and PostgreSQL: two workers syncing four accounts every
//! second log in about once per account, not once per sync (each account
//! stays with the worker that synced it last); a session the server closes is
//! replaced at once, without a failed sync, and new mail still comes in; a
//! worker allowed fewer sessions than accounts keeps as many as allowed.
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

/// Dovecot's logins of this user so far, from its log.
fn logins(user: &str) -> usize {
    let log = std::fs::read_to_string(common::peers_dir().join("dovecot.log")).unwrap_or_default();
    let wanted = format!("Login: user=<{user}@example.test>");
    log.lines().filter(|l| l.contains(&wanted)).count()
}

/// The IMAP connections this user has open now, one line each in `doveadm who -1`.
fn connections(user: &str) -> usize {
    let out = std::process::Command::new("doveadm")
        .args(["-c", &std::env::var("AUTOEMAIL_TEST_DOVECOT_CONF").unwrap(), "who", "-1", &format!("{user}@example.test")])
        .output()
        .expect("doveadm who");
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("imap")).count()
}

fn log_has(log: &Path, words: &[&str]) -> bool {
    std::fs::read_to_string(log).is_ok_and(|text| text.lines().any(|l| words.iter().all(|w| l.contains(w))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_keep_imap_sessions_between_syncs() {
    let Some(((ih, ip), (sh, sp))) = common::peers() else { return };
    let Some(admin_url) = common::postgres_admin_url("workers_keep_imap_sessions_between_syncs") else { return };
    let pid = std::process::id();
    let db = format!("autoemail_kept_{pid}");
    let url = common::fresh_database(&admin_url, &db).await;
    let users: Vec<String> = (0..4).map(|i| format!("kept-{i}-{pid}")).collect();
    common::add_imap_users(&ih, ip, &users).await;

    let dir = tempfile::tempdir().unwrap();
    let accounts = dir.path().join("accounts");
    std::fs::create_dir_all(&accounts).unwrap();
    autoemail::config::write_private(&accounts.join("pw"), "secret\n").unwrap();
    for user in &users {
        let config = format!(
            "[account]\nname = \"{user}\"\naddress = \"{user}@example.test\"\n\n\
[imap]\nhost = \"{ih}\"\nport = {ip}\nsecurity = \"none\"\npassword_file = \"pw\"\ntimeout_seconds = 10\n\n\
[smtp]\nhost = \"{sh}\"\nport = {sp}\nsecurity = \"none\"\n\n[store]\nurl = \"{url}\"\n\n[policy]\ndefault = \"review\"\n"
        );
        autoemail::config::write_private(&accounts.join(format!("{user}.toml")), &config).unwrap();
    }
    let logs = [dir.path().join("w1.log"), dir.path().join("w2.log")];
    let w1 = common::start_worker(&accounts, &logs[0], &["--id", "w1", "--sync-interval", "1"]);
    let w2 = common::start_worker(&accounts, &logs[1], &["--id", "w2", "--sync-interval", "1"]);
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
    let send = async |to: &str, n: usize| -> String {
        let id = format!("kept-{pid}-{to}-{n}@example.test");
        let raw = format!(
            "From: Bob <bob@example.test>\r\nTo: {to}@example.test\r\nSubject: Samples ({n})\r\nMessage-ID: <{id}>\r\n\r\n\
Hi,\r\n\r\nThank you so much for the samples, they arrived today.\r\n\r\nBob\r\n"
        );
        common::smtp_send(&sh, sp, "bob@example.test", &format!("{to}@example.test"), raw.as_bytes()).await;
        id
    };
    let stored = async |account: &str, id: &str| store.message_by_message_id(account, id).await.unwrap().is_some();

    for user in &users {
        let id = send(user, 1).await;
        wait_until(&format!("{user}'s first message synced"), WAIT, async || stored(user, &id).await).await;
    }
    let before: Vec<usize> = users.iter().map(|u| logins(u)).collect();
    // About eight syncs of each account, then new mail for each.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for user in &users {
        let id = send(user, 2).await;
        wait_until(&format!("{user}'s second message synced"), WAIT, async || stored(user, &id).await).await;
    }
    let more: Vec<usize> = users.iter().zip(&before).map(|(u, b)| logins(u) - b).collect();
    let total: usize = more.iter().sum();
    common::record_figures(&format!(
        "kept IMAP sessions: 2 workers, 4 accounts synced every second for about 8 s: {total} logins in all ({more:?} per account; a login per sync would be about 32)"
    ));
    // A login now and then is allowed (an account another worker took while it was late); one per sync is not.
    assert!(total <= 2, "the accounts' sessions were kept: {more:?} more logins");
    // Each account stays with one worker, so it holds one connection, not one per worker.
    let open: Vec<usize> = users.iter().map(|u| connections(u)).collect();
    assert!(open.iter().sum::<usize>() <= users.len() + 1, "one open session per account: {open:?}");

    // The server closes one account's session: the next sync logs in again at once, and fails nothing.
    let kicked = &users[0];
    let kick = std::process::Command::new("doveadm")
        .args(["-c", &std::env::var("AUTOEMAIL_TEST_DOVECOT_CONF").unwrap(), "kick", &format!("{kicked}@example.test")])
        .output()
        .expect("doveadm");
    assert!(kick.status.success(), "doveadm kick: {}", String::from_utf8_lossy(&kick.stderr));
    let logged_in = logins(kicked);
    let id = send(kicked, 3).await;
    wait_until("mail after the kick synced", WAIT, async || stored(kicked, &id).await).await;
    assert!(logins(kicked) > logged_in, "a new session after the server closed the kept one");
    for log in &logs {
        assert!(!log_has(log, &[kicked.as_str(), "sync:"]), "no sync failed: {}", std::fs::read_to_string(log).unwrap());
    }

    // One worker keeping at most two sessions for four accounts, synced in
    // turn: two accounts keep theirs and two log in for each sync (pushing out
    // the longest unused would leave none kept by the time an account is due).
    drop((w1, w2));
    let _w3 = common::start_worker(&accounts, &dir.path().join("w3.log"), &["--id", "w3", "--sync-interval", "1", "--syncers", "1", "--kept-sessions", "2"]);
    for user in &users {
        let id = send(user, 4).await;
        wait_until(&format!("{user}'s mail synced by the third worker"), WAIT, async || stored(user, &id).await).await;
    }
    let before: Vec<usize> = users.iter().map(|u| logins(u)).collect();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let more: Vec<usize> = users.iter().zip(&before).map(|(u, b)| logins(u) - b).collect();
    common::record_figures(&format!("kept IMAP sessions, at most 2 for 4 accounts synced every second for 5 s: {more:?} logins per account"));
    assert!(more.iter().filter(|&&n| n <= 1).count() >= 2, "two accounts kept their sessions: {more:?} more logins");
    assert!(more.iter().any(|&n| n >= 2), "the accounts beyond the limit logged in for their syncs: {more:?}");

    drop(store);
    common::drop_database(&admin_url, &db).await;
}
