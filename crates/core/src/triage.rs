//! Triage: does a message need a reply from the person at all?
//!
//! Rules only, in a fixed order of precedence, each with a reason a person can
//! read. Nothing here can be changed by the message's content acting as an
//! instruction: headers and text are evidence, never commands.

use serde::{Deserialize, Serialize};

use crate::message::Message;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A person writing to the user: the one category that needs a reply.
    Personal,
    /// The user is only in Cc, or not addressed at all (Bcc, alias).
    Fyi,
    MailingList,
    AutoReply,
    Bounce,
    NoReplySender,
    Notification,
    Newsletter,
    Spam,
    FromSelf,
    /// Nobody to reply to (no From) or unreadable.
    Unreadable,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Personal => "personal",
            Category::Fyi => "fyi",
            Category::MailingList => "mailing_list",
            Category::AutoReply => "auto_reply",
            Category::Bounce => "bounce",
            Category::NoReplySender => "no_reply_sender",
            Category::Notification => "notification",
            Category::Newsletter => "newsletter",
            Category::Spam => "spam",
            Category::FromSelf => "from_self",
            Category::Unreadable => "unreadable",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        ALL_CATEGORIES.iter().copied().find(|c| c.as_str() == s)
    }
}

pub const ALL_CATEGORIES: [Category; 11] = [
    Category::Personal,
    Category::Fyi,
    Category::MailingList,
    Category::AutoReply,
    Category::Bounce,
    Category::NoReplySender,
    Category::Notification,
    Category::Newsletter,
    Category::Spam,
    Category::FromSelf,
    Category::Unreadable,
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub needs_reply: bool,
    pub category: Category,
    /// Why, most decisive first. Never empty.
    pub reasons: Vec<String>,
    pub spam_score: u32,
}

/// Who the person is: the addresses that count as "me".
#[derive(Debug, Clone, Default)]
pub struct TriageContext {
    pub self_addresses: Vec<String>,
}

impl TriageContext {
    pub fn new(addresses: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        TriageContext { self_addresses: addresses.into_iter().map(|a| crate::address::normalize_email(a.as_ref())).collect() }
    }

    fn is_me(&self, email: &str) -> bool {
        self.self_addresses.iter().any(|a| a == email)
    }
}

/// A spam score at or above this is treated as spam.
pub const SPAM_THRESHOLD: u32 = 5;

