//! What the report says, as numbers: sessions and minutes per day (every day of the period,
//! days without a session as zero), pain before/after per rated session over time, and per
//! program the sessions, minutes and mean pain reduction with the number of rated sessions.
//! The program that helped most is chosen by the library's own rule
//! (`stimd::care::advice::recommend`, the rule `History.Advice` uses). Pure: no bus, no clock;
//! local days come in with the sessions.

use jiff::civil::Date;
use std::collections::BTreeMap;
use stimd::care::advice;
use stimd::history::{ProgramSummary, Summary};

/// At most this many days are laid out one by one (about 11 years); longer periods show only
/// the days with sessions.
const MAX_DAYS: i32 = 4_000;

/// One session as the report needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The session's id in the history.
    pub id: u64,
    /// The program's id.
    pub program: String,
    /// The local day it started on.
    pub day: Date,
    /// Seconds since local midnight when it started.
    pub time_of_day: u32,
    /// How long it ran, s.
    pub seconds: u32,
    /// Pain before and after (0–10), when rated.
    pub pain: Option<(u8, u8)>,
}

/// One day's use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayUse {
    /// The local day.
    pub day: Date,
    /// Sessions started that day.
    pub sessions: u32,
    /// Their running time, whole minutes.
    pub minutes: u32,
}

/// One rated session on the time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct PainPoint {
    /// The session's id.
    pub id: u64,
    /// The local day it started on.
    pub day: Date,
    /// Pain before.
    pub before: u8,
    /// Pain after.
    pub after: u8,
}

/// Everything the report shows, computed.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Every day from the first to the last of the period.
    pub days: Vec<DayUse>,
    /// Rated sessions, oldest first (by day and time of day).
    pub pain: Vec<PainPoint>,
    /// Totals and per-program figures (most sessions first), as `History.Summary` gives them.
    pub summary: Summary,
    /// The program that helped most, if enough sessions are rated to say so.
    pub best: Option<ProgramSummary>,
}

impl Figures {
    /// Sessions with both pain scores.
    pub fn rated(&self) -> u32 {
        self.pain.len() as u32
    }
}

/// The figures of `sessions`, over a period starting on `first_day` (the `--since` day; the
/// first session's day when `None`).
pub fn figures(sessions: &[Session], first_day: Option<Date>) -> Figures {
    let mut sorted: Vec<&Session> = sessions.iter().collect();
    sorted.sort_by_key(|s| (s.day, s.time_of_day, s.id));
    let start = first_day
        .into_iter()
        .chain(sorted.first().map(|s| s.day))
        .min();
    let end = sorted.last().map(|s| s.day).into_iter().chain(start).max();

    let mut per_day: BTreeMap<Date, (u32, u32)> = BTreeMap::new();
    for s in &sorted {
        let e = per_day.entry(s.day).or_default();
        e.0 += 1;
        e.1 += s.seconds;
    }
    let mut days = Vec::new();
    if let (Some(start), Some(end)) = (start, end) {
        let span = start.until(end).map(|s| s.get_days()).unwrap_or(i32::MAX);
        if span <= MAX_DAYS {
            let mut d = start;
            while d <= end {
                let (n, secs) = per_day.get(&d).copied().unwrap_or_default();
                days.push(DayUse {
                    day: d,
                    sessions: n,
                    minutes: secs / 60,
                });
                match d.tomorrow() {
                    Ok(next) => d = next,
                    Err(_) => break,
                }
            }
        } else {
            days = per_day
                .iter()
                .map(|(d, (n, secs))| DayUse {
                    day: *d,
                    sessions: *n,
                    minutes: secs / 60,
                })
                .collect();
        }
    }

    let pain = sorted
        .iter()
        .filter_map(|s| {
            let (before, after) = s.pain?;
            Some(PainPoint {
                id: s.id,
                day: s.day,
                before,
                after,
            })
        })
        .collect();

    let summary = summary(&sorted, days.len() as u32);
    let best = advice::recommend(&summary).cloned();
    Figures {
        days,
        pain,
        summary,
        best,
    }
}

