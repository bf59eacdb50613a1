//! What the pages show, computed without I/O: queue order, groups of similar
//! routine drafts, highlighted risk spans and word diffs. Every string here is
//! plain text; the templates escape it.

use std::collections::HashMap;

use autoemail_core::review::DraftState;
use autoemail_core::risk::{RiskLevel, RiskSignal, Severity, Source};
use autoemail_store::QueueEntry;
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

/// A draft's address in URLs and the API: "account/id".
pub fn draft_ref(account: &str, id: i64) -> String {
    format!("{account}/{id}")
}

pub fn parse_ref(r: &str) -> Option<(String, i64)> {
    let (account, id) = r.trim().rsplit_once('/')?;
    Some((account.to_string(), id.parse().ok()?))
}

/// Percent-encode one path segment (account names are the person's labels).
pub fn path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn draft_url(account: &str, id: i64) -> String {
    format!("/draft/{}/{id}", path_segment(account))
}

pub fn level_name(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::High => "high",
        RiskLevel::Review => "review",
        RiskLevel::Routine => "routine",
    }
}

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::High => "high",
        Severity::Medium => "review",
        _ => "info",
    }
}

/// "3 min", "5 h", "2 d".
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => "now".into(),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

pub fn clip(text: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        return flat;
    }
    let cut: String = flat.chars().take(max_chars).collect();
    format!("{}…", cut.trim_end())
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    #[serde(rename = "ref")]
    pub reference: String,
    pub url: String,
    pub account: String,
    pub id: i64,
    pub level: &'static str,
    pub from: String,
    pub from_email: String,
    pub subject: String,
    pub age: String,
    pub received_at: i64,
    pub reasons: Vec<String>,
    pub more_reasons: usize,
    /// The intent half of the autonomy key ("scheduling").
    pub category: String,
    pub autonomy_key: String,
    pub snippet: String,
    pub failed: bool,
    pub has_placeholder: bool,
    /// Messages from this sender the person has answered before.
    pub importance: i64,
    pub priority: u8,
    #[serde(skip)]
    pub body: String,
}

impl QueueRow {
    pub fn from_entry(item: QueueEntry, importance: &HashMap<String, i64>, now: i64) -> QueueRow {
        let from_email = item.from_email.unwrap_or_default();
        let from = item.from_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| from_email.clone());
        let received = item.date.unwrap_or(item.received_at);
        let mut reasons = autoemail_core::policy::listed_reasons(item.level, &item.reasons);
        let more_reasons = reasons.len().saturating_sub(3);
        reasons.truncate(3);
        QueueRow {
            reference: draft_ref(&item.account, item.draft_id),
            url: draft_url(&item.account, item.draft_id),
            id: item.draft_id,
            level: level_name(item.level),
            from: if from.is_empty() { "(no sender)".into() } else { from },
            subject: if item.subject.trim().is_empty() { "(no subject)".into() } else { item.subject },
            age: age(now - received),
            received_at: received,
            more_reasons,
            reasons,
            category: item.autonomy_key.split('/').next().unwrap_or("").to_string(),
            autonomy_key: item.autonomy_key,
            snippet: clip(&item.body, 140),
            failed: item.state == DraftState::Failed,
            has_placeholder: item.body.contains("[["),
            importance: importance.get(&from_email.to_lowercase()).copied().unwrap_or(0),
            priority: item.priority,
            from_email,
            body: item.body,
            account: item.account,
        }
    }
}

/// Most urgent first: the policy's priority, then risk, then how much the
/// person corresponds with the sender, then the oldest.
pub fn sort_queue(rows: &mut [QueueRow]) {
    let rank = |l: &str| match l {
        "high" => 2,
        "review" => 1,
        _ => 0,
    };
    rows.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(rank(b.level).cmp(&rank(a.level)))
            .then(b.importance.cmp(&a.importance))
            .then(a.received_at.cmp(&b.received_at))
            .then(a.id.cmp(&b.id))
    });
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct QueueFilter {
    pub account: Option<String>,
    pub level: Option<String>,
    pub category: Option<String>,
}

impl QueueFilter {
    pub fn keeps(&self, r: &QueueRow) -> bool {
        let want = |f: &Option<String>, v: &str| f.as_deref().filter(|f| !f.is_empty()).is_none_or(|f| f == v);
        want(&self.account, &r.account) && want(&self.level, r.level) && want(&self.category, &r.category)
    }
}

