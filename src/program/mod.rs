//! Therapy programs: the model, the compiled-in presets, the TOML format, validation and the
//! catalogue of presets plus custom programs.
//!
//! Owns what a program *is* (names, kind, placements, segments, modes) and which programs
//! exist. Never computes pulse times — `model::pattern` does, from `Mode::pattern` — and never
//! touches the board.

pub mod catalog;
mod presets;
pub mod text;

use crate::model::limits::{Limits, Shape};
use crate::model::pattern::{Pattern, Sweep as PatternSweep};
pub use catalog::Catalog;
pub use presets::{find_preset, presets};
use std::ops::RangeInclusive;

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

/// What a `modulated` segment sweeps, and to where (from the segment's own rate, phase width or
/// full amplitude, and back, once per period).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sweep {
    Rate { to_hz: f64 },
    Width { to_us: u32 },
    Amplitude { min_percent: u32 },
}

/// How the pulses of a segment are made.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Conventional (high-rate, low-intensity) TENS: a steady train.
    Conventional { rate_hz: f64, phase_us: u32 },
    /// Acupuncture-like TENS: a few strong, wide pulses a second.
    Acupuncture { rate_hz: f64, phase_us: u32 },
    /// Trains of `pulses` pulses at `inner_rate_hz`, repeated `rate_hz` times a second.
    Burst {
        rate_hz: f64,
        pulses: u32,
        inner_rate_hz: f64,
        phase_us: u32,
    },
    /// A steady train whose rate, phase width or amplitude sweeps over `period_s` (against
    /// habituation). The amplitude never exceeds the person's intensity.
    Modulated {
        rate_hz: f64,
        phase_us: u32,
        period_s: f64,
        sweep: Sweep,
    },
    /// Muscle stimulation: work/rest cycles with ramps.
    Ems {
        rate_hz: f64,
        phase_us: u32,
        ramp_up_s: f64,
        on_s: f64,
        ramp_down_s: f64,
        off_s: f64,
    },
}

/// Allowed ranges per mode (DESIGN.md §7 and the product's leaflet). The effective limits of
/// the configuration narrow them further.
pub mod ranges {
    use std::ops::RangeInclusive;
    pub const CONVENTIONAL_RATE_HZ: RangeInclusive<f64> = 80.0..=150.0;
    pub const CONVENTIONAL_PHASE_US: RangeInclusive<u32> = 50..=250;
    pub const ACUPUNCTURE_RATE_HZ: RangeInclusive<f64> = 1.0..=5.0;
    pub const ACUPUNCTURE_PHASE_US: RangeInclusive<u32> = 200..=250;
    pub const BURST_RATE_HZ: RangeInclusive<f64> = 1.0..=4.0;
    pub const BURST_PULSES: RangeInclusive<u32> = 7..=10;
    pub const BURST_INNER_RATE_HZ: RangeInclusive<f64> = 80.0..=120.0;
    pub const BURST_PHASE_US: RangeInclusive<u32> = 50..=250;
    pub const MODULATED_RATE_HZ: RangeInclusive<f64> = 2.0..=150.0;
    pub const MODULATED_PHASE_US: RangeInclusive<u32> = 50..=300;
    pub const MODULATED_PERIOD_S: RangeInclusive<f64> = 1.0..=30.0;
    pub const MODULATED_AMPLITUDE_MIN_PERCENT: RangeInclusive<u32> = 20..=90;
    /// EMS contraction rates; `EMS_RELAX_RATE_HZ` is the other allowed band.
    pub const EMS_RATE_HZ: RangeInclusive<f64> = 20.0..=50.0;
    pub const EMS_RELAX_RATE_HZ: RangeInclusive<f64> = 1.0..=10.0;
    pub const EMS_PHASE_US: RangeInclusive<u32> = 100..=400;
    pub const EMS_RAMP_S: RangeInclusive<f64> = 0.0..=5.0;
    pub const EMS_ON_S: RangeInclusive<f64> = 1.0..=30.0;
    pub const EMS_OFF_S: RangeInclusive<f64> = 0.0..=60.0;
    /// A segment's duration in seconds.
    pub const SEGMENT_S: RangeInclusive<u32> = 1..=7_200;
    pub const INTENSITY_PERCENT: RangeInclusive<u32> = 1..=100;
    /// Pause between the two phases of a pulse, µs.
    pub const INTERPHASE_US: RangeInclusive<u32> = 0..=100;
    pub const SEGMENTS: RangeInclusive<usize> = 1..=16;
}

/// A mode parameter's value, as the program file and `Programs.Get` show it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    F64(f64),
    U32(u32),
    Str(&'static str),
}

