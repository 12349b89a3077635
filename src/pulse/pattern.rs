//! A segment's waveform as the engine runs it. The description and its time arithmetic live
//! in `model::pattern` (so `program` can build one without importing `pulse`); this module
//! re-exports them under the path the engine, the shared port and the session use.

pub use crate::model::pattern::{Pattern, PulseShape, Sweep, WORDS};
