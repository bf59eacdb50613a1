//! Separating what a sender wrote now from the history they quoted.

pub struct Split {
    pub fresh: String,
    pub quoted: String,
}

/// Split a plain-text body at the first line that starts quoted history:
/// an attribution ("On … wrote:"), an Outlook "Original Message" rule, a
/// forwarded header block, or a run of `>` lines that continues to the end.
/// A signature ("-- ") is dropped from the fresh part.
pub fn split_quoted(text: &str) -> Split {
    let lines: Vec<&str> = lines(text).collect();
    // Every line from `quoted_tail` on is blank or quoted: found from the end,
    // where it nearly always stops at once.
    let quoted_tail = lines
        .iter()
        .rposition(|l| {
            let t = trim(l);
            !(t.is_empty() || t.starts_with('>'))
        })
        .map_or(0, |i| i + 1);
    let mut cut = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let t = trim(line);
        if is_attribution(t, || lines.get(i + 1).map(|l| trim(l))) || is_original_rule(t) || (t.starts_with('>') && i >= quoted_tail) {
            cut = i;
            break;
        }
    }
    let mut fresh_lines = &lines[..cut];
    if let Some(sig) = fresh_lines.iter().position(|l| *l == "-- " || *l == "--") {
        fresh_lines = &fresh_lines[..sig];
    }
    // Lines joined again are the text they came from, unless `lines` took
    // carriage returns off their ends.
    let has_cr = memchr::memchr(b'\r', text.as_bytes()).is_some();
    let joined = |part: &[&str]| -> String {
        match (part.first(), part.last()) {
            (Some(first), Some(last)) if !has_cr => {
                let offset = |line: &str| line.as_ptr() as usize - text.as_ptr() as usize;
                text[offset(first)..offset(last) + last.len()].trim().to_string()
            }
            _ => part.join("\n").trim().to_string(),
        }
    };
    Split { fresh: joined(fresh_lines), quoted: joined(&lines[cut..]) }
}

/// `str::lines`, with the line ends found by a vectorised search: every line
/// of every body goes through here.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // A carriage return ends a line only before a line feed.
        let (line, next) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(end) => (rest[..end].strip_suffix('\r').unwrap_or(&rest[..end]), &rest[end + 1..]),
            None => (rest, ""),
        };
        rest = next;
        Some(line)
    })
}

/// `str::trim`, with ASCII whitespace at the ends taken off byte by byte and
/// the Unicode check left for a line that has a non-ASCII character there.
fn trim(line: &str) -> &str {
    let t = crate::message::trim_ascii_space(line);
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(a), Some(z)) if !a.is_ascii() || !z.is_ascii() => t.trim(),
        _ => t,
    }
}

/// Case-insensitive (ASCII) prefix and suffix checks: called for every line,
/// so they compare in place instead of lower-casing a copy.
pub(crate) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len() && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// `next` gives the next line, trimmed; asked only for a line that may start a wrapped attribution.
fn is_attribution<'a>(line: &str, next: impl FnOnce() -> Option<&'a str>) -> bool {
    let on = starts_with_ci(line, "on ");
    if on && (ends_with_ci(line, "wrote:") || ends_with_ci(line, "writes:")) {
        return true;
    }
    // Attributions wrapped onto two lines: "On Tue, ... Jane Doe <jane@x>" / "wrote:".
    if on && line.contains('@') && next().is_some_and(|n| ends_with_ci(n, "wrote:")) {
        return true;
    }
    ends_with_ci(line, " wrote:") && line.contains('@')
}

/// A subject line of forwarded or quoted mail ("Subject: Lunch?", "Re: Lunch?"):
/// a question someone asked someone else, not one to answer.
pub fn is_header_line(line: &str) -> bool {
    let line = line.trim_start();
    ["subject:", "re:", "fw:", "fwd:"].iter().any(|h| starts_with_ci(line, h))
}

