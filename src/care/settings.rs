//! The settings of a profile that `Profiles.Create` and `Profiles.Update` take: one table of
//! keys, each with its type, its allowed values and whether only an administrator may set it
//! (the keys that change a person's limits); checking and applying values to a profile.
//!
//! Values arrive as [`SettingValue`]s (the D-Bus edge translates `a{sv}`); nothing here knows
//! about D-Bus. A change is checked whole and applied whole: on any error nothing changes.

use super::admin::{self, Action, AdminOnly};
use super::dose::{MINUTES_PER_DAY, MIN_GAP_MINUTES, SESSIONS_PER_DAY};
use super::habituation::{EVERY_MINUTES, MARGIN_UA};
use super::profile::{Profile, LANGUAGES, MAX_PREFERRED};
use crate::model::limits::ceiling::CHANNELS;
use crate::text::{shown, TextError};
use std::ops::RangeInclusive;

/// Longest program id a profile may prefer (as `program::text`).
const MAX_PROGRAM_ID_LEN: usize = 64;
/// Longest language text looked at.
const MAX_LANGUAGE_LEN: usize = 8;
/// The longest list any setting takes: a longer one is not copied at the edge, only its
/// length is passed ([`SettingValue::List`]).
pub const MAX_LIST_LEN: usize = if MAX_PREFERRED > CHANNELS {
    MAX_PREFERRED
} else {
    CHANNELS
};

/// A setting's value as a client sent it.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    Bool(bool),
    U32(u32),
    F64(f64),
    Text(String),
    U32s(Vec<u32>),
    Texts(Vec<String>),
    /// A list of another type, or longer than [`MAX_LIST_LEN`]: only its length.
    List(usize),
    /// A value of any other type.
    Other,
}

impl SettingValue {
    /// The number of values of a list, if it is one.
    fn list_len(&self) -> Option<usize> {
        match self {
            SettingValue::U32s(v) => Some(v.len()),
            SettingValue::Texts(v) => Some(v.len()),
            SettingValue::List(n) => Some(*n),
            _ => None,
        }
    }

    fn is(&self, ty: SettingType) -> bool {
        matches!(
            (self, ty),
            (SettingValue::Bool(_), SettingType::Bool)
                | (SettingValue::U32(_), SettingType::U32)
                | (SettingValue::F64(_), SettingType::F64)
                | (SettingValue::Text(_), SettingType::Text)
                | (SettingValue::U32s(_), SettingType::U32s)
                | (SettingValue::Texts(_), SettingType::Texts)
        )
    }
}

/// The type a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingType {
    Bool,
    U32,
    F64,
    Text,
    U32s,
    Texts,
}

impl SettingType {
    /// The D-Bus signature of the type, as messages name it (`b`, `u`, `d`, `s`, `au`, `as`).
    pub fn signature(self) -> &'static str {
        match self {
            SettingType::Bool => "b",
            SettingType::U32 => "u",
            SettingType::F64 => "d",
            SettingType::Text => "s",
            SettingType::U32s => "au",
            SettingType::Texts => "as",
        }
    }
}

/// What values a setting allows, beyond its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Allowed {
    /// Any value of the type.
    Any,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// One value per channel, each at most the device's peak current (µA; 0 = the device's
    /// limits only).
    PerChannel,
    /// 0 (the device's setting) or 1..=400 cm².
    Area,
    /// At most [`MAX_PREFERRED`] ids of programs that exist.
    Programs,
    /// An integer in this range.
    Within(RangeInclusive<u32>),
}

/// One setting: its key, type and allowed values, who may set it, and where it lives in a
/// profile.
pub struct Setting {
    pub key: &'static str,
    pub ty: SettingType,
    pub allowed: Allowed,
    /// Only root and administrators may set it: it changes a person's limits.
    pub admin_only: bool,
    get: fn(&Profile) -> SettingValue,
    /// Stores a value already checked against `ty` and `allowed`.
    set: fn(&mut Profile, SettingValue),
}

