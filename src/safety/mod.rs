//! Safety: the limit maths, the fault codes, the rise-rate envelope and the supervisor thread
//! that enforces them on what the engine actually commands.
//!
//! Owns the output-enable path (interlock, HV enable) and the watchdog pings. Nothing outside
//! this module may enable output or clear a trip. `core::SafetyCore` is the one way to start
//! and stop the real-time side (engine and supervisor); `inject` holds the named
//! fault-injection hooks of the sim board.
#![warn(missing_docs)]

pub mod armed;
pub mod core;
mod envelope;
pub mod fault;
mod hw_watchdog;
pub mod inject;
pub mod supervisor;