/// Similar routine drafts, approvable together once seen.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Comma-separated refs of the members, in queue order.
    pub refs: String,
    pub autonomy_key: String,
    /// The member most like the others: "the usual reply".
    pub usual: String,
    pub members: Vec<GroupMember>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupMember {
    pub row: QueueRow,
    /// Word diff against the usual reply; empty when identical.
    pub differences: Vec<Segment>,
    pub same_as_usual: bool,
}

/// Drafts at least this alike (word-level ratio) are grouped.
const GROUP_SIMILARITY: f32 = 0.6;
/// At most this many drafts in a group: what one screen shows and a person
/// can read, difference by difference, before approving them together. A
/// longer run of alike drafts becomes several groups.
pub const GROUP_MAX: usize = 25;
/// A draft is compared with at most this many open groups of its kind, the
/// newest first: bounded work when a kind's drafts are all different.
const OPEN_GROUPS_TRIED: usize = 16;

fn similarity(a: &str, b: &str) -> f32 {
    TextDiff::from_words(a, b).ratio()
}

/// Routine, pending, placeholder-free drafts of one kind whose bodies are
/// alike form a group (two to [`GROUP_MAX`]); the rest stay single. Each
/// member's differences from the usual reply are left empty here (the queue
/// list does not show them): [`Group::with_differences`] fills them.
pub fn group_routine(rows: &[QueueRow]) -> (Vec<Group>, Vec<QueueRow>) {
    // Each cluster's members (row indices, the first one compared against), in creation order.
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    // Clusters of each kind that can still take members, oldest first.
    let mut open: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.level != "routine" || r.failed || r.has_placeholder {
            continue;
        }
        let candidates = open.entry((r.account.as_str(), r.autonomy_key.as_str())).or_default();
        let found = candidates
            .iter()
            .enumerate()
            .rev()
            .take(OPEN_GROUPS_TRIED)
            .find(|(_, c)| similarity(&rows[clusters[**c][0]].body, &r.body) >= GROUP_SIMILARITY)
            .map(|(at, c)| (at, *c));
        match found {
            Some((at, c)) => {
                clusters[c].push(i);
                if clusters[c].len() == GROUP_MAX {
                    candidates.remove(at);
                }
            }
            None => {
                candidates.push(clusters.len());
                clusters.push(vec![i]);
            }
        }
    }
    let mut grouped = vec![false; rows.len()];
    let mut groups = Vec::new();
    let mut single = Vec::new();
    for members in clusters.into_iter().filter(|m| m.len() >= 2) {
        let usual_index = *members
            .iter()
            .max_by(|&&a, &&b| {
                let score = |x: usize| members.iter().filter(|&&y| y != x).map(|&y| similarity(&rows[x].body, &rows[y].body)).sum::<f32>();
                score(a).total_cmp(&score(b)).then(b.cmp(&a))
            })
            .unwrap_or(&members[0]);
        let usual = rows[usual_index].body.clone();
        let members: Vec<GroupMember> = members
            .iter()
            .map(|&i| {
                grouped[i] = true;
                GroupMember { row: rows[i].clone(), differences: vec![], same_as_usual: rows[i].body.trim() == usual.trim() }
            })
            .collect();
        groups.push(Group {
            refs: members.iter().map(|m| m.row.reference.clone()).collect::<Vec<_>>().join(","),
            autonomy_key: rows[usual_index].autonomy_key.clone(),
            usual,
            members,
        });
    }
    for (i, r) in rows.iter().enumerate() {
        if !grouped[i] {
            single.push(r.clone());
        }
    }
    (groups, single)
}

impl Group {
    /// The group with each member's word differences from the usual reply, for
    /// the group view, where each difference is read before approving.
    pub fn with_differences(mut self) -> Group {
        for m in &mut self.members {
            if !m.same_as_usual {
                m.differences = changes_only(&self.usual, &m.row.body);
            }
        }
        self
    }
}

/// A run of text with how to show it: "" plain, "ins"/"del" in a diff, or a
/// risk level with the signal's explanation as its title.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub text: String,
    pub class: &'static str,
    pub title: String,
}

