//! Safety: the supervisor thread that enforces the armed limits (`shared::armed`, re-exported
//! as `armed`) and the rise-rate envelope on what the engine actually commands, and the trips
//! it latches (`fault`; the codes themselves are `model::fault`).
//!
//! Owns the output-enable path (interlock, HV enable) and the watchdog pings. Nothing outside
//! this module may enable output or clear a trip. `core::SafetyCore` is the one way to start
//! and stop the real-time side (engine and supervisor); `inject` holds the named
//! fault-injection hooks of the sim board.

pub mod armed;
pub mod core;
mod envelope;
pub mod fault;
mod hw_watchdog;
pub mod inject;
pub mod supervisor;
