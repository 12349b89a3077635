//! The settings of a profile that `Profiles.Create` and `Profiles.Update` take: one table of
//! keys, each with its type, its allowed values and whether only an administrator may set it
//! (the keys that change a person's limits); checking and applying values to a profile.
//!
//! Values arrive as [`SettingValue`]s (the D-Bus edge translates `a{sv}`); nothing here knows
//! about D-Bus. A change is checked whole and applied whole: on any error nothing changes.

mod check;
mod value;

pub use check::{Changes, Context, SettingError};
pub(crate) use value::Allowed;
pub use value::{SettingType, SettingValue};

use super::dose::{COUNTS_AFTER_MINUTES, MINUTES_PER_DAY, MIN_GAP_MINUTES, SESSIONS_PER_DAY};
use super::habituation::{EVERY_MINUTES, MARGIN_UA};
use super::profile::{Profile, LANGUAGES, MAX_PREFERRED};
use crate::model::limits::ceiling::CHANNELS;

/// The longest list any setting takes: a longer one is not copied at the edge, only its
/// length is passed ([`SettingValue::List`]).
pub const MAX_LIST_LEN: usize = if MAX_PREFERRED > CHANNELS {
    MAX_PREFERRED
} else {
    CHANNELS
};

/// One setting: its key, type and allowed values, who may set it, and where it lives in a
/// profile.
pub(crate) struct Setting {
    /// The key clients name it by in `Profiles.Create`, `Update` and `Get`.
    pub(crate) key: &'static str,
    /// The type of its value.
    pub(crate) ty: SettingType,
    /// The values it allows beyond its type.
    pub(crate) allowed: Allowed,
    /// Only root and administrators may set it: it changes a person's limits.
    pub(crate) admin_only: bool,
    /// Reads it from a profile.
    get: fn(&Profile) -> SettingValue,
    /// Stores a value already checked against `ty` and `allowed`.
    set: fn(&mut Profile, SettingValue),
}

/// Every setting, once: the one list of the keys a profile's settings have.
pub(crate) static SETTINGS: [Setting; 11] = [
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
        key: "dose_counts_after_minutes",
        ty: SettingType::U32,
        allowed: Allowed::Within(COUNTS_AFTER_MINUTES),
        admin_only: true,
        get: |p| SettingValue::U32(p.dose.counts_after_minutes),
        set: |p, v| {
            if let SettingValue::U32(n) = v {
                p.dose.counts_after_minutes = n;
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
pub(crate) fn setting(key: &str) -> Option<&'static Setting> {
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

#[cfg(test)]
mod tests;
