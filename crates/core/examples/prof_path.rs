#[path = "../benches/common/mod.rs"]
mod common;
use autoemail_core::parse_message;
use autoemail_core::risk::{AssessContext, assess_message, combine};
use autoemail_core::triage::{TriageContext, triage};
fn main() {
    let corpus = common::corpus();
    let ctx = TriageContext::default();
    let reps: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(10);
    let only_parse = std::env::var_os("ONLY_PARSE").is_some();
    let t = std::time::Instant::now();
    for _ in 0..reps {
        for raw in &corpus {
            if let Ok(msg) = parse_message(raw) {
                if only_parse {
                    std::hint::black_box(&msg);
                    continue;
                }
                let key = autoemail_core::thread::thread_key(&msg, |_| None);
                let t = triage(&msg, &ctx);
                let intent = autoemail_core::intent::classify(&msg);
                let a = combine(assess_message(&msg, &AssessContext { known_sender: true, thread_len: 1 }));
                std::hint::black_box((key, t, intent, a));
            }
        }
    }
    let n = reps * corpus.len();
    eprintln!("{:.0} msg/s ({:.1} us/msg)", n as f64 / t.elapsed().as_secs_f64(), t.elapsed().as_secs_f64() * 1e6 / n as f64);
}