pub fn triage(msg: &Message, ctx: &TriageContext) -> Triage {
    let mut found: Vec<(Category, String)> = Vec::new();
    let spam_score = spam_score(msg);

    let Some(from) = &msg.from else {
        return Triage { needs_reply: false, category: Category::Unreadable, reasons: vec!["no sender address to reply to".into()], spam_score };
    };

    // The addresses this copy was delivered to are "me" too: the receiving
    // server writes them, and they cover aliases the config does not list.
    let mut me = ctx.clone();
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for (n, v) in &msg.headers {
            if n.eq_ignore_ascii_case(name) {
                me.self_addresses.push(crate::address::normalize_email(v));
            }
        }
    }

    if me.is_me(&from.email) {
        found.push((Category::FromSelf, "sent by you".into()));
    }
    if let Some(reason) = bounce_reason(msg) {
        found.push((Category::Bounce, reason));
    }
    if let Some(reason) = auto_reply_reason(msg) {
        found.push((Category::AutoReply, reason));
    }
    if let Some(reason) = list_reason(msg) {
        found.push((Category::MailingList, reason));
    }
    if let Some(reason) = no_reply_reason(&from.email) {
        found.push((Category::NoReplySender, reason));
    } else if let Some(reply_to) = msg.reply_to.first()
        && msg.reply_to.iter().all(|r| no_reply_reason(&r.email).is_some())
    {
        // A reply would go to the Reply-To addresses, which take none.
        found.push((Category::NoReplySender, format!("replies go to {}, which does not take them", reply_to.email)));
    }
    if let Some(reason) = notification_reason(msg) {
        found.push((Category::Notification, reason));
    }
    if spam_score >= SPAM_THRESHOLD {
        found.push((Category::Spam, format!("looks like spam (score {spam_score} ≥ {SPAM_THRESHOLD})")));
    }
    if let Some(reason) = newsletter_reason(msg) {
        found.push((Category::Newsletter, reason));
    }
    let recipients = msg.to.len() + msg.cc.len();
    if msg.to.is_empty() && msg.cc.is_empty() {
        found.push((Category::Fyi, "no recipients listed: you got it by Bcc or through a list".into()));
    } else if recipients >= BROADCAST_RECIPIENTS {
        found.push((Category::Fyi, format!("sent to {recipients} people: an announcement to a crowd, not a question to you")));
    } else if !me.self_addresses.is_empty() {
        let in_to = msg.to.iter().any(|m| me.is_me(&m.email));
        let in_cc = msg.cc.iter().any(|m| me.is_me(&m.email));
        if !in_to && in_cc {
            found.push((Category::Fyi, "you are only in Cc".into()));
        } else if !in_to {
            found.push((Category::Fyi, "not addressed to you (Bcc, alias or list)".into()));
        }
    }

    // "Hi all, please send me your hours" asks each of them: only news to a group needs no reply.
    if found.is_empty()
        && let Some(reason) = greets_a_group(&msg.fresh_text)
            .map(|group| format!("addressed to a group ({group:?}) and asks nothing: an announcement"))
            .or_else(|| opens_with_an_announcement(&msg.fresh_text).map(|opening| format!("opens {opening:?} and asks nothing: an announcement")))
        && matches!(crate::intent::classify(msg), crate::intent::Intent::Information | crate::intent::Intent::ThankYou)
    {
        found.push((Category::Fyi, reason));
    }

    if found.is_empty() {
        let who = from.name.clone().unwrap_or_else(|| from.email.clone());
        return Triage { needs_reply: true, category: Category::Personal, reasons: vec![format!("{who} wrote to you directly")], spam_score };
    }
    // Order of precedence: the category that best explains "no reply" wins.
    let rank = |c: Category| match c {
        Category::FromSelf => 0,
        Category::Bounce => 1,
        Category::AutoReply => 2,
        Category::Spam => 3,
        Category::MailingList => 4,
        Category::NoReplySender => 5,
        Category::Notification => 6,
        Category::Newsletter => 7,
        Category::Fyi => 8,
        _ => 9,
    };
    found.sort_by_key(|(c, _)| rank(*c));
    Triage { needs_reply: false, category: found[0].0, reasons: found.into_iter().map(|(_, r)| r).collect(), spam_score }
}

fn bounce_reason(msg: &Message) -> Option<String> {
    let ctype = msg.header("Content-Type").unwrap_or("").to_ascii_lowercase();
    if ctype.contains("multipart/report") && ctype.contains("delivery-status") {
        return Some("delivery status notification (multipart/report)".into());
    }
    let from = msg.from.as_ref()?.local_part().to_string();
    if from == "mailer-daemon" || from == "postmaster" {
        return Some(format!("sent by {from}: a bounce"));
    }
    let subject = msg.subject.to_ascii_lowercase();
    ["undelivered mail", "delivery status notification", "returned mail", "undeliverable:", "delivery failure", "mail delivery failed"]
        .iter()
        .find(|p| subject.contains(*p))
        .map(|p| format!("subject says {p:?}: a bounce"))
}

fn auto_reply_reason(msg: &Message) -> Option<String> {
    if let Some(v) = msg.header("Auto-Submitted")
        && !v.trim().eq_ignore_ascii_case("no")
    {
        return Some(format!("Auto-Submitted: {v} (RFC 3834)"));
    }
    for h in ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"] {
        if let Some(v) = msg.header(h) {
            return Some(format!("{h}: {v}"));
        }
    }
    let subject = msg.subject.to_ascii_lowercase();
    ["out of office", "automatic reply", "auto-reply", "autoreply", "auto reply", "abwesenheitsnotiz", "réponse automatique", "vacation reply"]
        .iter()
        .find(|p| subject.contains(*p))
        .map(|p| format!("subject says {p:?}: an automatic reply"))
        .or_else(|| subject.starts_with("auto:").then(|| "subject starts with \"Auto:\": an automatic reply".into()))
}

