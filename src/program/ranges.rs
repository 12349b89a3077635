//! Allowed ranges per mode (the product's leaflet and docs/programs.md). The effective limits of
//! the configuration narrow the rate and phase-width ranges further; `check` applies both.

use std::ops::RangeInclusive;

/// Rate of a conventional segment, Hz.
pub const CONVENTIONAL_RATE_HZ: RangeInclusive<f64> = 80.0..=150.0;
/// Phase width of a conventional segment, µs.
pub const CONVENTIONAL_PHASE_US: RangeInclusive<u32> = 50..=250;
/// Rate of an acupuncture-like segment, Hz.
pub const ACUPUNCTURE_RATE_HZ: RangeInclusive<f64> = 1.0..=5.0;
/// Phase width of an acupuncture-like segment, µs.
pub const ACUPUNCTURE_PHASE_US: RangeInclusive<u32> = 200..=250;
/// Bursts per second, Hz (not narrowed by the limits: the inner rate is what pulses see).
pub const BURST_RATE_HZ: RangeInclusive<f64> = 1.0..=4.0;
/// Pulses in one burst.
pub const BURST_PULSES: RangeInclusive<u32> = 7..=10;
/// Rate of the pulses inside a burst, Hz.
pub const BURST_INNER_RATE_HZ: RangeInclusive<f64> = 80.0..=120.0;
/// Phase width of a burst's pulses, µs.
pub const BURST_PHASE_US: RangeInclusive<u32> = 50..=250;
/// Rate of a modulated segment and the rate a rate sweep goes to, Hz.
pub const MODULATED_RATE_HZ: RangeInclusive<f64> = 2.0..=150.0;
/// Phase width of a modulated segment and the width a width sweep goes to, µs.
pub const MODULATED_PHASE_US: RangeInclusive<u32> = 50..=300;
/// One sweep of a modulated segment, there and back, s.
pub const MODULATED_PERIOD_S: RangeInclusive<f64> = 1.0..=30.0;
/// The lowest share of the intensity an amplitude sweep goes down to, %.
pub const MODULATED_AMPLITUDE_MIN_PERCENT: RangeInclusive<u32> = 20..=90;
/// EMS contraction rates; `EMS_RELAX_RATE_HZ` is the other allowed band.
pub const EMS_RATE_HZ: RangeInclusive<f64> = 20.0..=50.0;
/// EMS relaxation rates, Hz (a rate below 15 Hz is checked against this band).
pub const EMS_RELAX_RATE_HZ: RangeInclusive<f64> = 1.0..=10.0;
/// Phase width of an EMS segment, µs.
pub const EMS_PHASE_US: RangeInclusive<u32> = 100..=400;
/// EMS ramp up and ramp down, each, s.
pub const EMS_RAMP_S: RangeInclusive<f64> = 0.0..=5.0;
/// EMS time at full intensity in each cycle, s.
pub const EMS_ON_S: RangeInclusive<f64> = 1.0..=30.0;
/// EMS rest at zero in each cycle, s.
pub const EMS_OFF_S: RangeInclusive<f64> = 0.0..=60.0;
/// A segment's duration in seconds.
pub const SEGMENT_S: RangeInclusive<u32> = 1..=7_200;
/// A segment's share of the previous segment's intensity, %.
pub const INTENSITY_PERCENT: RangeInclusive<u32> = 1..=100;
/// Pause between the two phases of a pulse, µs.
pub const INTERPHASE_US: RangeInclusive<u32> = 0..=100;
/// Segments in one program.
pub const SEGMENTS: RangeInclusive<usize> = 1..=16;
