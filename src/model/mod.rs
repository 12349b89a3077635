//! The vocabulary every other module shares: the names of things and what they are, with no
//! rules about people, programs or current.
//!
//! The bottom layer: `model` imports nothing of the crate, so every module may import it
//! without making a cycle.

pub mod sites;