fn list_reason(msg: &Message) -> Option<String> {
    for h in ["List-Id", "List-Post", "Mailing-List", "X-Mailing-List", "X-BeenThere", "X-Loop", "List-Archive"] {
        if let Some(v) = msg.header(h) {
            let v: String = v.chars().take(60).collect();
            return Some(format!("mailing list ({h}: {v})"));
        }
    }
    if let Some(p) = msg.header("Precedence") {
        let p = p.trim().to_ascii_lowercase();
        if matches!(p.as_str(), "bulk" | "list" | "junk") {
            return Some(format!("Precedence: {p}"));
        }
    }
    for h in ["Sender", "Errors-To", "Return-Path", "Reply-To"] {
        let Some(sender) = msg.header(h) else { continue };
        let s = sender.to_ascii_lowercase();
        if s.contains("owner-") || s.contains("-admin@") || s.contains("-bounces") || s.contains("-request@") || s.contains("-owner@") {
            return Some(format!("sent through a list server ({h}: {})", sender.chars().take(60).collect::<String>()));
        }
    }
    None
}

/// The greeting of a message to a group ("Team,", "Hi all", "Dear
/// colleagues") with no question mark in it. If it makes no request either
/// (the caller asks intent), it is an announcement, not mail that waits for
/// your answer.
fn greets_a_group(fresh: &str) -> Option<String> {
    let text = fresh.trim_start();
    if text.contains('?') {
        return None;
    }
    let greeting = text.split(['\n', ',', ':', '!', '.']).next()?.trim();
    let first = greeting.to_lowercase();
    let words: Vec<&str> = first.split_whitespace().collect();
    let addressed = match words.as_slice() {
        [greeting, rest @ ..] if matches!(*greeting, "dear" | "hi" | "hello" | "hey" | "morning" | "greetings") => rest,
        ["good", "morning" | "afternoon" | "evening", rest @ ..] => rest,
        all => all,
    };
    let group = matches!(
        addressed,
        ["all"]
            | ["team"]
            | ["everyone"]
            | ["everybody"]
            | ["colleagues"]
            | ["folks"]
            | ["all", "of", "you"]
            | ["team", "members"]
            | ["the", "team"]
            | ["y'all"]
            | ["all", "team", "members"]
            | ["valued", "team", "members"]
    );
    group.then(|| greeting.to_string())
}

/// The opening words of an announcement ("We are pleased to announce…",
/// "Please join me in welcoming…") in the first line of the fresh text, when no
/// question follows anywhere in it. News said this way is told to many, not
/// asked of you; if it asks nothing either (the caller asks intent), no reply waits.
/// News about you ("pleased to inform you that your application…") is not an
/// announcement: a reply to it is usual, so it still gets a draft.
fn opens_with_an_announcement(fresh: &str) -> Option<String> {
    if fresh.contains('?') {
        return None;
    }
    // The greeting line ("Hi Dana,") may come first; the announcement is in the next one.
    let mut lines = fresh.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    let opening = match first.split_whitespace().count() {
        1..=3 if first.ends_with([',', ':', '!']) => lines.next()?,
        _ => first,
    };
    let words: Vec<String> =
        opening.split_whitespace().take(7).map(|w| w.replace('’', "'").trim_matches(|c: char| !c.is_alphanumeric() && c != '\'').to_lowercase()).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    // How many of the words make the opening.
    let said = match words.as_slice() {
        ["please", "join", "me" | "us", "in", "welcoming" | "congratulating", ..] => 4,
        ["please", "welcome", ..] => 2,
        ["this", "is", "to", "announce", ..] => 4,
        ["i", "am", rest @ ..] | ["we", "are", rest @ ..] | ["it", "is", rest @ ..] | ["i'm" | "we're" | "it's", rest @ ..] => {
            let announces = match rest {
                ["pleased" | "happy" | "delighted" | "excited" | "proud" | "thrilled" | "sad" | "sorry", "to", "announce" | "share" | "report", ..] => 3,
                ["very" | "so", "pleased" | "happy" | "delighted" | "excited" | "proud" | "thrilled", "to", "announce" | "share" | "report", ..] => 4,
                ["with", "great" | "deep", "pleasure" | "sadness" | "regret", ..] => 3,
                _ => return None,
            };
            words.len() - rest.len() + announces
        }
        _ => return None,
    };
    // Only for an announcement's opening: most mail has none, and this reads the whole sentence.
    let first_sentence = crate::ask::sentences(opening).first().map_or(opening, |&(start, end)| &opening[start..end]).to_lowercase();
    if ["you", "your"].iter().any(|w| crate::intent::contains_word(&first_sentence, w)) {
        return None;
    }
    Some(words[..said].join(" "))
}

