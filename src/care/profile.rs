//! A person's profile: their language, their own intensity limit and electrode size (set by an
//! administrator), their preferred programs, the intensity they last settled on per program,
//! and their answers to the leaflet's contraindication questions with any doctor's approval.
//!
//! Pure data and rules; `store` keeps profiles on disk.

use super::placement::NOT_IN_PREGNANCY;
use crate::model::limits::ceiling;
use crate::text::TextError;
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

impl Profile {
    /// Every problem of a profile read from a file, each naming the key: texts with control
    /// characters or too long, an unknown language, answers that do not cover every question,
    /// values out of range. A profile with any problem is not served.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !valid_name(&self.name) {
            out.push(format!(
                "name = {} is not a profile name (1 to {MAX_NAME_LEN} of a-z, 0-9, - and _, starting with a letter)",
                crate::text::shown(&self.name)
            ));
        }
        if !LANGUAGES.contains(&self.language.as_str()) {
            out.push(format!(
                "language = {} (allowed: nl, en)",
                crate::text::shown(&self.language)
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
            if let Err(e) =
                crate::text::check(&format!("preferred_programs[{i}]"), id, MAX_PROGRAM_ID_LEN)
            {
                out.push(e.to_string());
            }
        }
        for (id, level) in &self.comfort {
            if let Err(e) = crate::text::check("comfort", id, MAX_PROGRAM_ID_LEN) {
                out.push(e.to_string());
            } else if level.iter().any(|&l| l > peak) {
                out.push(format!(
                    "comfort.{id} = {level:?} (allowed: 0..={peak} µA each)"
                ));
            }
        }
        use super::dose::{MINUTES_PER_DAY, MIN_GAP_MINUTES, SESSIONS_PER_DAY};
        use super::habituation::{EVERY_MINUTES, MARGIN_UA};
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
            if let Err(e) = crate::text::check("approval.by", &a.by, MAX_NAME_LEN) {
                out.push(e.to_string());
            }
            if let Err(e) = crate::text::check("approval.note", &a.note, MAX_NOTE_LEN) {
                out.push(e.to_string());
            }
        }
        out
    }
}

/// Whether `name` is a valid profile name: 1 to 32 of `a-z 0-9 - _`, starting with a letter.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= MAX_NAME_LEN
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// What new answers change, for the record and the permission check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningChange {
    /// Earlier "yes" answers now "no".
    pub cleared: Vec<String>,
    /// New "yes" answers.
    pub added: Vec<String>,
    /// Every "yes" of the new answers.
    pub yes: Vec<String>,
    /// Whether an earlier approval stays (the "yes" answers are the ones the doctor approved).
    pub approval_kept: bool,
}

impl ScreeningChange {
    /// The change in words, for the history.
    pub fn describe(&self) -> String {
        let mut s = format!("contraindication check: yes to [{}]", self.yes.join(", "));
        if !self.added.is_empty() {
            s += &format!("; added yes [{}]", self.added.join(", "));
        }
        if !self.cleared.is_empty() {
            s += &format!("; cleared yes [{}]", self.cleared.join(", "));
        }
        s
    }
}

impl Profile {
    /// Records new answers if `admin` may, or anyone may: the first answers, or answers that
    /// keep every earlier "yes" (adding a "yes" is always allowed). Clearing an earlier "yes"
    /// is for administrators only: it is what lets sessions start again. An approval stays
    /// only while the "yes" answers are exactly the ones approved. On refusal nothing changes.
    pub fn answer(&mut self, new: Screening, admin: bool) -> Result<ScreeningChange, AnswersError> {
        let old_yes: Vec<String> = self
            .screening
            .as_ref()
            .map(|s| s.yes().into_iter().map(String::from).collect())
            .unwrap_or_default();
        let yes: Vec<String> = new.yes().into_iter().map(String::from).collect();
        let cleared: Vec<String> = old_yes
            .iter()
            .filter(|q| !yes.contains(q))
            .cloned()
            .collect();
        let added: Vec<String> = yes
            .iter()
            .filter(|q| !old_yes.contains(q))
            .cloned()
            .collect();
        if !cleared.is_empty() && !admin {
            return Err(AnswersError::ClearsYes {
                profile: self.name.clone(),
                cleared,
            });
        }
        let approval_kept = self.approval.is_some() && cleared.is_empty() && added.is_empty();
        if !approval_kept {
            self.approval = None;
        }
        self.screening = Some(new);
        Ok(ScreeningChange {
            cleared,
            added,
            yes,
            approval_kept,
        })
    }
}

/// Why answers to the contraindication questions are refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswersError {
    #[error(
        "answers has {given} entries (allowed: at most {}, one per question)",
        QUESTIONS.len()
    )]
    TooMany { given: usize },
    #[error(transparent)]
    Text(#[from] TextError),
    /// A key that is not a question (cut to 32 characters).
    #[error("answers: {key:?} is not a question (questions: {})", question_ids().join(", "))]
    NotAQuestion { key: String },
    #[error("answers: every question needs an answer; missing: {}", .missing.join(", "))]
    Missing { missing: Vec<&'static str> },
    /// An earlier "yes" changed to "no" by someone who is not an administrator: the
    /// contraindication gate.
    #[error(
        "answers: profile {profile:?} answered yes to [{}] before; only an administrator may \
         change a \"yes\" to \"no\" (it is what allows sessions again)",
        .cleared.join(", ")
    )]
    ClearsYes {
        profile: String,
        cleared: Vec<String>,
    },
}

