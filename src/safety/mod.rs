//! Safety: the limit maths, the fault codes, the rise-rate envelope and the supervisor thread
//! that enforces them on what the engine actually commands.
//!
//! Owns the output-enable path (interlock, HV enable) and the watchdog pings. Nothing outside
//! this module may enable output or clear a trip.

pub mod armed;
pub mod envelope;
pub mod fault;
pub mod hw_watchdog;
pub mod supervisor;
