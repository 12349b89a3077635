//! stimd: the daemon inside a TENS/EMS electrotherapy stimulator.
//!
//! Layers, top to bottom: `daemon` (wiring) → `api` (D-Bus, translation only) → `session`
//! (requests, limits, ramp) → `safety` (`SafetyCore`, the supervisor) → `engine` (real-time
//! pulses) → lock-free `shared` state (one port per side) → `pulse` → `model` (units, time,
//! limits and ceilings, channel count, body sites, fault codes, waveform patterns, text
//! checks), which imports nothing of the crate; `program` imports only `model`, and
//! `tests/module_layers.rs` fails on any cycle between top modules. `model`, `pulse` and
//! `program` are pure and tested without threads. Every `unsafe` block (the libc calls) lives
//! in `sys`; every public item is documented.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod board;
pub mod buttons;
pub mod calibrate;
pub mod care;
pub mod catalog;
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
pub mod texts;
