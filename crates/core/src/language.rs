//! Is a text written in English? The risk checks read English words (amounts
//! aside): money, dates, complaints, legal wording, credentials. In another
//! language they find nothing, so such mail, or a reply in such a language,
//! must not pass as routine for want of a signal.
//!
//! English prose is about half function words ("the", "and", "to"…); other
//! languages have few of them. Text with enough words and too few English ones
//! is not English, and is named when its own function words stand out.

/// Common English function words (kept sorted to read; looked up in [`LEXICON`]).
const ENGLISH: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "but", "by", "can", "could",
    "did", "do", "does", "for", "from", "get", "had", "has", "have", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its",
    "just", "know", "let", "like", "me", "more", "my", "no", "not", "now", "of", "on", "one", "or", "our", "out", "please", "so", "some", "than", "thank",
    "thanks", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "up", "us", "was", "we", "were", "what", "when",
    "where", "which", "who", "why", "will", "with", "would", "you", "your",
];

/// Function words of languages a reviewer may want named, each list sorted;
/// none of them is in [`ENGLISH`] (a test checks both).
const NAMED: &[(&str, &[&str])] = &[
    (
        "German",
        &[
            "aber", "auch", "auf", "bei", "bin", "bitte", "danke", "das", "dass", "dem", "den", "der", "des", "dich", "dir", "doch", "ein", "eine", "einem",
            "einen", "einer", "euch", "euer", "für", "gerne", "haben", "heute", "hier", "ich", "ihnen", "ihr", "ihre", "ist", "können", "mich", "mir", "mit",
            "nach", "nicht", "noch", "oder", "schon", "sehr", "sie", "sind", "und", "uns", "unsere", "viele", "vielen", "von", "wenn", "werden", "wie", "wir",
            "wird", "wurde", "zu", "zum", "zur", "über",
        ],
    ),
    (
        "French",
        &[
            "au", "aux", "avec", "avons", "bien", "bonjour", "ce", "cette", "dans", "des", "du", "elle", "est", "et", "il", "ils", "je", "la", "les", "leur",
            "mais", "merci", "mes", "mon", "notre", "nous", "ou", "où", "par", "pas", "pour", "que", "qui", "sont", "sur", "très", "une", "vos", "votre",
            "vous", "été", "être",
        ],
    ),
    (
        "Spanish",
        &[
            "al", "con", "del", "el", "ella", "es", "esta", "este", "estos", "está", "gracias", "hola", "las", "les", "los", "mi", "muy", "nos", "para",
            "pero", "por", "que", "qué", "su", "sus", "también", "tiene", "una", "usted", "ustedes", "y",
        ],
    ),
    (
        "Italian",
        &[
            "alla", "anche", "che", "ciao", "con", "del", "della", "di", "gli", "grazie", "il", "molto", "nel", "non", "per", "più", "questo", "sei", "siamo",
            "sono", "tutto", "una", "è",
        ],
    ),
    (
        "Dutch",
        &[
            "aan", "bedankt", "bij", "dat", "dit", "een", "en", "geen", "graag", "heb", "hebben", "het", "hoe", "ik", "je", "jullie", "maar", "met", "mijn",
            "naar", "niet", "nog", "ons", "ook", "uw", "van", "voor", "wat", "wel", "wij", "zijn",
        ],
    ),
    (
        "Portuguese",
        &[
            "ao", "com", "da", "em", "esta", "este", "está", "estão", "foi", "mas", "muito", "não", "nós", "obrigada", "obrigado", "os", "para", "pela",
            "pelo", "pelos", "por", "que", "seu", "sua", "são", "também", "uma", "você",
        ],
    ),
];

/// Fewer words than this and there is too little to tell.
const MIN_WORDS: usize = 8;
/// The words read: enough to tell, and a long text costs no more.
const MAX_WORDS: usize = 100;
/// Every this many words, text with twice the English share needed so far is English.
const CLEAR_EVERY: usize = 20;
/// Below this share of English function words (in percent) the text is not English.
const ENGLISH_SHARE: usize = 12;
/// A language is named when its function words make up this share (in percent).
const NAMED_SHARE: usize = 25;

/// The words of prose in `text`: not links, addresses, numbers or code, and
/// not names. Names and the nouns of German are capitalised; function words,
/// in every language listed, are not.
fn words(text: &str) -> impl Iterator<Item = &str> {
    let prose = |token: &&str| {
        !token.contains(|c: char| c.is_ascii_digit() || matches!(c, '/' | '\\' | '@' | '=' | '_' | '<' | '>' | '{' | '}')) && !token.starts_with("www.")
    };
    text.split_ascii_whitespace()
        .filter(prose)
        .flat_map(|token| token.split(|c: char| !(c.is_alphabetic() || c == '\'')))
        .map(|w| w.trim_matches('\''))
        .filter(|w| w.starts_with(char::is_lowercase))
}

