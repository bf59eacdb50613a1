//! Building a reply: who it goes to, its threading headers, its subject, the
//! quoted original, and the exact bytes sent, filed in Sent and hashed for audit.
//!
//! Recipients come only from the original message's headers and the person's
//! identity, never from the draft text: a draft cannot add, change or Bcc an address.

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use serde::{Deserialize, Serialize};

use crate::address::Mailbox;
use crate::message::Message;
use crate::thread::base_subject;

/// The person replying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub name: Option<String>,
    pub email: String,
    /// Other addresses that are also the person (never replied to).
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Identity {
    pub fn is_me(&self, email: &str) -> bool {
        let email = crate::address::normalize_email(email);
        crate::address::normalize_email(&self.email) == email || self.aliases.iter().any(|a| crate::address::normalize_email(a) == email)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyPlan {
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
}

impl ReplyPlan {
    pub fn recipients(&self) -> impl Iterator<Item = &Mailbox> {
        self.to.iter().chain(&self.cc)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReplyError {
    #[error("the original message has no sender address to reply to")]
    NoSender,
    #[error("the only recipients would be yourself")]
    OnlySelf,
    #[error("could not build the reply: {0}")]
    Build(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReplyMode {
    /// Only the sender (or Reply-To).
    Sender,
    /// Sender plus everyone else in To and Cc.
    #[default]
    All,
}

/// How many ids a reply's References carries at most: the thread's root
/// and the most recent ones.
pub const MAX_REFERENCES: usize = 20;

/// Decide recipients and threading from the original headers.
///
/// To: Reply-To if present, else From. With [`ReplyMode::All`], Cc: the original To
/// and Cc. Never the person themselves, never twice, never an address the
/// original did not carry.
pub fn plan_reply(original: &Message, me: &Identity, mode: ReplyMode) -> Result<ReplyPlan, ReplyError> {
    let from = original.from.as_ref().ok_or(ReplyError::NoSender)?;
    let mut seen: Vec<String> = Vec::new();
    let mut take = |list: &mut Vec<Mailbox>, m: &Mailbox| {
        if !me.is_me(&m.email) && !seen.contains(&m.email) && crate::address::is_plausible_email(&m.email) {
            seen.push(m.email.clone());
            list.push(m.clone());
        }
    };

    let mut to = Vec::new();
    let primary: Vec<&Mailbox> = if original.reply_to.is_empty() { vec![from] } else { original.reply_to.iter().collect() };
    let from_me = me.is_me(&from.email);
    if from_me {
        // Replying to one's own message continues the conversation with its recipients.
        for m in &original.to {
            take(&mut to, m);
        }
    } else {
        for m in primary {
            take(&mut to, m);
        }
    }
    let mut cc = Vec::new();
    if mode == ReplyMode::All {
        for m in original.to.iter().chain(&original.cc) {
            take(&mut cc, m);
        }
    }
    if to.is_empty() {
        if cc.is_empty() {
            return Err(ReplyError::OnlySelf);
        }
        to.push(cc.remove(0));
    }

    let mut references = original.references.clone();
    if references.is_empty()
        && let Some(parent) = original.in_reply_to.first()
    {
        references.push(parent.clone());
    }
    if let Some(id) = &original.message_id
        && !references.contains(id)
    {
        references.push(id.clone());
    }
    // A long chain keeps its root and its most recent ids (RFC 5322 §3.6.4
    // allows the trimming): servers refuse headers past about 100 KB.
    if references.len() > MAX_REFERENCES {
        references.drain(1..references.len() - (MAX_REFERENCES - 1));
    }
    let base = base_subject(&original.subject);
    let subject = if base.is_empty() { "Re: (no subject)".to_string() } else { format!("Re: {base}") };
    Ok(ReplyPlan { to, cc, subject, in_reply_to: original.message_id.clone(), references })
}

/// The reply body followed by the attributed, `>`-quoted original.
pub fn compose_body(draft_body: &str, original: &Message) -> String {
    let mut out = draft_body.trim_end().replace("\r\n", "\n");
    out.push_str("\n\n");
    let who = original.from.as_ref().map(|f| f.display()).unwrap_or_else(|| "someone".into());
    match original.date {
        Some(ts) => out.push_str(&format!("On {}, {who} wrote:\n", format_date(ts))),
        None => out.push_str(&format!("{who} wrote:\n")),
    }
    let quoted_source = if original.text.trim().is_empty() { "(no text)" } else { original.text.trim_end() };
    for line in quoted_source.lines() {
        if line.is_empty() {
            out.push_str(">\n");
        } else if line.starts_with('>') {
            out.push('>');
            out.push_str(line);
            out.push('\n');
        } else {
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Serialize the reply. `message_id` (without brackets) and `date` come from the
/// caller so the bytes are reproducible and the id is fixed before any send attempt.
pub fn build_reply(plan: &ReplyPlan, me: &Identity, body: &str, message_id: &str, date: i64) -> Result<Vec<u8>, ReplyError> {
    let addr = |m: &Mailbox| -> Address<'static> {
        match &m.name {
            Some(n) => Address::new_address(Some(n.clone()), m.email.clone()),
            None => Address::new_address(None::<String>, m.email.clone()),
        }
    };
    let from = Address::new_address(me.name.clone(), me.email.clone());
    let mut builder = MessageBuilder::new()
        .from(from)
        .to(Address::new_list(plan.to.iter().map(addr).collect()))
        .subject(plan.subject.clone())
        .message_id(message_id.to_string())
        .date(date)
        .text_body(body.to_string());
    if !plan.cc.is_empty() {
        builder = builder.cc(Address::new_list(plan.cc.iter().map(addr).collect()));
    }
    if let Some(parent) = &plan.in_reply_to {
        builder = builder.in_reply_to(parent.clone());
    }
    if !plan.references.is_empty() {
        builder = builder.references(plan.references.clone());
    }
    builder.write_to_vec().map_err(|e| ReplyError::Build(e.to_string()))
}

/// "Tue, 3 Mar 2026 14:05 UTC" from a Unix timestamp (UTC, no clock or tz database needed).
pub fn format_date(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    format!("{weekday}, {d} {} {y} {:02}:{:02} UTC", MONTHS[(m - 1) as usize], secs / 3600, (secs % 3600) / 60)
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reference_chains_keep_the_root_and_the_latest() {
        let mut original = crate::parse_message(b"From: ann@b.test\r\nSubject: x\r\nMessage-ID: <last@b.test>\r\n\r\nhi\r\n").unwrap();
        original.references = (0..100_000).map(|i| format!("r{i}@x")).collect();
        let me = Identity { name: None, email: "me@c.test".into(), aliases: vec![] };
        let plan = plan_reply(&original, &me, ReplyMode::Sender).unwrap();
        assert_eq!(plan.references.len(), MAX_REFERENCES);
        assert_eq!(plan.references[0], "r0@x");
        assert_eq!(plan.references[MAX_REFERENCES - 2..], ["r99999@x", "last@b.test"]);
        // A short chain is kept whole, the original appended.
        original.references.truncate(3);
        let plan = plan_reply(&original, &me, ReplyMode::Sender).unwrap();
        assert_eq!(plan.references, ["r0@x", "r1@x", "r2@x", "last@b.test"]);
    }

    #[test]
    fn formats_dates() {
        assert_eq!(format_date(0), "Thu, 1 Jan 1970 00:00 UTC");
        assert_eq!(format_date(1_772_546_700), "Tue, 3 Mar 2026 14:05 UTC");
    }
}
