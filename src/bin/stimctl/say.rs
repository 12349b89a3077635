//! What stimctl prints, in the person's language: the catalogue `LANG` picks (see
//! `i18n::Catalogue::from_env`), held for the one thread stimctl runs on, and `clean`, which
//! keeps control characters in daemon-supplied strings away from the terminal.

use crate::i18n::Catalogue;
use fluent_bundle::FluentValue;

thread_local! {
    static CATALOGUE: Catalogue = Catalogue::from_env()
        .or_else(|_| Catalogue::new("LANG", "en"))
        .expect("the English catalogue is compiled in and tested");
}

/// Message `id` in the person's language.
pub fn text(id: &str) -> String {
    CATALOGUE.with(|c| c.text(id))
}

/// Message `id` with its arguments, in the person's language.
pub fn text_args(id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    CATALOGUE.with(|c| c.text_args(id, args))
}

/// µA as mA with one decimal and the language's decimal separator, e.g. `8.0` or `8,0`.
pub fn milliamps(ua: u32) -> String {
    CATALOGUE.with(|c| c.milliamps(ua))
}

/// `x` with `decimals` digits after the language's decimal separator.
pub fn number(x: f64, decimals: usize) -> String {
    CATALOGUE.with(|c| c.number(x, decimals))
}

/// A string from stimd made safe for a terminal: control characters (escape sequences,
/// carriage returns, bidi overrides) become `�`; at most `max` characters.
pub fn clean(s: &str) -> String {
    const MAX: usize = 2_000;
    s.chars()
        .take(MAX)
        .map(|c| {
            if stimd::model::text::is_refused(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// A string argument for a message.
pub fn s(v: &str) -> FluentValue<'static> {
    FluentValue::from(v.to_string())
}

/// A number argument for a message (plural selection uses it).
pub fn n(v: impl Into<f64>) -> FluentValue<'static> {
    FluentValue::from(v.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(clean("ok\x1b[2Jx\r\n"), "ok\u{FFFD}[2Jx\u{FFFD}\u{FFFD}");
        assert_eq!(clean("a\u{202E}b"), "a\u{FFFD}b");
        assert_eq!(clean("a\u{2028}b\u{2029}"), "a\u{FFFD}b\u{FFFD}");
        assert_eq!(clean("rug — lage rug"), "rug — lage rug");
    }
}
