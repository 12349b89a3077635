//! A person's profile: their language, their own intensity limit and electrode size (set by an
//! administrator), their preferred programs, the intensity they last settled on per program,
//! and their answers to the leaflet's contraindication questions with any doctor's approval.
//!
//! Pure data and rules; `store` keeps profiles on disk. `screening` holds the contraindication questions, the answers and approvals; `problems`
//! checks a profile read from a file.

mod problems;
mod screening;

pub use screening::{
    check_answer_keys, questions, screening, AnswersError, Approval, ApprovalError, LanguageError,
    Screening, ScreeningChange, QUESTIONS,
};

use super::placement::NOT_IN_PREGNANCY;
use crate::model::limits::ceiling;
use crate::model::text::TextError;
use crate::texts::Text;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The languages a profile may have.
pub const LANGUAGES: [&str; 2] = ["nl", "en"];

/// Longest profile name.
pub const MAX_NAME_LEN: usize = 32;
/// Longest approval note (one line: who approved, when).
pub const MAX_NOTE_LEN: usize = 200;
/// Longest program id a profile names (as `program::text`).
const MAX_PROGRAM_ID_LEN: usize = 64;
/// Most preferred programs a profile lists.
pub const MAX_PREFERRED: usize = 10;
/// Longest profile name accepted as an argument before the name rules are applied (profile
/// names are at most [`MAX_NAME_LEN`] characters; a longer one is refused with its rules).
const MAX_NAME_ARG_LEN: usize = 64;

/// One person's profile, as stored in `<state dir>/profiles/<name>.toml`. The store checks a
/// file's values when it loads it ([`Profile::problems`]); the settings table checks a
/// client's changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The profile's name, also its file name: see [`valid_name`].
    pub name: String,
    /// `nl` or `en`.
    pub language: String,
    /// The person's own maximum per channel, µA; 0 = the device's limits only.
    #[serde(default)]
    pub max_intensity_ua: [u32; ceiling::CHANNELS],
    /// Area of the smallest electrode this person uses, cm²; 0 = the device's setting. It can
    /// only lower the current-density limit, never raise it.
    #[serde(default)]
    pub electrode_area_cm2: f64,
    /// Ids of the programs this person prefers, listed first (at most [`MAX_PREFERRED`]).
    #[serde(default)]
    pub preferred_programs: Vec<String>,
    /// The intensity they last settled on, per program, µA per channel.
    #[serde(default)]
    pub comfort: BTreeMap<String, [u32; ceiling::CHANNELS]>,
    /// Sessions and minutes a day, and the gap between sessions.
    #[serde(default)]
    pub dose: crate::care::dose::Dose,
    /// Opt-in: raise the target a step every few minutes against habituation.
    #[serde(default)]
    pub habituation: crate::care::habituation::HabituationSettings,
    /// Their answers to the contraindication questions; `None` until answered (sessions are
    /// refused until then).
    #[serde(default)]
    pub screening: Option<Screening>,
    /// A doctor's approval of use despite a "yes", while the "yes" answers stay the approved
    /// ones.
    #[serde(default)]
    pub approval: Option<Approval>,
}

impl Profile {
    /// A profile `name` in `language` with the device's limits only, the leaflet's dose, no
    /// habituation and no answers yet (so no session until the questions are answered).
    pub fn new(name: &str, language: &str) -> Profile {
        Profile {
            name: name.into(),
            language: language.into(),
            max_intensity_ua: [0; ceiling::CHANNELS],
            electrode_area_cm2: 0.0,
            preferred_programs: Vec::new(),
            comfort: BTreeMap::new(),
            dose: crate::care::dose::Dose::default(),
            habituation: Default::default(),
            screening: None,
            approval: None,
        }
    }

    /// Why this profile may not start a session at `placement` ("" = not given), if so.
    pub fn contraindication(&self, placement: &str) -> Option<Text> {
        let t = |code| Text::new(code).quoted("profile", &self.name);
        let Some(s) = &self.screening else {
            return Some(t("contraindication.unanswered").arg("name", self.name.as_str()));
        };
        let yes = s.yes();
        if !yes.is_empty() && self.approval.is_none() {
            return Some(t("contraindication.needs_approval").arg("answers", &yes[..]));
        }
        if yes.contains(&"pregnancy") {
            let not = NOT_IN_PREGNANCY.map(String::from);
            if placement.is_empty() {
                return Some(t("contraindication.pregnant_name_placement").sites("not", &not));
            }
            if NOT_IN_PREGNANCY.contains(&placement) {
                return Some(
                    Text::new("contraindication.pregnancy_placement")
                        .site("placement", placement)
                        .sites("not", &not),
                );
            }
        }
        None
    }
}

impl Profile {
    /// What the history records when this profile is created: the limits it starts with.
    pub fn created_record(&self) -> String {
        format!(
            "created (max_intensity_ua {:?}, electrode_area_cm2 {})",
            self.max_intensity_ua, self.electrode_area_cm2
        )
    }

    /// What the history records when a change touched this person's limits: every limit as
    /// it now is (intensity, electrode area, dose, habituation).
    pub fn limits_record(&self) -> String {
        format!(
            "limits: max_intensity_ua {:?}, electrode_area_cm2 {}, {:?}, {:?}",
            self.max_intensity_ua, self.electrode_area_cm2, self.dose, self.habituation
        )
    }
}

/// Checks a profile name as a client sent it, before anything else: a bounded length and no
/// control characters. Whether it is a valid name is the store's rule ([`valid_name`]).
pub fn check_name_arg(name: &str) -> Result<(), TextError> {
    crate::model::text::check("name", name, MAX_NAME_ARG_LEN)
}

/// Checks an approval note as a client sent it: at most [`MAX_NOTE_LEN`] characters, no
/// control characters.
pub fn check_note(note: &str) -> Result<(), TextError> {
    crate::model::text::check("note", note, MAX_NOTE_LEN)
}

/// Whether `name` is a valid profile name: 1 to 32 of `a-z 0-9 - _`, starting with a letter.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= MAX_NAME_LEN
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests;
