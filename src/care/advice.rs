//! What works for whom: from a person's rated sessions, the program with the largest mean pain
//! reduction — once every program compared has enough rated sessions to say so.

use crate::history::{ProgramSummary, Summary};
use crate::texts::Text;

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

/// The advice as a text (`advice.best` or `advice.not_enough`), with the numbers.
pub fn text(profile: &str, s: &Summary) -> Text {
    match recommend(s) {
        Some(p) => Text::new("advice.best")
            .arg("profile", profile)
            .arg("program", p.program.as_str())
            .arg("before", p.mean_before)
            .arg("after", p.mean_after)
            .arg("reduction", p.mean_reduction)
            .arg("rated", p.rated),
        None => Text::new("advice.not_enough")
            .arg("profile", profile)
            .arg("min", MIN_RATED),
    }
}

/// The advice in words, in the device's language.
pub fn message(profile: &str, s: &Summary) -> String {
    text(profile, s).render()
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
