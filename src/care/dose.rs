//! Dose guidance: how many sessions and minutes a day a profile may have and how long to wait
//! between sessions (the leaflet: 20–30 minutes, once or twice a day). Days are local days.
//! Pure: the session manager passes the profile's recent sessions and the clock.

use serde::{Deserialize, Serialize};

/// A profile's dose limits; 0 in a field means no limit there (clinical use, set by an
/// administrator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dose {
    /// Most sessions started in one local day (0..=24; 0 = no limit).
    pub sessions_per_day: u32,
    /// Most minutes of stimulation in one local day, all sessions together (0..=1440; 0 = no
    /// limit).
    pub minutes_per_day: u32,
    /// Least minutes from the end of one session to the start of the next (0..=720; 0 = no
    /// gap).
    pub min_gap_minutes: u32,
    /// Minutes of stimulation at a non-zero level after which a session counts towards the
    /// day's sessions and the gap (0..=60; 0 = every session counts). A session stopped
    /// early — because it hurt, a pad came off, a fault or the battery ended it — does not
    /// lock the person out.
    pub counts_after_minutes: u32,
}

impl Default for Dose {
    /// The leaflet's: twice a day, an hour in all, two hours apart.
    fn default() -> Self {
        Dose {
            sessions_per_day: 2,
            minutes_per_day: 60,
            min_gap_minutes: 120,
            counts_after_minutes: 5,
        }
    }
}

/// Allowed range of [`Dose::sessions_per_day`] (the settings table and profile files check it).
pub const SESSIONS_PER_DAY: std::ops::RangeInclusive<u32> = 0..=24;
/// Allowed range of [`Dose::minutes_per_day`]: up to a whole day.
pub const MINUTES_PER_DAY: std::ops::RangeInclusive<u32> = 0..=1_440;
/// Allowed range of [`Dose::min_gap_minutes`]: up to twelve hours.
pub const MIN_GAP_MINUTES: std::ops::RangeInclusive<u32> = 0..=720;
/// Allowed range of [`Dose::counts_after_minutes`]: up to an hour.
pub const COUNTS_AFTER_MINUTES: std::ops::RangeInclusive<u32> = 0..=60;

/// A past session: when it started and ended (Unix seconds) and how long it stimulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Past {
    /// When it started (Unix seconds).
    pub start: i64,
    /// When it ended (Unix seconds; not before `start`).
    pub end: i64,
    /// Seconds of stimulation at a non-zero level (at most `end - start`).
    pub stimulated_s: i64,
}

impl Past {
    /// Whether it delivered enough therapy to count towards the day's sessions and the gap.
    fn counts(&self, dose: &Dose) -> bool {
        self.stimulated_s >= i64::from(dose.counts_after_minutes) * 60
    }
}

/// Why the dose guidance refuses a session now; the message says when the next is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DoseRefusal {
    /// The day's sessions are used up.
    #[error(
        "{today} session(s) today already (allowed: {allowed} a day); the next is allowed tomorrow"
    )]
    SessionsToday {
        /// Sessions started today.
        today: usize,
        /// The profile's [`Dose::sessions_per_day`].
        allowed: u32,
    },
    /// The day's minutes are used up.
    #[error("{used_min} of {allowed} minutes used today; the next session is allowed tomorrow")]
    MinutesUsed {
        /// Minutes of stimulation today.
        used_min: i64,
        /// The profile's [`Dose::minutes_per_day`].
        allowed: u32,
    },
    /// The session asked for is longer than the minutes left today.
    #[error("{used_min} of {allowed} minutes used today: ask for at most {left_s} s (duration)")]
    TooLong {
        /// Minutes of stimulation today.
        used_min: i64,
        /// The profile's [`Dose::minutes_per_day`].
        allowed: u32,
        /// Seconds left today: the longest session that may start now.
        left_s: i64,
    },
    /// Too soon after the last session; `next` is the time of day it is allowed from.
    #[error(
        "the next session is allowed from {next} (at least {gap_min} minutes between sessions)"
    )]
    TooSoon {
        /// The local time of day from which the next session is allowed, as the caller's
        /// `clock` wrote it.
        next: String,
        /// The profile's [`Dose::min_gap_minutes`].
        gap_min: u32,
    },
}