impl Segment {
    fn plain(text: &str) -> Segment {
        Segment { text: text.to_string(), class: "", title: String::new() }
    }
}

/// The text cut into plain and highlighted runs, one per signal span of `source`.
pub fn highlight(text: &str, signals: &[RiskSignal], source: Source) -> Vec<Segment> {
    let mut spans: Vec<(usize, usize, &RiskSignal)> = signals
        .iter()
        .filter(|s| s.source == source)
        .filter_map(|s| s.span.map(|(a, b)| (a, b, s)))
        .filter(|(a, b, _)| a < b && *b <= text.len() && text.is_char_boundary(*a) && text.is_char_boundary(*b))
        .collect();
    spans.sort_by_key(|(a, b, s)| (*a, std::cmp::Reverse(*b), std::cmp::Reverse(level_rank_of(s.severity))));
    let mut out = Vec::new();
    let mut at = 0;
    for (a, b, s) in spans {
        if a < at {
            continue; // overlaps one already shown
        }
        if a > at {
            out.push(Segment::plain(&text[at..a]));
        }
        out.push(Segment { text: text[a..b].to_string(), class: severity_name(s.severity), title: s.explanation.clone() });
        at = b;
    }
    if at < text.len() {
        out.push(Segment::plain(&text[at..]));
    }
    out
}

fn level_rank_of(s: Severity) -> u8 {
    match s {
        Severity::High => 2,
        Severity::Medium => 1,
        _ => 0,
    }
}

/// Word diff of two versions: every run, unchanged ones plain.
pub fn word_diff(old: &str, new: &str) -> Vec<Segment> {
    let diff = TextDiff::from_words(old, new);
    let mut out: Vec<Segment> = Vec::new();
    for change in diff.iter_all_changes() {
        let class = match change.tag() {
            ChangeTag::Equal => "",
            ChangeTag::Insert => "ins",
            ChangeTag::Delete => "del",
        };
        match out.last_mut() {
            Some(last) if last.class == class => last.text.push_str(change.value()),
            _ => out.push(Segment { text: change.value().to_string(), class, title: String::new() }),
        }
    }
    out
}

