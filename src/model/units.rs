//! Physical quantities as newtypes: currents, times, rates and charge.
//!
//! Owns the unit arithmetic (charge of a phase, rms of a biphasic train, period of a rate).
//! Never holds a bare integer for a physical quantity outside this module.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A current magnitude in microamperes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MicroAmps(pub u32);

/// A duration in microseconds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Micros(pub u32);

/// A pulse rate in hertz.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hertz(pub f64);

/// An electric charge in nanocoulombs (µA × µs / 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NanoCoulombs(pub u64);

/// An electrode area in square centimetres.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SquareCm(pub f64);

impl MicroAmps {
    /// No current: the level at every start, after contact loss and after a fault.
    pub const ZERO: MicroAmps = MicroAmps(0);

    /// Charge delivered by one phase of this amplitude and width.
    pub fn charge(self, width: Micros) -> NanoCoulombs {
        NanoCoulombs(u64::from(self.0) * u64::from(width.0) / 1000)
    }

    /// rms current of a symmetric biphasic train: I_rms = I_peak·√(2·phase·f).
    pub fn rms_biphasic(self, width: Micros, rate: Hertz) -> f64 {
        f64::from(self.0) * (2.0 * width.as_secs_f64() * rate.0).sqrt()
    }
}

impl Micros {
    /// This duration in seconds.
    pub fn as_secs_f64(self) -> f64 {
        f64::from(self.0) / 1e6
    }

    /// This duration in nanoseconds (exact: a `u32` of µs always fits).
    pub fn as_nanos(self) -> u64 {
        u64::from(self.0) * 1000
    }
}

impl Hertz {
    /// The period of this rate, rounded to the nearest microsecond.
    pub fn period(self) -> Micros {
        Micros((1e6 / self.0).round() as u32)
    }
}

impl fmt::Display for MicroAmps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} µA", self.0)
    }
}
impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} µs", self.0)
    }
}
impl fmt::Display for Hertz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Hz", self.0)
    }
}
impl fmt::Display for NanoCoulombs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} nC", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_is_current_times_width() {
        assert_eq!(MicroAmps(60_000).charge(Micros(200)), NanoCoulombs(12_000));
        assert_eq!(MicroAmps(125_000).charge(Micros(200)), NanoCoulombs(25_000));
    }

    #[test]
    fn rms_of_biphasic_train() {
        // 60 mA, 200 µs, 80 Hz: 60 * sqrt(0.032) = 10.73 mA
        let rms = MicroAmps(60_000).rms_biphasic(Micros(200), Hertz(80.0));
        assert!((rms - 10_733.1).abs() < 1.0, "{rms}");
    }

    #[test]
    fn period_of_rate() {
        assert_eq!(Hertz(80.0).period(), Micros(12_500));
        assert_eq!(Hertz(150.0).period(), Micros(6_667));
    }
}