/// Visible recipients from which a message is a broadcast: a reply is not
/// expected of each of them (and would not go back to them all).
const BROADCAST_RECIPIENTS: usize = 25;

const NO_REPLY_LOCAL_PARTS: &[&str] =
    &["noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "donotuse", "mailer", "bounce", "bounces", "nobody"];

fn no_reply_reason(email: &str) -> Option<String> {
    let local = email.split('@').next().unwrap_or("");
    let plain: String = local.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    NO_REPLY_LOCAL_PARTS
        .iter()
        .any(|p| {
            local.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('+'))
                || plain.chars().eq(p.chars().filter(|c| !matches!(c, '-' | '_')))
                || plain.starts_with("noreply")
                || plain.starts_with("donotreply")
        })
        .then(|| format!("sender {email} does not take replies"))
}

const AUTOMATION_LOCAL_PARTS: &[&str] =
    &["notifications", "notification", "notify", "alerts", "alert", "automated", "system", "daemon", "cron", "root", "monitoring", "jira", "builds", "ci"];

fn notification_reason(msg: &Message) -> Option<String> {
    for h in ["X-GitHub-Reason", "X-GitLab-Project", "X-JIRA-FingerPrint", "X-Cron-Env", "X-Notifications", "X-Bugzilla-Reason"] {
        if msg.has_header(h) {
            return Some(format!("automated notification ({h})"));
        }
    }
    let from = msg.from.as_ref()?;
    automation_part(from.local_part())
        .map(|p| format!("sent by an automated address ({p}@…)"))
        .or_else(|| automation_domain(from.domain()).map(|d| format!("sent from a mail domain for automated or bulk mail (@{d}.…)")))
}

/// The first label of a sender's domain when it names automated or bulk
/// mail ("weather@alerts.weather.com", "@news.shop.example"): a mail host set
/// up to send to many, not a person's.
fn automation_domain(domain: &str) -> Option<&str> {
    let (first, rest) = domain.split_once('.')?;
    (rest.contains('.')
        && [
            "alerts",
            "alert",
            "notifications",
            "notification",
            "notify",
            "news",
            "newsletter",
            "newsletters",
            "mailings",
            "marketing",
            "promo",
            "bounce",
            "bounces",
        ]
        .contains(&first))
    .then_some(first)
}

/// The automated name a local part is, or starts with before a `-` or `+`.
fn automation_part(local: &str) -> Option<&'static str> {
    AUTOMATION_LOCAL_PARTS.iter().copied().find(|p| local.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '+'])))
}

const BULK_LOCAL_PARTS: &[&str] =
    &["news", "newsletter", "newsletters", "marketing", "promo", "promotions", "offers", "deals", "mailings", "campaign", "updates"];

fn newsletter_reason(msg: &Message) -> Option<String> {
    if let Some(from) = &msg.from {
        let local = from.local_part();
        if let Some(p) = BULK_LOCAL_PARTS.iter().find(|p| local == **p || local.ends_with(*p) && local.len() > p.len() + 3) {
            return Some(format!("sent from a bulk-mail address ({p})"));
        }
    }
    if msg.has_header("List-Unsubscribe") {
        return Some("bulk mail with List-Unsubscribe".into());
    }
    if msg.has_header("Feedback-ID")
        || msg.has_header("X-Campaign")
        || msg.has_header("X-Mailchimp-Campaign")
        || msg.header("X-Mailer").is_some_and(|m| m.to_ascii_lowercase().contains("mailchimp"))
    {
        return Some("sent by a bulk mailing service".into());
    }
    // A newsletter's header says how to read it or leave it before it starts.
    let head = head_lower(&msg.text, 600);
    if let Some(p) = [
        "to unsubscribe",
        "view this email in your browser",
        "having trouble viewing this email",
        "if you cannot read this email",
        "if you are unable to view this",
    ]
    .iter()
    .find(|p| says_it_not_asking(&head, p))
    {
        return Some(format!("bulk mail (its header says {p:?})"));
    }
    let tail = tail_lower(&msg.text, 1500);
    [
        "unsubscribe",
        "opt out",
        "opt-out",
        "to be removed",
        "remove you from",
        "removed from our",
        "removal from this list",
        "view this email in your browser",
        "manage your preferences",
        "email preferences",
    ]
    .iter()
    .find(|p| says_it_not_asking(&tail, p))
    .map(|p| format!("bulk mail (the footer says {p:?})"))
}

