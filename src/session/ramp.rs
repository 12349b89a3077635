//! The ramp limiter: actual intensity follows the target no faster than the rise limit;
//! decreases are immediate. Pure: time comes in as an argument.

use crate::model::units::MicroAmps;

/// One channel's ramp: remembers the rise too small to apply yet, so slow rates and short
/// ticks still rise at the exact rate on average.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ramp {
    /// µA·ms not yet turned into a whole µA of rise.
    carry: u64,
}

impl Ramp {
    /// The next actual intensity after `dt_ms` milliseconds at `rate_ua_per_s`.
    pub fn advance(
        &mut self,
        actual: MicroAmps,
        target: MicroAmps,
        rate_ua_per_s: u32,
        dt_ms: u64,
    ) -> MicroAmps {
        if target <= actual {
            self.carry = 0;
            return target;
        }
        self.carry += u64::from(rate_ua_per_s) * dt_ms;
        let rise = self.carry / 1_000;
        self.carry %= 1_000;
        let next = u64::from(actual.0) + rise;
        if next >= u64::from(target.0) {
            self.carry = 0;
            target
        } else {
            MicroAmps(next as u32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rises_at_rate_and_falls_at_once() {
        let mut r = Ramp::default();
        let mut a = MicroAmps(0);
        for _ in 0..50 {
            a = r.advance(a, MicroAmps(10_000), 2_000, 20);
        }
        assert_eq!(a, MicroAmps(2_000));
        assert_eq!(r.advance(a, MicroAmps(500), 2_000, 20), MicroAmps(500));
    }

    proptest! {
        /// Over any sequence of targets and tick lengths, the intensity never rises faster than
        /// the rate and never overshoots the target.
        #[test]
        fn never_faster_than_rate(steps in proptest::collection::vec((0u32..=100_000, 1u64..500), 1..200), rate in 1u32..=5_000) {
            let mut r = Ramp::default();
            let mut a = MicroAmps(0);
            let mut since_low = 0u64; // ms since the last point the ramp was at or below a
            let mut base = 0u32;
            for (target, dt) in steps {
                let next = r.advance(a, MicroAmps(target), rate, dt);
                prop_assert!(next <= MicroAmps(target).max(MicroAmps(0)));
                if next < a { since_low = 0; base = next.0; } else { since_low += dt; }
                prop_assert!(u64::from(next.0) <= u64::from(base) + u64::from(rate) * since_low / 1_000);
                a = next;
            }
        }
    }
}
