//! The leaflet's contraindication questions, a person's answers to them and a doctor's
//! approval: who may record or change answers, and what a change means for the approval.

use super::{Profile, LANGUAGES};
use crate::model::text::TextError;
use crate::texts::{Lang, Text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The leaflet's contraindication questions, by id; their words are the catalogues'
/// `question.<id>` (`i18n/<lang>/stimd.ftl`).
pub const QUESTIONS: [&str; 5] = ["implant", "epilepsy", "pregnancy", "heart_disease", "skin"];

/// The answers, and when they were given (Unix seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    /// When they were given (Unix seconds).
    pub date: i64,
    /// Question id → the answer (true = yes); one for each of [`QUESTIONS`].
    pub answers: BTreeMap<String, bool>,
}

impl Screening {
    /// The questions answered "yes".
    pub fn yes(&self) -> Vec<&str> {
        QUESTIONS
            .iter()
            .copied()
            .filter(|id| self.answers.get(*id) == Some(&true))
            .collect()
    }
}

/// A doctor's approval of use despite a "yes", as an administrator recorded it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// When it was recorded (Unix seconds).
    pub date: i64,
    /// Who recorded it (`uid:<n>`).
    pub by: String,
    /// The administrator's note: which doctor, when (at most `MAX_NOTE_LEN` characters).
    pub note: String,
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
    /// The change in words, for the history, saying when the answers now need a doctor's
    /// approval.
    pub fn describe(&self) -> String {
        let mut s = format!("contraindication check: yes to [{}]", self.yes.join(", "));
        if !self.added.is_empty() {
            s += &format!("; added yes [{}]", self.added.join(", "));
        }
        if !self.cleared.is_empty() {
            s += &format!("; cleared yes [{}]", self.cleared.join(", "));
        }
        if !self.approval_kept && !self.yes.is_empty() {
            s += "; needs a doctor's approval";
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
    /// More answers than there are questions.
    #[error(
        "answers has {given} entries (allowed: at most {}, one per question)",
        QUESTIONS.len()
    )]
    TooMany {
        /// How many answers were sent.
        given: usize,
    },
    /// A key too long or with control characters.
    #[error(transparent)]
    Text(#[from] TextError),
    /// A key that is not a question.
    #[error("answers: {key:?} is not a question (questions: {})", question_ids().join(", "))]
    NotAQuestion {
        /// The key, cut to 32 characters.
        key: String,
    },
    /// Not every question is answered.
    #[error("answers: every question needs an answer; missing: {}", .missing.join(", "))]
    Missing {
        /// The ids of the questions without an answer.
        missing: Vec<&'static str>,
    },
    /// An earlier "yes" changed to "no" by someone who is not an administrator: the
    /// contraindication gate.
    #[error(
        "answers: profile {profile:?} answered yes to [{}] before; only an administrator may \
         change a \"yes\" to \"no\" (it is what allows sessions again)",
        .cleared.join(", ")
    )]
    ClearsYes {
        /// The profile's name.
        profile: String,
        /// The questions whose "yes" would have been cleared.
        cleared: Vec<String>,
    },
}

fn question_ids() -> Vec<&'static str> {
    QUESTIONS.to_vec()
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
        crate::model::text::check("answers", k, MAX_ANSWER_KEY_LEN)?;
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

/// The contraindication questions in `language` (`nl`, `en`): (id, question); refused for
/// another language.
pub fn questions(language: &str) -> Result<Vec<(&'static str, String)>, LanguageError> {
    let Some(lang) = Lang::parse(language) else {
        return Err(LanguageError {
            language: language.chars().take(MAX_LANGUAGE_SHOWN).collect(),
        });
    };
    Ok(QUESTIONS
        .iter()
        .map(|id| (*id, question(id).render_in(lang)))
        .collect())
}

/// Question `id` as a text (`question.<id>`).
fn question(id: &str) -> Text {
    Text::new(match id {
        "implant" => "question.implant",
        "epilepsy" => "question.epilepsy",
        "pregnancy" => "question.pregnancy",
        "heart_disease" => "question.heart_disease",
        _ => "question.skin",
    })
}

/// Most characters of an unknown language quoted in [`LanguageError`].
const MAX_LANGUAGE_SHOWN: usize = 8;

/// A language the questions are not written in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("language = {language:?} (allowed: {})", LANGUAGES.join(", "))]
pub struct LanguageError {
    /// The language asked for, cut to its first 8 characters.
    pub language: String,
}

/// Why an approval is refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// The profile answered no "yes" (or has not answered yet): there is nothing to approve.
    #[error("profile {profile:?} has no \"yes\" answer to approve")]
    NothingToApprove {
        /// The profile's name.
        profile: String,
    },
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