fn question_ids() -> Vec<&'static str> {
    QUESTIONS.iter().map(|q| q.0).collect()
}

/// Checks the keys of answers as a client sent them before anything else: no more than there
/// are questions, each a short text without control characters.
pub fn check_answer_keys<'a>(
    keys: impl ExactSizeIterator<Item = &'a str>,
) -> Result<(), AnswersError> {
    if keys.len() > QUESTIONS.len() {
        return Err(AnswersError::TooMany { given: keys.len() });
    }
    for k in keys {
        crate::text::check("answers", k, MAX_ANSWER_KEY_LEN)?;
    }
    Ok(())
}

/// Longest answer key looked at.
const MAX_ANSWER_KEY_LEN: usize = 64;

/// Answers for every question, checked: each must be present, nothing else.
pub fn screening(answers: &BTreeMap<String, bool>, date: i64) -> Result<Screening, AnswersError> {
    let ids = question_ids();
    if let Some(k) = answers.keys().find(|k| !ids.contains(&k.as_str())) {
        return Err(AnswersError::NotAQuestion {
            key: k.chars().take(32).collect(),
        });
    }
    let missing: Vec<&'static str> = ids
        .iter()
        .copied()
        .filter(|id| !answers.contains_key(*id))
        .collect();
    if !missing.is_empty() {
        return Err(AnswersError::Missing { missing });
    }
    Ok(Screening {
        date,
        answers: answers.clone(),
    })
}

/// The contraindication questions in `language` (`nl`, `en`): (id, question); `None` for
/// another language.
pub fn questions(language: &str) -> Option<Vec<(&'static str, &'static str)>> {
    let nl = match language {
        "nl" => true,
        "en" => false,
        _ => return None,
    };
    Some(
        QUESTIONS
            .iter()
            .map(|(id, en, nl_text)| (*id, if nl { *nl_text } else { *en }))
            .collect(),
    )
}

/// Why an approval is refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("profile {profile:?} has no \"yes\" answer to approve")]
    NothingToApprove { profile: String },
}

impl Profile {
    /// Records a doctor's approval of use despite the "yes" answers, by `by` (an
    /// administrator: the caller checks), dated `date`. Returns the approved answers, joined.
    pub fn approve(&mut self, date: i64, by: &str, note: &str) -> Result<String, ApprovalError> {
        let yes = self
            .screening
            .as_ref()
            .map(|s| s.yes().join(", "))
            .unwrap_or_default();
        if yes.is_empty() {
            return Err(ApprovalError::NothingToApprove {
                profile: self.name.clone(),
            });
        }
        self.approval = Some(Approval {
            date,
            by: by.into(),
            note: note.into(),
        });
        Ok(yes)
    }
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
        assert!(screening(&a, 1)
            .unwrap_err()
            .to_string()
            .contains("missing: skin"));
        let mut a = answers(&[]);
        a.insert("diabetes".into(), false);
        assert!(screening(&a, 1)
            .unwrap_err()
            .to_string()
            .contains("\"diabetes\" is not a question"));
    }

    #[test]
    fn only_an_administrator_may_clear_a_yes() {
        let mut p = Profile::new("anna", "nl");
        let at = |yes: &[&str]| screening(&answers(yes), 1).unwrap();
        // First answers and added yeses: anyone.
        p.answer(at(&["implant"]), false).unwrap();
        let c = p.answer(at(&["implant", "pregnancy"]), false).unwrap();
        assert_eq!(c.added, ["pregnancy"]);
        // Clearing one: refused, nothing changes.
        let before = p.clone();
        let e = p.answer(at(&["pregnancy"]), false).unwrap_err().to_string();
        assert!(e.contains("implant") && e.contains("administrator"), "{e}");
        assert_eq!(p, before);
        assert!(p.contraindication("neck").is_some());
        // An approval stays while the yeses are the approved ones; a new yes clears it.
        p.approval = Some(Approval {
            date: 2,
            by: "uid:0".into(),
            note: "dr. J".into(),
        });
        assert!(
            p.answer(at(&["implant", "pregnancy"]), false)
                .unwrap()
                .approval_kept
        );
        assert!(p.approval.is_some());
        let c = p
            .answer(at(&["implant", "pregnancy", "skin"]), false)
            .unwrap();
        assert!(!c.approval_kept && p.approval.is_none());
        // An administrator may clear them.
        let c = p.answer(at(&[]), true).unwrap();
        assert_eq!(c.cleared, ["implant", "pregnancy", "skin"]);
        assert!(c
            .describe()
            .contains("cleared yes [implant, pregnancy, skin]"));
        assert_eq!(p.contraindication("neck"), None);
    }

    #[test]
    fn a_profile_file_with_control_characters_or_gaps_has_problems() {
        let mut p = Profile::new("anna", "nl");
        assert!(p.problems().is_empty());
        p.screening = Some(Screening {
            date: 1,
            answers: BTreeMap::new(),
        });
        p.approval = Some(Approval {
            date: 2,
            by: "uid:0".into(),
            note: "dr.\u{0} X".into(),
        });
        p.language = "e\u{1b}n".into();
        let all = p.problems().join("\n");
        assert!(
            all.contains("screening.answers: every question needs an answer"),
            "{all}"
        );
        assert!(
            all.contains("approval.note = \"dr.\\0 X\" contains U+0000"),
            "{all}"
        );
        assert!(all.contains("language = \"e\\u{1b}n\""), "{all}");
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
