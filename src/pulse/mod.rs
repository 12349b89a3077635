//! Pure pulse synthesis: what the engine must put out, and when.
//!
//! Owns the setpoint of one pulse (amplitude, phase width, period) and its lock-free packing,
//! the biphasic phases of a pulse, and (`pattern`) the waveform of a segment: when pulses fall
//! and what each one gets. Takes time as an argument; never sleeps,
//! never allocates, never touches the board.

use crate::model::limits::Shape;
pub mod pattern;

use crate::model::units::{Hertz, MicroAmps, Micros};

/// What one channel should deliver now: symmetric biphasic pulses of `amplitude`, each phase
/// `phase` long, one every `period`. An amplitude of zero means no pulses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Setpoint {
    /// Peak current of each phase (at most 2^20 − 1 µA to pack; the limits keep it far lower).
    pub amplitude: MicroAmps,
    /// Width of each of the two phases (at most 4095 µs to pack).
    pub phase: Micros,
    /// Time from one pulse's onset to the next (at most 2^24 − 1 µs to pack).
    pub period: Micros,
}

const AMP_BITS: u32 = 20;
const PHASE_BITS: u32 = 12;
const PERIOD_BITS: u32 = 24;

fn mask(bits: u32) -> u64 {
    (1u64 << bits) - 1
}

impl Setpoint {
    /// No pulses: what every channel holds when disarmed; packs to the word 0.
    pub const OFF: Setpoint = Setpoint {
        amplitude: MicroAmps(0),
        phase: Micros(0),
        period: Micros(0),
    };

    /// Pulses of `amplitude` with the phase width of `shape` and the period of its rate
    /// (rounded to the nearest µs).
    pub fn new(amplitude: MicroAmps, shape: Shape) -> Setpoint {
        Setpoint {
            amplitude,
            phase: shape.phase,
            period: shape.rate.period(),
        }
    }

    /// Packs into one word so a setpoint is published atomically. Fields too large to pack
    /// make the setpoint `OFF`, never a different non-zero one.
    pub fn pack(self) -> u64 {
        let fits = u64::from(self.amplitude.0) <= mask(AMP_BITS)
            && u64::from(self.phase.0) <= mask(PHASE_BITS)
            && u64::from(self.period.0) <= mask(PERIOD_BITS);
        if !fits {
            return 0;
        }
        u64::from(self.amplitude.0)
            | u64::from(self.phase.0) << AMP_BITS
            | u64::from(self.period.0) << (AMP_BITS + PHASE_BITS)
    }

    /// The setpoint `pack` made of `word` (0 reads as `OFF`).
    pub fn unpack(word: u64) -> Setpoint {
        Setpoint {
            amplitude: MicroAmps((word & mask(AMP_BITS)) as u32),
            phase: Micros((word >> AMP_BITS & mask(PHASE_BITS)) as u32),
            period: Micros((word >> (AMP_BITS + PHASE_BITS) & mask(PERIOD_BITS)) as u32),
        }
    }

    /// The shape these pulses have (the rate as the rounded period gives it). Limits are
    /// computed from this, by the session manager and the supervisor alike.
    pub fn shape(&self) -> Shape {
        Shape {
            phase: self.phase,
            rate: Hertz(1e6 / f64::from(self.period.0.max(1))),
        }
    }

    /// Whether this setpoint asks for pulses at all.
    pub fn is_active(&self) -> bool {
        self.amplitude.0 > 0 && self.phase.0 > 0 && self.period.0 > 0
    }

    /// The two phases of one pulse as signed currents (µA) with their widths: equal and
    /// opposite, so the net charge of every pulse is zero by construction.
    pub fn phases(&self) -> [(i32, Micros); 2] {
        let a = self.amplitude.0.min(i32::MAX as u32) as i32;
        [(a, self.phase), (-a, self.phase)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pack_round_trips() {
        let sp = Setpoint::new(
            MicroAmps(60_000),
            Shape {
                phase: Micros(200),
                rate: Hertz(80.0),
            },
        );
        assert_eq!(sp.period, Micros(12_500));
        assert_eq!(Setpoint::unpack(sp.pack()), sp);
        assert_eq!(Setpoint::unpack(0), Setpoint::OFF);
    }

    #[test]
    fn oversize_setpoint_packs_to_off() {
        let sp = Setpoint {
            amplitude: MicroAmps(2_000_000),
            phase: Micros(200),
            period: Micros(10),
        };
        assert_eq!(Setpoint::unpack(sp.pack()), Setpoint::OFF);
    }

    proptest! {
        /// Every pulse is charge-balanced: the phases are equal and opposite and equally wide.
        #[test]
        fn every_pulse_is_charge_balanced(amp in 0u32..=100_000, phase in 20u32..=1000, rate in 1.0f64..=200.0) {
            let sp = Setpoint::new(MicroAmps(amp), Shape { phase: Micros(phase), rate: Hertz(rate) });
            let sp = Setpoint::unpack(sp.pack());
            let [(a, wa), (b, wb)] = sp.phases();
            prop_assert_eq!(i64::from(a) * i64::from(wa.0) + i64::from(b) * i64::from(wb.0), 0);
            prop_assert_eq!(sp.amplitude, MicroAmps(amp));
        }
    }
}
