//! stimd: the daemon inside a TENS/EMS electrotherapy stimulator.
//!
//! Layers, top to bottom: `api` (D-Bus) → `session` (requests, limits, ramp) → lock-free
//! `shared` state → `engine` (real-time pulses) and `safety` (supervisor) → `board`; at the
//! bottom `model` (units, limits and ceilings, channel count, body sites), which imports
//! nothing of the crate. `model`, `pulse` and `program` are pure and tested without threads.
//! Every `unsafe` block (the libc calls) lives in `sys`.
#![deny(unsafe_code)]

pub mod api;
pub mod board;
pub mod buttons;
pub mod care;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod engine;
pub mod files;
pub mod history;
pub mod model;
pub mod program;
pub mod pulse;
pub mod safety;
pub mod session;
pub mod shared;
pub mod sys;
pub mod text;
