//! SQLite against PostgreSQL: the whole ingest (parse, thread, triage, draft
//! with the offline drafter, assess, route, store, audit) of the same real
//! messages into each store: one message per transaction with one writer and
//! with four at once, and in batches of 50 (as a sync or an import stores them).
//!
//!   AUTOEMAIL_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1/postgres \
//!     cargo bench -p autoemail --bench store_ingest
//!
//! The URL names a server and a role that may create databases; the benchmark
//! creates a fresh database for each run and drops it afterwards.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use autoemail::pipeline::Source;
use autoemail::{App, Config};
use autoemail_store::PgStore;

const MESSAGES: usize = 2_000;
/// (writers, messages per transaction)
const RUNS: [(usize, usize); 3] = [(1, 1), (4, 1), (1, 50)];

fn corpus() -> Vec<Vec<u8>> {
    let data = std::env::var("AUTOEMAIL_DATA").map(PathBuf::from).unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let mut files = Vec::new();
    for sub in ["spamassassin/easy-ham-1", "spamassassin/hard-ham-1", "spamassassin/spam-1", "enron_berkeley"] {
        let Ok(dir) = std::fs::read_dir(data.join(sub)) else { continue };
        let mut paths: Vec<PathBuf> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_none_or(|e| e != "cats") && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("LICENSE")))
            .collect();
        paths.sort();
        files.extend(paths);
    }
    files.into_iter().filter_map(|p| std::fs::read(p).ok()).take(MESSAGES).collect()
}

async fn app(dir: &Path, name: &str, store_section: &str) -> App {
    let path = dir.join(format!("{name}.toml"));
    autoemail::config::write_private(&path, &format!("[account]\nname = \"{name}\"\naddress = \"sam@northwind.example\"\n\n[store]\n{store_section}\n"))
        .unwrap();
    App::open(Config::load(&path).unwrap()).await.unwrap()
}

/// Messages per second over `writers` concurrent ingesters sharing the store,
/// each storing `batch` messages per transaction.
async fn ingest(app: &App, messages: &Arc<Vec<Vec<u8>>>, writers: usize, batch: usize) -> f64 {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let app = app.clone();
        let messages = messages.clone();
        tasks.push(tokio::spawn(async move {
            let mine: Vec<&Vec<u8>> = messages.iter().skip(w).step_by(writers).collect();
            for chunk in mine.chunks(batch) {
                app.ingest_many(chunk.iter().map(|raw| (raw.as_slice(), Source { mailbox: "INBOX", uid: None, uidvalidity: None })).collect()).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    messages.len() as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let messages = Arc::new(corpus());
    if messages.is_empty() {
        println!("store benchmark skipped: no corpus (set AUTOEMAIL_DATA to shared/data)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    for (writers, batch) in RUNS {
        let sqlite = app(tmp.path(), &format!("sqlite{writers}-{batch}"), &format!("path = \"s{writers}-{batch}.sqlite\"")).await;
        rows.push(("SQLite (WAL, synchronous=FULL)", writers, batch, ingest(&sqlite, &messages, writers, batch).await));
    }
    // A person with history: 400 replies of theirs in the store, which drafting reads for style.
    {
        let with_history = app(tmp.path(), "history", "path = \"h.sqlite\"").await;
        for n in 0..400 {
            let raw = format!(
                "From: Sam <sam@northwind.example>\r\nTo: client{n}@example.com\r\nSubject: Re: order {n}\r\nMessage-ID: <sent-{n}@northwind.example>\r\n\r\nHi,\r\n\r\nThanks, your order {n} ships on Monday.\r\n\r\nBest regards,\r\nSam\r\n"
            );
            with_history.ingest(raw.as_bytes(), Source { mailbox: "Sent", uid: None, uidvalidity: None }).await.unwrap();
        }
        rows.push(("SQLite, with 400 sent replies to learn from", 1, 1, ingest(&with_history, &messages, 1, 1).await));
    }
    // One long thread against as many separate messages: drafting reads the
    // thread's latest messages, and a thread of thousands must cost no more.
    for (label, one_thread) in [("SQLite, 2,000 alike messages, each its own thread", false), ("SQLite, the same 2,000 in one thread, one sender", true)] {
        let alike: Vec<Vec<u8>> = (0..MESSAGES)
            .map(|n| {
                let thread = if one_thread && n > 0 { "References: <alike-0@example.com>\r\nIn-Reply-To: <alike-0@example.com>\r\n".to_string() } else { String::new() };
                format!(
                    "From: Bob Stone <bob@example.com>\r\nTo: sam@northwind.example\r\nSubject: Re: the plan {}\r\nMessage-ID: <alike-{n}@example.com>\r\n{thread}\
Date: Mon, 30 Nov 2026 {:02}:{:02}:{:02} +0000\r\n\r\nHi, could you check item {n} of the plan and tell me what you think?\r\nThanks, Bob\r\n",
                    if one_thread { 0 } else { n },
                    10 + n / 3600,
                    n / 60 % 60,
                    n % 60
                )
                .into_bytes()
            })
            .collect();
        let store = app(tmp.path(), &format!("alike{one_thread}"), &format!("path = \"alike-{one_thread}.sqlite\"")).await;
        rows.push((label, 1, 50, ingest(&store, &Arc::new(alike), 1, 50).await));
    }
    match std::env::var("AUTOEMAIL_BENCH_POSTGRES_URL").or_else(|_| std::env::var("AUTOEMAIL_TEST_POSTGRES_URL")) {
        Ok(url) => {
            let admin = PgStore::admin(&url).await.unwrap();
            for (writers, batch) in RUNS {
                let db = format!("autoemail_bench_{}_{writers}_{batch}", std::process::id());
                PgStore::create_database(&admin, &db).await.unwrap();
                let db_url = PgStore::database_url(&url, &db);
                let pg = app(tmp.path(), &format!("pg{writers}-{batch}"), &format!("url = \"{db_url}\"")).await;
                rows.push(("PostgreSQL (local, default durability)", writers, batch, ingest(&pg, &messages, writers, batch).await));
                drop(pg);
                PgStore::drop_database(&admin, &db).await.unwrap();
            }
        }
        Err(_) => println!("PostgreSQL half skipped: set AUTOEMAIL_BENCH_POSTGRES_URL=postgres://user@host/db"),
    }
    println!("full ingest of {} real messages (SpamAssassin + Enron), offline drafter:", messages.len());
    let base = rows[0].3;
    for (store, writers, batch, rate) in &rows {
        println!("  {store:<50} {writers} writer(s), {batch:>2} per commit: {rate:>7.0} messages/s  ({:.2}× SQLite, one writer, one per commit)", rate / base);
    }
}