impl Mode {
    /// The mode's parameters by their program-file keys, in file order.
    pub fn params(&self) -> Vec<(&'static str, Param)> {
        use Param::{Str, F64, U32};
        match *self {
            Mode::Conventional { rate_hz, phase_us } | Mode::Acupuncture { rate_hz, phase_us } => {
                vec![("rate_hz", F64(rate_hz)), ("phase_us", U32(phase_us))]
            }
            Mode::Burst {
                rate_hz,
                pulses,
                inner_rate_hz,
                phase_us,
            } => vec![
                ("rate_hz", F64(rate_hz)),
                ("pulses", U32(pulses)),
                ("inner_rate_hz", F64(inner_rate_hz)),
                ("phase_us", U32(phase_us)),
            ],
            Mode::Modulated {
                rate_hz,
                phase_us,
                period_s,
                sweep,
            } => {
                let (name, key, to) = match sweep {
                    Sweep::Rate { to_hz } => ("rate", "sweep_to_hz", F64(to_hz)),
                    Sweep::Width { to_us } => ("width", "sweep_to_us", U32(to_us)),
                    Sweep::Amplitude { min_percent } => {
                        ("amplitude", "amplitude_min_percent", U32(min_percent))
                    }
                };
                vec![
                    ("rate_hz", F64(rate_hz)),
                    ("phase_us", U32(phase_us)),
                    ("period_s", F64(period_s)),
                    ("sweep", Str(name)),
                    (key, to),
                ]
            }
            Mode::Ems {
                rate_hz,
                phase_us,
                ramp_up_s,
                on_s,
                ramp_down_s,
                off_s,
            } => vec![
                ("rate_hz", F64(rate_hz)),
                ("phase_us", U32(phase_us)),
                ("ramp_up_s", F64(ramp_up_s)),
                ("on_s", F64(on_s)),
                ("ramp_down_s", F64(ramp_down_s)),
                ("off_s", F64(off_s)),
            ],
        }
    }

    /// The mode's name as the TOML `mode` key and the `Segment` property show it.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Conventional { .. } => "conventional",
            Mode::Acupuncture { .. } => "acupuncture",
            Mode::Burst { .. } => "burst",
            Mode::Modulated { .. } => "modulated",
            Mode::Ems { .. } => "ems",
        }
    }

    /// The waveform the engine runs for this mode.
    pub fn pattern(&self) -> Pattern {
        let us = |hz: f64| (1e6 / hz).round() as u32;
        let ms = |s: f64| (s * 1e3).round() as u32;
        match *self {
            Mode::Conventional { rate_hz, phase_us } | Mode::Acupuncture { rate_hz, phase_us } => {
                Pattern::steady(us(rate_hz), phase_us)
            }
            Mode::Burst {
                rate_hz,
                pulses,
                inner_rate_hz,
                phase_us,
            } => Pattern {
                burst_pulses: pulses,
                train_us: us(rate_hz),
                ..Pattern::steady(us(inner_rate_hz), phase_us)
            },
            Mode::Modulated {
                rate_hz,
                phase_us,
                period_s,
                sweep,
            } => {
                let (kind, to) = match sweep {
                    Sweep::Rate { to_hz } => (PatternSweep::Rate, us(to_hz)),
                    Sweep::Width { to_us } => (PatternSweep::Width, to_us),
                    Sweep::Amplitude { min_percent } => (PatternSweep::Amplitude, min_percent * 10),
                };
                Pattern {
                    sweep: kind,
                    sweep_to: to,
                    sweep_ms: ms(period_s),
                    ..Pattern::steady(us(rate_hz), phase_us)
                }
            }
            Mode::Ems {
                rate_hz,
                phase_us,
                ramp_up_s,
                on_s,
                ramp_down_s,
                off_s,
            } => Pattern {
                ramp_up_ms: ms(ramp_up_s),
                on_ms: ms(on_s),
                ramp_down_ms: ms(ramp_down_s),
                off_ms: ms(off_s),
                ..Pattern::steady(us(rate_hz), phase_us)
            },
        }
    }

    /// The most demanding shape the mode ever produces (widest phase, highest rate): limits
    /// are computed for it, so no pulse of the segment can break one.
    pub fn worst_shape(&self) -> Shape {
        self.pattern().worst_shape()
    }

    /// Every out-of-range parameter, as `segments[i].key = value is out of range (allowed: …)`.
    fn problems(&self, at: &str, limits: &Limits, out: &mut Vec<String>) {
        use ranges::*;
        let rate = |out: &mut Vec<String>, key: &str, v: f64, r: RangeInclusive<f64>| {
            let r = narrow_f(r, limits.min_rate.0..=limits.max_rate.0);
            check_f(out, &format!("{at}.{key}"), v, r);
        };
        let phase = |out: &mut Vec<String>, key: &str, v: u32, r: RangeInclusive<u32>| {
            let r = narrow_u(r, limits.min_phase_width.0..=limits.max_phase_width.0);
            check_u(out, &format!("{at}.{key}"), v, r);
        };
        match *self {
            Mode::Conventional { rate_hz, phase_us } => {
                rate(out, "rate_hz", rate_hz, CONVENTIONAL_RATE_HZ);
                phase(out, "phase_us", phase_us, CONVENTIONAL_PHASE_US);
            }
            Mode::Acupuncture { rate_hz, phase_us } => {
                rate(out, "rate_hz", rate_hz, ACUPUNCTURE_RATE_HZ);
                phase(out, "phase_us", phase_us, ACUPUNCTURE_PHASE_US);
            }
            Mode::Burst {
                rate_hz,
                pulses,
                inner_rate_hz,
                phase_us,
            } => {
                check_f(out, &format!("{at}.rate_hz"), rate_hz, BURST_RATE_HZ);
                check_u(out, &format!("{at}.pulses"), pulses, BURST_PULSES);
                rate(out, "inner_rate_hz", inner_rate_hz, BURST_INNER_RATE_HZ);
                phase(out, "phase_us", phase_us, BURST_PHASE_US);
            }
            Mode::Modulated {
                rate_hz,
                phase_us,
                period_s,
                sweep,
            } => {
                rate(out, "rate_hz", rate_hz, MODULATED_RATE_HZ);
                phase(out, "phase_us", phase_us, MODULATED_PHASE_US);
                check_f(out, &format!("{at}.period_s"), period_s, MODULATED_PERIOD_S);
                match sweep {
                    Sweep::Rate { to_hz } => rate(out, "sweep_to_hz", to_hz, MODULATED_RATE_HZ),
                    Sweep::Width { to_us } => phase(out, "sweep_to_us", to_us, MODULATED_PHASE_US),
                    Sweep::Amplitude { min_percent } => check_u(
                        out,
                        &format!("{at}.amplitude_min_percent"),
                        min_percent,
                        MODULATED_AMPLITUDE_MIN_PERCENT,
                    ),
                }
            }
            Mode::Ems {
                rate_hz,
                phase_us,
                ramp_up_s,
                on_s,
                ramp_down_s,
                off_s,
            } => {
                let band = if rate_hz < 15.0 {
                    EMS_RELAX_RATE_HZ
                } else {
                    EMS_RATE_HZ
                };
                let lim = narrow_f(band, limits.min_rate.0..=limits.max_rate.0);
                if !lim.contains(&rate_hz) {
                    out.push(format!(
                        "{at}.rate_hz = {rate_hz} is out of range (allowed: {}..={} for contraction or {}..={} for relaxation)",
                        EMS_RATE_HZ.start(), EMS_RATE_HZ.end(), EMS_RELAX_RATE_HZ.start(), EMS_RELAX_RATE_HZ.end()
                    ));
                }
                phase(out, "phase_us", phase_us, EMS_PHASE_US);
                check_f(out, &format!("{at}.ramp_up_s"), ramp_up_s, EMS_RAMP_S);
                check_f(out, &format!("{at}.on_s"), on_s, EMS_ON_S);
                check_f(out, &format!("{at}.ramp_down_s"), ramp_down_s, EMS_RAMP_S);
                check_f(out, &format!("{at}.off_s"), off_s, EMS_OFF_S);
            }
        }
    }
}

