//! The limits a session is armed with: the device's limits narrowed by the person (their own
//! maximum per channel, the current density for their electrode area) and by the program (its
//! widest phase, its highest rate). The engine checks every pulse against them *before* it
//! writes it, and the supervisor checks every pulse the engine delivered against them.
//!
//! Pure: no clock, no file, no board. A profile or a program can only narrow these limits,
//! never widen them (`ArmedLimits::for_session` takes the minimum of each layer).

use crate::model::limits::{ceiling::CHANNELS, LimitKind, Limits, Shape};
use crate::model::units::{Hertz, MicroAmps, Micros, NanoCoulombs, SquareCm};
use crate::pulse::Setpoint;
use std::fmt;

/// Effective limits of one armed session.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmedLimits {
    /// Device limits with the electrode area, the widest phase and the highest rate narrowed
    /// to the session's.
    pub base: Limits,
    /// Each channel's largest peak current: the device's peak, or the person's own maximum
    /// where that is lower.
    pub peak: [MicroAmps; CHANNELS],
    /// Whether a channel's peak is the person's own maximum (reported as `profile_max`).
    pub profile_peak: [bool; CHANNELS],
}

/// Why a pulse is not allowed under armed limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Violation {
    /// The phase is wider than the session's widest allowed phase.
    Phase {
        /// The pulse's phase width.
        phase: Micros,
        /// The widest phase the session allows.
        max: Micros,
    },
    /// Pulses follow faster than the session's highest allowed rate.
    Period {
        /// The pulse's period (onset to next onset).
        period: Micros,
        /// The shortest period the session allows (`ArmedLimits::min_period`).
        min: Micros,
    },
    /// The amplitude is above the largest the pulse's shape allows, and which limit sets it.
    Amplitude {
        /// The pulse's peak current.
        amplitude: MicroAmps,
        /// The largest peak current a pulse of this shape may have on this channel.
        cap: MicroAmps,
        /// The limit that sets `cap` (peak, rms, density, charge, or the person's maximum).
        limit: LimitKind,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Phase { phase, max } => {
                write!(f, "phase width {phase} above the armed limit {max}")
            }
            Violation::Period { period, min } => {
                write!(f, "pulse period {period} below the armed limit {min}")
            }
            Violation::Amplitude {
                amplitude,
                cap,
                limit,
            } => write!(
                f,
                "amplitude {amplitude} above the armed {limit} limit {cap}"
            ),
        }
    }
}

impl ArmedLimits {
    /// The device's limits alone (benches, tests, a session without a profile or program).
    pub fn device(limits: &Limits) -> ArmedLimits {
        ArmedLimits {
            base: limits.clone(),
            peak: [limits.peak_current; CHANNELS],
            profile_peak: [false; CHANNELS],
        }
    }

    /// A session's limits: `device` narrowed by the person's maximum per channel (`None` or 0:
    /// none), their electrode area (`None`: the device's), and the most demanding shapes of
    /// the program's segments (the widest phase and the highest rate any of them produces).
    pub fn for_session(
        device: &Limits,
        profile_max: &[Option<MicroAmps>],
        electrode_area: Option<SquareCm>,
        program_shapes: impl IntoIterator<Item = Shape>,
    ) -> ArmedLimits {
        let mut armed = ArmedLimits::device(device);
        for (ch, max) in profile_max.iter().enumerate().take(CHANNELS) {
            if let Some(m) = max.filter(|m| m.0 > 0 && *m < armed.peak[ch]) {
                armed.peak[ch] = m;
                armed.profile_peak[ch] = true;
            }
        }
        if let Some(area) = electrode_area.filter(|a| a.0 > 0.0) {
            armed.base.electrode_area.0 = armed.base.electrode_area.0.min(area.0);
        }
        let mut widest = None::<Micros>;
        let mut fastest = None::<f64>;
        for s in program_shapes {
            widest = Some(widest.map_or(s.phase, |w| w.max(s.phase)));
            fastest = Some(fastest.map_or(s.rate.0, |r| r.max(s.rate.0)));
        }
        if let Some(w) = widest {
            armed.base.max_phase_width = armed.base.max_phase_width.min(w);
        }
        if let Some(r) = fastest {
            armed.base.max_rate = Hertz(armed.base.max_rate.0.min(r));
        }
        armed
    }

    /// The shortest period a pulse may follow the one before it.
    pub fn min_period(&self) -> Micros {
        Micros((1e6 / self.base.max_rate.0).floor() as u32)
    }

