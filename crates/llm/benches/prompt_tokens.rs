//! How big the prompts are: average prompt tokens per draft over a corpus.
//!
//!   cargo bench -p autoemail-llm --bench prompt_tokens
//!
//! Renders the prompt for every Enron message of the shared data
//! (AUTOEMAIL_DATA, default ../shared/data) twice: bare, and with a 2 KB notes
//! file and three style examples. Tokens are estimated as characters / 4 (the
//! usual rule of thumb for English with OpenAI and Anthropic tokenizers) and
//! compared with the size of the raw message itself.

use std::path::{Path, PathBuf};

use autoemail_core::intent::classify;
use autoemail_core::parse_message;
use autoemail_core::reply::Identity;
use autoemail_core::style::{Example, StyleProfile};
use autoemail_llm::prompt::Templates;
use autoemail_llm::{DraftContext, DraftRequest};

fn data_dir() -> PathBuf {
    std::env::var_os("AUTOEMAIL_DATA").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn percentile(sorted: &[usize], p: f64) -> usize {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = data_dir().join("enron_berkeley");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no corpus at {} (set AUTOEMAIL_DATA)", dir.display());
        std::process::exit(1);
    };
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "txt") && !p.ends_with("categories.txt")).collect();
    files.sort();
    let me = Identity { name: Some("Sam Carter".into()), email: "sam@example.com".into(), aliases: vec![] };
    let notes: String = "Prices: consulting 150 EUR per hour; workshops 1,200 EUR per day.\n".repeat(40).chars().take(2048).collect();
    let rich = DraftContext {
        notes: Some(notes),
        style: StyleProfile {
            examples: (0..3)
                .map(|i| Example {
                    incoming: format!("Could we meet about the report {i} next week?"),
                    reply: "Hi Dana,\n\nSure, Tuesday at 10 works. I'll bring the figures.\n\nBest,\nSam".into(),
                })
                .collect(),
            greeting: Some("Hi {name},".into()),
            sign_off: Some("Best,".into()),
            typical_words: 60,
            learned_from: 200,
        },
        previous: vec![],
    };
    let bare = DraftContext::default();
    let templates = Templates::default();
    let (mut plain, mut full, mut raw_tokens) = (Vec::new(), Vec::new(), Vec::new());
    let started = std::time::Instant::now();
    for f in &files {
        let raw = std::fs::read(f).unwrap();
        let Ok(msg) = parse_message(&raw) else { continue };
        let intent = classify(&msg);
        for (context, out) in [(&bare, &mut plain), (&rich, &mut full)] {
            let request = DraftRequest { message: &msg, thread: &[], me: &me, intent, signals: &[], instruction: None, context };
            out.push(templates.render(&request).unwrap().estimated_tokens());
        }
        raw_tokens.push(raw.len().div_ceil(4));
    }
    let elapsed = started.elapsed();
    let n = plain.len();
    for v in [&mut plain, &mut full, &mut raw_tokens] {
        v.sort_unstable();
    }
    let mean = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len() as f64;
    println!("{n} Enron messages; tokens estimated as characters / 4");
    println!(
        "raw message (for comparison): mean {:>6.0}, median {:>5}, p95 {:>5}",
        mean(&raw_tokens),
        percentile(&raw_tokens, 0.5),
        percentile(&raw_tokens, 0.95)
    );
    println!(
        "prompt, message only:         mean {:>6.0}, median {:>5}, p95 {:>5}, max {:>5}",
        mean(&plain),
        percentile(&plain, 0.5),
        percentile(&plain, 0.95),
        plain[n - 1]
    );
    println!(
        "prompt, + 2 KB notes, 3 examples: mean {:>6.0}, median {:>5}, p95 {:>5}, max {:>5}",
        mean(&full),
        percentile(&full, 0.5),
        percentile(&full, 0.95),
        full[n - 1]
    );
    println!("rendering: {:.0} prompts/s", (2 * n) as f64 / elapsed.as_secs_f64());
}