fn is_original_rule(line: &str) -> bool {
    // Every form below starts with a rule of dashes or underscores.
    if !(line.starts_with("---") || line.starts_with("___")) {
        return false;
    }
    let lower = line.to_ascii_lowercase();
    let stripped = lower.trim_matches(|c: char| c == '-' || c == '_' || c.is_whitespace());
    matches!(stripped, "original message" | "forwarded message" | "forwarded by" | "reply message")
        || lower.starts_with("-----original message")
        // Lotus Notes, with any length of rule: "----- Forwarded by Jane Doe/NA/Acme on 09/27/2000 05:21 PM -----".
        || stripped.starts_with("forwarded by ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lower-casing versions the in-place checks replaced.
    fn attribution_by_lowercasing(line: &str, next: Option<&str>) -> bool {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("on ") && (lower.ends_with("wrote:") || lower.ends_with("writes:"))
            || lower.starts_with("on ") && lower.contains('@') && next.is_some_and(|n| n.to_ascii_lowercase().ends_with("wrote:"))
            || lower.ends_with(" wrote:") && lower.contains('@')
    }

    proptest::proptest! {
        #[test]
        fn in_place_checks_match_lowercasing(line in "(On |on |ON |---|___)?[a-zA-Z@ é:-]{0,12}( wrote:| WROTE:|writes:| Wrote:)?", next in "[a-z ]{0,4}(wrote:|Wrote:)?") {
            proptest::prop_assert_eq!(is_attribution(&line, || Some(next.as_str())), attribution_by_lowercasing(&line, Some(&next)));
        }
    }

    /// `split_quoted` as it was: a quoted-to-the-end flag for every line, and the parts joined line by line.
    fn split_quoted_before(text: &str) -> (String, String) {
        let lines: Vec<&str> = text.lines().collect();
        let mut quoted_to_end = vec![true; lines.len() + 1];
        for i in (0..lines.len()).rev() {
            quoted_to_end[i] = quoted_to_end[i + 1] && (lines[i].trim().is_empty() || lines[i].trim_start().starts_with('>'));
        }
        let mut cut = lines.len();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim();
            if is_attribution(t, || lines.get(i + 1).map(|l| l.trim())) || is_original_rule(t) || (t.starts_with('>') && quoted_to_end[i]) {
                cut = i;
                break;
            }
        }
        let mut fresh_lines = &lines[..cut];
        if let Some(sig) = fresh_lines.iter().position(|l| *l == "-- " || *l == "--") {
            fresh_lines = &fresh_lines[..sig];
        }
        (fresh_lines.join("\n").trim().to_string(), lines[cut..].join("\n").trim().to_string())
    }

    proptest::proptest! {
        #[test]
        fn split_matches_the_line_by_line_version(
            lines in proptest::collection::vec(proptest::sample::select(&[
                "Hello", "  indented ", "", " ", "> quoted", "  > quoted", ">", "-- ", "--", "On Mon, Ann <a@b.c> wrote:", "On Mon, Ann <a@b.c>",
                "wrote:", "-----Original Message-----", "From: x", "Thanks \u{2003}", "é", "\u{2003}",
                "\t> tabbed\x0b", "\u{a0}> quoted\u{a0}", "\u{85}On Mon, Ann <a@b.c> wrote:\x0c", " \u{2003} ", "\u{2003}--",
            ][..]), 0..12),
            ending in proptest::sample::select(&["\n", "\r\n", "\r"][..]),
            last_newline in proptest::bool::ANY,
        ) {
            let mut text = lines.join(ending);
            if last_newline {
                text.push_str(ending);
            }
            let split = split_quoted(&text);
            proptest::prop_assert_eq!((split.fresh, split.quoted), split_quoted_before(&text), "{:?}", text);
        }
    }

    proptest::proptest! {
        #[test]
        fn lines_and_trim_match_the_standard_ones(text in "[a \t\x0b\x0c\r\n>é\u{85}\u{a0}\u{2003}\u{3000}]{0,24}") {
            proptest::prop_assert_eq!(lines(&text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>());
            proptest::prop_assert_eq!(trim(&text), text.trim());
        }
    }

    #[test]
    fn splits_at_attribution() {
        let s = split_quoted("Sounds good.\n\nOn Tue, 3 Mar 2026, Bob <b@x.org> wrote:\n> Lunch?\n");
        assert_eq!(s.fresh, "Sounds good.");
        assert!(s.quoted.starts_with("On Tue"));
    }

    #[test]
    fn splits_at_outlook_rule_and_drops_signature() {
        let s = split_quoted("Yes please.\n-- \nJane\n-----Original Message-----\nFrom: x");
        assert_eq!(s.fresh, "Yes please.");
        assert!(s.quoted.starts_with("-----Original"));
    }

    #[test]
    fn splits_at_a_lotus_notes_forward_with_a_short_rule() {
        for rule in [
            "----- Forwarded by Steven J Kean/NA/Enron on 09/27/2000 05:21 PM -----",
            "---------------------- Forwarded by Jane Doe/HOU/ECT on 05/01/2001 ---------------------------",
        ] {
            let s = split_quoted(&format!("See if there is anything of use in here.\n{rule}\n\nThe report below..."));
            assert_eq!(s.fresh, "See if there is anything of use in here.", "{rule}");
            assert!(s.quoted.starts_with(rule), "{rule}");
        }
        // A line about forwarding is not a rule.
        assert_eq!(split_quoted("Forwarded by mistake, sorry.").fresh, "Forwarded by mistake, sorry.");
    }

    #[test]
    fn inline_quotes_followed_by_answers_stay_fresh() {
        let s = split_quoted("> can you come?\nYes, I can.\n");
        assert_eq!(s.quoted, "");
        assert!(s.fresh.contains("Yes, I can."));
    }
}
