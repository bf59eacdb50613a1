//! Threading by Message-ID, In-Reply-To and References (RFC 5322 §3.6.4),
//! and subject normalization for replies.

use crate::message::Message;

/// The ids this message points back to, nearest parent first.
pub fn ancestors(msg: &Message) -> Vec<&str> {
    let mut ids: Vec<&str> = msg.in_reply_to.iter().map(String::as_str).collect();
    for r in msg.references.iter().rev() {
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
    fn strips_stacked_prefixes() {
        assert_eq!(base_subject("Re: RE: Fwd: Quote"), "Quote");
        assert_eq!(base_subject("Re[2]: AW: Termin"), "Termin");
        assert_eq!(base_subject("[team] Re: plans"), "plans");
        assert_eq!(base_subject("Regarding: the thing"), "Regarding: the thing");
        assert_eq!(base_subject(""), "");
    }
}