/// Only what differs, with a few words of context around each change.
pub fn changes_only(old: &str, new: &str) -> Vec<Segment> {
    let all = word_diff(old, new);
    let mut out = Vec::new();
    for (i, seg) in all.iter().enumerate() {
        if !seg.class.is_empty() {
            out.push(seg.clone());
            continue;
        }
        let words: Vec<&str> = seg.text.split_whitespace().collect();
        let before = i > 0;
        let after = i + 1 < all.len();
        if words.len() <= 8 {
            out.push(Segment::plain(&format!(" {} ", words.join(" "))));
        } else {
            let head = if before { words[..3].join(" ") } else { String::new() };
            let tail = if after { words[words.len() - 3..].join(" ") } else { String::new() };
            let text = match (before, after) {
                (true, true) => format!(" {head} … {tail} "),
                (true, false) => format!(" {head} …"),
                (false, true) => format!("… {tail} "),
                (false, false) => String::new(),
            };
            if !text.is_empty() {
                out.push(Segment::plain(&text));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoemail_core::risk::SignalKind;

    fn row(id: i64, level: &'static str, key: &str, body: &str) -> QueueRow {
        QueueRow {
            reference: draft_ref("main", id),
            url: draft_url("main", id),
            account: "main".into(),
            id,
            level,
            from: "x".into(),
            from_email: "x@example.com".into(),
            subject: "s".into(),
            age: "now".into(),
            received_at: id,
            reasons: vec![],
            more_reasons: 0,
            category: key.split('/').next().unwrap().into(),
            autonomy_key: key.into(),
            snippet: String::new(),
            failed: false,
            has_placeholder: body.contains("[["),
            importance: 0,
            priority: 10,
            body: body.into(),
        }
    }

    #[test]
    fn similar_routine_drafts_group_and_the_rest_stay_single() {
        let rows = vec![
            row(1, "routine", "thanks/known", "Thanks Ann, got it. Best, Sam"),
            row(2, "routine", "thanks/known", "Thanks Bob, got it. Best, Sam"),
            row(3, "routine", "thanks/known", "Thanks Cy, got it. Best, Sam"),
            row(4, "review", "thanks/known", "Thanks Di, got it. Best, Sam"),
            row(5, "routine", "scheduling/known", "Tuesday at 10 works for me. Best, Sam"),
            row(6, "routine", "thanks/known", "I will send the full report with all figures next week, regards"),
        ];
        let (groups, single) = group_routine(&rows);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].refs, "main/1,main/2,main/3");
        assert!(groups[0].members.iter().all(|m| m.differences.is_empty()), "the list does not diff");
        let group = groups.into_iter().next().unwrap().with_differences();
        assert!(group.members.iter().any(|m| !m.same_as_usual && m.differences.iter().any(|d| d.class == "ins")));
        let single_ids: Vec<i64> = single.iter().map(|r| r.id).collect();
        assert_eq!(single_ids, vec![4, 5, 6]);
    }

    /// A long run of alike drafts becomes groups a person can read, not one
    /// group of thousands; drafts of one kind that are all different stay single.
    #[test]
    fn groups_stay_readable_and_grouping_work_is_bounded() {
        let alike: Vec<QueueRow> = (0..60).map(|n| row(n, "routine", "thanks/known", &format!("Thanks Client {n}, got it. Best, Sam"))).collect();
        let (groups, single) = group_routine(&alike);
        assert_eq!(groups.iter().map(|g| g.members.len()).collect::<Vec<_>>(), vec![GROUP_MAX, GROUP_MAX, 10]);
        assert!(single.is_empty());
        let refs: Vec<&str> = groups.iter().flat_map(|g| g.refs.split(',')).collect();
        assert_eq!(refs.len(), 60, "every draft in exactly one group");

        let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
        let distinct: Vec<QueueRow> = (0..60)
            .map(|n: usize| {
                let body: Vec<String> = (0..8).map(|k| format!("{}{}", words[(n * 7 + k * 3) % 10], n * 8 + k)).collect();
                row(n as i64, "routine", "thanks/known", &body.join(" "))
            })
            .collect();
        let (groups, single) = group_routine(&distinct);
        assert!(groups.is_empty());
        assert_eq!(single.len(), 60);
    }

    #[test]
    fn highlights_cover_spans_and_keep_all_text() {
        let text = "We can pay €500 by Friday.";
        let signal = |a, b, sev| RiskSignal { kind: SignalKind::Money, severity: sev, source: Source::Draft, explanation: "money".into(), span: Some((a, b)) };
        let euro = text.find('€').unwrap();
        let segs = highlight(
            text,
            &[signal(euro, euro + "€500".len(), Severity::High), signal(euro + 1, euro + 2, Severity::Medium), signal(0, 99, Severity::High)],
            Source::Draft,
        );
        assert_eq!(segs.iter().map(|s| s.text.as_str()).collect::<String>(), text);
        let marked: Vec<&Segment> = segs.iter().filter(|s| !s.class.is_empty()).collect();
        assert_eq!(marked.len(), 1, "{segs:?}");
        assert_eq!(marked[0].text, "€500");
        assert_eq!(marked[0].class, "high");
        // A span that is not on a character boundary is ignored, not a panic.
        assert_eq!(highlight(text, &[signal(euro + 1, euro + 3, Severity::High)], Source::Draft).len(), 1);
    }

    #[test]
    fn queue_order_is_priority_risk_importance_age() {
        let mut rows = vec![row(1, "routine", "a/b", ""), row(2, "high", "a/b", ""), row(3, "review", "a/b", ""), row(4, "review", "a/b", "")];
        rows[3].importance = 5;
        rows[0].priority = 90;
        sort_queue(&mut rows);
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1, 2, 4, 3]);
    }

    #[test]
    fn refs_round_trip() {
        assert_eq!(parse_ref("main/12"), Some(("main".into(), 12)));
        assert_eq!(parse_ref("team/a/7"), Some(("team/a".into(), 7)));
        assert_eq!(parse_ref("x"), None);
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn diffs_mark_insertions_and_deletions() {
        let d = word_diff("see you on Monday", "see you on Tuesday");
        assert!(d.iter().any(|s| s.class == "del" && s.text.contains("Monday")));
        assert!(d.iter().any(|s| s.class == "ins" && s.text.contains("Tuesday")));
    }
}
