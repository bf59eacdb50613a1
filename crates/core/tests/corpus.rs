//! Every message of the shared real-mail corpus parses without a panic, and
//! triage meets its targets on SpamAssassin: at most 2% of spam and at most 5%
//! of easy ham would get a draft.

use std::path::{Path, PathBuf};

use autoemail_core::parse_message;
use autoemail_core::triage::{TriageContext, triage};

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("AUTOEMAIL_DATA").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.join("spamassassin").is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("the shared corpus is required in CI but {} has no spamassassin/", dir.display());
    }
    eprintln!("\n*** SKIPPED: no shared corpus at {} (set AUTOEMAIL_DATA) ***\n", dir.display());
    None
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    out.sort();
    out
}

/// Share of a folder's messages that triage says need a reply.
fn drafted_share(dir: &Path) -> (usize, usize) {
    let ctx = TriageContext::default();
    let mut drafted = 0;
    let mut total = 0;
    for path in files(dir) {
        if path.extension().is_some_and(|e| e == "txt") && path.file_name().unwrap().to_string_lossy().starts_with("LICENSE") {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        let msg = parse_message(&raw).unwrap();
        total += 1;
        if triage(&msg, &ctx).needs_reply {
            drafted += 1;
        }
    }
    (drafted, total)
}

#[test]
fn every_corpus_message_parses() {
    let Some(data) = data_dir() else { return };
    let mut count = 0;
    let mut warned = 0;
    for sub in ["spamassassin/easy-ham-1", "spamassassin/hard-ham-1", "spamassassin/spam-1", "enron_berkeley"] {
        for path in files(&data.join(sub)) {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !(name.ends_with(".eml") || (sub == "enron_berkeley" && name.ends_with(".txt") && name != "categories.txt")) {
                continue;
            }
            let raw = std::fs::read(&path).unwrap();
            let msg = parse_message(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(msg.size, raw.len());
            count += 1;
            if !msg.warnings.is_empty() {
                warned += 1;
            }
        }
    }
    println!("parsed {count} corpus messages, {warned} with recorded warnings");
    assert!(count > 4000, "expected the whole corpus, parsed {count}");
}

#[test]
fn triage_drafts_almost_no_spam_or_list_mail() {
    let Some(data) = data_dir() else { return };
    let (spam_drafted, spam_total) = drafted_share(&data.join("spamassassin/spam-1"));
    let (ham_drafted, ham_total) = drafted_share(&data.join("spamassassin/easy-ham-1"));
    let spam_rate = spam_drafted as f64 / spam_total as f64;
    let ham_rate = ham_drafted as f64 / ham_total as f64;
    println!("triage: spam-1 drafted {spam_drafted}/{spam_total} = {:.1}% (target ≤ 2%)", spam_rate * 100.0);
    println!("triage: easy-ham-1 drafted {ham_drafted}/{ham_total} = {:.1}% (target ≤ 5%)", ham_rate * 100.0);
    assert!(spam_rate <= 0.02, "spam drafted {:.1}%", spam_rate * 100.0);
    assert!(ham_rate <= 0.05, "easy ham drafted {:.1}%", ham_rate * 100.0);
}
