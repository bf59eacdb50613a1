//! A chain of drafters: the first that succeeds writes the draft (e.g. a local
//! model, then a hosted one, then the offline drafter).

use std::sync::Arc;

use async_trait::async_trait;
use autoemail_core::draft::Draft;

use crate::{DraftError, DraftRequest, Drafter};

pub struct FallbackDrafter {
    chain: Vec<Arc<dyn Drafter>>,
}

impl FallbackDrafter {
    /// `chain` must not be empty.
    pub fn new(chain: Vec<Arc<dyn Drafter>>) -> FallbackDrafter {
        assert!(!chain.is_empty(), "a fallback chain needs at least one drafter");
        FallbackDrafter { chain }
    }
}

#[async_trait]
impl Drafter for FallbackDrafter {
    async fn draft(&self, request: &DraftRequest<'_>) -> Result<Draft, DraftError> {
        let mut failures = Vec::new();
        let mut transient = false;
        for d in &self.chain {
            match d.draft(request).await {
                Ok(mut draft) => {
                    if !failures.is_empty() {
                        draft.open_questions.push(format!("Drafted by the fallback {} because {}", d.name(), failures.join("; ")));
                    }
                    return Ok(draft);
                }
                Err(e) => {
                    tracing::warn!("{} failed: {e}", d.name());
                    transient |= e.is_transient();
                    failures.push(format!("{} failed: {e}", d.name()));
                }
            }
        }
        let all = failures.join("; ");
        Err(if transient { DraftError::Transient(all) } else { DraftError::Permanent(all) })
    }

    fn name(&self) -> String {
        self.chain.iter().map(|d| d.name()).collect::<Vec<_>>().join(" → ")
    }

    async fn check(&self) -> Result<String, DraftError> {
        let mut lines = Vec::new();
        let mut any_ok = false;
        for d in &self.chain {
            match d.check().await {
                Ok(s) => {
                    any_ok = true;
                    lines.push(format!("ok: {s}"));
                }
                Err(e) => lines.push(format!("FAILED: {}: {e}", d.name())),
            }
        }
        if any_ok { Ok(lines.join("\n")) } else { Err(DraftError::Permanent(lines.join("\n"))) }
    }
}
