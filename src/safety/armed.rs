//! The limits a session is armed with. The type and its pure per-pulse check live with the
//! real-time port (`shared::armed`), below the engine that checks every pulse against them;
//! re-exported here, where the supervisor enforces them, so `safety::armed::ArmedLimits` keeps
//! working.

pub use crate::shared::armed::{ArmedLimits, Violation, WORDS};
