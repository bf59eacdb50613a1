//! Prints every message of a folder that triage says needs a reply, with its headers
//! of interest: a tool for reviewing triage rules against a corpus.
use autoemail_core::parse_message;
use autoemail_core::triage::{TriageContext, triage};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: triage_dump DIR");
    if let Some(f) = std::env::args().nth(2) {
        dump(&f);
        return;
    }
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for p in paths {
        let raw = std::fs::read(&p).unwrap();
        let Ok(msg) = parse_message(&raw) else {
            continue;
        };
        let t = triage(&msg, &TriageContext::default());
        if t.needs_reply {
            let to: Vec<_> = msg.to.iter().map(|m| m.email.clone()).collect();
            println!(
                "{} | from={:?} to={:?} dt={:?} subj={:?} score={}",
                p.file_name().unwrap().to_string_lossy(),
                msg.from.as_ref().map(|f| &f.email),
                to,
                msg.header("Delivered-To"),
                msg.subject,
                t.spam_score
            );
        }
    }
}
#[allow(dead_code)]
fn dump(p: &str) {
    let raw = std::fs::read(p).unwrap();
    let m = parse_message(&raw).unwrap();
    for (n, v) in &m.headers {
        println!("{n}: {v}");
    }
}