/// Every listed word with the languages it belongs to: bit 0 English, bit
/// `i + 1` `NAMED[i]`. Sorted by word, so each word is one binary search.
static LEXICON: std::sync::LazyLock<Vec<(&'static str, u8)>> = std::sync::LazyLock::new(|| {
    assert!(NAMED.len() < 8, "the languages outgrew the bits of LEXICON");
    let mut all: Vec<(&str, u8)> = ENGLISH.iter().map(|w| (*w, 1)).collect();
    for (i, (_, list)) in NAMED.iter().enumerate() {
        all.extend(list.iter().map(|w| (*w, 2 << i)));
    }
    all.sort_unstable();
    let mut merged: Vec<(&str, u8)> = Vec::with_capacity(all.len());
    for (word, bits) in all {
        match merged.last_mut() {
            Some((last, b)) if *last == word => *b |= bits,
            _ => merged.push((word, bits)),
        }
    }
    merged
});

/// What `text` is written in, when it is plainly not English: the language's
/// name where it is one of a few, or "a language other than English". `None`
/// for English, and for text too short to tell.
pub fn not_english(text: &str) -> Option<&'static str> {
    let mut read = 0;
    let mut english = 0;
    let mut named = [0usize; NAMED.len()];
    for word in words(text).take(MAX_WORDS) {
        read += 1;
        // Words are read as written: they start in lower case, and function words are lower case throughout.
        if let Ok(i) = LEXICON.binary_search_by(|(w, _)| (*w).cmp(word)) {
            let bits = LEXICON[i].1;
            english += usize::from(bits & 1);
            for (n, count) in named.iter_mut().enumerate() {
                *count += usize::from(bits >> (n + 1) & 1);
            }
        }
        // Plainly English already: most mail is, and need not be read to the end.
        if read % CLEAR_EVERY == 0 && english * 100 >= read * ENGLISH_SHARE * 2 {
            return None;
        }
    }
    if read < MIN_WORDS || english * 100 >= read * ENGLISH_SHARE {
        return None;
    }
    let (best, count) = named.iter().enumerate().max_by_key(|(_, c)| **c).map(|(i, c)| (i, *c)).unwrap_or((0, 0));
    Some(if count >= 3 && count * 100 >= read * NAMED_SHARE { NAMED[best].0 } else { "a language other than English" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_and_apart_from_english() {
        assert!(ENGLISH.is_sorted(), "ENGLISH is not sorted");
        for (name, list) in NAMED {
            assert!(list.is_sorted(), "{name} is not sorted");
            for w in *list {
                assert!(ENGLISH.binary_search(w).is_err(), "{name} lists the English word {w}");
            }
        }
    }

    #[test]
    fn tells_english_from_other_languages() {
        let english = "Hi Sam, thanks for the brochures, they arrived this morning and look great. We will hand them out at the fair next week.";
        assert_eq!(not_english(english), None);
        let cases = [
            ("Hallo Sam, wir haben die Rechnung 2026-131 heute überwiesen. Könnt ihr den Eingang bestätigen? Viele Grüße, Jürgen", "German"),
            ("Bonjour Sam, merci pour les brochures. Nous les avons reçues ce matin et elles sont très belles.", "French"),
            ("Hola Sam, gracias por los folletos. Llegaron esta mañana y están muy bien, pero falta una caja.", "Spanish"),
            ("Ciao Sam, grazie per le brochure. Sono arrivate stamattina e sono molto belle, ma manca una scatola.", "Italian"),
            ("Hoi Sam, bedankt voor de brochures. Ze zijn vanochtend aangekomen en zien er goed uit, maar er ontbreekt een doos.", "Dutch"),
            ("Olá Sam, muito obrigado pelos folhetos. Chegaram esta manhã e estão ótimos, mas falta uma caixa.", "Portuguese"),
            (
                "Sawubona Sam, ngiyabonga ngamabhukwana. Afike namhlanje ekuseni futhi abukeka emahle kakhulu, kodwa kushoda ibhokisi.",
                "a language other than English",
            ),
        ];
        for (text, name) in cases {
            assert_eq!(not_english(text), Some(name), "{text}");
        }
    }

    #[test]
    fn too_little_text_is_not_judged() {
        assert_eq!(not_english("Danke schön!"), None);
        assert_eq!(not_english("12.5 / 3 = 4.17 -- 2026-12-03"), None);
        assert_eq!(not_english(""), None);
    }
}
