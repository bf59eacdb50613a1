//! Earned autonomy: a kind of reply (intent × sender class) may auto-send only
//! after the person has shown, draft after draft, that they approve it as
//! written, and only once they accept the proposal. Until then it runs in
//! shadow mode ("would have sent"). A later substantial edit or a rejection
//! demotes it at once, and says why.

use serde::{Deserialize, Serialize};

use crate::intent::Intent;
use crate::policy::SenderClass;

/// The category a draft's record counts towards, e.g. "scheduling/known".
pub fn key(intent: Intent, sender: SenderClass) -> String {
    format!("{}/{}", intent.as_str(), sender.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not allowed to auto-send: record what would have been sent.
    Shadow,
    /// The record cleared the bar; waiting for the person to accept or decline.
    Proposed,
    /// Accepted by the person: routine replies of this kind auto-send.
    Promoted,
    /// The person said no; proposed again only after a fresh full record.
    Declined,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Shadow => "shadow",
            State::Proposed => "proposed",
            State::Promoted => "promoted",
            State::Declined => "declined",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        [State::Shadow, State::Proposed, State::Promoted, State::Declined].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Edited,
    Rejected,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Edited => "edited",
            Verdict::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Approved, Verdict::Edited, Verdict::Rejected].into_iter().find(|x| x.as_str() == s)
    }
}

/// How the person treated one draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub draft_id: i64,
    pub verdict: Verdict,
    /// Share of the draft the person changed, 0.0 ..= 1.0 (word-level diff).
    pub change: f64,
    /// The draft carried a high risk signal.
    pub high_risk: bool,
}

/// What "earned" means. The defaults: 20 in a row approved with under 5%
/// change and no high signal; an edit of 20% or more, or a reject, demotes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub streak: usize,
    pub max_change: f64,
    pub demote_change: f64,
}

impl Default for Bar {
    fn default() -> Self {
        Bar { streak: 20, max_change: 0.05, demote_change: 0.20 }
    }
}

/// Share of `before` changed to get `after`, by words: 0.0 unchanged, 1.0 rewritten.
pub fn change_ratio(before: &str, after: &str) -> f64 {
    if before.trim() == after.trim() {
        return 0.0;
    }
    let old: Vec<&str> = before.split_whitespace().collect();
    let new: Vec<&str> = after.split_whitespace().collect();
    let diff = similar::TextDiff::from_slices(&old, &new);
    (1.0 - f64::from(diff.ratio())).clamp(0.0, 1.0)
}

/// A state change with the reason the person will read.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub to: State,
    pub reason: String,
}

fn clean(o: &Outcome, bar: &Bar) -> bool {
    o.verdict != Verdict::Rejected && o.change < bar.max_change && !o.high_risk
}

/// The length of the current run of clean outcomes, newest last.
pub fn streak(outcomes: &[Outcome], bar: &Bar) -> usize {
    outcomes.iter().rev().take_while(|o| clean(o, bar)).count()
}

/// Decide whether `state` should change after the latest outcome. `since` holds
/// the outcomes recorded since the state last changed, oldest first.
pub fn evaluate(state: State, since: &[Outcome], bar: &Bar) -> Option<Transition> {
    let latest = since.last()?;
    match state {
        State::Shadow | State::Declined => {
            let run = streak(since, bar);
            (run >= bar.streak).then(|| Transition {
                to: State::Proposed,
                reason: format!(
                    "{run} drafts in a row approved with under {:.0}% change and no high-risk signal: proposed for auto-send",
                    bar.max_change * 100.0
                ),
            })
        }
        State::Proposed => (!clean(latest, bar))
            .then(|| Transition { to: State::Shadow, reason: format!("proposal withdrawn: draft #{} was {}", latest.draft_id, describe(latest)) }),
        State::Promoted => {
            let substantial = latest.verdict == Verdict::Rejected || latest.change >= bar.demote_change;
            substantial.then(|| Transition { to: State::Shadow, reason: format!("demoted to review: draft #{} was {}", latest.draft_id, describe(latest)) })
        }
    }
}

fn describe(o: &Outcome) -> String {
    match o.verdict {
        Verdict::Rejected => "rejected".into(),
        _ if o.high_risk => format!("{} but carried a high-risk signal", o.verdict.as_str()),
        _ => format!("{} with {:.0}% changed", o.verdict.as_str(), o.change * 100.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approved(id: i64) -> Outcome {
        Outcome { draft_id: id, verdict: Verdict::Approved, change: 0.0, high_risk: false }
    }

    #[test]
    fn twenty_clean_approvals_propose_and_a_bad_one_resets() {
        let bar = Bar::default();
        let mut log: Vec<Outcome> = (1..20).map(approved).collect();
        assert_eq!(evaluate(State::Shadow, &log, &bar), None);
        log.push(approved(20));
        let t = evaluate(State::Shadow, &log, &bar).unwrap();
        assert_eq!(t.to, State::Proposed);
        assert!(t.reason.starts_with("20 drafts in a row"), "{}", t.reason);
        // An edit of 10% breaks the run.
        log.push(Outcome { draft_id: 21, verdict: Verdict::Edited, change: 0.10, high_risk: false });
        assert_eq!(streak(&log, &bar), 0);
        assert_eq!(evaluate(State::Proposed, &log, &bar).unwrap().to, State::Shadow);
    }

    #[test]
    fn promoted_is_demoted_by_a_reject_or_a_big_edit_only() {
        let bar = Bar::default();
        let small = Outcome { draft_id: 5, verdict: Verdict::Edited, change: 0.08, high_risk: false };
        assert_eq!(evaluate(State::Promoted, &[small], &bar), None);
        let big = Outcome { draft_id: 6, verdict: Verdict::Edited, change: 0.35, high_risk: false };
        let t = evaluate(State::Promoted, &[big], &bar).unwrap();
        assert_eq!(t.to, State::Shadow);
        assert!(t.reason.contains("draft #6 was edited with 35% changed"), "{}", t.reason);
        let rejected = Outcome { draft_id: 7, verdict: Verdict::Rejected, change: 0.0, high_risk: false };
        assert_eq!(evaluate(State::Promoted, &[rejected], &bar).unwrap().to, State::Shadow);
    }

    #[test]
    fn high_risk_drafts_never_count_towards_the_record() {
        let bar = Bar { streak: 3, ..Bar::default() };
        let mut log: Vec<Outcome> = (1..=3).map(approved).collect();
        log[1].high_risk = true;
        assert_eq!(evaluate(State::Shadow, &log, &bar), None);
    }

    #[test]
    fn change_ratio_measures_words_changed() {
        assert_eq!(change_ratio("Thanks, Tuesday works.", "Thanks, Tuesday works.\n"), 0.0);
        let r = change_ratio("Thanks, Tuesday at 10 works for me. See you then.", "Thanks, Wednesday at 11 works for me. See you then.");
        assert!(r > 0.05 && r < 0.5, "{r}");
        assert!(change_ratio("a b c", "x y z") > 0.9);
    }
}
