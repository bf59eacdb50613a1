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
    /// nothing when the name is missing or is not a person's ("Accounts",
    /// "Hollis Paper Mill" writing from sales@, "R. A. Hettinga", "Mr. Smith"):
    /// a neutral greeting reads better than "Hi Accounts,".
    pub fn first_name(&self) -> Option<String> {
        if ROLE_MAILBOXES.contains(&self.local_part()) {
            return None;
        }
        let Some(name) = self.name.as_deref().filter(|n| !n.trim().is_empty() && !n.contains('@')) else {
            return self.first_name_from_address();
        };
        // "Last, First" is common in corporate directories.
        // "Jane Doe, PhD" is not: what follows the comma there is a degree.
        let given = match name.split_once(',') {
            Some((_, after)) if SUFFIXES.contains(&after.trim().trim_end_matches('.').to_lowercase().as_str()) => name,
            Some((_, first)) if !first.trim().is_empty() => first.trim(),
            _ => name,
        };
        let words: Vec<&str> = given.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric())).filter(|w| !w.is_empty()).collect();
        if words.iter().any(|w| NOT_A_PERSON.contains(&w.to_lowercase().as_str())) {
            return None;
        }
        // "Dr. Jane Smith" is greeted as Jane; "Mr. Smith" has no first name to use.
        let after_title = match words.split_first() {
            Some((first, rest)) if TITLES.contains(&first.to_lowercase().as_str()) => {
                if rest.len() < 2 {
                    return None;
                }
                rest
            }
            _ => &words[..],
        };
        let word = *after_title.first()?;
        let mut chars = word.chars();
        let first = chars.next()?;
        // An initial ("R. A. Hettinga", "C.Lee"), an address or a handle ("uncle_slacky", "TheCashSystem").
        let inner_capitals = word.chars().skip(1).filter(|c| c.is_uppercase()).count();
        let all_capitals = !word.chars().any(char::is_lowercase);
        if !first.is_alphabetic()
            || word.chars().count() < 2
            || word.contains(['@', '.', '_'])
            || word.chars().any(|c| c.is_ascii_digit())
            || (inner_capitals >= 2 && !all_capitals)
        {
            return None;
        }
        Some(if all_capitals || !first.is_uppercase() { capitalised(word) } else { word.to_string() })
    }

    /// Without a display name, an address of the form first.last@ ("paul.kaufman@",
    /// "jean-luc.picard@") names its person; any other ("mkahl@", "b..sanders@",
    /// "sales.team@", "a.smith@") does not say what to call them.
    fn first_name_from_address(&self) -> Option<String> {
        let parts: Vec<&str> = self.local_part().split('.').collect();
        // Letters only, as a name is written, and not a domain or a pronoun ("answer.us", "webdesignhq.com").
        let is_name_part = |p: &&str| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
                && p.starts_with(|c: char| c.is_ascii_alphabetic())
                && !["com", "net", "org", "biz", "info", "co", "us", "me", "you", "mail", "web", "list", "lists", "online", "shop"]
                    .contains(&p.to_ascii_lowercase().as_str())
        };
        let first = parts[0];
        let plausible = (2..=3).contains(&parts.len())
            && parts.iter().all(is_name_part)
            && first.len() >= 2
            && parts.iter().all(|p| !ROLE_MAILBOXES.contains(&p.to_ascii_lowercase().as_str()) && !NOT_A_PERSON.contains(&p.to_ascii_lowercase().as_str()));
        plausible.then(|| capitalised(first))
    }

    /// `Name <email>` or the bare address, for headers and display.
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} <{}>", self.email),
            None => self.email.clone(),
        }
    }
}

/// "jane" and "JANE" as "Jane", "jean-luc" as "Jean-Luc".
pub fn capitalised(word: &str) -> String {
    let mut capitalise = true;
    word.to_lowercase()
        .chars()
        .flat_map(|c| {
            let out: Vec<char> = if capitalise { c.to_uppercase().collect() } else { vec![c] };
            capitalise = c == '-';
            out
        })
        .collect()
}

/// Local parts of addresses that belong to a function, not a person: mail
/// from sales@ is greeted neutrally whatever name it carries.
const ROLE_MAILBOXES: &[&str] = &[
    "accounts",
    "accounting",
    "admin",
    "billing",
    "bookings",
    "careers",
    "contact",
    "customerservice",
    "donotreply",
    "do-not-reply",
    "enquiries",
    "finance",
    "hello",
    "help",
    "helpdesk",
    "hr",
    "info",
    "inquiries",
    "invoices",
    "jobs",
    "mailer-daemon",
    "marketing",
    "news",
    "newsletter",
    "no-reply",
    "noreply",
    "notifications",
    "office",
    "orders",
    "payments",
    "postmaster",
    "reception",
    "sales",
    "service",
    "support",
    "team",
    "webmaster",
];