/// Every setting, once.
pub static SETTINGS: [Setting; 10] = [
    Setting {
        key: "language",
        ty: SettingType::Text,
        allowed: Allowed::OneOf(&LANGUAGES),
        admin_only: false,
        get: |p| SettingValue::Text(p.language.clone()),
        set: |p, v| {
            if let SettingValue::Text(l) = v {
                p.language = l;
            }
        },
    },
    Setting {
        key: "max_intensity_ua",
        ty: SettingType::U32s,
        allowed: Allowed::PerChannel,
        admin_only: true,
        get: |p| SettingValue::U32s(p.max_intensity_ua.to_vec()),
        set: |p, v| {
            if let SettingValue::U32s(max) = v {
                if max.len() == CHANNELS {
                    p.max_intensity_ua.copy_from_slice(&max);
                }
            }
        },
    },
    Setting {
        key: "electrode_area_cm2",
        ty: SettingType::F64,
        allowed: Allowed::Area,
        admin_only: true,
        get: |p| SettingValue::F64(p.electrode_area_cm2),
        set: |p, v| {
            if let SettingValue::F64(a) = v {
                p.electrode_area_cm2 = a;
            }
        },
    },
    Setting {
        key: "preferred_programs",
        ty: SettingType::Texts,
        allowed: Allowed::Programs,
        admin_only: false,
        get: |p| SettingValue::Texts(p.preferred_programs.clone()),
        set: |p, v| {
            if let SettingValue::Texts(ids) = v {
                p.preferred_programs = ids;
            }
        },
    },
    Setting {
        key: "sessions_per_day",
        ty: SettingType::U32,
        allowed: Allowed::Within(SESSIONS_PER_DAY),
        admin_only: true,
        get: |p| SettingValue::U32(p.dose.sessions_per_day),
        set: |p, v| {
            if let SettingValue::U32(n) = v {
                p.dose.sessions_per_day = n;
            }
        },
    },
    Setting {
        key: "minutes_per_day",
        ty: SettingType::U32,
        allowed: Allowed::Within(MINUTES_PER_DAY),
        admin_only: true,
        get: |p| SettingValue::U32(p.dose.minutes_per_day),
        set: |p, v| {
            if let SettingValue::U32(n) = v {
                p.dose.minutes_per_day = n;
            }
        },
    },
    Setting {
        key: "min_gap_minutes",
        ty: SettingType::U32,
        allowed: Allowed::Within(MIN_GAP_MINUTES),
        admin_only: true,
        get: |p| SettingValue::U32(p.dose.min_gap_minutes),
        set: |p, v| {
            if let SettingValue::U32(n) = v {
                p.dose.min_gap_minutes = n;
            }
        },
    },
    Setting {
        key: "habituation",
        ty: SettingType::Bool,
        allowed: Allowed::Any,
        admin_only: true,
        get: |p| SettingValue::Bool(p.habituation.enabled),
        set: |p, v| {
            if let SettingValue::Bool(b) = v {
                p.habituation.enabled = b;
            }
        },
    },
    Setting {
        key: "habituation_every_minutes",
        ty: SettingType::U32,
        allowed: Allowed::Within(EVERY_MINUTES),
        admin_only: true,
        get: |p| SettingValue::U32(p.habituation.every_minutes),
        set: |p, v| {
            if let SettingValue::U32(n) = v {
                p.habituation.every_minutes = n;
            }
        },
    },
    Setting {
        key: "habituation_margin_ua",
        ty: SettingType::U32,
        allowed: Allowed::Within(MARGIN_UA),
        admin_only: true,
        get: |p| SettingValue::U32(p.habituation.margin_ua),
        set: |p, v| {
            if let SettingValue::U32(n) = v {
                p.habituation.margin_ua = n;
            }
        },
    },
];

/// The setting `key`, if there is one.
pub fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// Every key, for messages.
fn keys() -> String {
    SETTINGS
        .iter()
        .map(|s| s.key)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every setting of `p` with its value.
pub fn values(p: &Profile) -> impl Iterator<Item = (&'static str, SettingValue)> + '_ {
    SETTINGS.iter().map(move |s| (s.key, (s.get)(p)))
}

/// What a setting's value is checked against besides the table.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The device's peak current (µA): the most a person's own maximum may be.
    pub peak_ua: u32,
    /// The ids of the programs there are (needed only when `preferred_programs` is set).
    pub programs: Vec<String>,
}

/// Why settings are refused. Nothing was applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingError {
    #[error(
        "settings has {given} entries (allowed: at most {}, one per key: {})",
        SETTINGS.len(),
        keys()
    )]
    TooMany { given: usize },
    #[error("unknown setting {} (allowed: {})", shown(.key), keys())]
    Unknown { key: String },
    #[error("{key} has {given} values (allowed: at most {max}, {what})")]
    TooLong {
        key: &'static str,
        given: usize,
        max: usize,
        what: &'static str,
    },
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("{key}: expected {}", .expected.signature())]
    WrongType {
        key: &'static str,
        expected: SettingType,
    },
    /// A value that is not one of the allowed ones (`value` as the message shows it).
    #[error("{key} = {value} (allowed: {allowed})")]
    NotAllowed {
        key: &'static str,
        value: String,
        allowed: String,
    },
    #[error("{key} = {value} is out of range (allowed: {}..={})", .range.start(), .range.end())]
    OutOfRange {
        key: &'static str,
        value: u32,
        range: RangeInclusive<u32>,
    },
    #[error("preferred_programs: {given} programs (allowed: at most {MAX_PREFERRED})")]
    TooManyPrograms { given: usize },
    #[error("preferred_programs: program {} does not exist", shown(.id))]
    NoSuchProgram { id: String },
}

