//! What stimd tells a person, typed: a [`Text`] is a stable code (`dose.too_soon`) with named
//! arguments, rendered in Dutch or English through the Project Fluent catalogues
//! `i18n/<lang>/stimd.ftl` (compiled in). Errors and notices carry a `Text`; the D-Bus edge
//! sends its rendering as the message and the code and arguments beside it, so a client can
//! show its own words.
//!
//! The language is the profile's where a request has one, else the device's
//! (`device.locale`, set once at start with [`set_default`]). Imports only `model` (the body
//! sites' names).

mod catalogue;
mod sites;

pub use catalogue::{preload, render};
pub use sites::{match_site, site_name, Site, SiteMatch};

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use zbus::zvariant::{OwnedValue, Value};

/// Most characters of a value someone sent that a text repeats.
pub const MAX_QUOTED: usize = 64;

/// A language stimd speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Dutch (`nl`).
    Nl,
    /// English (`en`).
    En,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];

    /// `nl` or `en`; `None` for anything else.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language a profile or the device names, else the device's default.
    pub fn of(code: &str) -> Lang {
        Lang::parse(code).unwrap_or_else(default)
    }

    /// `nl` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }
}

/// The device's language: English until the daemon sets `device.locale`.
static DEFAULT: AtomicU8 = AtomicU8::new(1);

/// Sets the device's language (`device.locale`), for texts without a profile.
pub fn set_default(lang: Lang) {
    DEFAULT.store(if lang == Lang::Nl { 0 } else { 1 }, Ordering::Relaxed);
}

/// The device's language.
pub fn default() -> Lang {
    if DEFAULT.load(Ordering::Relaxed) == 0 {
        Lang::Nl
    } else {
        Lang::En
    }
}

/// One argument of a [`Text`]. On D-Bus: `Str` as `s`, `U` as `t`, `I` as `x`, `Dec` as `d`,
/// `List` as `as`, `Site` as `s` and `Sites` as `as` (the sites' English ids).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Text as given (a name stimd chose, a detail in English).
    Str(String),
    /// Text someone sent (a name, a value): shown quoted and escaped (`"bo\u{1b}rst"`), sent
    /// as it came.
    Quoted(String),
    /// A count, an id, a limit.
    U(u64),
    /// A signed number.
    I(i64),
    /// A decimal number, shown with one decimal in the language's style.
    Dec(f64),
    /// Several names, shown joined by commas.
    List(Vec<String>),
    /// A body site by its id (`low back`), shown in the language (`onderrug`).
    Site(String),
    /// Several body sites.
    Sites(Vec<String>),
}

macro_rules! arg_from {
    ($($t:ty => $v:ident),*) => {$(
        impl From<$t> for Arg {
            fn from(x: $t) -> Arg {
                Arg::$v(x.into())
            }
        }
    )*};
}
arg_from!(String => Str, &str => Str, u32 => U, u64 => U, i32 => I, i64 => I, f64 => Dec);

impl From<usize> for Arg {
    fn from(x: usize) -> Arg {
        Arg::U(x as u64)
    }
}

impl From<Vec<String>> for Arg {
    fn from(x: Vec<String>) -> Arg {
        Arg::List(x)
    }
}

impl From<&[&str]> for Arg {
    fn from(x: &[&str]) -> Arg {
        Arg::List(x.iter().map(|s| s.to_string()).collect())
    }
}

impl Arg {
    /// The argument as a D-Bus value.
    pub fn to_value(&self) -> Value<'static> {
        match self {
            Arg::Str(s) | Arg::Quoted(s) | Arg::Site(s) => Value::from(s.clone()),
            Arg::U(n) => Value::from(*n),
            Arg::I(n) => Value::from(*n),
            Arg::Dec(x) => Value::from(*x),
            Arg::List(v) | Arg::Sites(v) => Value::from(v.clone()),
        }
    }
}

/// A message with a stable code and its arguments, in a language if one is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    /// The stable code, e.g. `dose.too_soon` (documented in docs/texts.md).
    pub code: &'static str,
    /// Named arguments, in the order given.
    pub args: Vec<(&'static str, Arg)>,
    /// The language to render it in; `None`: the device's.
    pub lang: Option<Lang>,
}

impl Text {
    /// Code `code` without arguments yet.
    pub fn new(code: &'static str) -> Text {
        Text {
            code,
            args: Vec::new(),
            lang: None,
        }
    }

    /// With argument `name` = `value`.
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Text {
        self.args.push((name, value.into()));
        self
    }

    /// With a value someone sent, shown quoted and escaped.
    /// Kept to its first 65 characters: shown cut to 64 with `…` when longer.
    pub fn quoted(mut self, name: &'static str, value: &str) -> Text {
        self.args.push((
            name,
            Arg::Quoted(value.chars().take(MAX_QUOTED + 1).collect()),
        ));
        self
    }

    /// With a body-site argument (shown in the language).
    pub fn site(mut self, name: &'static str, site: &str) -> Text {
        self.args.push((name, Arg::Site(site.to_string())));
        self
    }

    /// With a list of body sites.
    pub fn sites(mut self, name: &'static str, sites: &[String]) -> Text {
        self.args.push((name, Arg::Sites(sites.to_vec())));
        self
    }

    /// In `lang` unless a language is set already (the innermost, most specific wins).
    pub fn in_lang(mut self, lang: Lang) -> Text {
        self.lang.get_or_insert(lang);
        self
    }

    /// The language it renders in.
    pub fn language(&self) -> Lang {
        self.lang.unwrap_or_else(default)
    }

    /// The text in its language.
    pub fn render(&self) -> String {
        render(self, self.language())
    }

    /// The text in `lang`.
    pub fn render_in(&self, lang: Lang) -> String {
        render(self, lang)
    }

    /// The arguments as D-Bus values (`a{sv}`).
    pub fn dbus_args(&self) -> HashMap<String, OwnedValue> {
        self.args
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), OwnedValue::try_from(v.to_value()).ok()?)))
            .collect()
    }
}

#[cfg(test)]
impl Text {
    /// Whether the English text contains `needle` (unit tests).
    pub fn contains(&self, needle: &str) -> bool {
        self.render_in(Lang::En).contains(needle)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

#[cfg(test)]
mod tests;