/// Words in a display name that make it a function or an organisation rather
/// than a person ("Sales Department", "Acme Ltd", "Unknown Sender", "The Team").
const NOT_A_PERSON: &[&str] = &[
    "accounts",
    "accounting",
    "admin",
    "administrator",
    "alerts",
    "automated",
    "billing",
    "bot",
    "careers",
    "co",
    "company",
    "corp",
    "corporation",
    "customer",
    "daemon",
    "daily",
    "department",
    "dept",
    "desk",
    "digest",
    "gmbh",
    "group",
    "helpdesk",
    "inc",
    "info",
    "limited",
    "llc",
    "llp",
    "list",
    "ltd",
    "mailer",
    "manager",
    "marketing",
    "news",
    "newsletter",
    "noreply",
    "notification",
    "notifications",
    "office",
    "orders",
    "payments",
    "plc",
    "postmaster",
    "reception",
    "sales",
    "sender",
    "service",
    "services",
    "shop",
    "store",
    "support",
    "system",
    "team",
    "the",
    "unknown",
    "webmaster",
    "weekly",
];

/// Degrees and suffixes written after a name and a comma.
const SUFFIXES: &[&str] = &["phd", "ph.d", "md", "jr", "sr", "ii", "iii", "iv", "esq", "mba", "cpa", "dds", "rn"];

/// Titles before a name, without their full stop.
const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "dame", "capt", "rev", "fr", "hon"];

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
        assert_eq!(Mailbox::new(Some("  "), "j@x.org").first_name(), None);
        assert_eq!(Mailbox::new(None, "j@x.org").first_name(), None);
        assert_eq!(Mailbox::new(Some("jean-luc picard"), "j@x.org").first_name().as_deref(), Some("Jean-Luc"));
        assert_eq!(Mailbox::new(Some("DeShawn Harris"), "d@x.org").first_name().as_deref(), Some("DeShawn"));
        assert_eq!(Mailbox::new(Some("Dr. Jane Smith"), "j@x.org").first_name().as_deref(), Some("Jane"));
        assert_eq!(Mailbox::new(Some("Jane Smith, PhD"), "j@x.org").first_name().as_deref(), Some("Jane"));
        assert_eq!(Mailbox::new(Some("Smith Jr., John"), "j@x.org").first_name().as_deref(), Some("John"));
        assert_eq!(Mailbox::new(Some("HAMILTON,DAVID (HP-Ireland,ex2)"), "d@x.org").first_name().as_deref(), Some("David"));
    }

    /// With no display name (or the address as one), first.last@ names its person.
    #[test]
    fn a_first_last_address_names_its_person_when_there_is_no_display_name() {
        for (name, email, expected) in [
            (None, "paul.kaufman@enron.com", Some("Paul")),
            (Some("paul.kaufman@enron.com"), "paul.kaufman@enron.com", Some("Paul")),
            (None, "Jean-Luc.Picard@x.org", Some("Jean-Luc")),
            (None, "mary.ann.evans@x.org", Some("Mary")),
            (None, "mkahl@ka-pow.com", None),
            (None, "b..sanders@enron.com", None),
            (None, "a.smith@x.org", None),
            (None, "sales.team@x.org", None),
            (None, "info@x.org", None),
            (None, "jane.doe2@x.org", None),
            (None, "a.b.c.d@x.org", None),
            (None, "Answer.Us@x.org", None),
            (None, "WebDesignHQ.com@x.org", None),
            // A handle as the display name is not replaced by the address.
            (Some("uncle_slacky"), "robert.chambers@baesystems.com", None),
        ] {
            assert_eq!(Mailbox::new(name, email).first_name().as_deref(), expected, "{name:?} <{email}>");
        }
    }

    /// Mail from a function or an organisation, or a name with no usable
    /// first name, is greeted neutrally: "Hi Accounts," would be wrong.
    #[test]
    fn no_first_name_for_roles_organisations_and_initials() {
        for (name, email) in [
            ("Accounts", "accounts@harbor-foods.example"),
            ("Hollis Paper Mill", "sales@hollispaper.example"),
            ("Unknown Sender", "assistant-update@mailhelp.example"),
            ("Sales Department", "smokesdirect@terra.es"),
            ("Geocaching Notify Bot", "notify@geocaching.com"),
            ("Acme Ltd", "billing-team@acme.example"),
            ("The Hollis Team", "hq@hollis.example"),
            ("Mr. Smith", "smith@x.org"),
            ("Mr. FoRK", "fork_list@hotmail.com"),
            ("R. A. Hettinga", "rah@shipwright.com"),
            ("C.Lee Taylor", "leet@leenx.co.za"),
            ("uncle_slacky", "robert.chambers@baesystems.com"),
            ("TheCashSystem", "thecashsystem@firemail.de"),
            ("Jane Doe", "info@janedoe.example"),
        ] {
            assert_eq!(Mailbox::new(Some(name), email).first_name(), None, "{name} <{email}>");
        }
    }

    #[test]
    fn emails_compare_case_insensitively() {
        assert_eq!(Mailbox::new(None, "<Bob@Example.COM>").email, "bob@example.com");
        assert!(is_plausible_email("bob@example.com"));
        assert!(!is_plausible_email("bob example.com"));
        assert!(!is_plausible_email("bob@localhost"));
    }
}
