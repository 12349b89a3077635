//! Therapy programs: the model, the compiled-in presets, the TOML format and validation —
//! pure, importing only `model` (the custom programs on disk are `catalog`'s).
//!
//! Owns what a program *is* (names, kind, placements, segments, modes). Never computes pulse times — `model::pattern` does, from `Mode::pattern` — and never
//! touches the board.

mod check;
mod mode;
pub(crate) mod presets;
pub(crate) mod ranges;
pub mod text;

use crate::model::pattern::Pattern;
pub use mode::{Mode, Param, Sweep};
pub use presets::{find_preset, presets};

/// What a program is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Pain relief (transcutaneous electrical nerve stimulation).
    Tens,
    /// Muscle stimulation: work/rest cycles that make muscles contract.
    Ems,
    /// Both in one program (e.g. EMS first, then TENS).
    Combi,
}

impl Kind {
    /// The kind as the program file's `kind` key and `Programs.List` write it.
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
    /// Dutch: the default for any locale other than `en`.
    pub nl: String,
    /// English.
    pub en: String,
}

impl Text {
    /// A text from its two translations (for the compiled-in presets).
    pub(crate) fn new(nl: &str, en: &str) -> Text {
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
    /// How the segment's pulses are made.
    pub mode: Mode,
    /// How long the segment runs (`ranges::SEGMENT_S`); `None` only for the last segment,
    /// which then runs to the end of the session.
    pub seconds: Option<u32>,
    /// Share of the previous segment's intensity this one ramps up towards, 1–100 %.
    pub intensity_percent: u32,
    /// Pause at zero between the two phases of each pulse, 0–100 µs.
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
    /// The program's id: 1–64 of `a-z`, `0-9` and `-`, not starting with `-`; unique across
    /// presets and custom programs.
    pub id: String,
    /// The name shown in lists, in both languages (at most 64 characters each).
    pub name: Text,
    /// What the program is for.
    pub kind: Kind,
    /// A short description for the person, in both languages (at most 600 characters each).
    pub summary: Text,
    /// Where the pads go (free text, e.g. `low back`); advisory.
    pub placements: Vec<String>,
    /// The parts of the program in the order they run (1–16).
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
