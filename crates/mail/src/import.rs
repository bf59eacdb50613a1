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
    let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
    if !std::io::BufRead::fill_buf(&mut file)?.starts_with(b"From ") {
        let item = Item { origin: path.display().to_string(), bytes: std::fs::read(path) };
        return Ok(ImportSource { kind: SourceKind::SingleFile, len: 1, items: Box::new(std::iter::once(item)) });
    }
    // A mail export can be larger than memory: count first (for the progress
    // bar), then read one message at a time from the start again.
    let len = count_mbox_messages(&mut file)?;
    std::io::Seek::rewind(&mut file)?;
    let origin = path.display().to_string();
    let reader = MboxReader::new(file);
    let items = reader.enumerate().map(move |(i, bytes)| Item { origin: format!("{origin}#{}", i + 1), bytes });
    Ok(ImportSource { kind: SourceKind::Mbox, len, items: Box::new(items) })
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
    // Reading from memory cannot fail.
    MboxReader::new(bytes).filter_map(Result::ok).collect()
}

/// Does this line start a message: a `From ` line at the start or after a blank line.
fn separates(line: &[u8], prev_blank: bool) -> bool {
    prev_blank && line.starts_with(b"From ")
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// How many messages an mbox holds, read as a stream.
pub fn count_mbox_messages(reader: &mut impl std::io::BufRead) -> std::io::Result<usize> {
    let (mut count, mut prev_blank, mut line) = (0, true, Vec::new());
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(count);
        }
        count += usize::from(separates(&line, prev_blank));
        prev_blank = is_blank(&line);
    }
}

/// The messages of an mbox (which must start with a `From ` line), read one at
/// a time, with `>From ` quoting undone. A read error ends the sequence.
pub struct MboxReader<R> {
    reader: R,
    current: Vec<u8>,
    prev_blank: bool,
    started: bool,
    done: bool,
}

impl<R: std::io::BufRead> MboxReader<R> {
    pub fn new(reader: R) -> Self {
        MboxReader { reader, current: Vec::new(), prev_blank: true, started: false, done: false }
    }

    fn take_message(&mut self) -> Vec<u8> {
        let mut m = std::mem::take(&mut self.current);
        // The blank line before a separator belongs to the mbox format, not the message.
        if m.ends_with(b"\n\n") {
            m.pop();
        }
        m
    }
}

impl<R: std::io::BufRead> Iterator for MboxReader<R> {
    type Item = std::io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut line = Vec::new();
        loop {
            line.clear();
            match self.reader.read_until(b'\n', &mut line) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(0) => {
                    self.done = true;
                    return self.started.then(|| Ok(self.take_message()));
                }
                Ok(_) => {}
            }
            if separates(&line, self.prev_blank) {
                self.prev_blank = false;
                if self.started {
                    return Some(Ok(self.take_message()));
                }
                self.started = true;
                continue;
            }
            let unquoted = if line.starts_with(b">") && line.iter().skip_while(|&&b| b == b'>').take(5).eq(b"From ".iter()) { &line[1..] } else { &line[..] };
            self.current.extend_from_slice(unquoted);
            self.prev_blank = is_blank(&line);
        }
    }
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
    fn streamed_mbox_matches_and_counts() {
        let mbox = b"From a@x Mon Jan 1 00:00:00 2024\r\nSubject: one\r\n\r\n>From the start\r\n\r\nFrom b@x Mon Jan 1 00:00:00 2024\nSubject: two\n\n>>From quoted twice\n";
        let mut reader = &mbox[..];
        assert_eq!(count_mbox_messages(&mut reader).unwrap(), 2);
        let parts: Vec<Vec<u8>> = MboxReader::new(&mbox[..]).map(Result::unwrap).collect();
        assert_eq!(parts, vec![b"Subject: one\r\n\r\nFrom the start\r\n\r\n".to_vec(), b"Subject: two\n\n>From quoted twice\n".to_vec()]);
        assert_eq!(parts, split_mbox(mbox));
    }

    #[test]
    fn an_mbox_file_is_read_as_a_stream() {
        let dir = std::env::temp_dir().join(format!("autoemail-mbox-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("one.mbox");
        std::fs::write(&path, b"From a@x date\nSubject: only\n\nhi\n").unwrap();
        let source = open(&path).unwrap();
        assert_eq!((source.kind, source.len), (SourceKind::Mbox, 1), "one message with its From line is an mbox, not a file with a bad first line");
        let items: Vec<Item> = source.collect();
        assert_eq!(items[0].origin, format!("{}#1", path.display()));
        assert_eq!(items[0].bytes.as_ref().unwrap(), b"Subject: only\n\nhi\n");
        std::fs::write(&path, b"Subject: plain\n\nhi\n").unwrap();
        let source = open(&path).unwrap();
        assert_eq!((source.kind, source.len), (SourceKind::SingleFile, 1));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn single_message_with_from_line_is_one_message() {
        assert_eq!(split_mbox(b"From a@x date\nSubject: s\n\nhi\n").len(), 1);
        assert_eq!(split_mbox(b"Subject: s\n\nhi\n").len(), 1);
    }
}