/// `lower` holds `phrase` in a sentence that does not ask: a footer's "To
/// unsubscribe, click here", not a person's "Could you unsubscribe me?".
fn says_it_not_asking(lower: &str, phrase: &str) -> bool {
    // `contains` first: it searches with SIMD, `match_indices` does not, and
    // nearly every message holds none of the phrases.
    lower.contains(phrase)
        && lower.match_indices(phrase).any(|(at, p)| {
            let (a, b) = crate::risk::sentence_around(lower, at, at + p.len());
            let sentence = &lower[a..b];
            !sentence.contains('?')
                && !["unsubscribe me", "unsubscribe us", "remove me", "remove us", "take me off", "opt me out"].iter().any(|w| sentence.contains(w))
        })
}

fn head_lower(text: &str, bytes: usize) -> String {
    let end = bytes.min(text.len());
    let end = (0..=end).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    text[..end].to_lowercase()
}

fn tail_lower(text: &str, bytes: usize) -> String {
    let start = text.len().saturating_sub(bytes);
    let start = (start..text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
    text[start..].to_lowercase()
}

const SPAM_PHRASES: &[&str] = &[
    "click here",
    "act now",
    "limited time",
    "100% free",
    "risk free",
    "risk-free",
    "no obligation",
    "money back",
    "earn $",
    "make money",
    "cash bonus",
    "extra income",
    "work from home",
    "be your own boss",
    "financial freedom",
    "viagra",
    "cialis",
    "weight loss",
    "lose weight",
    "mortgage rate",
    "refinance",
    "credit card",
    "debt",
    "casino",
    "winner",
    "you have been selected",
    "congratulations",
    "dear friend",
    "this is not spam",
    "not junk mail",
    "bulk email",
    "email marketing",
    "order now",
    "call now",
    "buy now",
    "special promotion",
    "lowest price",
    "million dollars",
    "100%",
    "guaranteed",
    "satisfaction guaranteed",
    "free gift",
    "free trial",
    "amazing",
    "investment opportunity",
    "nigeria",
    "wire transfer",
    "beneficiary",
    "urgent reply",
    "adult",
    "xxx",
];

/// Every spam phrase in one automaton: the body is read once, not once per
/// phrase. A full DFA, as an overlapping search steps through every byte, and
/// without regard to ASCII case, so the body need not be lowercased first.
static SPAM_PHRASE_SET: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    assert!(SPAM_PHRASES.len() <= 128, "the spam phrases outgrew the bit set in `spam_score`");
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(SPAM_PHRASES)
        .expect("built-in spam phrases compile")
});

/// How many spam phrases occur in any of the lower-cased texts, as substrings.
fn spam_phrase_hits(texts: &[&str]) -> u32 {
    let mut seen: u128 = 0;
    for text in texts {
        for m in SPAM_PHRASE_SET.find_overlapping_iter(*text) {
            seen |= 1 << m.pattern().as_usize();
        }
    }
    seen.count_ones()
}

