//! Earned autonomy, wired to the store: every person's verdict on a draft is
//! recorded against its category; the core decides when a category is proposed
//! for auto-send or demoted; the person accepts or declines. Each change is in
//! the audit log with its reason.

use autoemail_core::audit::AuditEvent;
use autoemail_core::autonomy::{self, Bar, Outcome, State, Transition, Verdict, change_ratio};
use autoemail_core::risk::RiskLevel;
use autoemail_store::{AutonomyRecord, StoredDraft, StoredOutcome};
use serde::Serialize;

use crate::{App, AppError, Result, now};

/// One category's standing, for `autonomy` and the web UI.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryReport {
    pub key: String,
    pub state: State,
    pub reason: String,
    pub changed_at: Option<i64>,
    pub reviewed: usize,
    pub approved_unchanged: usize,
    pub edited: usize,
    pub rejected: usize,
    /// Mean share changed over approved and edited drafts.
    pub mean_change: f64,
    /// Current run of clean approvals, and the run the bar asks for.
    pub streak: usize,
    pub needed: usize,
    /// Drafts that would have auto-sent had the category been promoted, and how
    /// many of those the person approved unchanged.
    pub shadow_would_send: usize,
    pub shadow_approved_unchanged: usize,
}

impl App {
    pub fn autonomy_bar(&self) -> Bar {
        Bar::default()
    }

    pub async fn autonomy_state(&self, key: &str) -> Result<State> {
        Ok(self.store.autonomy_states(self.account()).await?.into_iter().find(|r| r.key == key).map(|r| r.state).unwrap_or(State::Shadow))
    }

    /// Record how the person treated a draft and apply any change of standing
    /// that follows. Returns the change, for the caller to tell the person.
    pub(crate) async fn record_verdict(&self, draft: &StoredDraft, verdict: Verdict, final_body: &str) -> Result<Option<Transition>> {
        if draft.autonomy_key.is_empty() {
            return Ok(None);
        }
        let change = match verdict {
            Verdict::Rejected => 1.0,
            _ => change_ratio(&draft.original_body, final_body),
        };
        let verdict = if verdict == Verdict::Approved && change > 0.0 { Verdict::Edited } else { verdict };
        let outcome = Outcome { draft_id: draft.id, verdict, change, high_risk: draft.assessment.level == RiskLevel::High };
        let key = &draft.autonomy_key;
        self.store.record_outcome(self.account(), &StoredOutcome { key: key.clone(), outcome, shadow_auto_send: draft.shadow_auto_send, at: now() }).await?;
        let record = self.store.autonomy_states(self.account()).await?.into_iter().find(|r| &r.key == key);
        let (state, since) = record.map(|r| (r.state, r.changed_at)).unwrap_or((State::Shadow, 0));
        let since: Vec<Outcome> = self.store.outcomes(self.account(), Some(key), since).await?.into_iter().map(|o| o.outcome).collect();
        let Some(t) = autonomy::evaluate(state, &since, &self.autonomy_bar()) else {
            return Ok(None);
        };
        let action = match (state, t.to) {
            (_, State::Proposed) => "autonomy_proposed",
            (State::Promoted, _) => "autonomy_demoted",
            _ => "autonomy_withdrawn",
        };
        let audit = AuditEvent::system(action, format!("{key}: {}", t.reason)).draft(draft.id).message(draft.message_row);
        self.store.set_autonomy_state(self.account(), key, t.to, &t.reason, audit).await?;
        Ok(Some(t))
    }

    /// The person accepts a proposal: routine replies of this kind will auto-send.
    pub async fn accept_autonomy(&self, key: &str, person: &str) -> Result<()> {
        let state = self.autonomy_state(key).await?;
        if state != State::Proposed {
            return Err(AppError::Invalid(format!("{key} is {}, not proposed; `autoemail autonomy` shows each category's record", state.as_str())));
        }
        let reason = "accepted: routine replies of this kind now auto-send after the hold";
        let audit = AuditEvent::person(person, "autonomy_promoted", format!("{key}: {reason}"));
        self.store.set_autonomy_state(self.account(), key, State::Promoted, reason, audit).await?;
        Ok(())
    }

