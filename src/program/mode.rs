//! What a segment does: its `Mode` (conventional, acupuncture, burst, modulated, EMS) with
//! the mode's parameters as the program file names them, and the waveform (`model::pattern`)
//! each mode makes.

use crate::model::limits::Shape;
use crate::model::pattern::{Pattern, Sweep as PatternSweep};

/// What a `modulated` segment sweeps, and to where (from the segment's own rate, phase width or
/// full amplitude, and back, once per period).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sweep {
    /// The rate sweeps (linear in Hz) to `to_hz` and back.
    Rate {
        /// The rate the sweep turns at, Hz.
        to_hz: f64,
    },
    /// The phase width sweeps to `to_us` and back.
    Width {
        /// The phase width the sweep turns at, µs.
        to_us: u32,
    },
    /// The amplitude sweeps from the full intensity down to `min_percent` of it and back.
    Amplitude {
        /// The lowest share of the intensity, %.
        min_percent: u32,
    },
}

/// How the pulses of a segment are made.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Conventional (high-rate, low-intensity) TENS: a steady train.
    Conventional {
        /// Pulses per second, Hz.
        rate_hz: f64,
        /// Width of each phase, µs.
        phase_us: u32,
    },
    /// Acupuncture-like TENS: a few strong, wide pulses a second.
    Acupuncture {
        /// Pulses per second, Hz.
        rate_hz: f64,
        /// Width of each phase, µs.
        phase_us: u32,
    },
    /// Trains of `pulses` pulses at `inner_rate_hz`, repeated `rate_hz` times a second.
    Burst {
        /// Trains per second, Hz.
        rate_hz: f64,
        /// Pulses in each train.
        pulses: u32,
        /// Rate of the pulses inside a train, Hz (the rate the limits are computed for).
        inner_rate_hz: f64,
        /// Width of each phase, µs.
        phase_us: u32,
    },
    /// A steady train whose rate, phase width or amplitude sweeps over `period_s` (against
    /// habituation). The amplitude never exceeds the person's intensity.
    Modulated {
        /// Pulses per second where the sweep starts, Hz.
        rate_hz: f64,
        /// Width of each phase where the sweep starts, µs.
        phase_us: u32,
        /// One sweep, there and back, s.
        period_s: f64,
        /// What sweeps, and to where.
        sweep: Sweep,
    },
    /// Muscle stimulation: work/rest cycles with ramps.
    Ems {
        /// Pulses per second, Hz (a contraction band or a relaxation band).
        rate_hz: f64,
        /// Width of each phase, µs.
        phase_us: u32,
        /// Rise from zero to the full intensity at the start of each cycle, s.
        ramp_up_s: f64,
        /// Time at the full intensity, s.
        on_s: f64,
        /// Fall from the full intensity to zero, s.
        ramp_down_s: f64,
        /// Rest at zero before the next cycle, s.
        off_s: f64,
    },
}

/// A mode parameter's value, as the program file and `Programs.Get` show it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    /// A rate (Hz) or a time (s).
    F64(f64),
    /// A whole number: a phase width (µs), a pulse count or a percentage.
    U32(u32),
    /// A name: which quantity a modulated segment sweeps (`rate`, `width`, `amplitude`).
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
}
