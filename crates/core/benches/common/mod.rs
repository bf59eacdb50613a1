//! The corpus the core benches read: SpamAssassin and the Enron set from the
//! shared data (AUTOEMAIL_DATA, default ../shared/data), each file a message.

use std::path::{Path, PathBuf};

pub fn data_dir() -> PathBuf {
    std::env::var_os("AUTOEMAIL_DATA").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// Every message of the corpus, in path order; empty without the shared data.
pub fn corpus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    load(&data_dir().join("spamassassin"), &mut out);
    load(&data_dir().join("enron_berkeley"), &mut out);
    out
}

fn load(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            load(&p, out);
        } else if !p.extension().is_some_and(|e| e == "cats" || e == "csv")
            && !p.ends_with("categories.txt")
            && let Ok(b) = std::fs::read(&p)
        {
            out.push(b);
        }
    }
}