    /// The largest amplitude a pulse of `shape` may have on `channel`, and the limit that sets
    /// it: the same maths the session manager clamps targets with, and the channel's peak.
    pub fn max_amplitude(&self, channel: usize, shape: Shape) -> (MicroAmps, LimitKind) {
        let (cap, kind) = self.base.max_amplitude(shape);
        let peak = self.peak.get(channel).copied().unwrap_or(MicroAmps::ZERO);
        if peak < cap || (peak == cap && kind == LimitKind::PeakCurrent) {
            let kind = if self.profile_peak.get(channel) == Some(&true) {
                LimitKind::ProfileMax
            } else {
                LimitKind::PeakCurrent
            };
            (peak, kind)
        } else {
            (cap, kind)
        }
    }

    /// Whether one pulse may go out on `channel`. No allocation: the engine calls this before
    /// each pulse.
    pub fn check(&self, channel: usize, sp: Setpoint) -> Result<(), Violation> {
        if sp.phase > self.base.max_phase_width {
            return Err(Violation::Phase {
                phase: sp.phase,
                max: self.base.max_phase_width,
            });
        }
        let min = self.min_period();
        if sp.period < min {
            return Err(Violation::Period {
                period: sp.period,
                min,
            });
        }
        let (cap, limit) = self.max_amplitude(channel, sp.shape());
        if sp.amplitude > cap {
            return Err(Violation::Amplitude {
                amplitude: sp.amplitude,
                cap,
                limit,
            });
        }
        Ok(())
    }

    /// As plain words, for the lock-free cell the engine and the supervisor read.
    pub fn to_words(&self) -> [u32; WORDS] {
        let b = &self.base;
        let f = |v: f64| {
            let bits = v.to_bits();
            [bits as u32, (bits >> 32) as u32]
        };
        let [rate_lo_a, rate_lo_b] = f(b.min_rate.0);
        let [rate_hi_a, rate_hi_b] = f(b.max_rate.0);
        let [area_a, area_b] = f(b.electrode_area.0);
        let mut w = [0u32; WORDS];
        let head = [
            b.peak_current.0,
            b.rms_current.0,
            b.current_density_ua_per_cm2,
            b.charge_per_phase.0 as u32,
            (b.charge_per_phase.0 >> 32) as u32,
            b.min_phase_width.0,
            b.max_phase_width.0,
            rate_lo_a,
            rate_lo_b,
            rate_hi_a,
            rate_hi_b,
            b.rise_rate_ua_per_s,
            b.intensity_step.0,
            area_a,
            area_b,
        ];
        w[..head.len()].copy_from_slice(&head);
        for ch in 0..CHANNELS {
            w[head.len() + ch] = self.peak[ch].0;
            w[head.len() + CHANNELS + ch] = u32::from(self.profile_peak[ch]);
        }
        w
    }

    /// The inverse of `to_words`.
    pub fn from_words(w: [u32; WORDS]) -> ArmedLimits {
        let f = |a: u32, b: u32| f64::from_bits(u64::from(a) | u64::from(b) << 32);
        let head = 15;
        let mut peak = [MicroAmps::ZERO; CHANNELS];
        let mut profile_peak = [false; CHANNELS];
        for ch in 0..CHANNELS {
            peak[ch] = MicroAmps(w[head + ch]);
            profile_peak[ch] = w[head + CHANNELS + ch] != 0;
        }
        ArmedLimits {
            base: Limits {
                peak_current: MicroAmps(w[0]),
                rms_current: MicroAmps(w[1]),
                current_density_ua_per_cm2: w[2],
                charge_per_phase: NanoCoulombs(u64::from(w[3]) | u64::from(w[4]) << 32),
                min_phase_width: Micros(w[5]),
                max_phase_width: Micros(w[6]),
                min_rate: Hertz(f(w[7], w[8])),
                max_rate: Hertz(f(w[9], w[10])),
                rise_rate_ua_per_s: w[11],
                intensity_step: MicroAmps(w[12]),
                electrode_area: SquareCm(f(w[13], w[14])),
            },
            peak,
            profile_peak,
        }
    }
}

