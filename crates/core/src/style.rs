//! The person's writing style, learned from replies they sent: how they greet,
//! how they sign off, how long they write, and which past replies answered
//! messages most like the one at hand (retrieved with BM25, no model).

use serde::Serialize;

use crate::message::Message;
use crate::retrieval::Bm25;

/// One past exchange: what someone wrote, and how the person answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    pub incoming: String,
    pub reply: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StyleProfile {
    /// Most similar past exchanges, most similar first.
    pub examples: Vec<Example>,
    /// The greeting the person uses most, with `{name}` for the first name ("Hi {name},").
    pub greeting: Option<String>,
    /// The closing line the person uses most ("Best,").
    pub sign_off: Option<String>,
    /// Median length of their replies, in words (0 when unknown).
    pub typical_words: usize,
    /// How many sent replies the profile was learned from.
    pub learned_from: usize,
}

fn most_common(items: impl Iterator<Item = String>) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for item in items {
        match counts.iter_mut().find(|(s, _)| *s == item) {
            Some((_, n)) => *n += 1,
            None => counts.push((item, 1)),
        }
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(s, _)| s)
}

fn fresh(m: &Message) -> &str {
    if m.fresh_text.trim().is_empty() { &m.text } else { &m.fresh_text }
}

/// "Hi Dana," → "Hi {name},"; a first line that is not a greeting gives None.
fn greeting_pattern(reply: &Message, to_first_name: Option<&str>) -> Option<String> {
    let first = fresh(reply).lines().map(str::trim).find(|l| !l.is_empty())?;
    let word = first.split([' ', ',']).next()?.to_lowercase();
    if !["hi", "hello", "hey", "dear", "morning", "good", "hallo", "bonjour", "hola"].contains(&word.as_str()) || first.len() > 40 {
        return None;
    }
    Some(match to_first_name {
        Some(name) if first.contains(name) => first.replacen(name, "{name}", 1),
        _ => first.to_string(),
    })
}

/// The line before the signature name: "Best,", "Cheers", "Thanks,".
fn sign_off_line(reply: &Message, my_first_name: Option<&str>) -> Option<String> {
    let lines: Vec<&str> = fresh(reply).lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let n = lines.len();
    if n < 2 {
        return None;
    }
    let (last, before) = (lines[n - 1], lines[n - 2]);
    let is_name = |l: &str| l.split_whitespace().count() <= 3 && my_first_name.is_none_or(|f| l.contains(f));
    let closing = |l: &str| l.len() <= 30 && l.split_whitespace().count() <= 4 && !l.ends_with('?') && !l.ends_with('.');
    if is_name(last) && closing(before) { Some(before.to_string()) } else { None }
}

impl StyleProfile {
    /// Learn from `(incoming, reply)` pairs the person sent (the incoming side
    /// may be unknown), choosing up to `k` examples most like `current`.
    pub fn learn(pairs: &[(Option<&Message>, &Message)], current: &Message, my_first_name: Option<&str>, k: usize) -> StyleProfile {
        if pairs.is_empty() {
            return StyleProfile::default();
        }
        let greeting = most_common(pairs.iter().filter_map(|(incoming, reply)| {
            let name = reply.to.first().and_then(|m| m.first_name()).or_else(|| incoming.and_then(|i| i.from.as_ref()?.first_name()));
            greeting_pattern(reply, name.as_deref())
        }));
        let sign_off = most_common(pairs.iter().filter_map(|(_, reply)| sign_off_line(reply, my_first_name)));
        let mut lengths: Vec<usize> = pairs.iter().map(|(_, r)| fresh(r).split_whitespace().count()).collect();
        lengths.sort_unstable();
        // Match on what was answered when known, else on the reply itself.
        let documents: Vec<String> = pairs
            .iter()
            .map(|(incoming, reply)| match incoming {
                Some(i) => format!("{} {}", i.subject, fresh(i)),
                None => format!("{} {}", reply.subject, fresh(reply)),
            })
            .collect();
        let index = Bm25::new(&documents);
        let examples = index
            .search(&format!("{} {}", current.subject, fresh(current)), k)
            .into_iter()
            .map(|(i, _)| Example {
                incoming: pairs[i].0.map(|m| fresh(m).trim().to_string()).unwrap_or_default(),
                reply: fresh(pairs[i].1).trim().to_string(),
            })
            .collect();
        StyleProfile { examples, greeting, sign_off, typical_words: lengths[lengths.len() / 2], learned_from: pairs.len() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_message;

    fn msg(from: &str, to: &str, subject: &str, body: &str) -> Message {
        parse_message(format!("From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}\r\n").as_bytes()).unwrap()
    }

    #[test]
    fn learns_greeting_sign_off_length_and_nearest_examples() {
        let me = "Sam Carter <sam@x.test>";
        let a_in = msg("Dana Lee <dana@y.test>", me, "Opening hours", "Are you open on Saturday?");
        let a_out = msg(me, "Dana Lee <dana@y.test>", "Re: Opening hours", "Hey Dana,\n\nYes, 10 to 2 on Saturdays.\n\nCheers,\nSam");
        let b_in = msg("Eli Moss <eli@y.test>", me, "Invoice 55", "Could you resend invoice 55?");
        let b_out = msg(me, "Eli Moss <eli@y.test>", "Re: Invoice 55", "Hey Eli,\n\nAttached again, sorry about that.\n\nCheers,\nSam");
        let current = msg("Flo Ray <flo@z.test>", me, "Saturday", "Hi, what are your opening hours on Saturday?");
        let p = StyleProfile::learn(&[(Some(&a_in), &a_out), (Some(&b_in), &b_out)], &current, Some("Sam"), 1);
        assert_eq!(p.greeting.as_deref(), Some("Hey {name},"));
        assert_eq!(p.sign_off.as_deref(), Some("Cheers,"));
        assert_eq!(p.examples.len(), 1);
        assert!(p.examples[0].reply.contains("10 to 2"), "{:?}", p.examples);
        assert!(p.typical_words > 5);
    }
}