fn summary(sessions: &[&Session], days: u32) -> Summary {
    // program → (sessions, seconds, rated, sum before, sum after)
    let mut per: BTreeMap<&str, (u32, u32, u32, u32, u32)> = BTreeMap::new();
    for s in sessions {
        let e = per.entry(s.program.as_str()).or_default();
        e.0 += 1;
        e.1 += s.seconds;
        if let Some((b, a)) = s.pain {
            e.2 += 1;
            e.3 += u32::from(b);
            e.4 += u32::from(a);
        }
    }
    let mut programs: Vec<ProgramSummary> = per
        .into_iter()
        .map(|(program, (n, secs, rated, before, after))| {
            let mean = |sum: u32| {
                if rated == 0 {
                    0.0
                } else {
                    f64::from(sum) / f64::from(rated)
                }
            };
            ProgramSummary {
                program: program.to_string(),
                sessions: n,
                minutes: secs / 60,
                rated,
                mean_before: mean(before),
                mean_after: mean(after),
                mean_reduction: mean(before) - mean(after),
            }
        })
        .collect();
    programs.sort_by(|a, b| b.sessions.cmp(&a.sessions).then(a.program.cmp(&b.program)));
    let total = sessions.len() as u32;
    Summary {
        sessions: total,
        minutes: sessions.iter().map(|s| s.seconds).sum::<u32>() / 60,
        days,
        sessions_per_day: if days == 0 {
            0.0
        } else {
            f64::from(total) / f64::from(days)
        },
        programs,
    }
}

/// Rated sessions a program needs before it is compared (the library's rule).
pub const MIN_RATED: u32 = advice::MIN_RATED;

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn s(
        id: u64,
        program: &str,
        day: Date,
        hour: u32,
        minutes: u32,
        pain: Option<(u8, u8)>,
    ) -> Session {
        Session {
            id,
            program: program.into(),
            day,
            time_of_day: hour * 3600,
            seconds: minutes * 60,
            pain,
        }
    }

    #[test]
    fn days_without_sessions_count_as_zero() {
        let f = figures(
            &[
                s(1, "low-back", date(2026, 11, 2), 9, 30, None),
                s(2, "low-back", date(2026, 11, 2), 20, 20, None),
                s(3, "neck", date(2026, 11, 4), 8, 15, None),
            ],
            None,
        );
        let days: Vec<_> = f
            .days
            .iter()
            .map(|d| (d.day.day(), d.sessions, d.minutes))
            .collect();
        assert_eq!(days, vec![(2, 2, 50), (3, 0, 0), (4, 1, 15)]);
        assert_eq!(f.summary.days, 3);
        assert_eq!(f.summary.sessions, 3);
        assert_eq!(f.summary.minutes, 65);
        assert!((f.summary.sessions_per_day - 1.0).abs() < 1e-9);
    }

    #[test]
    fn the_period_starts_on_the_since_day() {
        let f = figures(
            &[s(1, "neck", date(2026, 11, 4), 8, 15, Some((6, 3)))],
            Some(date(2026, 11, 1)),
        );
        assert_eq!(f.days.len(), 4);
        assert_eq!(f.days[0].day, date(2026, 11, 1));
        assert_eq!(f.pain[0].day, date(2026, 11, 4));
        let empty = figures(&[], Some(date(2026, 11, 1)));
        assert_eq!(empty.days.len(), 1);
        assert!(empty.pain.is_empty() && empty.best.is_none());
    }

    #[test]
    fn mean_reduction_per_program_counts_rated_sessions_only() {
        let d = date(2026, 11, 2);
        let f = figures(
            &[
                s(1, "low-back", d, 8, 30, Some((7, 4))),
                s(2, "low-back", d, 12, 30, Some((6, 2))),
                s(3, "low-back", d, 18, 30, None),
                s(4, "neck", d, 20, 30, Some((5, 5))),
            ],
            None,
        );
        let lb = &f.summary.programs[0];
        assert_eq!(
            (lb.program.as_str(), lb.sessions, lb.rated),
            ("low-back", 3, 2)
        );
        assert!((lb.mean_before - 6.5).abs() < 1e-9);
        assert!((lb.mean_reduction - 3.5).abs() < 1e-9);
        assert_eq!(f.rated(), 3);
        assert_eq!(f.best, None, "2 rated sessions are too few to say");
    }

    #[test]
    fn the_best_program_needs_enough_rated_sessions() {
        let d = date(2026, 11, 2);
        let mut rows: Vec<Session> = (0..3)
            .map(|i| s(i, "massage", d, 8 + i as u32, 30, Some((7, 3))))
            .collect();
        rows.extend((3..5).map(|i| s(i, "neck", d, 8 + i as u32, 30, Some((9, 0)))));
        rows.extend((5..9).map(|i| s(i, "low-back", d, 8 + i as u32, 30, Some((6, 4)))));
        let f = figures(&rows, None);
        let best = f.best.expect("massage has 3 rated sessions");
        assert_eq!(
            best.program, "massage",
            "neck helped more but has only 2 ratings"
        );
        assert_eq!(best.rated, MIN_RATED);
    }
}
