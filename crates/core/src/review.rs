//! The review state machine shared by every front end (CLI, web): which actions
//! a person may take on a draft in which state, and what must hold before a
//! reply may be approved.

use serde::{Deserialize, Serialize};

use crate::draft::placeholders;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftState {
    /// Waiting for a person.
    Pending,
    /// Approved by a person or by policy; in the outbox.
    Approved,
    Rejected,
    /// Handed to the server and filed.
    Sent,
    /// The thread was answered elsewhere or superseded by a newer draft.
    Obsolete,
    /// Drafting failed; the person can retry.
    Failed,
}

impl DraftState {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftState::Pending => "pending",
            DraftState::Approved => "approved",
            DraftState::Rejected => "rejected",
            DraftState::Sent => "sent",
            DraftState::Obsolete => "obsolete",
            DraftState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DraftState> {
        [Self::Pending, Self::Approved, Self::Rejected, Self::Sent, Self::Obsolete, Self::Failed].into_iter().find(|d| d.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewAction {
    Approve,
    /// Replace the body, then approve.
    EditApprove {
        body: String,
    },
    Reject {
        reason: String,
    },
    /// Take an approved reply back before it is sent (undo).
    Unapprove,
}

impl ReviewAction {
    pub fn name(&self) -> &'static str {
        match self {
            ReviewAction::Approve => "approve",
            ReviewAction::EditApprove { .. } => "edit_approve",
            ReviewAction::Reject { .. } => "reject",
            ReviewAction::Unapprove => "unapprove",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReviewError {
    #[error("this draft is {state}; only a pending draft can be {verb}", state = .0.as_str(), verb = .1)]
    WrongState(DraftState, &'static str),
    #[error("the reply is empty")]
    EmptyBody,
    #[error("fill in the placeholders first: {}", .0.join("; "))]
    UnfilledPlaceholders(Vec<String>),
    #[error("a reason is required to reject a draft")]
    MissingReason,
}

/// Check an action against the draft's state and body; returns the new state.
pub fn apply(state: DraftState, body: &str, action: &ReviewAction) -> Result<DraftState, ReviewError> {
    match action {
        ReviewAction::Approve | ReviewAction::EditApprove { .. } => {
            if state != DraftState::Pending {
                return Err(ReviewError::WrongState(state, "approved"));
            }
            let body = match action {
                ReviewAction::EditApprove { body } => body.as_str(),
                _ => body,
            };
            check_sendable(body)?;
            Ok(DraftState::Approved)
        }
        ReviewAction::Reject { reason } => {
            if state != DraftState::Pending && state != DraftState::Failed {
                return Err(ReviewError::WrongState(state, "rejected"));
            }
            if reason.trim().is_empty() {
                return Err(ReviewError::MissingReason);
            }
            Ok(DraftState::Rejected)
        }
        ReviewAction::Unapprove => {
            if state != DraftState::Approved {
                return Err(ReviewError::WrongState(state, "taken back"));
            }
            Ok(DraftState::Pending)
        }
    }
}

/// A body may be sent when it has text and no unfilled placeholder.
pub fn check_sendable(body: &str) -> Result<(), ReviewError> {
    if body.trim().is_empty() {
        return Err(ReviewError::EmptyBody);
    }
    let holes = placeholders(body);
    if !holes.is_empty() {
        return Err(ReviewError::UnfilledPlaceholders(holes));
    }
    Ok(())
}
