//! The rise-rate envelope the supervisor holds each channel to.
//!
//! G(t) = min over past pulses s of (amplitude(s) + rate·(t − s)), starting from zero when the
//! output is armed: output may rise no faster than the rise limit, may fall at once, and starts
//! at zero. Pure: time comes in as an argument.

use crate::units::MicroAmps;

/// Slack for the engine sampling the ramp at pulse times rather than continuously: the
/// envelope may be exceeded by at most this much before it counts as a violation.
pub const SLACK_NS: u64 = 50_000_000;

#[derive(Debug, Clone, Copy)]
pub struct Envelope {
    bound_ua: f64,
    at_ns: u64,
    rate_ua_per_s: u32,
}

impl Envelope {
    /// A fresh envelope at zero (output just armed).
    pub fn armed(now_ns: u64, rate_ua_per_s: u32) -> Envelope {
        Envelope {
            bound_ua: 0.0,
            at_ns: now_ns,
            rate_ua_per_s,
        }
    }

    fn slack_ua(&self) -> f64 {
        f64::from(self.rate_ua_per_s) * SLACK_NS as f64 / 1e9
    }

    /// Checks a pulse of `amplitude` delivered at `now_ns`; returns the bound it broke, if any.
    pub fn check(&mut self, amplitude: MicroAmps, now_ns: u64) -> Result<(), MicroAmps> {
        let dt = now_ns.saturating_sub(self.at_ns) as f64 / 1e9;
        let grown = self.bound_ua + f64::from(self.rate_ua_per_s) * dt;
        self.at_ns = now_ns.max(self.at_ns);
        let a = f64::from(amplitude.0);
        if a > grown + self.slack_ua() {
            self.bound_ua = grown;
            return Err(MicroAmps(grown as u32));
        }
        self.bound_ua = grown.min(a);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn must_start_near_zero() {
        let mut e = Envelope::armed(0, 2_000);
        assert!(e.check(MicroAmps(5_000), MS).is_err());
    }

    #[test]
    fn ramp_at_the_limit_passes_and_faster_fails() {
        let mut e = Envelope::armed(0, 2_000);
        for k in 1..=100u64 {
            // 2 mA/s sampled every 12.5 ms
            let t = k * 12_500_000;
            assert!(
                e.check(MicroAmps((2_000 * t / 1_000_000_000) as u32), t)
                    .is_ok(),
                "{k}"
            );
        }
        // jump 1 mA in 12.5 ms
        assert!(e.check(MicroAmps(2_500 + 1_000), 1_262_500_000).is_err());
    }

    #[test]
    fn decrease_is_immediate_and_rise_restarts_from_there() {
        let mut e = Envelope::armed(0, 2_000);
        assert!(e.check(MicroAmps(10_000), 5_000 * MS).is_ok());
        assert!(e.check(MicroAmps(0), 5_001 * MS).is_ok());
        assert!(e.check(MicroAmps(5_000), 5_010 * MS).is_err());
    }

    proptest! {
        /// A ramp generated at the rate (sampled at arbitrary times) never trips.
        #[test]
        fn honest_ramps_pass(gaps in proptest::collection::vec(1u64..1_000_000_000, 1..100)) {
            let mut e = Envelope::armed(0, 2_000);
            let mut t = 0;
            for g in gaps {
                t += g;
                let a = (2_000u128 * u128::from(t) / 1_000_000_000).min(60_000) as u32;
                prop_assert!(e.check(MicroAmps(a), t).is_ok());
            }
        }
    }
}
