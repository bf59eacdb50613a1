//! Time on crafted worst cases: inputs shaped to make parsing or the rules
//! slow (thousands of unclosed or mismatched tags, quotations, parts,
//! recipients, references, base64 runs), each against the corpus's own speed
//! per byte.
//!
//!   cargo bench -p autoemail-core --bench worst_case
//!
//! Each is parsed and assessed (thread key, triage, intent, message risk) as
//! at ingest. A case much slower per byte than real mail is work an attacker
//! could make the ingest do: each line prints that ratio.

mod common;

use std::time::Instant;

use autoemail_core::parse_message;
use autoemail_core::risk::{AssessContext, assess_message};
use autoemail_core::triage::{TriageContext, triage};
use common::{corpus, data_dir};

/// Parse and assess one message as ingest does.
fn ingest(raw: &[u8]) {
    if let Ok(msg) = parse_message(raw) {
        let key = autoemail_core::thread::thread_key(&msg, |_| None);
        let t = triage(&msg, &TriageContext::default());
        let intent = autoemail_core::intent::classify(&msg);
        let risk = assess_message(&msg, &AssessContext { known_sender: false, thread_len: 1 });
        std::hint::black_box((key, t, intent, risk));
    }
}

/// Seconds for the best of `runs`.
fn best(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn message(headers: &str, body: &str) -> Vec<u8> {
    format!("From: a@b.test\r\nTo: me@c.test\r\nSubject: worst case\r\nMessage-ID: <w@b.test>\r\n{headers}\r\n{body}\r\n").into_bytes()
}

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let html = "Content-Type: text/html\r\n";
    let mut nested = String::new();
    for i in 0..3_000 {
        nested.push_str(&format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"));
    }
    let mut parts = String::new();
    for i in 0..20_000 {
        parts.push_str(&format!("--zz\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"));
    }
    let recipients: Vec<String> = (0..50_000).map(|i| format!("u{i}@x.test")).collect();
    vec![
        ("200,000 mismatched tags (<b>a</i>)", message(html, &"<b>a</i>".repeat(200_000))),
        ("100,000 open hidden divs", message(html, &"<div style='display:none'>".repeat(100_000))),
        ("30,000 comments and white text", message(html, &"<!-- c --> <p style='color:#fff'>w</p> ".repeat(30_000))),
        ("180,000 entities", message(html, &"&amp;&#x41;&lt;".repeat(60_000))),
        ("40,000 quotations and full stops in one paragraph", message("", &" 'x'. ".repeat(40_000))),
        ("18,000 task sentences", message("", &"Explain this. ".repeat(18_000))),
        ("6,000 base64-encoded instructions", message("", &"SWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM= ".repeat(6_000))),
        ("50,000 letter-spaced words", message("", &"a b c d e f ".repeat(20_000))),
        ("30,000 invisible characters", message("", &"ig\u{200B}nore ".repeat(30_000))),
        ("100,000 quoted lines", message("", &"> quoted line\r\n".repeat(100_000))),
        ("3,000 nested multiparts", format!("From: a@b.test\r\nSubject: nest\r\n{nested}Content-Type: text/plain\r\n\r\nhello\r\n").into_bytes()),
        ("20,000 parts", message("Content-Type: multipart/mixed; boundary=zz\r\n", &format!("{parts}--zz--"))),
        ("50,000 recipients", format!("From: a@b.test\r\nSubject: to\r\nTo: {}\r\n\r\nhi\r\n", recipients.join(", ")).into_bytes()),
        (
            "100,000 references",
            format!(
                "From: a@b.test\r\nSubject: refs\r\nReferences: {}\r\n\r\nhi\r\n",
                (0..100_000).map(|i| format!("<r{i}@x.test>")).collect::<Vec<_>>().join(" ")
            )
            .into_bytes(),
        ),
        ("300,000 quoted-printable escapes", message("Content-Transfer-Encoding: quoted-printable\r\n", &"=41=42=43 ".repeat(100_000))),
        ("100,000 quoted-printable soft line breaks", message("Content-Transfer-Encoding: quoted-printable\r\n", &"abc=\r\n".repeat(100_000))),
        ("a 2 MB subject", format!("From: a@b.test\r\nSubject: {}\r\n\r\nbody\r\n", "x".repeat(2_000_000)).into_bytes()),
    ]
}

fn main() {
    let corpus = corpus();
    if corpus.is_empty() {
        eprintln!("no corpus under {} (set AUTOEMAIL_DATA); nothing to compare with", data_dir().display());
        std::process::exit(1);
    }
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let corpus_secs = best(3, || corpus.iter().for_each(|raw| ingest(raw)));
    let corpus_rate = bytes as f64 / corpus_secs / 1e6;
    println!("corpus: {} messages, {:.1} MB ingested at {corpus_rate:.1} MB/s (the measure for each case below)", corpus.len(), bytes as f64 / 1e6);
    for (name, raw) in cases() {
        let secs = best(3, || ingest(&raw));
        let rate = raw.len() as f64 / secs / 1e6;
        println!(
            "{name:<52} {:>7.0} KB in {:>8.1} ms = {rate:>6.1} MB/s, {:>5.1}x the corpus's time per byte",
            raw.len() as f64 / 1e3,
            secs * 1e3,
            corpus_rate / rate
        );
    }
}
