//! A person's profile: their language, their own intensity limit and electrode size (set by an
//! administrator), their preferred programs, the intensity they last settled on per program,
//! and their answers to the leaflet's contraindication questions with any doctor's approval.
//!
//! Pure data and rules; `store` keeps profiles on disk.

use super::placement::NOT_IN_PREGNANCY;
use crate::safety::limits::ceiling;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The leaflet's contraindication questions: (id, English, Dutch).
pub const QUESTIONS: [(&str, &str, &str); 5] = [
    (
        "implant",
        "Do you have a pacemaker, a defibrillator or another electronic implant?",
        "Heeft u een pacemaker, een defibrillator of een ander elektronisch implantaat?",
    ),
    ("epilepsy", "Do you have epilepsy?", "Heeft u epilepsie?"),
    ("pregnancy", "Are you pregnant?", "Bent u zwanger?"),
    (
        "heart_disease",
        "Do you have a heart condition?",
        "Heeft u een hartaandoening?",
    ),
    (
        "skin",
        "Is the skin where the pads go broken, irritated or numb?",
        "Is de huid waar de elektroden komen beschadigd, geïrriteerd of gevoelloos?",
    ),
];

/// Longest profile name.
pub const MAX_NAME_LEN: usize = 32;

/// The answers, and when they were given (Unix seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    pub date: i64,
    pub answers: BTreeMap<String, bool>,
}

impl Screening {
    /// The questions answered "yes".
    pub fn yes(&self) -> Vec<&str> {
        QUESTIONS
            .iter()
            .map(|q| q.0)
            .filter(|id| self.answers.get(*id) == Some(&true))
            .collect()
    }
}

/// A doctor's approval of use despite a "yes", as an administrator recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub date: i64,
    /// Who recorded it (`uid:<n>`).
    pub by: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
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
    #[serde(default)]
    pub preferred_programs: Vec<String>,
    /// The intensity they last settled on, per program, µA per channel.
    #[serde(default)]
    pub comfort: BTreeMap<String, [u32; ceiling::CHANNELS]>,
    /// Sessions and minutes a day, and the gap between sessions.
    #[serde(default)]
    pub dose: super::dose::Dose,
    /// Opt-in: raise the target a step every few minutes against habituation.
    #[serde(default)]
    pub habituation: super::habituation::HabituationSettings,
    #[serde(default)]
    pub screening: Option<Screening>,
    #[serde(default)]
    pub approval: Option<Approval>,
}

impl Profile {
    pub fn new(name: &str, language: &str) -> Profile {
        Profile {
            name: name.into(),
            language: language.into(),
            max_intensity_ua: [0; ceiling::CHANNELS],
            electrode_area_cm2: 0.0,
            preferred_programs: Vec::new(),
            comfort: BTreeMap::new(),
            dose: super::dose::Dose::default(),
            habituation: Default::default(),
            screening: None,
            approval: None,
        }
    }

    /// Why this profile may not start a session at `placement` ("" = not given), if so.
    pub fn contraindication(&self, placement: &str) -> Option<String> {
        let n = &self.name;
        let Some(s) = &self.screening else {
            return Some(format!(
                "profile {n:?} has not answered the contraindication questions yet \
                 (stimctl check --profile {n})"
            ));
        };
        let yes = s.yes();
        if !yes.is_empty() && self.approval.is_none() {
            return Some(format!(
                "profile {n:?} answered yes to: {}; a doctor must approve use first, and an \
                 administrator must record that approval",
                yes.join(", ")
            ));
        }
        if yes.contains(&"pregnancy") {
            if placement.is_empty() {
                return Some(format!(
                    "profile {n:?} is pregnant: name the placement (not {})",
                    NOT_IN_PREGNANCY.join(" or ")
                ));
            }
            if NOT_IN_PREGNANCY.contains(&placement) {
                return Some(format!(
                    "placement = {placement:?} is not allowed during pregnancy (not {})",
                    NOT_IN_PREGNANCY.join(" or ")
                ));
            }
        }
        None
    }
}

/// Whether `name` is a valid profile name: 1 to 32 of `a-z 0-9 - _`, starting with a letter.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= MAX_NAME_LEN
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Answers for every question, checked: each must be present, nothing else.
pub fn screening(answers: &BTreeMap<String, bool>, date: i64) -> Result<Screening, String> {
    let ids: Vec<&str> = QUESTIONS.iter().map(|q| q.0).collect();
    if let Some(k) = answers.keys().find(|k| !ids.contains(&k.as_str())) {
        return Err(format!(
            "answers: {:?} is not a question (questions: {})",
            k.chars().take(32).collect::<String>(),
            ids.join(", ")
        ));
    }
    let missing: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !answers.contains_key(*id))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "answers: every question needs an answer; missing: {}",
            missing.join(", ")
        ));
    }
    Ok(Screening {
        date,
        answers: answers.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(yes: &[&str]) -> BTreeMap<String, bool> {
        QUESTIONS
            .iter()
            .map(|q| (q.0.to_string(), yes.contains(&q.0)))
            .collect()
    }

    #[test]
    fn every_contraindication_refuses_until_approved() {
        let mut p = Profile::new("anna", "nl");
        assert!(p
            .contraindication("neck")
            .unwrap()
            .contains("stimctl check"));
        p.screening = Some(screening(&answers(&[]), 1).unwrap());
        assert_eq!(p.contraindication("neck"), None);
        for (q, _, _) in QUESTIONS {
            p.screening = Some(screening(&answers(&[q]), 1).unwrap());
            p.approval = None;
            let why = p.contraindication("neck").expect(q);
            assert!(why.contains(q) && why.contains("doctor"), "{why}");
            p.approval = Some(Approval {
                date: 2,
                by: "uid:0".into(),
                note: "dr. Jansen".into(),
            });
            if q != "pregnancy" {
                assert_eq!(p.contraindication("neck"), None, "{q}");
            }
        }
    }

    #[test]
    fn pregnancy_forbids_the_abdomen_and_low_back_even_when_approved() {
        let mut p = Profile::new("anna", "nl");
        p.screening = Some(screening(&answers(&["pregnancy"]), 1).unwrap());
        p.approval = Some(Approval {
            date: 2,
            by: "uid:0".into(),
            note: String::new(),
        });
        assert_eq!(p.contraindication("neck"), None);
        for pl in ["abdomen", "low back", ""] {
            assert!(p.contraindication(pl).unwrap().contains("pregnan"), "{pl}");
        }
    }

    #[test]
    fn answers_must_cover_every_question_and_nothing_else() {
        let mut a = answers(&[]);
        a.remove("skin");
        assert!(screening(&a, 1).unwrap_err().contains("missing: skin"));
        let mut a = answers(&[]);
        a.insert("diabetes".into(), false);
        assert!(screening(&a, 1)
            .unwrap_err()
            .contains("\"diabetes\" is not a question"));
    }

    #[test]
    fn names() {
        for ok in ["default", "anna", "p-2_b"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "Anna", "2nd", "a b", "../x", &"a".repeat(33)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