impl DoseRefusal {
    /// The refusal as a text for the person with profile `profile`.
    pub fn text(&self, profile: &str) -> crate::texts::Text {
        use crate::texts::Text;
        let t = |code| Text::new(code).quoted("profile", profile);
        match self {
            DoseRefusal::SessionsToday { today, allowed } => t("dose.sessions_today")
                .arg("today", *today)
                .arg("allowed", *allowed),
            DoseRefusal::MinutesUsed { used_min, allowed } => t("dose.minutes_used")
                .arg("used", *used_min)
                .arg("allowed", *allowed),
            DoseRefusal::TooLong {
                used_min,
                allowed,
                left_s,
            } => t("dose.too_long")
                .arg("used", *used_min)
                .arg("allowed", *allowed)
                .arg("left_s", *left_s),
            DoseRefusal::TooSoon { next, gap_min } => t("dose.too_soon")
                .arg("next", next.as_str())
                .arg("gap_min", *gap_min),
        }
    }
}

/// Whether a session of `requested_s` may start at `now`, given the profile's sessions
/// `past` and the start of today (`midnight`, local). Sessions count only once they
/// delivered [`Dose::counts_after_minutes`] of stimulation; minutes are minutes of
/// stimulation. The refusal says when the next one is allowed; `clock` formats a time of day.
pub fn check(
    dose: &Dose,
    past: &[Past],
    now: i64,
    midnight: i64,
    requested_s: u32,
    clock: impl Fn(i64) -> String,
) -> Result<(), DoseRefusal> {
    let today: Vec<&Past> = past.iter().filter(|p| p.start >= midnight).collect();
    let counted = today.iter().filter(|p| p.counts(dose)).count();
    if dose.sessions_per_day > 0 && counted as u32 >= dose.sessions_per_day {
        return Err(DoseRefusal::SessionsToday {
            today: counted,
            allowed: dose.sessions_per_day,
        });
    }
    if dose.minutes_per_day > 0 {
        let used_s: i64 = today
            .iter()
            .map(|p| p.stimulated_s.clamp(0, (p.end - p.start).max(0)))
            .sum();
        let left_s = i64::from(dose.minutes_per_day) * 60 - used_s;
        if left_s < 60 {
            return Err(DoseRefusal::MinutesUsed {
                used_min: used_s / 60,
                allowed: dose.minutes_per_day,
            });
        }
        if i64::from(requested_s) > left_s {
            return Err(DoseRefusal::TooLong {
                used_min: used_s / 60,
                allowed: dose.minutes_per_day,
                left_s,
            });
        }
    }
    if dose.min_gap_minutes > 0 {
        let last = past.iter().filter(|p| p.counts(dose)).map(|p| p.end).max();
        if let Some(last) = last {
            let next = last + i64::from(dose.min_gap_minutes) * 60;
            if now < next {
                return Err(DoseRefusal::TooSoon {
                    next: clock(next),
                    gap_min: dose.min_gap_minutes,
                });
            }
        }
    }
    Ok(())
}

/// The start of the local day that contains `t` (Unix seconds).
pub fn local_midnight(t: i64) -> i64 {
    crate::clock::local_day_start(t).unwrap_or(t - t.rem_euclid(86_400))
}

