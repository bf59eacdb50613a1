//! Finding the messages in a path to import: an mbox file, a Maildir, a folder
//! of .eml files (searched recursively), or a single .eml file.

use std::path::{Path, PathBuf};

use crate::maildir::{is_maildir, maildir_files};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Mbox,
    Maildir,
    Directory,
    SingleFile,
}

/// One message found in an import source, or why it could not be read.
pub struct Item {
    /// Where it came from: a file path, or `file#N` for the Nth message of an mbox.
    pub origin: String,
    pub bytes: std::io::Result<Vec<u8>>,
}

pub struct ImportSource {
    pub kind: SourceKind,
    /// How many messages (or files) there are, for a progress bar.
    pub len: usize,
    items: Box<dyn Iterator<Item = Item> + Send>,
}

impl Iterator for ImportSource {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        self.items.next()
    }
}

pub fn open(path: &Path) -> std::io::Result<ImportSource> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        let (kind, files) = if is_maildir(path) { (SourceKind::Maildir, maildir_files(path)?) } else { (SourceKind::Directory, walk(path)?) };
        let len = files.len();
        let items = files.into_iter().map(|f| Item { origin: f.display().to_string(), bytes: std::fs::read(&f) });
        return Ok(ImportSource { kind, len, items: Box::new(items) });
    }
    let bytes = std::fs::read(path)?;
    let messages = split_mbox(&bytes);
    if messages.len() > 1 {
        let origin = path.display().to_string();
        let len = messages.len();
        let items: Vec<Item> = messages.into_iter().enumerate().map(|(i, m)| Item { origin: format!("{origin}#{}", i + 1), bytes: Ok(m) }).collect();
        return Ok(ImportSource { kind: SourceKind::Mbox, len, items: Box::new(items.into_iter()) });
    }
    let item = Item { origin: path.display().to_string(), bytes: Ok(bytes) };
    Ok(ImportSource { kind: SourceKind::SingleFile, len: 1, items: Box::new(std::iter::once(item)) })
}

fn walk(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                if is_maildir(&path) {
                    out.extend(maildir_files(&path)?);
                } else {
                    stack.push(path);
                }
            } else if path.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Split mbox bytes at `From ` lines that start a message (at the file start or
/// after a blank line), undoing `>From ` quoting. One message without a `From `
/// separator comes back whole.
pub fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    if !bytes.starts_with(b"From ") {
        return vec![bytes.to_vec()];
    }
    let mut messages = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut prev_blank = true;
    let mut started = false;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") && prev_blank {
            if started {
                messages.push(std::mem::take(&mut current));
            }
            started = true;
            prev_blank = false;
            continue;
        }
        let unquoted = if line.starts_with(b">") && line.iter().skip_while(|&&b| b == b'>').take(5).eq(b"From ".iter()) { &line[1..] } else { line };
        current.extend_from_slice(unquoted);
        prev_blank = line == b"\n" || line == b"\r\n";
    }
    if started {
        messages.push(current);
    }
    // The blank line before a separator belongs to the mbox format, not the message.
    for m in &mut messages {
        if m.ends_with(b"\n\n") {
            m.pop();
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_mbox_and_unquotes_from_lines() {
        let mbox = b"From a@x Mon Jan 1 00:00:00 2024\nSubject: one\n\n>From here\n\nFrom b@x Mon Jan 1 00:00:00 2024\nSubject: two\n\nbody\n";
        let parts = split_mbox(mbox);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], b"Subject: one\n\nFrom here\n");
        assert_eq!(parts[1], b"Subject: two\n\nbody\n");
    }

    #[test]
    fn single_message_with_from_line_is_one_message() {
        assert_eq!(split_mbox(b"From a@x date\nSubject: s\n\nhi\n").len(), 1);
        assert_eq!(split_mbox(b"Subject: s\n\nhi\n").len(), 1);
    }
}
