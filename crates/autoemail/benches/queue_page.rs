//! The review queue at scale: how long the page and its refresh take with
//! many pending drafts.
//!
//!   cargo bench -p autoemail --bench queue_page
//!
//! Builds a local store (SQLite, offline drafter) holding BENCH_DRAFTS pending
//! drafts (default 20,000), each from a message run through the real ingest
//! path: a mix of routine notes (which form groups), questions, quote requests
//! and complaints from many senders. Then serves the review UI on loopback and
//! times, over real HTTP, what a person's browser asks for: the page, the list
//! the page refreshes every 4 seconds, and the JSON queue. Prints the median of
//! 7 requests each. Aim: the page opens in under a second with 20,000 drafts
//! waiting; the refresh is shown as its share of the 4-second interval.
//! BENCH_KEEP=1 keeps the store and prints its path.

mod page_timing;

use std::time::Instant;

use autoemail::pipeline::Source;
use page_timing::median_ms;

const REFRESH_MS: f64 = 4000.0;
const AIM_PAGE_MS: f64 = 1000.0;

/// A message of one of several kinds, from one of many senders.
fn message(n: usize) -> Vec<u8> {
    let sender = n % 700;
    let (subject, body) = match n % 8 {
        0 => (
            "Thank you".to_string(),
            format!("Hi Sam,\r\n\r\nThank you so much for the samples, they arrived today and look great.\r\n\r\nBest,\r\nClient {sender}"),
        ),
        1 => (
            format!("Order {n}"),
            format!("Hi Sam,\r\n\r\nCould you confirm the delivery date for order {n}? We need it on site next week.\r\n\r\nThanks,\r\nClient {sender}"),
        ),
        2 => (
            format!("Quote for {} units", 10 + n % 90),
            format!(
                "Hello,\r\n\r\nWhat would be your price for {} units of the standard model, delivered to our Leeds office?\r\n\r\nRegards,\r\nClient {sender}",
                10 + n % 90
            ),
        ),
        3 => (
            "Meeting next week".to_string(),
            format!(
                "Hi Sam,\r\n\r\nCan we meet on Tuesday at {} to go over the plans? Let me know if another time suits you better.\r\n\r\nClient {sender}",
                9 + n % 8
            ),
        ),
        4 => (
            format!("Complaint about order {n}"),
            format!(
                "Sam,\r\n\r\nThe parts for order {n} arrived damaged and late. This is unacceptable; I expect a refund or a replacement by Friday.\r\n\r\nClient {sender}"
            ),
        ),
        5 => ("Thanks again".to_string(), format!("Hi Sam,\r\n\r\nThanks again for your help yesterday, much appreciated.\r\n\r\nCheers,\r\nClient {sender}")),
        6 => (
            "Question about the invoice".to_string(),
            format!("Hi Sam,\r\n\r\nInvoice {n} lists two items we did not order. Could you check and send a corrected one?\r\n\r\nThanks,\r\nClient {sender}"),
        ),
        _ => (
            "Catalogue".to_string(),
            format!(
                "Hello Sam,\r\n\r\nCould you send me your latest catalogue? We are planning next year's purchases.\r\n\r\nKind regards,\r\nClient {sender}"
            ),
        ),
    };
    format!(
        "From: Client {sender} <client{sender}@example.com>\r\nTo: Sam Carter <sam@northwind.example>\r\nSubject: {subject}\r\nMessage-ID: <queue-{n}@example.com>\r\n\
Date: Mon, 23 Nov 2026 {:02}:{:02}:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        n / 60 % 24,
        n % 60
    )
    .into_bytes()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let wanted: usize = std::env::var("BENCH_DRAFTS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    let config = "[account]\nname = \"bench\"\naddress = \"sam@northwind.example\"\ndisplay_name = \"Sam Carter\"\n\n[store]\npath = \"demo.sqlite\"\n\n\
[outbox]\nhold_seconds = 0\nmaildir = \"sent-mail\"\n\n[policy]\ndefault = \"review\"\n\n[web]\nbind = \"127.0.0.1:0\"\n";
    autoemail::config::write_private(&dir.path().join("config.toml"), config).unwrap();
    let (app, _) = autoemail::demo::prepare(dir.path(), false).await.unwrap();

    let t = Instant::now();
    let mut n = 0;
    while app.store.queue(None).await.unwrap().len() < wanted {
        let missing = wanted - app.store.queue(None).await.unwrap().len();
        let batch: Vec<Vec<u8>> = (n..n + missing).map(message).collect();
        n += missing;
        for chunk in batch.chunks(50) {
            app.ingest_many(chunk.iter().map(|r| (r.as_slice(), Source { mailbox: "INBOX", uid: None, uidvalidity: None })).collect()).await.unwrap();
        }
    }
    let pending = app.store.queue(None).await.unwrap().len();
    println!("store: {n} messages ingested in {:.0} s, {pending} drafts waiting for review", t.elapsed().as_secs_f64());

    let mut whole_ms = Vec::new();
    let mut entries_ms = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        std::hint::black_box(app.store.queue(None).await.unwrap());
        whole_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        std::hint::black_box(app.store.queue_entries(None).await.unwrap());
        entries_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    whole_ms.sort_by(f64::total_cmp);
    entries_ms.sort_by(f64::total_cmp);

    let server = autoemail::web::serve(vec![app.clone()], "bench").await.unwrap();
    let http = reqwest::Client::new();
    let base = server.url();
    let (page, page_bytes) = median_ms(&http, &format!("{base}/")).await;
    let (refresh, refresh_bytes) = median_ms(&http, &format!("{base}/queue/items")).await;
    let (api, api_bytes) = median_ms(&http, &format!("{base}/api/queue")).await;
    server.task.abort();
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("store kept for inspection: {}", dir.keep().join("demo.sqlite").display());
    }

    println!("store: every waiting draft whole (`queue`, for `autoemail queue`): {:>5.0} ms", whole_ms[3]);
    println!("store: what the list shows of each (`queue_entries`):              {:>5.0} ms", entries_ms[3]);
    println!("queue page (first load):      {page:>7.0} ms  ({} kB)", page_bytes / 1000);
    println!(
        "queue list refresh:           {refresh:>7.0} ms  ({} kB), every {:.0} s: {:.1}% of the interval",
        refresh_bytes / 1000,
        REFRESH_MS / 1000.0,
        100.0 * refresh / REFRESH_MS
    );
    println!("JSON queue (all drafts):      {api:>7.0} ms  ({} kB)", api_bytes / 1000);
    println!("aim: the page opens in under {AIM_PAGE_MS:.0} ms with {pending} drafts waiting: {}", if page < AIM_PAGE_MS { "met" } else { "NOT met" });
}
