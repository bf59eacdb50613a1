//! Prints the injection hits of each message file given, in the visible text
//! and in text hidden from the reader (for looking into false alarms).
//!   cargo run --release -p autoemail-core --example injection_dump -- FILE...
fn main() {
    for path in std::env::args().skip(1) {
        let raw = std::fs::read(&path).expect("readable file");
        let Ok(msg) = autoemail_core::parse_message(&raw) else { continue };
        for h in autoemail_core::injection::scan_with_context(&msg.text, &msg.subject) {
            println!("{path}: {}: {:?}", h.what, &msg.text[h.span.0..h.span.1]);
        }
        for h in autoemail_core::injection::scan_with_context(&msg.hidden_text, &format!("{}\n{}", msg.subject, msg.text)) {
            println!("{path}: hidden: {}: {:?}", h.what, &msg.hidden_text[h.span.0..h.span.1]);
        }
    }
}
