//! The care side's refusals as texts (`crate::texts`): a stable code per kind, the values a
//! client needs as arguments, and the English description as `detail`.

use super::profile::{AnswersError, ApprovalError, MAX_PREFERRED, QUESTIONS};
use super::settings::SettingError;
use super::store::{StoreError, MAX_PROFILES};
use crate::model::text::TextError;
use crate::texts::Text;

/// A text refused for its length or characters.
pub fn text_error(e: &TextError) -> Text {
    match e {
        TextError::TooLong {
            key,
            shown,
            max_chars,
        } => Text::new("text.too_long")
            .arg("key", key.as_str())
            .arg("value", shown.as_str())
            .arg("max", *max_chars),
        TextError::Refused {
            key,
            shown,
            at,
            refused,
            max_chars,
        } => Text::new("text.refused_character")
            .arg("key", key.as_str())
            .arg("value", shown.as_str())
            .arg("character", format!("U+{:04X}", u32::from(*refused)))
            .arg("at", *at)
            .arg("max", *max_chars),
    }
}

impl StoreError {
    /// The refusal as a text.
    pub fn text(&self) -> Text {
        let detail = self.to_string();
        let t = |code| Text::new(code).arg("detail", detail.as_str());
        match self {
            StoreError::BadName(n) => t("profile.bad_name").quoted("name", n),
            StoreError::Exists(n) => t("profile.exists").quoted("name", n),
            StoreError::Unknown { name, known } => t("profile.unknown")
                .quoted("name", name)
                .arg("known", known.as_str()),
            StoreError::Damaged { name, why } => t("profile.damaged")
                .quoted("name", name)
                .arg("why", why.as_str()),
            StoreError::Full { count } => t("profile.full")
                .arg("count", *count)
                .arg("max", MAX_PROFILES),
            StoreError::DefaultStays => t("profile.default_stays"),
            StoreError::Setting(e) => setting(e),
            StoreError::Answers(e) => answers(e),
            StoreError::Approval(ApprovalError::NothingToApprove { profile }) => {
                t("approval.nothing_to_approve").quoted("profile", profile)
            }
            StoreError::Serialize { name, .. } => {
                t("profile.not_serialisable").quoted("name", name)
            }
            StoreError::Write { name, .. } => t("profile.not_stored").quoted("name", name),
            StoreError::Remove { name, .. } => t("profile.not_removed").quoted("name", name),
        }
    }
}

/// Refused settings as a text.
pub fn setting(e: &SettingError) -> Text {
    let t = |code| Text::new(code).arg("detail", e.to_string());
    let keys: Vec<String> = super::settings::SETTINGS
        .iter()
        .map(|s| s.key.to_string())
        .collect();
    match e {
        SettingError::TooMany { given } => t("setting.too_many")
            .arg("given", *given)
            .arg("max", keys.len())
            .arg("keys", keys),
        SettingError::Unknown { key } => t("setting.unknown").quoted("key", key).arg("keys", keys),
        SettingError::TooLong {
            key, given, max, ..
        } => t("setting.too_long")
            .arg("key", *key)
            .arg("given", *given)
            .arg("max", *max),
        SettingError::Text(e) => text_error(e),
        SettingError::WrongType { key, expected } => t("setting.wrong_type")
            .arg("key", *key)
            .arg("expected", expected.signature()),
        SettingError::NotAllowed { key, value, .. } => t("setting.not_allowed")
            .arg("key", *key)
            .arg("value", value.as_str()),
        SettingError::OutOfRange { key, value, range } => t("setting.out_of_range")
            .arg("key", *key)
            .arg("value", *value)
            .arg("min", *range.start())
            .arg("max", *range.end()),
        SettingError::TooManyPrograms { given } => t("setting.too_many_programs")
            .arg("given", *given)
            .arg("max", MAX_PREFERRED),
        SettingError::NoSuchProgram { id } => t("setting.no_such_program").quoted("program", id),
    }
}

/// Refused answers as a text.
pub fn answers(e: &AnswersError) -> Text {
    let t = |code| Text::new(code).arg("detail", e.to_string());
    match e {
        AnswersError::TooMany { given } => t("answers.too_many")
            .arg("given", *given)
            .arg("max", QUESTIONS.len()),
        AnswersError::Text(e) => text_error(e),
        AnswersError::NotAQuestion { key } => t("answers.not_a_question").quoted("key", key).arg(
            "questions",
            QUESTIONS.iter().map(|q| q.to_string()).collect::<Vec<_>>(),
        ),
        AnswersError::Missing { missing } => t("answers.missing").arg("missing", &missing[..]),
        AnswersError::ClearsYes { profile, cleared } => t("answers.clears_yes")
            .quoted("profile", profile)
            .arg("cleared", cleared.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::care::settings::SettingType;
    use crate::texts::Lang;

    /// The English text made from the code and arguments is the error's own description,
    /// word for word: clients that matched English messages see the same.
    #[test]
    fn the_english_texts_are_the_errors_own_words() {
        let text = crate::model::text::check("name", "a\u{1b}b", 32).unwrap_err();
        let long = crate::model::text::check("note", &"x".repeat(300), 200).unwrap_err();
        let settings = [
            SettingError::TooMany { given: 12 },
            SettingError::Unknown {
                key: "bo\u{1}gus".into(),
            },
            SettingError::WrongType {
                key: "electrode_area_cm2",
                expected: SettingType::F64,
            },
            SettingError::OutOfRange {
                key: "sessions_per_day",
                value: 99,
                range: 0..=24,
            },
            SettingError::TooManyPrograms { given: 11 },
            SettingError::NoSuchProgram { id: "nope".into() },
            SettingError::Text(text.clone()),
        ];
        for e in &settings {
            assert_eq!(setting(e).render_in(Lang::En), e.to_string());
        }
        for e in [&text, &long] {
            assert_eq!(text_error(e).render_in(Lang::En), e.to_string());
        }
        let answers = [
            AnswersError::TooMany { given: 9 },
            AnswersError::NotAQuestion {
                key: "diabetes".into(),
            },
            AnswersError::Missing {
                missing: vec!["skin", "implant"],
            },
            AnswersError::ClearsYes {
                profile: "oma".into(),
                cleared: vec!["epilepsy".into()],
            },
        ];
        for e in &answers {
            assert_eq!(answers_text(e).render_in(Lang::En), e.to_string());
        }
        let store = [
            StoreError::BadName("9x".into()),
            StoreError::Exists("oma".into()),
            StoreError::Unknown {
                name: "lou".into(),
                known: "default, oma".into(),
            },
            StoreError::Full { count: 16 },
            StoreError::DefaultStays,
            StoreError::Approval(ApprovalError::NothingToApprove {
                profile: "oma".into(),
            }),
        ];
        for e in &store {
            let t = e.text();
            assert_eq!(t.render_in(Lang::En), e.to_string());
            assert!(!t.render_in(Lang::Nl).is_empty());
        }
        assert_eq!(
            StoreError::Exists("oma".into()).text().render_in(Lang::Nl),
            "profiel \"oma\" bestaat al; gebruik Update"
        );
    }

    fn answers_text(e: &AnswersError) -> Text {
        answers(e)
    }
}
