//! Threading by Message-ID, In-Reply-To and References (RFC 5322 §3.6.4),
//! and subject normalization for replies.

use crate::message::Message;

/// How many ancestors are looked up: the nearest ones place a message in its
/// thread, and each is a store lookup at ingest. A hostile References header
/// of 100,000 ids took seconds of comparisons and lookups before this bound.
pub const MAX_ANCESTORS: usize = 50;

/// The ids this message points back to, nearest parent first, at most
/// [`MAX_ANCESTORS`] of them.
pub fn ancestors(msg: &Message) -> Vec<&str> {
    let mut ids: Vec<&str> = msg.in_reply_to.iter().take(MAX_ANCESTORS).map(String::as_str).collect();
    for r in msg.references.iter().rev() {
        if ids.len() == MAX_ANCESTORS {
            break;
        }
        if !ids.contains(&r.as_str()) {
            ids.push(r);
        }
    }
    ids
}

/// The thread a message belongs to. `known` maps a Message-ID already stored to its
/// thread key; the first ancestor found wins. Otherwise the oldest reference starts
/// the key, so replies that arrive before their parent still join one thread.
pub fn thread_key(msg: &Message, known: impl Fn(&str) -> Option<String>) -> String {
    for id in ancestors(msg) {
        if let Some(key) = known(id) {
            return key;
        }
    }
    if let Some(root) = msg.references.first().or(msg.in_reply_to.first()) {
        return root.clone();
    }
    if let Some(id) = &msg.message_id {
        if let Some(key) = known(id) {
            return key;
        }
        return id.clone();
    }
    format!("sha256:{}", msg.raw_sha256)
}

/// The subject without reply/forward prefixes ("Re:", "Fwd:", "AW:", "SV:", "Re[2]:")
/// or a leading mailing-list tag, so replies never stack prefixes.
pub fn base_subject(subject: &str) -> &str {
    let mut s = subject.trim();
    loop {
        let before = s;
        if s.starts_with('[')
            && let Some(end) = s.find(']')
        {
            s = s[end + 1..].trim_start();
        }
        if let Some(colon) = s.find(':') {
            let prefix = s[..colon].trim().to_ascii_lowercase();
            let prefix = prefix.split('[').next().unwrap_or("").trim();
            if matches!(prefix, "re" | "fw" | "fwd" | "aw" | "sv" | "vs" | "antw" | "wg" | "tr" | "ref" | "rif" | "odp") {
                s = s[colon + 1..].trim_start();
            }
        }
        if s == before {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_are_the_nearest_and_bounded() {
        let mut msg = crate::parse_message(b"From: a@b.test\r\nSubject: x\r\nIn-Reply-To: <p@x>\r\n\r\nhi\r\n").unwrap();
        msg.references = (0..100_000).map(|i| format!("r{i}@x")).chain(["p@x".to_string()]).collect();
        let ids = ancestors(&msg);
        assert_eq!(ids.len(), MAX_ANCESTORS);
        assert_eq!(&ids[..3], ["p@x", "r99999@x", "r99998@x"]);
        // None known: the oldest reference still keys the thread.
        assert_eq!(thread_key(&msg, |_| None), "r0@x");
        assert_eq!(thread_key(&msg, |id| (id == "r99990@x").then(|| "t".to_string())), "t");
    }

    #[test]
    fn strips_stacked_prefixes() {
        assert_eq!(base_subject("Re: RE: Fwd: Quote"), "Quote");
        assert_eq!(base_subject("Re[2]: AW: Termin"), "Termin");
        assert_eq!(base_subject("[team] Re: plans"), "plans");
        assert_eq!(base_subject("Regarding: the thing"), "Regarding: the thing");
        assert_eq!(base_subject(""), "");
    }
}
