//! Limit maths: the compiled-in ceilings of the reference board, the effective limits, and the
//! largest amplitude a pulse shape may have under all of them at once.
//!
//! Pure functions only. Never reads a clock, a file or the board.

use crate::model::units::{Hertz, MicroAmps, Micros, NanoCoulombs, SquareCm};
use serde::Serialize;
use std::fmt;

/// Compiled-in ceilings of the reference board (the safety figures in docs/deploy.md §2 and docs/safety.md). No configuration can exceed them.
pub mod ceiling {
    use crate::model::units::{Hertz, MicroAmps, Micros, NanoCoulombs};
    /// Highest peak current of one phase (100 mA).
    pub const PEAK_CURRENT: MicroAmps = MicroAmps(100_000);
    /// Highest rms current of one channel (50 mA), `I_peak·√(2·phase·rate)` for symmetric
    /// biphasic pulses.
    pub const RMS_CURRENT: MicroAmps = MicroAmps(50_000);
    /// Highest rms current density under a pad, µA rms per cm² (2 mA/cm²).
    pub const CURRENT_DENSITY_UA_PER_CM2: u32 = 2_000;
    /// Highest charge in one phase (40 µC).
    pub const CHARGE_PER_PHASE: NanoCoulombs = NanoCoulombs(40_000);
    /// Narrowest phase any configuration or program may allow.
    pub const MIN_PHASE_WIDTH: Micros = Micros(20);
    /// Widest phase any configuration or program may allow.
    pub const MAX_PHASE_WIDTH: Micros = Micros(1_000);
    /// Lowest pulse rate any configuration or program may allow.
    pub const MIN_RATE: Hertz = Hertz(1.0);
    /// Highest pulse rate any configuration or program may allow.
    pub const MAX_RATE: Hertz = Hertz(200.0);
    /// Fastest intensity rise, µA per second (5 mA/s); decreases are immediate.
    pub const RISE_RATE_UA_PER_S: u32 = 5_000;
    /// Longest session any configuration may allow, minutes.
    pub const SESSION_MINUTES: u32 = 120;
    /// Number of channels the reference board drives.
    pub const CHANNELS: usize = 2;
    /// A non-zero DAC code held longer than this is a stuck phase (longest phase + 1 ms).
    pub const STUCK_PHASE: Micros = Micros(MAX_PHASE_WIDTH.0 + 1_000);
}

/// Which limit bounded a value; its name is what `Clamped` and the history report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// The peak current of a phase (`Limits::peak_current`).
    PeakCurrent,
    /// The rms current of the channel (`Limits::rms_current`).
    RmsCurrent,
    /// The rms current density under the pads (`Limits::current_density_ua_per_cm2` over
    /// `Limits::electrode_area`).
    CurrentDensity,
    /// The charge in one phase (`Limits::charge_per_phase`).
    ChargePerPhase,
    /// The person's own maximum (their profile), below the device's limits.
    ProfileMax,
}

impl LimitKind {
    /// The limit's snake_case name, as D-Bus signals and the history store it.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::PeakCurrent => "peak_current",
            LimitKind::RmsCurrent => "rms_current",
            LimitKind::CurrentDensity => "current_density",
            LimitKind::ChargePerPhase => "charge_per_phase",
            LimitKind::ProfileMax => "profile_max",
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The effective limits: configuration already validated against the ceilings (built by
/// `config`; each field is at or below its `ceiling`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limits {
    /// Highest peak current of one phase.
    pub peak_current: MicroAmps,
    /// Highest rms current of one channel.
    pub rms_current: MicroAmps,
    /// Highest rms current density under a pad, µA rms per cm².
    pub current_density_ua_per_cm2: u32,
    /// Highest charge in one phase.
    pub charge_per_phase: NanoCoulombs,
    /// Narrowest phase a program may use.
    pub min_phase_width: Micros,
    /// Widest phase a program may use.
    pub max_phase_width: Micros,
    /// Lowest pulse rate a program may use.
    pub min_rate: Hertz,
    /// Highest pulse rate a program may use.
    pub max_rate: Hertz,
    /// Fastest intensity rise, µA per second; decreases are immediate.
    pub rise_rate_ua_per_s: u32,
    /// The step intensities are rounded down to (one press of a button).
    pub intensity_step: MicroAmps,
    /// Area of one pad; with `current_density_ua_per_cm2` it bounds the rms current.
    pub electrode_area: SquareCm,
}

/// A pulse shape: what the amplitude bound depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Width of each of the two phases.
    pub phase: Micros,
    /// Pulses per second (the rate the period gives, for rms and density).
    pub rate: Hertz,
}