    /// The person declines a proposal, or takes back an earlier acceptance.
    pub async fn decline_autonomy(&self, key: &str, person: &str) -> Result<()> {
        let state = self.autonomy_state(key).await?;
        let (to, reason, action) = match state {
            State::Proposed => (State::Declined, "declined: it will be proposed again only after a fresh full record", "autonomy_declined"),
            State::Promoted => (State::Shadow, "revoked by you: replies of this kind wait for review again", "autonomy_revoked"),
            _ => {
                return Err(AppError::Invalid(format!("{key} is {}: there is no proposal or promotion to decline", state.as_str())));
            }
        };
        let audit = AuditEvent::person(person, action, format!("{key}: {reason}"));
        self.store.set_autonomy_state(self.account(), key, to, reason, audit).await?;
        Ok(())
    }

    pub async fn autonomy_report(&self) -> Result<Vec<CategoryReport>> {
        let states = self.store.autonomy_states(self.account()).await?;
        let all = self.store.outcomes(self.account(), None, 0).await?;
        Ok(category_reports(&self.autonomy_bar(), &states, &all))
    }
}

/// Each account's autonomy report, reading each store once for all the
/// accounts it holds (a page of many accounts would otherwise ask twice per
/// account). Accounts with nothing reviewed or proposed map to an empty list.
pub async fn autonomy_reports(apps: &[std::sync::Arc<App>]) -> Result<std::collections::HashMap<String, Vec<CategoryReport>>> {
    let mut out = std::collections::HashMap::new();
    for (store, apps) in crate::roster::by_store(apps) {
        let names: Vec<String> = apps.iter().map(|a| a.account().to_string()).collect();
        let mut states = store.autonomy_states_of(&names).await?;
        let mut outcomes = store.outcomes_of(&names, 0).await?;
        for app in apps {
            let states = states.remove(app.account()).unwrap_or_default();
            let outcomes = outcomes.remove(app.account()).unwrap_or_default();
            out.insert(app.account().to_string(), category_reports(&app.autonomy_bar(), &states, &outcomes));
        }
    }
    Ok(out)
}

/// Every category's standing from its recorded state and outcomes (all of
/// them, oldest first), in key order.
pub(crate) fn category_reports(bar: &Bar, states: &[AutonomyRecord], all: &[StoredOutcome]) -> Vec<CategoryReport> {
    let mut keys: Vec<&str> = all.iter().map(|o| o.key.as_str()).chain(states.iter().map(|s| s.key.as_str())).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let record = states.iter().find(|s| s.key == key);
        let mine: Vec<&StoredOutcome> = all.iter().filter(|o| o.key == key).collect();
        let outcomes: Vec<Outcome> = mine.iter().map(|o| o.outcome.clone()).collect();
        let kept: Vec<f64> = outcomes.iter().filter(|o| o.verdict != Verdict::Rejected).map(|o| o.change).collect();
        out.push(CategoryReport {
            key: key.to_string(),
            state: record.map(|r| r.state).unwrap_or(State::Shadow),
            reason: record.map(|r| r.reason.clone()).unwrap_or_else(|| "not yet proposed".into()),
            changed_at: record.map(|r| r.changed_at),
            reviewed: outcomes.len(),
            approved_unchanged: outcomes.iter().filter(|o| o.verdict == Verdict::Approved).count(),
            edited: outcomes.iter().filter(|o| o.verdict == Verdict::Edited).count(),
            rejected: outcomes.iter().filter(|o| o.verdict == Verdict::Rejected).count(),
            mean_change: if kept.is_empty() { 0.0 } else { kept.iter().sum::<f64>() / kept.len() as f64 },
            streak: autonomy::streak(&outcomes, bar),
            needed: bar.streak,
            shadow_would_send: mine.iter().filter(|o| o.shadow_auto_send).count(),
            shadow_approved_unchanged: mine.iter().filter(|o| o.shadow_auto_send && o.outcome.verdict == Verdict::Approved).count(),
        });
    }
    out
}
