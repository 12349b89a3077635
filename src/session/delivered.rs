//! What a session actually delivered, as opposed to what was asked: the time stimulation ran
//! at a non-zero level (what the dose guidance counts) and, per channel, the level the person
//! held for a minute (what is remembered as comfortable). Pure; the session feeds it the
//! levels the ramp reached after every tick.

use crate::model::limits::ceiling::CHANNELS;
use crate::model::units::MicroAmps;

/// How long a level must be held, unchanged, before it is remembered as comfortable.
pub const HELD_FOR_MS: u64 = 60_000;

/// One channel's level and since when it has been that level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Level {
    /// The level reached, µA.
    now: u32,
    /// When it became this level (the manager's clock, ms).
    since_ms: u64,
    /// The last level held for at least [`HELD_FOR_MS`] (0 = none yet).
    held: u32,
}

/// The delivered figures of one session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    stimulated_ms: u64,
    levels: [Level; CHANNELS],
    /// Channels that lost electrode contact at some time in the session.
    lost: [bool; CHANNELS],
}

impl Delivered {
    /// `elapsed_ms` passed at the levels `levels` (what ran since the last tick) on
    /// `channels`.
    pub fn ran(&mut self, elapsed_ms: u64, levels: &[MicroAmps; CHANNELS], channels: &[usize]) {
        if channels.iter().any(|&ch| levels[ch].0 > 0) {
            self.stimulated_ms = self.stimulated_ms.saturating_add(elapsed_ms);
        }
    }

    /// The ramp reached `levels` at `now_ms` on `channels`.
    pub fn reached(&mut self, now_ms: u64, levels: &[MicroAmps; CHANNELS], channels: &[usize]) {
        for &ch in channels {
            let l = &mut self.levels[ch];
            if levels[ch].0 != l.now {
                *l = Level {
                    now: levels[ch].0,
                    since_ms: now_ms,
                    held: l.held,
                };
            } else if l.now > 0 && now_ms.saturating_sub(l.since_ms) >= HELD_FOR_MS {
                l.held = l.now;
            }
        }
    }

    /// `channel` lost electrode contact: nothing from it is remembered as comfortable.
    pub fn lost_contact(&mut self, channel: usize) {
        if let Some(lost) = self.lost.get_mut(channel) {
            *lost = true;
        }
    }

    /// Whole seconds of stimulation at a non-zero level on any channel.
    pub fn stimulated_s(&self) -> u32 {
        (self.stimulated_ms / 1_000).min(u64::from(u32::MAX)) as u32
    }

    /// Per channel, the last level held for a minute; `None` for a channel that never held
    /// one or lost contact (its remembered level stays what it was).
    pub fn comfort(&self) -> [Option<u32>; CHANNELS] {
        std::array::from_fn(|ch| {
            let held = self.levels[ch].held;
            (held > 0 && !self.lost[ch]).then_some(held)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ua(a: u32, b: u32) -> [MicroAmps; CHANNELS] {
        [MicroAmps(a), MicroAmps(b)]
    }

    /// Feeds `levels` every 20 ms from `from_ms` for `for_ms`, as the manager's ticks would.
    fn run(d: &mut Delivered, from_ms: u64, for_ms: u64, levels: [MicroAmps; CHANNELS]) -> u64 {
        let mut t = from_ms;
        while t < from_ms + for_ms {
            t += 20;
            d.ran(20, &levels, &[0, 1]);
            d.reached(t, &levels, &[0, 1]);
        }
        t
    }

    #[test]
    fn only_stimulation_counts_and_only_a_level_held_a_minute_is_remembered() {
        let mut d = Delivered::default();
        let t = run(&mut d, 0, 10_000, ua(0, 0));
        assert_eq!(d.stimulated_s(), 0, "time at zero is not therapy");
        let t = run(&mut d, t, 59_000, ua(6_000, 0));
        assert_eq!(d.stimulated_s(), 59);
        assert_eq!(d.comfort(), [None, None], "59 s is not a minute");
        let t = run(&mut d, t, 2_000, ua(6_000, 0));
        assert_eq!(d.comfort(), [Some(6_000), None]);
        // Asked higher and reached it for half a minute only: the held level stays.
        let _ = run(&mut d, t, 30_000, ua(8_000, 0));
        assert_eq!(d.comfort(), [Some(6_000), None]);
        assert_eq!(d.stimulated_s(), 91);
    }

    #[test]
    fn a_channel_that_lost_contact_is_not_remembered() {
        let mut d = Delivered::default();
        let _ = run(&mut d, 0, 70_000, ua(5_000, 4_000));
        d.lost_contact(1);
        assert_eq!(d.comfort(), [Some(5_000), None]);
    }
}