impl Limits {
    /// The largest amplitude a symmetric biphasic pulse of `shape` may have, and the limit that
    /// set it. The most restrictive of peak, rms, current density and charge per phase wins.
    pub fn max_amplitude(&self, shape: Shape) -> (MicroAmps, LimitKind) {
        let duty = (2.0 * shape.phase.as_secs_f64() * shape.rate.0).sqrt();
        let rms_cap = MicroAmps(floor_ua(f64::from(self.rms_current.0) / duty));
        let density_rms = f64::from(self.current_density_ua_per_cm2) * self.electrode_area.0;
        let density_cap = MicroAmps(floor_ua(density_rms / duty));
        let charge_cap = MicroAmps(floor_ua(
            self.charge_per_phase.0 as f64 * 1000.0 / f64::from(shape.phase.0.max(1)),
        ));
        [
            (self.peak_current, LimitKind::PeakCurrent),
            (rms_cap, LimitKind::RmsCurrent),
            (density_cap, LimitKind::CurrentDensity),
            (charge_cap, LimitKind::ChargePerPhase),
        ]
        .into_iter()
        .min_by_key(|(cap, _)| *cap)
        .unwrap_or((MicroAmps::ZERO, LimitKind::PeakCurrent))
    }

    /// Whether a pulse of `amplitude` and `shape` is within every limit.
    pub fn permits(&self, amplitude: MicroAmps, shape: Shape) -> Result<(), LimitKind> {
        let (cap, kind) = self.max_amplitude(shape);
        if amplitude <= cap {
            Ok(())
        } else {
            Err(kind)
        }
    }

    /// Clamp a requested amplitude: returns the applied amplitude and, if it was reduced, the
    /// limit that reduced it.
    pub fn clamp(&self, requested: MicroAmps, shape: Shape) -> (MicroAmps, Option<LimitKind>) {
        let (cap, kind) = self.max_amplitude(shape);
        if requested > cap {
            (cap, Some(kind))
        } else {
            (requested, None)
        }
    }

    /// Round an amplitude down to a whole number of intensity steps.
    pub fn round_to_step(&self, amplitude: MicroAmps) -> MicroAmps {
        let step = self.intensity_step.0.max(1);
        MicroAmps(amplitude.0 / step * step)
    }
}

/// Floors a non-negative current in µA, saturating at `u32::MAX`; NaN becomes 0.
fn floor_ua(value: f64) -> u32 {
    if value.is_nan() || value <= 0.0 {
        0
    } else if value >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        value.floor() as u32
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub fn default_limits() -> Limits {
        crate::config::Config::default()
            .limits()
            .expect("defaults are valid")
    }

    #[test]
    fn low_back_is_bounded_by_peak() {
        let l = default_limits();
        let (cap, kind) = l.max_amplitude(Shape {
            phase: Micros(200),
            rate: Hertz(80.0),
        });
        assert_eq!((cap, kind), (MicroAmps(60_000), LimitKind::PeakCurrent));
    }

    #[test]
    fn long_phase_is_bounded_by_charge() {
        let l = default_limits();
        // 25 µC / 400 µs = 62.5 mA > 60 mA peak; at 1000 µs it is 25 mA.
        let (cap, kind) = l.max_amplitude(Shape {
            phase: Micros(1000),
            rate: Hertz(1.0),
        });
        assert_eq!((cap, kind), (MicroAmps(25_000), LimitKind::ChargePerPhase));
    }

    #[test]
    fn rms_and_density_bound_when_configured_low() {
        let mut l = default_limits();
        l.rms_current = MicroAmps(10_000);
        // duty = sqrt(2 * 200e-6 * 80) = 0.1789 → 10 mA / 0.1789 = 55.9 mA < 60 mA peak
        let shape = Shape {
            phase: Micros(200),
            rate: Hertz(80.0),
        };
        let (cap, kind) = l.max_amplitude(shape);
        assert_eq!((cap.0 / 100, kind), (559, LimitKind::RmsCurrent));
        // small electrodes: 2 mA/cm² × 4 cm² = 8 mA rms → 44.7 mA peak
        l.electrode_area = SquareCm(4.0);
        let (cap, kind) = l.max_amplitude(shape);
        assert_eq!((cap.0 / 100, kind), (447, LimitKind::CurrentDensity));
    }

    #[test]
    fn clamp_reports_the_limit() {
        let l = default_limits();
        let shape = Shape {
            phase: Micros(200),
            rate: Hertz(80.0),
        };
        assert_eq!(
            l.clamp(MicroAmps(80_000), shape),
            (MicroAmps(60_000), Some(LimitKind::PeakCurrent))
        );
        assert_eq!(l.clamp(MicroAmps(20_000), shape), (MicroAmps(20_000), None));
    }

    proptest! {
        /// Whatever the shape, the clamped amplitude satisfies every limit at once.
        #[test]
        fn clamped_amplitude_is_never_above_any_limit(
            requested in 0u32..=200_000,
            phase in 20u32..=1000,
            rate in 1.0f64..=200.0,
            area in 1.0f64..=100.0,
        ) {
            let mut l = default_limits();
            l.electrode_area = SquareCm(area);
            let shape = Shape { phase: Micros(phase), rate: Hertz(rate) };
            let (applied, _) = l.clamp(MicroAmps(requested), shape);
            prop_assert!(applied.0 <= requested);
            prop_assert!(applied <= l.peak_current);
            prop_assert!(applied.charge(shape.phase) <= l.charge_per_phase);
            let rms = applied.rms_biphasic(shape.phase, shape.rate);
            prop_assert!(rms <= f64::from(l.rms_current.0) + 1e-6);
            prop_assert!(rms <= f64::from(l.current_density_ua_per_cm2) * area + 1e-6);
            prop_assert!(l.permits(applied, shape).is_ok());
        }
    }
}
