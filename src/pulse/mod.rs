//! Pure pulse synthesis: what the engine must put out, and when.
//!
//! Owns the setpoint (amplitude, phase width, period) and its lock-free packing, the biphasic
//! phases of a pulse and the per-channel onset schedule. Takes time as an argument; never sleeps,
//! never allocates, never touches the board.

use crate::safety::limits::Shape;
use crate::units::{Hertz, MicroAmps, Micros};

/// What one channel should deliver now: symmetric biphasic pulses of `amplitude`, each phase
/// `phase` long, one every `period`. An amplitude of zero means no pulses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Setpoint {
    pub amplitude: MicroAmps,
    pub phase: Micros,
    pub period: Micros,
}

const AMP_BITS: u32 = 20;
const PHASE_BITS: u32 = 12;
const PERIOD_BITS: u32 = 24;

fn mask(bits: u32) -> u64 {
    (1u64 << bits) - 1
}

impl Setpoint {
    pub const OFF: Setpoint = Setpoint {
        amplitude: MicroAmps(0),
        phase: Micros(0),
        period: Micros(0),
    };

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

/// The onset schedule of one channel, in nanoseconds of the monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    next_onset_ns: u64,
}

impl Schedule {
    /// A schedule whose first onset is at `origin_ns`, offset by half a period for odd
    /// channels so the channels' pulses never overlap.
    pub fn start(origin_ns: u64, channel: usize, period: Micros) -> Schedule {
        let offset = if channel % 2 == 1 {
            period.as_nanos() / 2
        } else {
            0
        };
        Schedule {
            next_onset_ns: origin_ns + offset,
        }
    }

    pub fn next_onset_ns(&self) -> u64 {
        self.next_onset_ns
    }

    /// Moves to the onset after the one just delivered (or missed). Deadlines are absolute, so
    /// a late pulse does not shift the ones after it; if the engine fell behind by more than a
    /// whole period, the missed onsets are dropped rather than delivered in a burst.
    pub fn advance(&mut self, now_ns: u64, period: Micros) {
        let p = period.as_nanos().max(1);
        self.next_onset_ns += p;
        if self.next_onset_ns + p <= now_ns {
            let behind = (now_ns - self.next_onset_ns) / p;
            self.next_onset_ns += behind * p;
        }
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

    #[test]
    fn odd_channel_is_offset_by_half_a_period() {
        let a = Schedule::start(1_000, 0, Micros(12_500));
        let b = Schedule::start(1_000, 1, Micros(12_500));
        assert_eq!(b.next_onset_ns() - a.next_onset_ns(), 6_250_000);
    }

    #[test]
    fn late_pulse_keeps_absolute_deadlines() {
        let mut s = Schedule::start(0, 0, Micros(10_000));
        s.advance(3_000_000, Micros(10_000)); // delivered 3 ms late
        assert_eq!(s.next_onset_ns(), 10_000_000);
    }

    #[test]
    fn far_behind_drops_missed_onsets() {
        let mut s = Schedule::start(0, 0, Micros(10_000));
        s.advance(55_000_000, Micros(10_000));
        assert_eq!(s.next_onset_ns(), 50_000_000);
        assert!(s.next_onset_ns() + 10_000_000 > 55_000_000);
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

        /// The schedule never goes backwards and never bunches pulses closer than a period.
        #[test]
        fn schedule_is_monotonic(steps in proptest::collection::vec(0u64..50_000_000, 1..50)) {
            let period = Micros(12_500);
            let mut s = Schedule::start(0, 0, period);
            let mut now = 0;
            for late in steps {
                let before = s.next_onset_ns();
                now = now.max(before) + late;
                s.advance(now, period);
                prop_assert!(s.next_onset_ns() >= before + period.as_nanos());
                prop_assert!(s.next_onset_ns() + period.as_nanos() > now);
            }
        }
    }
}
