//! Lists the BIPIA attacks the injection detector misses, by insertion point.
//!   cargo run --release -p autoemail --example bipia_misses -- ../shared/data
use std::collections::BTreeMap;
fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "../shared/data".into()));
    let emails: Vec<String> = std::fs::read_to_string(root.join("bipia/email_train.jsonl"))
        .expect("bipia emails")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?.get("context")?.as_str().map(str::to_string))
        .collect();
    let attacks: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&std::fs::read_to_string(root.join("bipia/text_attack_train.json")).expect("attacks")).expect("json");
    let mut misses: BTreeMap<(String, usize), usize> = BTreeMap::new();
    let mut example: BTreeMap<(String, usize), String> = BTreeMap::new();
    for e in &emails {
        for list in attacks.values() {
            for a in list {
                for (pos, text) in autoemail::eval::insert_attack(e, a).iter().enumerate() {
                    let raw = autoemail::eval::bipia_message(text);
                    let msg = autoemail_core::parse_message(&raw).expect("parses");
                    if !autoemail::eval::flags_injection(&msg) {
                        *misses.entry((a.clone(), pos)).or_default() += 1;
                        example.entry((a.clone(), pos)).or_insert_with(|| msg.text.clone());
                    }
                }
            }
        }
    }
    for ((a, pos), n) in &misses {
        let text = &example[&(a.clone(), *pos)];
        let at = text.find(&a[..a.len().min(12)]).unwrap_or(0);
        let from = text[..at].char_indices().rev().nth(60).map(|(i, _)| i).unwrap_or(0);
        println!("{n:>3} at {} : {a}\n      …{}…", ["start", "middle", "end"][*pos], text[from..].chars().take(160).collect::<String>().replace('\n', "⏎"));
    }
}
