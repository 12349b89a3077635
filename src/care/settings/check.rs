//! Checking settings: why a change is refused ([`SettingError`]), what values are checked
//! against ([`Context`]), a single value against its setting, and a whole change
//! ([`Changes`]) checked for its shape, for who may make it, and applied whole or not at all.

use super::{keys, setting, Allowed, Setting, SettingType, SettingValue, SETTINGS};
use crate::care::admin::{self, Action, AdminOnly};
use crate::care::profile::{Profile, MAX_PREFERRED};
use crate::model::limits::ceiling::CHANNELS;
use crate::model::text::{shown, TextError};
use std::ops::RangeInclusive;

/// Longest program id a profile may prefer (as `program::text`).
const MAX_PROGRAM_ID_LEN: usize = 64;
/// Longest language text looked at.
const MAX_LANGUAGE_LEN: usize = 8;

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
    /// More entries than there are settings (each key at most once).
    #[error(
        "settings has {given} entries (allowed: at most {}, one per key: {})",
        SETTINGS.len(),
        keys()
    )]
    TooMany {
        /// How many entries were sent.
        given: usize,
    },
    /// A key that is not a setting.
    #[error("unknown setting {} (allowed: {})", shown(.key), keys())]
    Unknown {
        /// The key as sent (the message quotes it escaped and cut).
        key: String,
    },
    /// A list with more values than its setting takes.
    #[error("{key} has {given} values (allowed: at most {max}, {what})")]
    TooLong {
        /// The setting.
        key: &'static str,
        /// How many values were sent.
        given: usize,
        /// The most the setting takes.
        max: usize,
        /// What the values are, for the message (`one per channel`, `program ids`).
        what: &'static str,
    },
    /// A text too long or with control characters.
    #[error(transparent)]
    Text(#[from] TextError),
    /// A value of another type than the setting takes.
    #[error("{key}: expected {}", .expected.signature())]
    WrongType {
        /// The setting.
        key: &'static str,
        /// The type it takes.
        expected: SettingType,
    },
    /// A value that is not one of the allowed ones.
    #[error("{key} = {value} (allowed: {allowed})")]
    NotAllowed {
        /// The setting.
        key: &'static str,
        /// The value as the message shows it (texts escaped).
        value: String,
        /// The allowed values in words.
        allowed: String,
    },
    /// An integer outside its setting's range.
    #[error("{key} = {value} is out of range (allowed: {}..={})", .range.start(), .range.end())]
    OutOfRange {
        /// The setting.
        key: &'static str,
        /// The value sent.
        value: u32,
        /// The values allowed.
        range: RangeInclusive<u32>,
    },
    /// More preferred programs than a profile lists ([`MAX_PREFERRED`]).
    #[error("preferred_programs: {given} programs (allowed: at most {MAX_PREFERRED})")]
    TooManyPrograms {
        /// How many were sent.
        given: usize,
    },
    /// A preferred program that is not in the catalogue.
    #[error("preferred_programs: program {} does not exist", shown(.id))]
    NoSuchProgram {
        /// The id as sent.
        id: String,
    },
}

impl Setting {
    /// Checks `v` against this setting's type and allowed values.
    pub(crate) fn check(&self, v: &SettingValue, ctx: &Context) -> Result<(), SettingError> {
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
            SettingValue::Text(t) => crate::model::text::check(self.key, t, MAX_LANGUAGE_LEN),
            SettingValue::Texts(ids) => ids.iter().enumerate().try_for_each(|(i, id)| {
                crate::model::text::check(&format!("{}[{i}]", self.key), id, MAX_PROGRAM_ID_LEN)
            }),
            _ => Ok(()),
        }
    }
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
