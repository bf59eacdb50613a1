//! Audit entries: every decision, by the system or the person, with its reason.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Actor {
    System,
    Person(String),
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::System => "system".into(),
            Actor::Person(name) => format!("person:{name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub actor: Actor,
    /// A short verb: ingested, triaged, drafted, routed, approved, rejected, sent, …
    pub action: String,
    pub message_id: Option<i64>,
    pub draft_id: Option<i64>,
    pub reason: String,
}

impl AuditEvent {
    pub fn system(action: &str, reason: impl Into<String>) -> Self {
        AuditEvent { actor: Actor::System, action: action.into(), message_id: None, draft_id: None, reason: reason.into() }
    }

    pub fn person(who: &str, action: &str, reason: impl Into<String>) -> Self {
        AuditEvent { actor: Actor::Person(who.into()), action: action.into(), message_id: None, draft_id: None, reason: reason.into() }
    }

    pub fn message(mut self, id: i64) -> Self {
        self.message_id = Some(id);
        self
    }

    pub fn draft(mut self, id: i64) -> Self {
        self.draft_id = Some(id);
        self
    }
}
