//! Habituation compensation (opt-in per profile): nerves get used to a steady stimulus, so
//! during a session the target rises by one intensity step every few minutes while the person
//! does not lower it — never above their comfortable level for the program plus a margin, and
//! (the session applies it through `set_target`) never above any limit. A person lowering the
//! intensity, or contact loss, stops it for the rest of the session.

use crate::model::limits::ceiling::CHANNELS;
use crate::model::units::MicroAmps;
use serde::{Deserialize, Serialize};

/// A profile's habituation settings (set by an administrator: they raise the intensity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HabituationSettings {
    /// Whether the target rises during a session at all (off by default).
    pub enabled: bool,
    /// Minutes between two steps up ([`EVERY_MINUTES`]).
    pub every_minutes: u32,
    /// How far above the comfortable level it may go, µA ([`MARGIN_UA`]).
    pub margin_ua: u32,
}

impl Default for HabituationSettings {
    fn default() -> Self {
        HabituationSettings {
            enabled: false,
            every_minutes: 5,
            margin_ua: 2_000,
        }
    }
}

/// Allowed range of [`HabituationSettings::every_minutes`]: one step a minute to one an hour.
pub const EVERY_MINUTES: std::ops::RangeInclusive<u32> = 1..=60;
/// Allowed range of [`HabituationSettings::margin_ua`] (µA): at most 10 mA above comfort.
pub const MARGIN_UA: std::ops::RangeInclusive<u32> = 0..=10_000;

/// A running session's compensation.
#[derive(Debug, Clone, PartialEq)]
pub struct Habituation {
    every_ms: u64,
    next_ms: u64,
    /// Comfortable level plus the margin, per channel.
    ceiling: [MicroAmps; CHANNELS],
    stopped: bool,
}

impl Habituation {
    /// For a session starting at `now_ms`, if enabled and the person has a comfortable level
    /// for the program (without one there is nothing to compensate from).
    pub fn new(
        s: &HabituationSettings,
        comfort: Option<[u32; CHANNELS]>,
        now_ms: u64,
    ) -> Option<Habituation> {
        let comfort = comfort.filter(|_| s.enabled)?;
        let every_ms = u64::from(s.every_minutes.max(1)) * 60_000;
        Some(Habituation {
            every_ms,
            next_ms: now_ms + every_ms,
            ceiling: comfort.map(|c| MicroAmps(c.saturating_add(s.margin_ua))),
            stopped: false,
        })
    }

    /// The person lowered the intensity (or contact was lost): no more steps this session.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Whether it was stopped this session (no more steps come).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The raised targets due at `now_ms`: each channel in use one `step` up, capped at its
    /// ceiling; channels already there are left alone.
    pub fn due(
        &mut self,
        now_ms: u64,
        targets: &[MicroAmps; CHANNELS],
        channels: &[usize],
        step: MicroAmps,
    ) -> Vec<(usize, MicroAmps)> {
        if self.stopped || now_ms < self.next_ms {
            return Vec::new();
        }
        self.next_ms = now_ms + self.every_ms;
        channels
            .iter()
            .filter_map(|&ch| {
                let up = MicroAmps(targets[ch].0.saturating_add(step.0)).min(self.ceiling[ch]);
                (up > targets[ch]).then_some((ch, up))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_up_on_time_to_the_ceiling_then_stops_when_lowered() {
        let s = HabituationSettings {
            enabled: true,
            every_minutes: 5,
            margin_ua: 1_000,
        };
        assert!(
            Habituation::new(&s, None, 0).is_none(),
            "no comfortable level"
        );
        let off = HabituationSettings {
            enabled: false,
            ..s
        };
        assert!(Habituation::new(&off, Some([10_000, 10_000]), 0).is_none());
        let mut h = Habituation::new(&s, Some([10_000, 8_000]), 0).unwrap();
        let step = MicroAmps(500);
        let mut t = [MicroAmps(10_000), MicroAmps(8_000)];
        assert!(h.due(299_999, &t, &[0, 1], step).is_empty());
        assert_eq!(
            h.due(300_000, &t, &[0, 1], step),
            vec![(0, MicroAmps(10_500)), (1, MicroAmps(8_500))]
        );
        t = [MicroAmps(10_500), MicroAmps(8_800)];
        assert_eq!(
            h.due(600_000, &t, &[0, 1], step),
            vec![(0, MicroAmps(11_000)), (1, MicroAmps(9_000))]
        );
        t = [MicroAmps(11_000), MicroAmps(9_000)];
        assert!(
            h.due(900_000, &t, &[0, 1], step).is_empty(),
            "at the ceiling"
        );
        h.stop();
        t = [MicroAmps(5_000), MicroAmps(5_000)];
        assert!(h.due(1_200_000, &t, &[0, 1], step).is_empty());
    }
}
