//! Therapy programs: the model, the compiled-in presets, the TOML format, validation and the
//! catalogue of presets plus custom programs.
//!
//! Owns what a program *is* (names, kind, placements, segments, modes) and which programs
//! exist. Never computes pulse times — `model::pattern` does, from `Mode::pattern` — and never
//! touches the board.

#![warn(missing_docs)]

pub mod catalog;
mod check;
mod mode;
mod presets;
pub(crate) mod ranges;
pub mod text;

use crate::model::pattern::Pattern;
pub use catalog::Catalog;
pub use mode::{Mode, Param, Sweep};
pub use presets::{find_preset, presets};

/// What a program is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tens,
    Ems,
    Combi,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tens => "tens",
            Kind::Ems => "ems",
            Kind::Combi => "combi",
        }
    }
}

/// Text in the two shipped languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub nl: String,
    pub en: String,
}

impl Text {
    pub fn new(nl: &str, en: &str) -> Text {
        Text {
            nl: nl.into(),
            en: en.into(),
        }
    }

    /// The text in `locale` (`en`, else Dutch: the device is sold with Dutch texts).
    pub fn get(&self, locale: &str) -> &str {
        if locale == "en" {
            &self.en
        } else {
            &self.nl
        }
    }
}

/// One part of a program. It runs for `seconds` (the last segment, or one without a duration,
/// runs to the end of the session). `intensity_percent` is the share of the previous
/// segment's intensity this one starts towards (always ramping from zero). `interphase_us` is
/// an optional pause at zero between the two phases of each pulse.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub mode: Mode,
    pub seconds: Option<u32>,
    pub intensity_percent: u32,
    pub interphase_us: u32,
}

impl Segment {
    /// The waveform the engine runs for this segment.
    pub fn pattern(&self) -> Pattern {
        Pattern {
            gap_us: self.interphase_us,
            ..self.mode.pattern()
        }
    }
}

/// A therapy program.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub id: String,
    pub name: Text,
    pub kind: Kind,
    pub summary: Text,
    /// Where the pads go (free text, e.g. `low back`); advisory.
    pub placements: Vec<String>,
    pub segments: Vec<Segment>,
}

impl Program {
    /// The index of the segment running `elapsed_ms` into the session, and when it began (ms).
    pub fn segment_at_ms(&self, elapsed_ms: u64) -> (usize, u64) {
        let mut start = 0u64;
        for (i, seg) in self.segments.iter().enumerate() {
            match seg.seconds {
                Some(s)
                    if i + 1 < self.segments.len()
                        && elapsed_ms >= start + u64::from(s) * 1_000 =>
                {
                    start += u64::from(s) * 1_000
                }
                _ => return (i, start),
            }
        }
        (self.segments.len().saturating_sub(1), start)
    }
}

#[cfg(test)]
mod tests;
