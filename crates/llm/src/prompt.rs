//! The prompt a model sees: rendered from minijinja templates the person may
//! override (`system.j2`, `user.j2` in a folder of their own). Everything that
//! came from other people is fenced as data with a marker that the content
//! cannot forge, and kept compact: fresh text only, quoted history trimmed,
//! repeats dropped, every part capped.

use std::path::{Path, PathBuf};

use autoemail_core::message::{Message, sha256_hex};
use autoemail_core::reply::format_date;
use minijinja::Environment;
use serde::Serialize;

use crate::{DraftError, DraftRequest};

pub const DEFAULT_SYSTEM: &str = include_str!("../templates/system.j2");
pub const DEFAULT_USER: &str = include_str!("../templates/user.j2");

/// Caps that keep prompts compact (characters).
const MESSAGE_CHARS: usize = 6000;
const THREAD_ITEM_CHARS: usize = 1500;
const THREAD_ITEMS: usize = 5;
const PREVIOUS_ITEM_CHARS: usize = 500;
const EXAMPLE_CHARS: usize = 700;
const NOTES_CHARS: usize = 6000;

#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub system: String,
    pub user: String,
    /// Hash of both parts: identifies the exact input of a draft.
    pub hash: String,
}

impl Prompt {
    /// A rough token count (characters / 4), for budgets and the benchmark.
    pub fn estimated_tokens(&self) -> usize {
        (self.system.chars().count() + self.user.chars().count()).div_ceil(4)
    }
}

/// Where templates come from: built in, or a folder whose `system.j2` /
/// `user.j2` replace the built-in ones (either may be missing).
#[derive(Debug, Clone, Default)]
pub struct Templates {
    pub dir: Option<PathBuf>,
}

#[derive(Serialize)]
struct Person<'a> {
    name: Option<&'a str>,
    email: &'a str,
}

#[derive(Serialize)]
struct Item {
    from: String,
    subject: String,
    date: Option<String>,
    text: String,
}

#[derive(Serialize)]
struct Input<'a> {
    me: Person<'a>,
    fence: String,
    message: Item,
    thread: Vec<Item>,
    previous: Vec<Item>,
    style: &'a autoemail_core::style::StyleProfile,
    notes: Option<String>,
    intent: &'static str,
    instruction: Option<&'a str>,
}

fn cap(text: &str, chars: usize) -> String {
    let t = text.trim();
    match t.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}\n[… cut]", &t[..cut]),
        None => t.to_string(),
    }
}

fn fresh(m: &Message) -> &str {
    if m.fresh_text.trim().is_empty() { &m.text } else { &m.fresh_text }
}

/// Removes any copy of the fence marker from untrusted text, so it cannot
/// close the fence early and speak outside it.
fn defang(text: &str, fence: &str) -> String {
    text.replace(fence, "[fence removed]")
}

fn item(m: &Message, chars: usize, fence: &str) -> Item {
    Item {
        from: m.from.as_ref().map(|f| f.display()).unwrap_or_else(|| "(unknown sender)".into()),
        subject: defang(&m.subject, fence),
        date: m.date.map(format_date),
        text: defang(&cap(fresh(m), chars), fence),
    }
}

impl Templates {
    fn source(&self, name: &str, default: &'static str) -> Result<String, DraftError> {
        if let Some(dir) = &self.dir {
            let path = dir.join(name);
            if path.exists() {
                return std::fs::read_to_string(&path).map_err(|e| DraftError::Permanent(format!("cannot read the prompt template {}: {e}", path.display())));
            }
        }
        Ok(default.to_string())
    }

    /// Render the prompt for a request.
    pub fn render(&self, request: &DraftRequest<'_>) -> Result<Prompt, DraftError> {
        let msg = request.message;
        // A marker derived from the content: the content cannot contain it by chance.
        let fence = format!("<<<DATA {}>>>", &sha256_hex(format!("{}{}", msg.raw_sha256, msg.subject).as_bytes())[..12]);
        // Thread: fresh text of each earlier message, newest kept, repeats dropped.
        let mut seen: Vec<String> = Vec::new();
        let mut thread: Vec<Item> = Vec::new();
        for m in request.thread.iter().rev() {
            let key = fresh(m).split_whitespace().collect::<Vec<_>>().join(" ");
            if key.is_empty() || seen.contains(&key) {
                continue;
            }
            seen.push(key);
            thread.push(item(m, THREAD_ITEM_CHARS, &fence));
            if thread.len() == THREAD_ITEMS {
                break;
            }
        }
        thread.reverse();
        // The message itself: its fresh text, plus quoted history only when the
        // thread is not known otherwise.
        let mut message = item(msg, MESSAGE_CHARS, &fence);
        if thread.is_empty() && !msg.quoted_text.trim().is_empty() {
            message.text.push_str("\n\n[quoted history]\n");
            message.text.push_str(&defang(&cap(&msg.quoted_text, THREAD_ITEM_CHARS), &fence));
        }
        let mut style = request.context.style.clone();
        for ex in &mut style.examples {
            ex.incoming = defang(&cap(&ex.incoming, EXAMPLE_CHARS / 2), &fence);
            ex.reply = defang(&cap(&ex.reply, EXAMPLE_CHARS), &fence);
        }
        let input = Input {
            me: Person { name: request.me.name.as_deref(), email: &request.me.email },
            message,
            thread,
            previous: request.context.previous.iter().take(3).map(|m| item(m, PREVIOUS_ITEM_CHARS, &fence)).collect(),
            style: &style,
            notes: request.context.notes.as_deref().map(|n| defang(&cap(n, NOTES_CHARS), &fence)),
            intent: request.intent.as_str(),
            instruction: request.instruction,
            fence,
        };
        let mut env = Environment::new();
        let syntax =
            minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).build().map_err(|e| DraftError::Permanent(format!("prompt template syntax: {e}")))?;
        env.set_syntax(syntax);
        let input = minijinja::Value::from(minijinja::value::Serde(&input));
        let system_src = self.source("system.j2", DEFAULT_SYSTEM)?;
        let user_src = self.source("user.j2", DEFAULT_USER)?;
        let bad = |e: minijinja::Error| DraftError::Permanent(format!("prompt template: {e}"));
        env.add_template("system.j2", &system_src).map_err(bad)?;
        env.add_template("user.j2", &user_src).map_err(bad)?;
        let system = env.get_template("system.j2").and_then(|t| t.render(&input)).map_err(bad)?;
        let user = env.get_template("user.j2").and_then(|t| t.render(&input)).map_err(bad)?;
        let hash = sha256_hex(format!("{system}\n\u{0}\n{user}").as_bytes());
        Ok(Prompt { system, user, hash })
    }
}

/// Check a template folder: both templates (where present) must render.
pub fn validate_dir(dir: &Path) -> Result<(), DraftError> {
    let mut env = Environment::new();
    for name in ["system.j2", "user.j2"] {
        let path = dir.join(name);
        if path.exists() {
            let src = std::fs::read_to_string(&path).map_err(|e| DraftError::Permanent(format!("{}: {e}", path.display())))?;
            env.add_template_owned(name.to_string(), src).map_err(|e| DraftError::Permanent(format!("{}: {e}", path.display())))?;
        }
    }
    Ok(())
}
