//! A setting's value as a client sent it ([`SettingValue`]), the type each setting takes
//! ([`SettingType`]) and what values it allows beyond its type ([`Allowed`]).

use std::ops::RangeInclusive;

/// A setting's value as a client sent it (the D-Bus edge translates each variant from the
/// `a{sv}` value of the same signature), or as [`values`](super::values) reads it back.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    /// A boolean (`b`).
    Bool(bool),
    /// An unsigned integer (`u`).
    U32(u32),
    /// A floating-point number (`d`).
    F64(f64),
    /// A text (`s`).
    Text(String),
    /// A list of unsigned integers (`au`).
    U32s(Vec<u32>),
    /// A list of texts (`as`).
    Texts(Vec<String>),
    /// A list of another type, or longer than [`MAX_LIST_LEN`](super::MAX_LIST_LEN): only
    /// its length.
    List(usize),
    /// A value of any other type.
    Other,
}

impl SettingValue {
    /// The number of values of a list, if it is one.
    pub(super) fn list_len(&self) -> Option<usize> {
        match self {
            SettingValue::U32s(v) => Some(v.len()),
            SettingValue::Texts(v) => Some(v.len()),
            SettingValue::List(n) => Some(*n),
            _ => None,
        }
    }

    /// Whether it is a value of type `ty`.
    pub(super) fn is(&self, ty: SettingType) -> bool {
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
    /// A boolean: [`SettingValue::Bool`].
    Bool,
    /// An unsigned integer: [`SettingValue::U32`].
    U32,
    /// A floating-point number: [`SettingValue::F64`].
    F64,
    /// A text: [`SettingValue::Text`].
    Text,
    /// A list of unsigned integers: [`SettingValue::U32s`].
    U32s,
    /// A list of texts: [`SettingValue::Texts`].
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
pub(crate) enum Allowed {
    /// Any value of the type.
    Any,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// One value per channel, each at most the device's peak current (µA; 0 = the device's
    /// limits only).
    PerChannel,
    /// 0 (the device's setting) or 1..=400 cm².
    Area,
    /// At most [`MAX_PREFERRED`](crate::care::profile::MAX_PREFERRED) ids of programs that
    /// exist.
    Programs,
    /// An integer in this range.
    Within(RangeInclusive<u32>),
}
