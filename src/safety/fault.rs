//! Trips: a latched fault as the supervisor reports it. The fault codes themselves are
//! vocabulary and live in `model::fault` (re-exported here, so `safety::fault::FaultCode` keeps
//! working).

pub use crate::model::fault::FaultCode;

/// A trip as the supervisor reports it to the session side (over a channel, once per latch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trip {
    /// What tripped.
    pub code: FaultCode,
    /// Why, in words for people (which channel, which value against which limit).
    pub message: String,
}
