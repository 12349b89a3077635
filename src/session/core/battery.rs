//! The battery during a session: one `Notice` when it falls to `battery.low_percent`, before
//! `battery.critical_percent` ends the session, with the minutes left when the drain seen
//! so far allows an estimate. Pure.

use crate::session::effect::Notice;

/// Least time a drain must have been seen before minutes left are estimated.
const ESTIMATE_AFTER_MS: u64 = 60_000;

/// What the session has seen of the battery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct BatteryWatch {
    /// The first reading in this session (manager's clock, ms; percent).
    first: Option<(u64, i32)>,
    /// The low-battery notice was given.
    warned: bool,
}

impl BatteryWatch {
    /// A reading `percent` (−1 unknown) at `now_ms`: the notice, the first time the level is
    /// at or below `low` and still above `critical`.
    pub(super) fn observe(
        &mut self,
        now_ms: u64,
        percent: i32,
        low: u32,
        critical: u32,
    ) -> Option<Notice> {
        if percent < 0 {
            return None;
        }
        let (t0, p0) = *self.first.get_or_insert((now_ms, percent));
        let level = percent as u32;
        if self.warned || level > low || level <= critical {
            return None;
        }
        self.warned = true;
        let elapsed = now_ms.saturating_sub(t0);
        let dropped = p0 - percent;
        let minutes_left = (elapsed >= ESTIMATE_AFTER_MS && dropped > 0).then(|| {
            let per_minute = f64::from(dropped) / (elapsed as f64 / 60_000.0);
            (f64::from(level - critical) / per_minute).floor() as u32
        });
        Some(Notice::BatteryLow {
            percent: level,
            critical,
            minutes_left,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_once_at_low_with_the_minutes_left_once_a_drain_was_seen() {
        let mut w = BatteryWatch::default();
        assert_eq!(w.observe(0, 30, 15, 5), None);
        assert_eq!(w.observe(600_000, 20, 15, 5), None);
        // 15 points in 20 minutes: 10 points above critical last 13 minutes.
        assert_eq!(
            w.observe(1_200_000, 15, 15, 5),
            Some(Notice::BatteryLow {
                percent: 15,
                critical: 5,
                minutes_left: Some(13),
            })
        );
        assert_eq!(w.observe(1_300_000, 14, 15, 5), None, "once");
    }

    #[test]
    fn no_estimate_without_a_drain_and_nothing_when_unknown_or_critical() {
        let mut w = BatteryWatch::default();
        assert_eq!(w.observe(0, -1, 15, 5), None);
        assert_eq!(
            w.observe(10, 12, 15, 5),
            Some(Notice::BatteryLow {
                percent: 12,
                critical: 5,
                minutes_left: None,
            })
        );
        let mut w = BatteryWatch::default();
        assert_eq!(
            w.observe(0, 5, 15, 5),
            None,
            "critical ends the session instead"
        );
    }
}
