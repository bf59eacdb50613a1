//! Evaluation on a labeled corpus laid out like the project's shared data:
//! how often triage would draft a reply, per SpamAssassin group.

use std::path::Path;

use autoemail_core::parse_message;
use autoemail_core::triage::{TriageContext, triage};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct GroupResult {
    pub group: String,
    pub is_spam: bool,
    pub messages: usize,
    pub drafted: usize,
    pub unparseable: usize,
    pub drafted_rate: f64,
    /// The target this group is held to: spam ≤ 2%, easy ham ≤ 5%.
    pub target: Option<f64>,
}

impl GroupResult {
    pub fn meets_target(&self) -> bool {
        self.target.is_none_or(|t| self.drafted_rate <= t)
    }
}

pub fn triage_spamassassin(root: &Path, progress: &dyn Fn(usize, usize)) -> std::io::Result<Vec<GroupResult>> {
    let sa = root.join("spamassassin");
    let mut groups: Vec<_> = std::fs::read_dir(&sa)?.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    groups.sort();
    let ctx = TriageContext::default();
    let mut out = Vec::new();
    for dir in groups {
        let name = dir.file_name().unwrap_or_default().to_string_lossy().to_string();
        let mut files: Vec<_> = std::fs::read_dir(&dir)?.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        let total = files.len();
        let (mut messages, mut drafted, mut unparseable) = (0, 0, 0);
        for (i, f) in files.iter().enumerate() {
            progress(i + 1, total);
            let raw = std::fs::read(f)?;
            match parse_message(&raw) {
                Ok(msg) => {
                    messages += 1;
                    drafted += usize::from(triage(&msg, &ctx).needs_reply);
                }
                Err(_) => unparseable += 1,
            }
        }
        let is_spam = name.starts_with("spam");
        let target = if is_spam { Some(0.02) } else if name.starts_with("easy-ham") { Some(0.05) } else { None };
        out.push(GroupResult { group: name, is_spam, messages, drafted, unparseable, drafted_rate: drafted as f64 / messages.max(1) as f64, target });
    }
    Ok(out)
}
