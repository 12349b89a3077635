//! The vocabulary every other module shares: physical quantities (`units`), the limits and
//! the board's compiled-in ceilings with the channel count and the limit maths (`limits`),
//! body sites (`sites`), fault codes (`fault`) and the waveform of a segment with its pure time arithmetic
//! (`pattern`) — what things are, with no rules about people or programs and no
//! clock, file or board.
//!
//! The bottom layer: `model` imports nothing of the crate, so every module may import it
//! without making a cycle.

pub mod fault;
pub mod limits;
pub mod pattern;
pub mod sites;
pub mod text;
pub mod units;
