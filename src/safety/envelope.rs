//! The rise-rate envelope the supervisor holds each channel to.
//!
//! G(t) = min over past levels L(s) of (L(s) + rate·(t − s)), starting from zero when the
//! output is armed: output may rise no faster than the rise limit, may fall at once, and starts
//! at zero. The bound follows the channel's *level* (the person's intensity), not each pulse:
//! a burst train or an EMS contraction returns to a level already reached, within the bound,
//! while a level lowered by anyone pulls the bound down at once. The level can only lower the
//! bound, never raise it, so it need not be trusted. Pure: time comes in as an argument.

use crate::model::units::MicroAmps;

/// Slack for the engine sampling the ramp at pulse times rather than continuously: the
/// envelope may be exceeded by at most this much before it counts as a violation.
pub const SLACK_NS: u64 = 50_000_000;
/// How long after a level falls the bound follows it: the engine reads the level at each
/// onset, so a pulse begun just before the fall may carry the old level.
pub const LEVEL_GRACE_NS: u64 = 5_000_000;

#[derive(Debug, Clone, Copy)]
pub struct Envelope {
    bound_ua: f64,
    at_ns: u64,
    rate_ua_per_s: u32,
    /// A lower level seen, and when; applied once `LEVEL_GRACE_NS` has passed.
    pending: Option<(f64, u64)>,
}

impl Envelope {
    /// A fresh envelope at zero (output just armed).
    pub fn armed(now_ns: u64, rate_ua_per_s: u32) -> Envelope {
        Envelope {
            bound_ua: 0.0,
            at_ns: now_ns,
            rate_ua_per_s,
            pending: None,
        }
    }

    fn slack_ua(&self) -> f64 {
        f64::from(self.rate_ua_per_s) * SLACK_NS as f64 / 1e9
    }

    fn grow_to(&mut self, now_ns: u64) -> f64 {
        let dt = now_ns.saturating_sub(self.at_ns) as f64 / 1e9;
        self.at_ns = now_ns.max(self.at_ns);
        self.bound_ua += f64::from(self.rate_ua_per_s) * dt;
        if let Some((level, at)) = self.pending {
            if now_ns.saturating_sub(at) >= LEVEL_GRACE_NS {
                let since = now_ns.saturating_sub(at) as f64 / 1e9;
                self.bound_ua = self
                    .bound_ua
                    .min(level + f64::from(self.rate_ua_per_s) * since);
                self.pending = None;
            }
        }
        self.bound_ua
    }

    /// The channel's level at `now_ns`: a lower one pulls the bound down, after
    /// `LEVEL_GRACE_NS` (a pulse the engine began just before the level fell is not a rise).
    pub fn follow_level(&mut self, level: MicroAmps, now_ns: u64) {
        let grown = self.grow_to(now_ns);
        let level = f64::from(level.0);
        if level < grown {
            // Each sample is a line L + rate·(t − s); of two pending lines the lower one
            // bounds every later time, so it is the one kept (with its own time).
            let rate = f64::from(self.rate_ua_per_s);
            self.pending = Some(match self.pending {
                Some((l1, a1)) if l1 + rate * now_ns.saturating_sub(a1) as f64 / 1e9 <= level => {
                    (l1, a1)
                }
                _ => (level, now_ns),
            });
        }
    }

    /// Checks a pulse of `amplitude` delivered at `now_ns`; returns the bound it broke, if any.
    pub fn check(&mut self, amplitude: MicroAmps, now_ns: u64) -> Result<(), MicroAmps> {
        let grown = self.grow_to(now_ns);
        if f64::from(amplitude.0) > grown + self.slack_ua() {
            return Err(MicroAmps(grown as u32));
        }
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
        e.follow_level(MicroAmps(0), 5_001 * MS);
        // A pulse begun just before the fall still carries the old level.
        assert!(e.check(MicroAmps(10_000), 5_002 * MS).is_ok());
        assert!(e.check(MicroAmps(5_000), 5_010 * MS).is_err());
    }

    #[test]
    fn pulses_below_the_level_return_to_it_at_once() {
        // An EMS contraction: the level is 10 mA; pulses ramp 0 → 10 mA in 1 s, again and again.
        let mut e = Envelope::armed(0, 2_000);
        e.follow_level(MicroAmps(10_000), 5_000 * MS);
        for cycle in 0..3u64 {
            for k in 0..=40u64 {
                let t = (5_000 + cycle * 2_000 + k * 25) * MS;
                e.follow_level(MicroAmps(10_000), t);
                assert!(e.check(MicroAmps((k * 250) as u32), t).is_ok());
            }
        }
    }

    #[test]
    fn a_level_ramping_at_the_limit_never_trips_however_often_it_is_sampled() {
        // The level rises at the rise rate, sampled every 0.5 ms (the supervisor, armed) with
        // 20 ms steps (the manager's tick); pulses every 500 ms carry the level (2 Hz taps).
        let mut e = Envelope::armed(0, 2_000);
        let level = |t: u64| MicroAmps((2_000 * (t / (20 * MS) * 20 * MS) / 1_000_000_000) as u32);
        let mut t = 0;
        while t < 3_000 * MS {
            e.follow_level(level(t), t);
            if t % (500 * MS) == 0 {
                assert!(e.check(level(t), t).is_ok(), "tripped at {} ms", t / MS);
            }
            t += MS / 2;
        }
        // A supervisor stall of 8 ms must not apply an old, low sample as if it were new.
        e.follow_level(level(t), t);
        t += 8 * MS;
        e.follow_level(level(t), t);
        assert!(e.check(level(t), t).is_ok());
    }

    #[test]
    fn a_level_above_the_bound_does_not_raise_it() {
        let mut e = Envelope::armed(0, 2_000);
        e.follow_level(MicroAmps(60_000), MS);
        assert!(e.check(MicroAmps(10_000), 2 * MS).is_err());
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
