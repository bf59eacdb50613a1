//! Routing a drafted reply: send on its own after a hold, wait for review, or
//! draft nothing. The default policy sends nothing on its own, and a high risk
//! level always waits for a person whatever a policy says (the hard floor).

use serde::{Deserialize, Serialize};

use crate::risk::{Assessment, RiskLevel};
use crate::triage::Triage;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "route", rename_all = "snake_case")]
pub enum Route {
    NoDraft { reason: String },
    Review { priority: u8, reasons: Vec<String> },
    AutoSend { hold_seconds: u64, reasons: Vec<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultAction {
    /// Every reply waits for a person (the default).
    #[default]
    Review,
    /// Routine replies go out after `auto_send_hold_seconds`; all else waits.
    AutoSendRoutine,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub default: DefaultAction,
    #[serde(default = "default_hold")]
    pub auto_send_hold_seconds: u64,
}

fn default_hold() -> u64 {
    300
}

impl Default for Policy {
    fn default() -> Self {
        Policy { default: DefaultAction::Review, auto_send_hold_seconds: default_hold() }
    }
}

/// Review priority from risk: high first, then review, then routine.
pub fn priority(level: RiskLevel) -> u8 {
    match level {
        RiskLevel::High => 90,
        RiskLevel::Review => 60,
        RiskLevel::Routine => 30,
    }
}

pub fn route(triage: &Triage, assessment: &Assessment, policy: &Policy) -> Route {
    if !triage.needs_reply {
        return Route::NoDraft { reason: triage.reasons.first().cloned().unwrap_or_default() };
    }
    let mut reasons = assessment.reasons();
    if assessment.level == RiskLevel::High {
        reasons.insert(0, "high risk: always reviewed by a person".into());
        return Route::Review { priority: priority(assessment.level), reasons };
    }
    match policy.default {
        DefaultAction::AutoSendRoutine if assessment.level == RiskLevel::Routine => {
            reasons.insert(0, "policy auto-sends routine replies".into());
            Route::AutoSend { hold_seconds: policy.auto_send_hold_seconds, reasons }
        }
        DefaultAction::AutoSendRoutine => {
            reasons.insert(0, format!("{} risk: policy sends only routine replies on its own", assessment.level.as_str()));
            Route::Review { priority: priority(assessment.level), reasons }
        }
        DefaultAction::Review => {
            reasons.insert(0, "policy: every reply waits for your approval".into());
            Route::Review { priority: priority(assessment.level), reasons }
        }
    }
}