impl Setting {
    /// Checks `v` against this setting's type and allowed values.
    pub fn check(&self, v: &SettingValue, ctx: &Context) -> Result<(), SettingError> {
        let key = self.key;
        if !v.is(self.ty) {
            return Err(SettingError::WrongType {
                key,
                expected: self.ty,
            });
        }
        match (&self.allowed, v) {
            (Allowed::OneOf(words), SettingValue::Text(t)) if !words.contains(&t.as_str()) => {
                Err(SettingError::NotAllowed {
                    key,
                    value: shown(t),
                    allowed: words.join(", "),
                })
            }
            (Allowed::PerChannel, SettingValue::U32s(max))
                if max.len() != CHANNELS || max.iter().any(|&m| m > ctx.peak_ua) =>
            {
                Err(SettingError::NotAllowed {
                    key,
                    value: format!("{max:?}"),
                    allowed: format!(
                        "{CHANNELS} values in 0..={} µA; 0 = the device's limits",
                        ctx.peak_ua
                    ),
                })
            }
            (Allowed::Area, SettingValue::F64(a)) if !(*a == 0.0 || (1.0..=400.0).contains(a)) => {
                Err(SettingError::NotAllowed {
                    key,
                    value: a.to_string(),
                    allowed: "0 = the device's setting, or 1..=400".into(),
                })
            }
            (Allowed::Programs, SettingValue::Texts(ids)) => {
                if ids.len() > MAX_PREFERRED {
                    return Err(SettingError::TooManyPrograms { given: ids.len() });
                }
                match ids.iter().find(|id| !ctx.programs.contains(id)) {
                    Some(bad) => Err(SettingError::NoSuchProgram { id: bad.clone() }),
                    None => Ok(()),
                }
            }
            (Allowed::Within(range), SettingValue::U32(n)) if !range.contains(n) => {
                Err(SettingError::OutOfRange {
                    key,
                    value: *n,
                    range: range.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The most values a list setting takes, and what they are (for messages).
    fn max_len(&self) -> Option<(usize, &'static str)> {
        match self.allowed {
            Allowed::PerChannel => Some((CHANNELS, "one per channel")),
            Allowed::Programs => Some((MAX_PREFERRED, "program ids")),
            _ => None,
        }
    }

    /// The texts in `v`, checked for length and control characters.
    fn check_texts(&self, v: &SettingValue) -> Result<(), TextError> {
        if !v.is(self.ty) {
            return Ok(());
        }
        match v {
            SettingValue::Text(t) => crate::text::check(self.key, t, MAX_LANGUAGE_LEN),
            SettingValue::Texts(ids) => ids.iter().enumerate().try_for_each(|(i, id)| {
                crate::text::check(&format!("{}[{i}]", self.key), id, MAX_PROGRAM_ID_LEN)
            }),
            _ => Ok(()),
        }
    }
}

/// `key` set to `v` in `p`, checked; on error `p` is unchanged.
pub fn apply(
    p: &mut Profile,
    key: &str,
    v: SettingValue,
    ctx: &Context,
) -> Result<(), SettingError> {
    let s = setting(key).ok_or_else(|| SettingError::Unknown { key: key.into() })?;
    s.check(&v, ctx)?;
    (s.set)(p, v);
    Ok(())
}

/// Settings as a client sent them, already checked for their shape: no more entries than
/// there are keys, every key known, no list longer than its setting takes, texts of bounded
/// length without control characters.
#[derive(Debug, Clone)]
pub struct Changes {
    entries: Vec<(&'static Setting, SettingValue)>,
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key)
    }
}

impl Changes {
    /// Checks the shape of `entries` (see [`Changes`]); types and ranges are checked when
    /// they are applied.
    pub fn new(entries: Vec<(String, SettingValue)>) -> Result<Changes, SettingError> {
        if entries.len() > SETTINGS.len() {
            return Err(SettingError::TooMany {
                given: entries.len(),
            });
        }
        let mut checked = Vec::with_capacity(entries.len());
        for (key, v) in entries {
            let s = setting(&key).ok_or(SettingError::Unknown { key })?;
            if let (Some((max, what)), Some(given)) = (s.max_len(), v.list_len()) {
                if given > max {
                    return Err(SettingError::TooLong {
                        key: s.key,
                        given,
                        max,
                        what,
                    });
                }
            }
            checked.push((s, v));
        }
        for (s, v) in &checked {
            s.check_texts(v)?;
        }
        Ok(Changes { entries: checked })
    }

    /// Whether any of them changes a person's limits.
    pub fn touches_limits(&self) -> bool {
        self.entries.iter().any(|(s, _)| s.admin_only)
    }

    /// Whether they name preferred programs (the caller then passes the program ids).
    pub fn names_programs(&self) -> bool {
        self.entries
            .iter()
            .any(|(s, _)| s.allowed == Allowed::Programs)
    }

    /// Refuses a caller who is not an administrator (`admin`) a change to a person's limits.
    pub fn permitted(&self, admin: bool) -> Result<(), AdminOnly> {
        if self.touches_limits() {
            admin::require(admin, Action::SetLimits)
        } else {
            Ok(())
        }
    }

    /// Every change applied to `p`, each checked; on error `p` is unchanged.
    pub fn apply(&self, p: &mut Profile, ctx: &Context) -> Result<(), SettingError> {
        let mut next = p.clone();
        for (s, v) in &self.entries {
            s.check(v, ctx)?;
            (s.set)(&mut next, v.clone());
        }
        *p = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            peak_ua: 60_000,
            programs: vec!["neck".into(), "knee".into()],
        }
    }

    /// A value of the right type and in range for each key.
    fn good(s: &Setting) -> SettingValue {
        match s.key {
            "language" => SettingValue::Text("en".into()),
            "max_intensity_ua" => SettingValue::U32s(vec![20_000, 10_000]),
            "electrode_area_cm2" => SettingValue::F64(16.0),
            "preferred_programs" => SettingValue::Texts(vec!["knee".into()]),
            "habituation" => SettingValue::Bool(true),
            _ => match &s.allowed {
                Allowed::Within(r) => SettingValue::U32(*r.end()),
                other => panic!("{}: {other:?}", s.key),
            },
        }
    }

    /// A value of the right type that is not allowed, for each key that has one.
    fn out_of_range(s: &Setting) -> Option<(SettingValue, &'static str)> {
        Some(match s.key {
            "language" => (
                SettingValue::Text("de".into()),
                "language = \"de\" (allowed: nl, en)",
            ),
            "max_intensity_ua" => (
                SettingValue::U32s(vec![90_000, 0]),
                "max_intensity_ua = [90000, 0] (allowed: 2 values in 0..=60000 µA; 0 = the device's limits)",
            ),
            "electrode_area_cm2" => (
                SettingValue::F64(0.5),
                "electrode_area_cm2 = 0.5 (allowed: 0 = the device's setting, or 1..=400)",
            ),
            "preferred_programs" => (
                SettingValue::Texts(vec!["neck".into(), "nope".into()]),
                "preferred_programs: program \"nope\" does not exist",
            ),
            "habituation" => return None,
            _ => match &s.allowed {
                Allowed::Within(r) => (SettingValue::U32(r.end() + 1), "is out of range (allowed: "),
                other => panic!("{}: {other:?}", s.key),
            },
        })
    }

    /// A value of another type for each key.
    fn wrong_type(s: &Setting) -> SettingValue {
        match s.ty {
            SettingType::Bool => SettingValue::Text("yes".into()),
            SettingType::Text => SettingValue::U32(1),
            SettingType::U32 => SettingValue::F64(1.0),
            SettingType::F64 => SettingValue::U32(16),
            SettingType::U32s => SettingValue::Texts(vec!["1".into(), "2".into()]),
            SettingType::Texts => SettingValue::List(1),
        }
    }

    #[test]
    fn every_key_takes_a_good_value_and_reads_it_back() {
        for s in &SETTINGS {
            let mut p = Profile::new("anna", "nl");
            apply(&mut p, s.key, good(s), &ctx()).unwrap_or_else(|e| panic!("{}: {e}", s.key));
            let back = values(&p).find(|(k, _)| *k == s.key).unwrap().1;
            assert_eq!(back, good(s), "{}", s.key);
        }
    }

    #[test]
    fn every_key_refuses_a_wrong_type_and_changes_nothing() {
        for s in &SETTINGS {
            let mut p = Profile::new("anna", "nl");
            let before = p.clone();
            let e = apply(&mut p, s.key, wrong_type(s), &ctx()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("{}: expected {}", s.key, s.ty.signature())
            );
            let e = apply(&mut p, s.key, SettingValue::Other, &ctx()).unwrap_err();
            assert!(matches!(e, SettingError::WrongType { .. }), "{e}");
            assert_eq!(p, before, "{}", s.key);
        }
    }

    #[test]
    fn every_key_refuses_a_value_out_of_range_and_changes_nothing() {
        for s in &SETTINGS {
            let Some((v, text)) = out_of_range(s) else {
                assert_eq!(s.ty, SettingType::Bool, "{} has no range", s.key);
                continue;
            };
            let mut p = Profile::new("anna", "nl");
            let before = p.clone();
            let e = apply(&mut p, s.key, v, &ctx()).unwrap_err().to_string();
            assert!(e.contains(text) && e.contains(s.key), "{}: {e}", s.key);
            assert_eq!(p, before, "{}", s.key);
        }
        let e = apply(
            &mut Profile::new("anna", "nl"),
            "sessions_per_day",
            SettingValue::U32(25),
            &ctx(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "sessions_per_day = 25 is out of range (allowed: 0..=24)"
        );
    }

    #[test]
    fn limit_keys_are_refused_to_a_caller_who_is_not_an_administrator() {
        let limits = [
            "max_intensity_ua",
            "electrode_area_cm2",
            "sessions_per_day",
            "minutes_per_day",
            "min_gap_minutes",
            "habituation",
            "habituation_every_minutes",
            "habituation_margin_ua",
        ];
        for s in &SETTINGS {
            assert_eq!(s.admin_only, limits.contains(&s.key), "{}", s.key);
            let c = Changes::new(vec![(s.key.into(), good(s))]).unwrap();
            assert_eq!(c.touches_limits(), s.admin_only, "{}", s.key);
            assert_eq!(c.permitted(true), Ok(()), "{}", s.key);
            match c.permitted(false) {
                Ok(()) => assert!(!s.admin_only, "{} allowed to anyone", s.key),
                Err(e) => {
                    assert!(s.admin_only, "{} refused: {e}", s.key);
                    assert_eq!(e.0, Action::SetLimits);
                }
            }
        }
        // One limit key among others makes the whole change an administrator's.
        let c = Changes::new(vec![
            ("language".into(), SettingValue::Text("en".into())),
            ("habituation".into(), SettingValue::Bool(true)),
        ])
        .unwrap();
        assert!(c.permitted(false).is_err());
    }

    #[test]
    fn the_shape_is_checked_before_anything_else() {
        let many = (0..11)
            .map(|i| (format!("k{i}"), SettingValue::U32(0)))
            .collect();
        let e = Changes::new(many).unwrap_err().to_string();
        assert!(
            e.starts_with("settings has 11 entries (allowed: at most 10, one per key: language, max_intensity_ua"),
            "{e}"
        );
        let e = Changes::new(vec![("bogus\u{1}key".into(), SettingValue::U32(0))])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("unknown setting \"bogus\\u{1}key\" (allowed: language, "),
            "{e}"
        );
        let e = Changes::new(vec![("max_intensity_ua".into(), SettingValue::List(3))])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "max_intensity_ua has 3 values (allowed: at most 2, one per channel)"
        );
        let e = Changes::new(vec![(
            "preferred_programs".into(),
            SettingValue::List(100_000),
        )])
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("has 100000 values (allowed: at most 10, program ids)"),
            "{e}"
        );
        let e = Changes::new(vec![(
            "language".into(),
            SettingValue::Text("n\u{7}l".into()),
        )])
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("language = \"n\\u{7}l\" contains U+0007"),
            "{e}"
        );
        let e = Changes::new(vec![(
            "preferred_programs".into(),
            SettingValue::Texts(vec!["neck".into(), "a\u{1b}b".into()]),
        )])
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("preferred_programs[1] = "), "{e}");
    }

    #[test]
    fn a_change_applies_whole_or_not_at_all() {
        let c = Changes::new(vec![
            ("language".into(), SettingValue::Text("en".into())),
            ("min_gap_minutes".into(), SettingValue::U32(9_999)),
        ])
        .unwrap();
        let mut p = Profile::new("anna", "nl");
        let before = p.clone();
        assert!(c.apply(&mut p, &ctx()).is_err());
        assert_eq!(p, before);
        let c = Changes::new(vec![
            ("language".into(), SettingValue::Text("en".into())),
            ("min_gap_minutes".into(), SettingValue::U32(30)),
        ])
        .unwrap();
        c.apply(&mut p, &ctx()).unwrap();
        assert_eq!((p.language.as_str(), p.dose.min_gap_minutes), ("en", 30));
        assert!(!c.names_programs());
    }
}