/// A count of independent spam indicators. Each adds at most a few points so no
/// single phrase decides; list and newsletter rules catch most bulk mail first.
pub fn spam_score(msg: &Message) -> u32 {
    let mut score = 0u32;
    let subject = msg.subject.as_str();
    let subject_lower = subject.to_lowercase();

    let phrase_hits = spam_phrase_hits(&[&crate::intent::case_matchable(&msg.text), &subject_lower]);
    score += phrase_hits.min(5);

    let letters: Vec<char> = subject.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() >= 8 && letters.iter().all(|c| c.is_uppercase()) {
        score += 2;
    }
    if subject.contains('!') || subject.contains('$') {
        score += 1;
    }
    if crate::intent::contains_word(&subject_lower, "free") {
        score += 1;
    }
    if msg.to.is_empty() && msg.cc.is_empty() {
        score += 2;
    }
    if msg.header("To").is_some_and(|t| t.to_ascii_lowercase().contains("undisclosed")) {
        score += 2;
    }
    let no_text_part = msg.html.is_some() && !msg.header("Content-Type").unwrap_or("").to_ascii_lowercase().contains("multipart/alternative");
    if no_text_part && msg.header("Content-Type").unwrap_or("").to_ascii_lowercase().contains("text/html") {
        score += 2;
    }
    if let (Some(from), Some(reply)) = (&msg.from, msg.reply_to.first())
        && from.domain() != reply.domain()
    {
        score += 1;
    }
    if msg.from.as_ref().is_some_and(|f| f.local_part().chars().filter(|c| c.is_ascii_digit()).count() >= 4) {
        score += 1;
    }
    score
}

#[cfg(test)]
mod local_part_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The sender checks match as the versions that built a string per name did.
        #[test]
        fn local_parts_match_as_when_each_name_was_formatted(
            local in "(noreply|no-reply|no_reply|do-not-reply|mailer|bounce|nobody|notifications|alerts|ci|root|jira|cron|[a-z]{1,3})?([-+_.][a-z0-9]{0,4}){0,2}[a-zA-Z0-9_+-]{0,3}",
            domain in "(@example.com)?",
        ) {
            let email = format!("{local}{domain}");
            let before = {
                let local = email.split('@').next().unwrap_or("");
                let plain: String = local.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                NO_REPLY_LOCAL_PARTS.iter().any(|p| {
                    local == *p
                        || local.starts_with(&format!("{p}+"))
                        || plain == p.replace(['-', '_'], "")
                        || plain.starts_with("noreply")
                        || plain.starts_with("donotreply")
                })
            };
            prop_assert_eq!(no_reply_reason(&email).is_some(), before);
            let automation = AUTOMATION_LOCAL_PARTS
                .iter()
                .find(|p| local == **p || local.starts_with(&format!("{p}-")) || local.starts_with(&format!("{p}+")))
                .copied();
            prop_assert_eq!(automation_part(&local), automation);
        }
    }
}

#[cfg(test)]
mod spam_phrase_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// One automaton pass counts what a substring search per phrase counted.
        #[test]
        fn one_pass_counts_what_each_phrase_search_counts(
            parts in proptest::collection::vec(prop_oneof![Just("satisfaction guaranteed"), Just("guaranteed"), Just("100%"), Just("free gift"), Just("xxx"), Just("xx"), Just(" "), Just("act now"), Just("é")], 0..10),
            subject in prop_oneof![Just(""), Just("congratulations"), Just("free trial xxx")],
        ) {
            let text: String = parts.concat();
            let naive = SPAM_PHRASES.iter().filter(|p| text.contains(*p) || subject.contains(*p)).count() as u32;
            prop_assert_eq!(spam_phrase_hits(&[&text, subject]), naive);
        }

        /// Matching without regard to ASCII case counts what matching the lowercased text counted.
        #[test]
        fn phrases_match_in_any_case_as_in_the_lowercased_text(
            parts in proptest::collection::vec((prop_oneof![Just("click here"), Just("risk free"), Just("guaranteed"), Just("100%"), Just("xxx"), Just(" "), Just("\u{212A}"), Just("\u{130}"), Just("ris\u{212A} free"), Just("clic\u{212A} here"), Just("é"), Just("ß"), Just("cli"), Just("ck here")], proptest::num::u32::ANY), 0..10),
        ) {
            let text: String = parts.iter().map(|(p, bits)| p.chars().enumerate().map(|(i, c)| if bits >> (i % 32) & 1 == 1 { c.to_ascii_uppercase() } else { c }).collect::<String>()).collect();
            let lowered = text.to_lowercase();
            let naive = SPAM_PHRASES.iter().filter(|p| lowered.contains(*p)).count() as u32;
            prop_assert_eq!(spam_phrase_hits(&[&crate::intent::case_matchable(&text)]), naive, "{:?}", text);
        }
    }
}

