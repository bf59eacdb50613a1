//! A message's HTML made safe to show a person: ammonia's allow-list (no
//! scripts, styles, event handlers, forms or frames), links that open nothing
//! on their own (`rel="noopener noreferrer nofollow"`), and remote content
//! blocked: images and other resources load only from inline `data:` or
//! `cid:` URLs, so opening a message tells its sender nothing.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, PartialEq)]
pub struct SafeHtml {
    pub html: String,
    /// Remote images or resources that were removed.
    pub blocked_remote: usize,
}

fn is_local(url: &str) -> bool {
    let u = url.trim_start().to_ascii_lowercase();
    u.starts_with("data:image/") || u.starts_with("cid:")
}

pub fn safe_html(html: &str) -> SafeHtml {
    let blocked = Arc::new(AtomicUsize::new(0));
    let counter = blocked.clone();
    let mut builder = ammonia::Builder::default();
    // Inline parts of the message itself; `data:` only survives on images (below).
    builder.add_url_schemes(["cid", "data"]);
    let clean = builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(move |element, attribute, value| match (element, attribute) {
            (_, "src" | "srcset" | "background" | "poster") if element != "a" => {
                if is_local(value) {
                    Some(Cow::Borrowed(value))
                } else {
                    counter.fetch_add(1, Ordering::Relaxed);
                    None
                }
            }
            (_, "href") if value.trim_start().to_ascii_lowercase().starts_with("data:") => None,
            _ => Some(Cow::Borrowed(value)),
        })
        .clean(html)
        .to_string();
    SafeHtml { html: clean, blocked_remote: blocked.load(Ordering::Relaxed) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_active_content_and_blocks_remote_resources() {
        let html = r#"<p onclick="steal()">Hello <b>Sam</b></p><script>alert(1)</script><img src="https://tracker.test/p.gif?u=sam"><img src=x onerror="alert(2)"><img src="cid:logo@x"><a href="https://example.com/offer">offer</a><a href="data:text/html,<script>x()</script>">bad</a><iframe src="https://evil.test"></iframe><form action="https://evil.test"><input name=p></form><style>body{display:none}</style>"#;
        let safe = safe_html(html);
        for gone in ["data:text", "script", "onclick", "onerror", "tracker.test", "iframe", "<form", "<style", "alert"] {
            assert!(!safe.html.contains(gone), "{gone} survived: {}", safe.html);
        }
        assert!(safe.html.contains("Hello <b>Sam</b>"));
        assert!(safe.html.contains(r#"src="cid:logo@x""#), "{}", safe.html);
        assert!(safe.html.contains(r#"rel="noopener noreferrer nofollow""#), "{}", safe.html);
        assert!(safe.blocked_remote >= 2, "the tracker pixel and the bogus image at least: {}", safe.blocked_remote);
    }
}
