//! The demo: a local store, a sample inbox written for AutoEmail, the offline
//! drafter, and a Maildir that stands in for SMTP. Nothing leaves the machine.

use std::path::{Path, PathBuf};

use autoemail_mail::import::split_mbox;

use crate::pipeline::{IngestOutcome, Source};
use crate::{App, Config, Result};

pub const SAMPLE_INBOX: &[u8] = include_bytes!("../demo/sample-inbox.mbox");

pub const DEMO_CONFIG: &str = r#"# Demo configuration written by `autoemail demo`. Nothing here talks to a server:
# approved replies are delivered into the Maildir below.
[account]
name = "demo"
address = "sam@northwind.example"
display_name = "Sam Carter"

[store]
path = "demo.sqlite"

[outbox]
hold_seconds = 0
maildir = "sent-mail"

[policy]
default = "review"
"#;

#[derive(Debug, Default)]
pub struct DemoSummary {
    pub config_path: PathBuf,
    pub outbox: PathBuf,
    pub messages: usize,
    pub new: usize,
    pub needs_reply: usize,
    pub drafted: usize,
}

pub async fn prepare(dir: &Path, fresh: bool) -> Result<(App, DemoSummary)> {
    if fresh && dir.exists() {
        for name in ["demo.sqlite", "demo.sqlite-wal", "demo.sqlite-shm", "demo.sqlite.migrate-lock"] {
            let _ = std::fs::remove_file(dir.join(name));
        }
        let _ = std::fs::remove_dir_all(dir.join("sent-mail"));
    }
    std::fs::create_dir_all(dir)?;
    let config_path = dir.join("config.toml");
    if !config_path.exists() {
        crate::config::write_private(&config_path, DEMO_CONFIG)?;
    }
    let config = Config::load(&config_path)?;
    let outbox = config.resolve(config.outbox.maildir.as_deref().unwrap_or(Path::new("sent-mail")));
    let app = App::open(config).await?;
    let mut summary = DemoSummary { config_path, outbox, ..Default::default() };
    for raw in split_mbox(SAMPLE_INBOX) {
        summary.messages += 1;
        if let IngestOutcome::Stored { needs_reply, draft, .. } = app.ingest(&raw, Source { mailbox: "INBOX", uid: None, uidvalidity: None }).await? {
            summary.new += 1;
            summary.needs_reply += usize::from(needs_reply);
            summary.drafted += usize::from(draft.is_some());
        }
    }
    Ok((app, summary))
}