#[cfg(test)]
mod broadcast_tests {
    use super::*;

    fn sent_to(n: usize) -> Message {
        let others: Vec<String> = (1..n).map(|i| format!("person{i}@example.org")).collect();
        let raw = format!(
            "From: Jean Munoz <jean@example.org>\r\nTo: me@example.com, {}\r\nSubject: Hearings today\r\n\r\nThe hearings begin today at 1:30. Any questions?\r\n",
            others.join(", ")
        );
        crate::parse_message(raw.as_bytes()).unwrap()
    }

    /// A message to a crowd asks nothing of each of them; a message to a
    /// team of a dozen still may.
    #[test]
    fn mail_to_a_crowd_needs_no_reply() {
        let ctx = TriageContext::new(["me@example.com"]);
        let crowd = triage(&sent_to(BROADCAST_RECIPIENTS), &ctx);
        assert!(!crowd.needs_reply);
        assert_eq!(crowd.category, Category::Fyi);
        assert!(crowd.reasons[0].starts_with(&format!("sent to {BROADCAST_RECIPIENTS} people")), "{:?}", crowd.reasons);
        let team = triage(&sent_to(12), &ctx);
        assert!(team.needs_reply, "{:?}", team.reasons);
    }
}

#[cfg(test)]
mod bulk_tests {
    use super::*;

    fn triaged(headers: &str, body: &str) -> Triage {
        let raw = format!("From: World Wide Words <editor@worldwidewords.example>\r\nTo: me@example.com\r\n{headers}Subject: Issue 17\r\n\r\n{body}\r\n");
        triage(&crate::parse_message(raw.as_bytes()).unwrap(), &TriageContext::new(["me@example.com"]))
    }

    /// Where a reply would go decides too: a Reply-To that takes no replies, or
    /// a list owner's, means no reply is expected; a person's Reply-To does not.
    #[test]
    fn a_reply_to_that_takes_no_replies_or_is_a_list_needs_no_reply() {
        let body = "This week: the origins of \"okay\". Do you know where it comes from?";
        let donotuse = triaged("Reply-To: DoNotUse@worldwidewords.example\r\n", body);
        assert!(!donotuse.needs_reply);
        assert_eq!(donotuse.category, Category::NoReplySender);
        assert!(donotuse.reasons[0].contains("replies go to donotuse@worldwidewords.example"), "{:?}", donotuse.reasons);
        let owner = triaged("Reply-To: owner-announce@hq.example\r\n", body);
        assert_eq!(owner.category, Category::MailingList, "{:?}", owner.reasons);
        let person = triaged("Reply-To: Michael <michael@worldwidewords.example>\r\n", body);
        assert!(person.needs_reply, "{:?}", person.reasons);
        // One Reply-To that takes replies is enough: the reply goes there too.
        let both = triaged("Reply-To: noreply@worldwidewords.example, Michael <michael@worldwidewords.example>\r\n", body);
        assert!(both.needs_reply, "{:?}", both.reasons);
    }

    /// A host named for sending to many is not a person's, whatever the local part.
    #[test]
    fn a_domain_for_alerts_or_news_is_automated() {
        let t = |from: &str| {
            let raw = format!("From: {from}\r\nTo: me@example.com\r\nSubject: Storm warning\r\n\r\nA storm is on its way. Are you ready?\r\n");
            triage(&crate::parse_message(raw.as_bytes()).unwrap(), &TriageContext::new(["me@example.com"]))
        };
        let alert = t("weather@alerts.weather.example");
        assert_eq!(alert.category, Category::Notification, "{:?}", alert.reasons);
        assert!(alert.reasons[0].contains("@alerts."), "{:?}", alert.reasons);
        assert_eq!(t("ed@news.shop.example").category, Category::Notification);
        // A person at a company whose own name is "news" still writes to you.
        assert!(t("ed@news.example").needs_reply);
        assert!(t("ed@mail.example.org").needs_reply);
    }

