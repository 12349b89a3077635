//! Therapy programs: the model, the compiled-in presets and their validation.
//!
//! Owns what a program *is* (names, kind, segments, modes). Never computes pulse times — that
//! is `pulse` — and never touches the board.

mod presets;

use crate::safety::limits::{Limits, Shape};
use crate::units::{Hertz, Micros};
pub use presets::{find_preset, presets};
use serde::{Deserialize, Serialize};

/// What a program is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub nl: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, locale: &str) -> &str {
        if locale == "en" {
            &self.en
        } else {
            &self.nl
        }
    }
}

/// How the pulses of a segment are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase", deny_unknown_fields)]
pub enum Mode {
    /// Conventional (high-rate, low-intensity) TENS: a steady train.
    Conventional { rate_hz: f64, phase_us: u32 },
}

impl Mode {
    /// The mode's name as the `Segment` property shows it.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Conventional { .. } => "conventional",
        }
    }

    /// The pulse shape this mode delivers.
    pub fn shape(&self) -> Shape {
        match *self {
            Mode::Conventional { rate_hz, phase_us } => Shape {
                phase: Micros(phase_us),
                rate: Hertz(rate_hz),
            },
        }
    }
}

/// One part of a program, run for `minutes` (the last segment runs to the end of the session).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    #[serde(flatten)]
    pub mode: Mode,
    #[serde(default)]
    pub minutes: Option<u32>,
}

/// A therapy program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub id: String,
    pub name: Text,
    pub kind: Kind,
    pub summary: Text,
    pub segments: Vec<Segment>,
}

impl Program {
    /// The segment running `elapsed_s` seconds into the session.
    pub fn segment_at(&self, elapsed_s: u64) -> Option<&Segment> {
        let mut start = 0u64;
        for seg in &self.segments {
            match seg.minutes {
                Some(m) if elapsed_s >= start + u64::from(m) * 60 => start += u64::from(m) * 60,
                _ => return Some(seg),
            }
        }
        self.segments.last()
    }

    /// Checks every segment's shape against the effective limits; lists each problem with the
    /// key, value and allowed range.
    pub fn check(&self, limits: &Limits) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.segments.is_empty() {
            problems.push("segments: a program needs at least one segment".to_string());
        }
        for (i, seg) in self.segments.iter().enumerate() {
            let shape = seg.mode.shape();
            let (lo, hi) = (limits.min_phase_width.0, limits.max_phase_width.0);
            if !(lo..=hi).contains(&shape.phase.0) {
                problems.push(format!(
                    "segments[{i}].phase_us = {} is out of range (allowed: {lo}..={hi})",
                    shape.phase.0
                ));
            }
            let (lo, hi) = (limits.min_rate.0, limits.max_rate.0);
            if !(lo..=hi).contains(&shape.rate.0) {
                problems.push(format!(
                    "segments[{i}].rate_hz = {} is out of range (allowed: {lo}..={hi})",
                    shape.rate.0
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_fits_the_default_limits() {
        let limits = crate::safety::limits::tests::default_limits();
        for p in presets() {
            p.check(&limits)
                .unwrap_or_else(|e| panic!("{}: {e:?}", p.id));
        }
    }

    #[test]
    fn low_back_is_conventional_80hz_200us() {
        let p = find_preset("low-back").unwrap();
        assert_eq!(p.kind, Kind::Tens);
        assert_eq!(
            p.segments[0].mode,
            Mode::Conventional {
                rate_hz: 80.0,
                phase_us: 200
            }
        );
        assert_eq!(p.name.get("nl"), "Rug");
    }

    #[test]
    fn out_of_range_shape_is_listed() {
        let mut limits = crate::safety::limits::tests::default_limits();
        limits.max_rate = Hertz(50.0);
        let p = find_preset("low-back").unwrap();
        let e = p.check(&limits).unwrap_err();
        assert_eq!(
            e,
            vec!["segments[0].rate_hz = 80 is out of range (allowed: 1..=50)"]
        );
    }

    #[test]
    fn segment_at_walks_segments_in_order() {
        let seg = |rate_hz, minutes| Segment {
            mode: Mode::Conventional {
                rate_hz,
                phase_us: 200,
            },
            minutes,
        };
        let p = Program {
            segments: vec![seg(80.0, Some(1)), seg(100.0, None)],
            ..find_preset("low-back").unwrap()
        };
        assert_eq!(p.segment_at(59).unwrap().mode.shape().rate, Hertz(80.0));
        assert_eq!(p.segment_at(60).unwrap().mode.shape().rate, Hertz(100.0));
        assert_eq!(
            p.segment_at(10_000).unwrap().mode.shape().rate,
            Hertz(100.0)
        );
    }
}