/// `HH:MM` local time.
pub fn local_clock(t: i64) -> String {
    crate::clock::local_hour_minute(t).unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600;
    /// A day's midnight in these tests.
    const MID: i64 = 1_000 * 86_400;

    /// A session that stimulated from `start` to `end`.
    fn full(start: i64, end: i64) -> Past {
        Past {
            start,
            end,
            stimulated_s: end - start,
        }
    }

    fn hhmm(t: i64) -> String {
        format!(
            "{:02}:{:02}",
            (t - MID).rem_euclid(86_400) / H,
            (t % H) / 60
        )
    }

    #[test]
    fn twice_a_day_an_hour_in_all_two_hours_apart() {
        let d = Dose::default();
        let s1 = full(MID + 8 * H, MID + 8 * H + 1_800);
        assert_eq!(check(&d, &[], MID + 8 * H, MID, 1_800, hhmm), Ok(()));
        let e = check(&d, &[s1], MID + 9 * H, MID, 1_800, hhmm)
            .unwrap_err()
            .to_string();
        assert!(e.contains("allowed from 10:30"), "{e}");
        assert_eq!(check(&d, &[s1], MID + 11 * H, MID, 1_800, hhmm), Ok(()));
        let e = check(&d, &[s1], MID + 11 * H, MID, 2_400, hhmm)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 1800 s"), "{e}");
        let s2 = full(MID + 12 * H, MID + 12 * H + 600);
        let e = check(&d, &[s1, s2], MID + 20 * H, MID, 60, hhmm)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("2 session(s) today") && e.contains("tomorrow"),
            "{e}"
        );
    }

    #[test]
    fn the_day_boundary_resets_the_count_but_not_the_gap() {
        let d = Dose::default();
        let late = [full(MID - 4 * H, MID - 3 * H), full(MID - H, MID - 600)];
        // Two sessions yesterday, the last ending at 23:50: the count starts again at
        // midnight, the gap runs on until 01:50.
        let e = check(&d, &late, MID + 600, MID, 1_800, hhmm)
            .unwrap_err()
            .to_string();
        assert!(e.contains("from 01:50"), "{e}");
        assert_eq!(check(&d, &late, MID + 2 * H, MID, 1_800, hhmm), Ok(()));
    }

    #[test]
    fn zero_means_no_limit() {
        let d = Dose {
            sessions_per_day: 0,
            minutes_per_day: 0,
            min_gap_minutes: 0,
            counts_after_minutes: 0,
        };
        let many: Vec<Past> = (0..30)
            .map(|i| full(MID + i * 60, MID + i * 60 + 59))
            .collect();
        assert_eq!(check(&d, &many, MID + 1_800, MID, 7_200, hhmm), Ok(()));
    }

    #[test]
    fn sessions_stopped_early_do_not_lock_the_person_out_but_their_minutes_count() {
        let d = Dose::default();
        // Three tries this morning, each stopped after a few seconds or minutes of
        // stimulation: none counts, so neither the day's two sessions nor the gap bind.
        let tries: Vec<Past> = [(8, 6), (9, 240), (10, 299)]
            .iter()
            .map(|&(h, s)| Past {
                start: MID + h * H,
                end: MID + h * H + s + 30,
                stimulated_s: s,
            })
            .collect();
        assert_eq!(
            check(&d, &tries, MID + 10 * H + 400, MID, 1_800, hhmm),
            Ok(())
        );
        // Their stimulation counts towards the day's minutes: 545 s used of 3600.
        let e = check(&d, &tries, MID + 11 * H, MID, 3_600, hhmm)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at most 3055 s"), "{e}");
        // Five minutes of stimulation count: the gap and the day's count bind again.
        let mut more = tries.clone();
        more.push(Past {
            start: MID + 11 * H,
            end: MID + 11 * H + 900,
            stimulated_s: 300,
        });
        let e = check(&d, &more, MID + 11 * H + 1_000, MID, 600, hhmm)
            .unwrap_err()
            .to_string();
        assert!(e.contains("allowed from 13:15"), "{e}");
    }

    #[test]
    fn local_midnight_is_at_or_before_and_within_a_day() {
        let now = crate::clock::unix_now();
        let m = local_midnight(now);
        assert!(m <= now && now - m < 25 * H, "{m} {now}");
        assert_eq!(local_clock(m), "00:00");
    }
}