/// Words in `ArmedLimits::to_words`: 15 for the device limits, then each channel's peak and
/// whether it is the person's own maximum.
pub const WORDS: usize = 15 + 2 * CHANNELS;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::limits::tests::default_limits;
    use proptest::prelude::*;

    fn shape(phase: u32, rate: f64) -> Shape {
        Shape {
            phase: Micros(phase),
            rate: Hertz(rate),
        }
    }

    #[test]
    fn a_profile_and_a_program_only_narrow() {
        let d = default_limits();
        let a = ArmedLimits::for_session(
            &d,
            &[Some(MicroAmps(8_000)), Some(MicroAmps(90_000))],
            Some(SquareCm(400.0)),
            [shape(200, 80.0), shape(250, 100.0)],
        );
        assert_eq!(a.peak, [MicroAmps(8_000), d.peak_current]);
        assert_eq!(a.profile_peak, [true, false]);
        assert_eq!(
            a.base.electrode_area, d.electrode_area,
            "a larger area never widens"
        );
        assert_eq!(a.base.max_phase_width, Micros(250));
        assert_eq!(a.base.max_rate, Hertz(100.0));
        assert_eq!(a.min_period(), Micros(10_000));
    }

    #[test]
    fn a_child_s_maximum_refuses_a_pulse_the_device_would_allow() {
        let d = default_limits();
        let a = ArmedLimits::for_session(&d, &[Some(MicroAmps(8_000))], None, [shape(200, 80.0)]);
        let ok = Setpoint::new(MicroAmps(8_000), shape(200, 80.0));
        assert_eq!(a.check(0, ok), Ok(()));
        let over = Setpoint::new(MicroAmps(8_001), shape(200, 80.0));
        match a.check(0, over) {
            Err(Violation::Amplitude { cap, limit, .. }) => {
                assert_eq!((cap, limit), (MicroAmps(8_000), LimitKind::ProfileMax))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(a.check(1, over), Ok(()), "channel 1 has no own maximum");
    }

    #[test]
    fn small_electrodes_bound_by_current_density() {
        let d = default_limits();
        let a = ArmedLimits::for_session(&d, &[], Some(SquareCm(4.0)), [shape(200, 80.0)]);
        // 2 mA/cm² × 4 cm² = 8 mA rms → 44.7 mA peak at 200 µs, 80 Hz.
        let (cap, kind) = a.max_amplitude(0, shape(200, 80.0));
        assert_eq!((cap.0 / 100, kind), (447, LimitKind::CurrentDensity));
    }

    #[test]
    fn a_pulse_wider_or_faster_than_the_program_is_refused() {
        let d = default_limits();
        let a = ArmedLimits::for_session(&d, &[], None, [shape(200, 80.0)]);
        let wide = Setpoint::new(MicroAmps(1_000), shape(201, 80.0));
        assert!(matches!(a.check(0, wide), Err(Violation::Phase { .. })));
        let fast = Setpoint::new(MicroAmps(1_000), shape(200, 100.0));
        assert!(matches!(a.check(0, fast), Err(Violation::Period { .. })));
    }

    proptest! {
        /// The words carry every limit exactly.
        #[test]
        fn words_round_trip(peak0 in 0u32..=100_000, peak1 in 0u32..=100_000,
                            area in 1.0f64..=100.0, rate in 1.0f64..=200.0) {
            let d = default_limits();
            let a = ArmedLimits::for_session(
                &d, &[Some(MicroAmps(peak0)), Some(MicroAmps(peak1))],
                Some(SquareCm(area)), [shape(150, rate)]);
            prop_assert_eq!(ArmedLimits::from_words(a.to_words()), a);
        }

        /// A target the session manager clamps under the narrowed limits is a pulse the armed
        /// limits allow: the engine never refuses what the manager permitted.
        #[test]
        fn what_the_manager_clamps_the_engine_allows(
            requested in 0u32..=200_000, max in 0u32..=100_000,
            phase in 50u32..=400, period in 6_667u32..=1_000_000, area in 1.0f64..=100.0,
        ) {
            let d = default_limits();
            let sh = Setpoint { amplitude: MicroAmps(0), phase: Micros(phase), period: Micros(period) }.shape();
            let a = ArmedLimits::for_session(&d, &[Some(MicroAmps(max))], Some(SquareCm(area)), [sh]);
            let (applied, _) = a.base.clamp(MicroAmps(requested), sh);
            let applied = if max > 0 { applied.min(MicroAmps(max)) } else { applied };
            let sp = Setpoint { amplitude: applied, phase: Micros(phase), period: Micros(period) };
            prop_assert_eq!(a.check(0, sp), Ok(()));
        }
    }
}