    /// An announcement to a group asks nothing of you; a question to it does.
    #[test]
    fn an_announcement_to_a_group_needs_no_reply() {
        let t = |body: &str| {
            let raw = format!("From: Neil <neil@example.org>\r\nTo: me@example.com\r\nSubject: Project update\r\n\r\n{body}\r\n");
            triage(&crate::parse_message(raw.as_bytes()).unwrap(), &TriageContext::new(["me@example.com"]))
        };
        for body in [
            "Team, phase two is done. The report follows on Friday.",
            "Hi all,\n\nThe office is closed on Monday.",
            "Dear Colleagues, we are pleased to share the findings.",
        ] {
            let a = t(body);
            assert_eq!(a.category, Category::Fyi, "{body}: {:?}", a.reasons);
            assert!(a.reasons[0].starts_with("addressed to a group"), "{:?}", a.reasons);
        }
        assert!(t("Team, can everyone send me their hours by Friday?").needs_reply);
        assert!(t("Hi all, please send me your availability for next week.").needs_reply);
        assert!(t("Team, I need your timesheets by Friday.").needs_reply);
        assert!(t("Hi Dana, the report is attached.").needs_reply);
        assert!(t("All the best for the launch, and thanks for the help.").needs_reply);
    }

    /// News opened as an announcement is told to many; a question or a request after it still waits.
    #[test]
    fn an_announcement_that_asks_nothing_needs_no_reply() {
        let t = |body: &str| {
            let raw = format!("From: Neil <neil@example.org>\r\nTo: me@example.com\r\nSubject: News\r\n\r\n{body}\r\n");
            triage(&crate::parse_message(raw.as_bytes()).unwrap(), &TriageContext::new(["me@example.com"]))
        };
        for (body, opening) in [
            ("I'm pleased to announce that Sara Lee joins the trading desk on Monday.", "i'm pleased to announce"),
            ("We are very happy to share our third-quarter results.", "we are very happy to share"),
            ("Hi Dana,\n\nWe're excited to announce the new office in Houston.", "we're excited to announce"),
            ("Please join me in welcoming Tom Brown to the team.", "please join me in"),
            ("It is with great sadness that we report the passing of a colleague.", "it is with great sadness"),
            ("This is to announce that the building will be closed on Friday.", "this is to announce"),
            ("Dear Jordan,\n\nI'm excited to announce our new wellness programme.\n\nPlease see the attached brochure.", "i'm excited to announce"),
        ] {
            let a = t(body);
            assert_eq!(a.category, Category::Fyi, "{body}: {:?}", a.reasons);
            assert_eq!(a.reasons[0], format!("opens {opening:?} and asks nothing: an announcement"), "{body}");
        }
        // An announcement that asks, or mail that only mentions an announcement, still waits.
        assert!(t("We are pleased to announce the new rates. Could you confirm your order by Friday?").needs_reply);
        assert!(t("I'm pleased to announce the launch. Please send me your slides by Friday.").needs_reply);
        assert!(t("I am glad you liked the announcement.").needs_reply);
        assert!(t("We are pleased with the results you sent.").needs_reply);
        assert!(t("Hi Dana,\n\nI heard they plan to announce the merger.").needs_reply);
        // News about you is answered as a rule.
        assert!(t("Dear Prof. Smith,\n\nI am pleased to announce that your application has been accepted.").needs_reply);
        assert!(t("I am pleased to inform you that the committee approved the grant.").needs_reply);
        assert!(t("This is to inform you that your account will be closed.").needs_reply);
        assert!(t("This is to announce that your contract ends in May.").needs_reply);
    }

    /// A newsletter's opening lines say how to leave it or read it elsewhere.
    #[test]
    fn a_header_about_unsubscribing_or_viewing_in_a_browser_is_bulk_mail() {
        for opening in ["To unsubscribe, reply with REMOVE.", "View this email in your browser"] {
            let t = triaged("", &format!("{opening}\r\n\r\nThis week: the origins of \"okay\". Do you know where it comes from?"));
            assert_eq!(t.category, Category::Newsletter, "{opening}: {:?}", t.reasons);
        }
        // A person asking to be taken off a list still needs a reply.
        let ask = triaged("", "Hi, could you unsubscribe me from the newsletter, please?");
        assert!(ask.needs_reply, "{:?}", ask.reasons);
    }
}
