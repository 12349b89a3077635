//! Checking a profile read from a file: every problem, each naming its key. A profile with
//! any problem is not served (the store reports it damaged).

use super::{screening, valid_name, Profile, LANGUAGES, MAX_NAME_LEN, MAX_NOTE_LEN};
use super::{MAX_PREFERRED, MAX_PROGRAM_ID_LEN};
use crate::model::limits::ceiling;

impl Profile {
    /// Every problem of a profile read from a file, each naming the key: texts with control
    /// characters or too long, an unknown language, answers that do not cover every question,
    /// values out of range. A profile with any problem is not served.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !valid_name(&self.name) {
            out.push(format!(
                "name = {} is not a profile name (1 to {MAX_NAME_LEN} of a-z, 0-9, - and _, starting with a letter)",
                crate::model::text::shown(&self.name)
            ));
        }
        if !LANGUAGES.contains(&self.language.as_str()) {
            out.push(format!(
                "language = {} (allowed: nl, en)",
                crate::model::text::shown(&self.language)
            ));
        }
        let peak = ceiling::PEAK_CURRENT.0;
        if self.max_intensity_ua.iter().any(|&m| m > peak) {
            out.push(format!(
                "max_intensity_ua = {:?} (allowed: 0..={peak} µA each)",
                self.max_intensity_ua
            ));
        }
        let a = self.electrode_area_cm2;
        if !(a == 0.0 || (1.0..=400.0).contains(&a)) {
            out.push(format!("electrode_area_cm2 = {a} (allowed: 0 or 1..=400)"));
        }
        if self.preferred_programs.len() > MAX_PREFERRED {
            out.push(format!(
                "preferred_programs has {} entries (allowed: at most {MAX_PREFERRED})",
                self.preferred_programs.len()
            ));
        }
        for (i, id) in self.preferred_programs.iter().enumerate() {
            if let Err(e) = crate::model::text::check(
                &format!("preferred_programs[{i}]"),
                id,
                MAX_PROGRAM_ID_LEN,
            ) {
                out.push(e.to_string());
            }
        }
        for (id, level) in &self.comfort {
            if let Err(e) = crate::model::text::check("comfort", id, MAX_PROGRAM_ID_LEN) {
                out.push(e.to_string());
            } else if level.iter().any(|&l| l > peak) {
                out.push(format!(
                    "comfort.{id} = {level:?} (allowed: 0..={peak} µA each)"
                ));
            }
        }
        use crate::care::dose::{
            COUNTS_AFTER_MINUTES, MINUTES_PER_DAY, MIN_GAP_MINUTES, SESSIONS_PER_DAY,
        };
        use crate::care::habituation::{EVERY_MINUTES, MARGIN_UA};
        for (key, v, range) in [
            (
                "dose.sessions_per_day",
                self.dose.sessions_per_day,
                SESSIONS_PER_DAY,
            ),
            (
                "dose.minutes_per_day",
                self.dose.minutes_per_day,
                MINUTES_PER_DAY,
            ),
            (
                "dose.min_gap_minutes",
                self.dose.min_gap_minutes,
                MIN_GAP_MINUTES,
            ),
            (
                "dose.counts_after_minutes",
                self.dose.counts_after_minutes,
                COUNTS_AFTER_MINUTES,
            ),
            (
                "habituation.every_minutes",
                self.habituation.every_minutes,
                EVERY_MINUTES,
            ),
            (
                "habituation.margin_ua",
                self.habituation.margin_ua,
                MARGIN_UA,
            ),
        ] {
            if !range.contains(&v) {
                out.push(format!(
                    "{key} = {v} is out of range (allowed: {}..={})",
                    range.start(),
                    range.end()
                ));
            }
        }
        if let Some(s) = &self.screening {
            if let Err(e) = screening(&s.answers, s.date) {
                out.push(format!("screening.{e}"));
            }
        }
        if let Some(a) = &self.approval {
            if let Err(e) = crate::model::text::check("approval.by", &a.by, MAX_NAME_LEN) {
                out.push(e.to_string());
            }
            if let Err(e) = crate::model::text::check("approval.note", &a.note, MAX_NOTE_LEN) {
                out.push(e.to_string());
            }
        }
        out
    }
}
