//! The pure core of AutoEmail.
//!
//! Owns the message model and every decision that can be made from data alone:
//! parsing raw mail into a [`Message`], threading, triage (does this need a reply?),
//! intent, risk signals, routing by policy, building the reply bytes, and the rules
//! of the review state machine.
//!
//! It must not touch I/O: no sockets, files, clocks, tokio or SQL. Callers pass in
//! time and identifiers, so every function here is deterministic and testable.

pub mod address;
pub mod ask;
pub mod audit;
pub mod autonomy;
pub mod draft;
pub mod injection;
pub mod intent;
pub mod language;
pub mod message;
pub mod policy;
pub mod quote;
mod quoted_printable;
pub mod reply;
pub mod retrieval;
pub mod review;
pub mod risk;
pub mod style;
pub mod thread;
pub mod triage;

pub use address::Mailbox;
pub use message::{Message, ParseError, ParseWarning, parse_message};
