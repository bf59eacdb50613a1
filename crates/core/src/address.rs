//! Email addresses as the rest of the core sees them: a display name and a
//! normalized address, compared case-insensitively.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub name: Option<String>,
    /// Lower-cased `local@domain`; the form used for every comparison.
    pub email: String,
}

impl Mailbox {
    pub fn new(name: Option<&str>, email: &str) -> Self {
        let name = name.map(|n| n.trim().trim_matches('"').trim().to_string()).filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(email));
        Mailbox { name, email: normalize_email(email) }
    }

    pub fn domain(&self) -> &str {
        self.email.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }

    pub fn local_part(&self) -> &str {
        self.email.rsplit_once('@').map(|(l, _)| l).unwrap_or(&self.email)
    }

    /// The name to greet someone by: the first word of the display name, or
    /// nothing when the name is missing or looks like an address or a role.
    pub fn first_name(&self) -> Option<String> {
        let name = self.name.as_deref()?;
        // "Last, First" is common in corporate directories.
        let given = match name.split_once(',') {
            Some((_, first)) if !first.trim().is_empty() => first.trim(),
            _ => name,
        };
        let word = given.split_whitespace().next()?;
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        if word.is_empty() || word.contains('@') || !word.chars().next()?.is_alphabetic() {
            return None;
        }
        let mut chars = word.chars();
        let first = chars.next()?;
        Some(first.to_uppercase().chain(chars.flat_map(|c| c.to_lowercase())).collect())
    }

    /// `Name <email>` or the bare address, for headers and display.
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} <{}>", self.email),
            None => self.email.clone(),
        }
    }
}

pub fn normalize_email(email: &str) -> String {
    email.trim().trim_matches(|c| c == '<' || c == '>').to_lowercase()
}

/// A syntactically plausible address: one `@`, a non-empty local part and a dotted
/// or bracketed domain, no whitespace or control characters.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == ';')
        && !local.contains('@')
        && (domain.contains('.') || domain.starts_with('['))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_name_handles_common_shapes() {
        assert_eq!(Mailbox::new(Some("Jane Doe"), "j@x.org").first_name().as_deref(), Some("Jane"));
        assert_eq!(Mailbox::new(Some("Doe, Jane"), "j@x.org").first_name().as_deref(), Some("Jane"));
        assert_eq!(Mailbox::new(Some("JANE"), "j@x.org").first_name().as_deref(), Some("Jane"));
        assert_eq!(Mailbox::new(Some("j@x.org"), "j@x.org").first_name(), None);
        assert_eq!(Mailbox::new(None, "j@x.org").first_name(), None);
    }

    #[test]
    fn emails_compare_case_insensitively() {
        assert_eq!(Mailbox::new(None, "<Bob@Example.COM>").email, "bob@example.com");
        assert!(is_plausible_email("bob@example.com"));
        assert!(!is_plausible_email("bob example.com"));
        assert!(!is_plausible_email("bob@localhost"));
    }
}
