//! What works for whom: from a person's rated sessions, the program with the largest mean pain
//! reduction — once every program compared has enough rated sessions to say so.

use crate::history::{ProgramSummary, Summary};

/// Rated sessions a program needs before it is compared.
pub const MIN_RATED: u32 = 3;

/// The program that helped most, among those with at least `MIN_RATED` rated sessions and a
/// reduction above zero.
pub fn recommend(s: &Summary) -> Option<&ProgramSummary> {
    s.programs
        .iter()
        .filter(|p| p.rated >= MIN_RATED && p.mean_reduction > 0.0)
        .max_by(|a, b| a.mean_reduction.total_cmp(&b.mean_reduction))
}

/// The advice in words, with the numbers.
pub fn message(profile: &str, s: &Summary) -> String {
    match recommend(s) {
        Some(p) => format!(
            "for {profile}, {} helped most: pain {:.1} → {:.1} on average ({:.1} points less) over {} rated sessions",
            p.program, p.mean_before, p.mean_after, p.mean_reduction, p.rated
        ),
        None => format!(
            "not enough to go on yet for {profile}: rate the pain before and after at least {MIN_RATED} sessions of a program"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(program: &str, rated: u32, before: f64, after: f64) -> ProgramSummary {
        ProgramSummary {
            program: program.into(),
            sessions: rated + 1,
            minutes: 30 * rated,
            rated,
            mean_before: before,
            mean_after: after,
            mean_reduction: before - after,
        }
    }

    fn summary(programs: Vec<ProgramSummary>) -> Summary {
        Summary {
            sessions: 0,
            minutes: 0,
            days: 0,
            sessions_per_day: 0.0,
            programs,
        }
    }

    #[test]
    fn the_best_rated_program_with_enough_ratings_wins() {
        let s = summary(vec![
            p("low-back", 4, 7.0, 4.0),
            p("massage", 3, 6.0, 2.0),
            p("neck", 2, 8.0, 1.0),
        ]);
        assert_eq!(
            recommend(&s).unwrap().program,
            "massage",
            "neck has too few"
        );
        assert!(message("anna", &s).contains("massage helped most: pain 6.0 → 2.0"));
        let s = summary(vec![p("neck", 2, 8.0, 1.0), p("knee", 5, 5.0, 5.5)]);
        assert!(recommend(&s).is_none(), "too few ratings, or no reduction");
        assert!(message("anna", &s).contains("at least 3 sessions"));
    }
}
