//! Maildir: the demo outbox (replies "sent" to a folder the person can open) and
//! reading a Maildir for import.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use crate::{MailSender, SendError};

/// Writes each message into `DIR/new` the Maildir way: write to `tmp`, then rename.
pub struct MaildirSender {
    root: PathBuf,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl MaildirSender {
    pub fn create(root: &Path) -> std::io::Result<Self> {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        Ok(MaildirSender { root: root.to_path_buf() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn deliver(&self, raw: &[u8]) -> std::io::Result<PathBuf> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let name = format!("{}.{}_{}.{}.autoemail", now.as_secs(), std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), now.subsec_nanos());
        let tmp = self.root.join("tmp").join(&name);
        let new = self.root.join("new").join(&name);
        std::fs::write(&tmp, raw)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &new)?;
        Ok(new)
    }
}

#[async_trait]
impl MailSender for MaildirSender {
    async fn send(&self, _envelope_from: &str, _recipients: &[String], raw: &[u8]) -> Result<(), SendError> {
        self.deliver(raw).map(|_| ()).map_err(|e| SendError::Transient(format!("writing to {}: {e}", self.root.display())))
    }

    fn describe(&self) -> String {
        format!("maildir:{}", self.root.display())
    }

    async fn was_delivered(&self, message_id: &str) -> Option<bool> {
        // A delivery is a rename into new/, so a file there is complete.
        let needle = format!("<{message_id}>");
        let files = maildir_files(&self.root).ok()?;
        Some(files.iter().any(|f| std::fs::read(f).is_ok_and(|raw| raw.windows(needle.len()).any(|w| w == needle.as_bytes()))))
    }
}

pub fn is_maildir(path: &Path) -> bool {
    path.join("cur").is_dir() && path.join("new").is_dir()
}

/// The message files of a Maildir (`new` then `cur`), sorted for a stable order.
pub fn maildir_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path.join(sub))?.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
        files.sort();
        out.extend(files);
    }
    Ok(out)
}
