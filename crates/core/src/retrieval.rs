//! Offline text retrieval (BM25): find the documents most like a query without
//! any model. Used to pick the person's own past replies as style examples and
//! the lines of their notes that answer a question.

use std::collections::HashMap;

/// Okapi BM25 over a fixed set of documents.
#[derive(Debug, Clone)]
pub struct Bm25 {
    docs: Vec<HashMap<String, u32>>,
    lengths: Vec<usize>,
    document_frequency: HashMap<String, u32>,
    average_length: f64,
}

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Lower-cased words of three letters or more, without the commonest ones.
pub fn terms(text: &str) -> Vec<String> {
    const STOP: &[&str] = &[
        "the", "and", "for", "you", "your", "are", "was", "with", "that", "this", "have", "from", "not", "but", "can", "all", "will", "our", "has", "had",
        "any", "would", "could", "there", "their", "what", "when", "which", "about", "just", "also", "been", "were", "they", "them", "then", "than", "into",
        "its", "it's", "i'm", "hi", "hello", "thanks", "thank", "regards", "best", "dear",
    ];
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| w.chars().count() >= 3 && !STOP.contains(&w.as_str()))
        .collect()
}

impl Bm25 {
    pub fn new<S: AsRef<str>>(documents: &[S]) -> Bm25 {
        let mut docs = Vec::with_capacity(documents.len());
        let mut lengths = Vec::with_capacity(documents.len());
        let mut document_frequency: HashMap<String, u32> = HashMap::new();
        for d in documents {
            let t = terms(d.as_ref());
            lengths.push(t.len());
            let mut tf: HashMap<String, u32> = HashMap::new();
            for term in t {
                *tf.entry(term).or_default() += 1;
            }
            for term in tf.keys() {
                *document_frequency.entry(term.clone()).or_default() += 1;
            }
            docs.push(tf);
        }
        let average_length = if lengths.is_empty() { 0.0 } else { lengths.iter().sum::<usize>() as f64 / lengths.len() as f64 };
        Bm25 { docs, lengths, document_frequency, average_length }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The `k` best documents for `query` with a positive score, best first.
    pub fn search(&self, query: &str, k: usize) -> Vec<(usize, f64)> {
        let n = self.docs.len() as f64;
        let mut query_terms = terms(query);
        query_terms.sort();
        query_terms.dedup();
        let mut scored: Vec<(usize, f64)> = self
            .docs
            .iter()
            .enumerate()
            .map(|(i, tf)| {
                let len = self.lengths[i] as f64;
                let score: f64 = query_terms
                    .iter()
                    .filter_map(|t| {
                        let f = f64::from(*tf.get(t)?);
                        let df = f64::from(self.document_frequency[t]);
                        let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                        Some(idf * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * len / self.average_length.max(1.0))))
                    })
                    .sum();
                (i, score)
            })
            .filter(|(_, s)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_most_similar_documents_first() {
        let docs = [
            "Our opening hours are Monday to Friday, 9am to 5pm.",
            "Delivery takes three to five working days within the EU.",
            "The menu printing price is 2 euros per menu for 50 or more.",
        ];
        let index = Bm25::new(&docs);
        assert_eq!(index.search("what are your opening hours on friday?", 2)[0].0, 0);
        assert_eq!(index.search("how long does delivery take to Spain", 1)[0].0, 1);
        assert_eq!(index.search("price for 50 menus", 1)[0].0, 2);
        assert!(index.search("zebra", 3).is_empty());
    }
}