fn narrow_f(a: RangeInclusive<f64>, b: RangeInclusive<f64>) -> RangeInclusive<f64> {
    a.start().max(*b.start())..=a.end().min(*b.end())
}

fn narrow_u(a: RangeInclusive<u32>, b: RangeInclusive<u32>) -> RangeInclusive<u32> {
    *a.start().max(b.start())..=*a.end().min(b.end())
}

fn check_f(out: &mut Vec<String>, key: &str, v: f64, r: RangeInclusive<f64>) {
    if !r.contains(&v) {
        out.push(format!(
            "{key} = {v} is out of range (allowed: {}..={})",
            r.start(),
            r.end()
        ));
    }
}

fn check_u(out: &mut Vec<String>, key: &str, v: u32, r: RangeInclusive<u32>) {
    if !r.contains(&v) {
        out.push(format!(
            "{key} = {v} is out of range (allowed: {}..={})",
            r.start(),
            r.end()
        ));
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

    /// Checks every segment against its mode's ranges and the effective limits; lists each
    /// problem with the key, value and allowed range.
    pub fn check(&self, limits: &Limits) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !ranges::SEGMENTS.contains(&self.segments.len()) {
            problems.push(format!(
                "segments: {} segment(s) (allowed: {}..={})",
                self.segments.len(),
                ranges::SEGMENTS.start(),
                ranges::SEGMENTS.end()
            ));
        }
        for (i, seg) in self.segments.iter().enumerate() {
            let at = format!("segments[{i}]");
            seg.mode.problems(&at, limits, &mut problems);
            if let Some(s) = seg.seconds {
                check_u(
                    &mut problems,
                    &format!("{at}.seconds"),
                    s,
                    ranges::SEGMENT_S,
                );
            } else if i + 1 < self.segments.len() {
                problems.push(format!(
                    "{at}: needs `minutes` or `seconds` (only the last segment may run to the end of the session)"
                ));
            }
            check_u(
                &mut problems,
                &format!("{at}.interphase_us"),
                seg.interphase_us,
                ranges::INTERPHASE_US,
            );
            check_u(
                &mut problems,
                &format!("{at}.intensity_percent"),
                seg.intensity_percent,
                ranges::INTENSITY_PERCENT,
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests;
