//! What a worker costs the database per account when most accounts are idle,
//! over 1,000 accounts on PostgreSQL:
//! - the send loop's pass (every second, in every worker), as it was before
//!   (every account's outbox asked in turn: pause, replies to settle, a reply
//!   due, replies to file) and as it is now (one query for the accounts with
//!   work, then only those);
//! - the sender importance the review UI's queue reads on every refresh (every
//!   4 s while it is open), one query per account before, one for all now;
//! - the review UI's stats and policy pages (and the stats API) over the same
//!   accounts, once each holds a draft and every other one a rejected draft,
//!   median of 7 HTTP requests on loopback.
//!
//! Run it with:
//!
//! ```text
//! AUTOEMAIL_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1/postgres \
//!     cargo bench -p autoemail --bench idle_accounts
//! ```
//!
//! The URL names a server and a role that may create databases; the benchmark
//! creates a fresh database and drops it afterwards.

use std::sync::Arc;
mod page_timing;

use std::time::Instant;

use autoemail::pipeline::Source;
use autoemail::{App, Config};
use autoemail_store::{PgStore, Store};
use page_timing::median_ms;

const ACCOUNTS: usize = 1_000;
const PASSES: usize = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(admin_url) = std::env::var("AUTOEMAIL_BENCH_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        println!("idle-accounts benchmark skipped: set AUTOEMAIL_BENCH_POSTGRES_URL to a PostgreSQL role that may create databases");
        return;
    };
    let db = format!("autoemail_idle_{}", std::process::id());
    let admin = PgStore::admin(&admin_url).await.unwrap();
    PgStore::drop_database(&admin, &db).await.unwrap();
    PgStore::create_database(&admin, &db).await.unwrap();
    let url = PgStore::database_url(&admin_url, &db);

    let tmp = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.unwrap());
    let mut apps = Vec::new();
    for i in 0..ACCOUNTS {
        let name = format!("idle{i:04}");
        let path = tmp.path().join(format!("{name}.toml"));
        autoemail::config::write_private(
            &path,
            &format!("[account]\nname = \"{name}\"\naddress = \"{name}@example.test\"\n\n[store]\nurl = \"{url}\"\n\n[outbox]\nmaildir = \"sent\"\n\n[web]\nbind = \"127.0.0.1:0\"\n"),
        )
        .unwrap();
        let app = App::with_store(Config::load(&path).unwrap(), store.clone()).unwrap();
        store.register_account(app.account()).await.unwrap();
        apps.push(app);
    }
    let senders: Vec<_> = apps.iter().map(|a| a.sender().unwrap()).collect();
    let names: Vec<String> = apps.iter().map(|a| a.account().to_string()).collect();

    let best = |times: Vec<f64>| times.into_iter().fold(f64::INFINITY, f64::min);
    let mut before = Vec::new();
    for _ in 0..PASSES {
        let t = Instant::now();
        for (app, sender) in apps.iter().zip(&senders) {
            app.deliver_due(sender.as_ref(), None).await.unwrap();
        }
        before.push(t.elapsed().as_secs_f64());
    }
    let mut now = Vec::new();
    for _ in 0..PASSES {
        let t = Instant::now();
        let busy = store.accounts_with_outbox_work(&names, autoemail::now()).await.unwrap();
        assert!(busy.is_empty());
        now.push(t.elapsed().as_secs_f64());
    }
    let (before, now) = (best(before), best(now));
    println!("send loop, one pass over {ACCOUNTS} accounts with nothing to send (PostgreSQL, best of {PASSES}):");
    println!("  every account asked in turn (before): {:>8.1} ms", before * 1e3);
    println!("  one query for the accounts with work:  {:>8.2} ms  ({:.0}x less; the loop runs every second in every worker)", now * 1e3, before / now);

    let mut each = Vec::new();
    let mut all = Vec::new();
    for _ in 0..PASSES {
        let t = Instant::now();
        // As the page did before: a query of its own for each account.
        for name in &names {
            std::hint::black_box(store.answered_counts_of(std::slice::from_ref(name)).await.unwrap());
        }
        each.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(store.answered_counts_of(&names).await.unwrap());
        all.push(t.elapsed().as_secs_f64());
    }
    let (each, all) = (best(each), best(all));
    println!("review UI queue refresh, sender importance of {ACCOUNTS} accounts (best of {PASSES}):");
    println!("  one query per account (before):       {:>8.1} ms", each * 1e3);
    println!("  one query for all:                     {:>8.2} ms  ({:.0}x less; the page refreshes every 4 s)", all * 1e3, each / all);

    // Some history for the pages to show: a draft in every account, every other one rejected.
    let apps: Vec<Arc<App>> = apps.into_iter().map(Arc::new).collect();
    let t = Instant::now();
    for (i, app) in apps.iter().enumerate() {
        let raw = format!(
            "From: Dana <dana{i}@customer.test>\r\nTo: {}@example.test\r\nSubject: Opening hours\r\nMessage-ID: <q{i}@customer.test>\r\nDate: Mon, 2 Nov 2026 09:00:00 +0000\r\n\r\nHello, could you tell me when your shop opens on Saturdays?\r\n",
            app.account()
        );
        let outcome = app.ingest(raw.as_bytes(), Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await.unwrap();
        let autoemail::pipeline::IngestOutcome::Stored { draft: Some(draft), .. } = outcome else { panic!("no draft for account {i}: {outcome:?}") };
        if i % 2 == 0 {
            app.reject(draft, "bench", "not needed").await.unwrap();
        }
    }
    println!("review UI pages: {ACCOUNTS} accounts given a draft each, every other one rejected, in {:.0} s", t.elapsed().as_secs_f64());
    let server = autoemail::web::serve_roster(autoemail::roster::Roster::from_shared(apps.clone()), "bench").await.unwrap();
    let http = reqwest::Client::new();
    let base = server.url();
    for (what, path) in [("stats page", "/stats"), ("stats API", "/api/stats"), ("policy page", "/policy")] {
        let (ms, bytes) = median_ms(&http, &format!("{base}{path}")).await;
        println!("  {what:<12} {path:<11} {ms:>8.1} ms  ({} kB; a page a person opens, aim: well under a second)", bytes / 1000);
    }
    server.task.abort();
    drop(apps);
    drop(store);
    let _ = PgStore::drop_database(&admin, &db).await;
}
