//! Checks on the text that clients and files hand to stimd and that it stores or sends
//! (program names and summaries, placements, profile names, notes, ids): no control
//! characters and a bounded length. A NUL in a string makes an invalid D-Bus message (the bus
//! daemon disconnects the sender); escapes, line breaks and bidirectional controls garble
//! terminals, logs and lists, or make a text read differently from what it is.
//!
//! Pure, with no dependencies inside the crate, so `program` and `care` can both use it.

/// What the checked texts may contain, for error messages.
pub const ALLOWED: &str =
    "printable text: no control characters (NUL, tab, line breaks, escape …), \
     no line or paragraph separators and no bidirectional controls";

/// Longest value quoted in a message (characters); longer ones are cut with `…`.
const SHOWN_CHARS: usize = 64;

/// Whether `c` is refused in a stored or sent text: Unicode category Cc, the line and
/// paragraph separators (U+2028, U+2029) and the bidirectional embedding, override and
/// isolate controls (U+202A–U+202E, U+2066–U+2069).
pub fn is_refused(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// The first refused character and its position (in characters), if any.
pub fn first_refused(value: &str) -> Option<(usize, char)> {
    value.chars().enumerate().find(|(_, c)| is_refused(*c))
}

/// `value` as a message quotes it: escaped (`{:?}`: a NUL shows as `\0`) and cut to 64
/// characters.
pub fn shown(value: &str) -> String {
    if value.chars().count() > SHOWN_CHARS {
        let cut: String = value.chars().take(SHOWN_CHARS).collect();
        format!("{cut:?}…")
    } else {
        format!("{value:?}")
    }
}

/// Why a text is refused; the message names the key, shows the value escaped (cut, see
/// [`shown`]) and says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// More than `max_chars` characters.
    #[error(
        "{key} = {shown} is longer than {max_chars} characters (allowed: at most {max_chars} characters of {ALLOWED})"
    )]
    TooLong {
        /// The argument or file key the text came under.
        key: String,
        /// The text as the message quotes it ([`shown`]).
        shown: String,
        /// The most characters allowed.
        max_chars: usize,
    },
    /// A refused character (see [`is_refused`]).
    #[error(
        "{key} = {shown} contains U+{:04X} at character {at} (allowed: {ALLOWED}; at most {max_chars} characters)",
        u32::from(*.refused)
    )]
    Refused {
        /// The argument or file key the text came under.
        key: String,
        /// The text as the message quotes it ([`shown`]).
        shown: String,
        /// Where the first refused character is (characters from the start, 0-based).
        at: usize,
        /// The first refused character.
        refused: char,
        /// The most characters allowed.
        max_chars: usize,
    },
}

/// Checks the text under `key`: at most `max_chars` characters, none refused (see
/// [`is_refused`]).
pub fn check(key: &str, value: &str, max_chars: usize) -> Result<(), TextError> {
    // Count no further than needed: a huge value is refused without walking all of it.
    let n = value.chars().take(max_chars + 1).count();
    if n > max_chars {
        return Err(TextError::TooLong {
            key: key.into(),
            shown: shown(value),
            max_chars,
        });
    }
    if let Some((at, c)) = first_refused(value) {
        return Err(TextError::Refused {
            key: key.into(),
            shown: shown(value),
            at,
            refused: c,
            max_chars,
        });
    }
    Ok(())
}

/// `s` with every refused character replaced by its escape (`\u{1b}`), for messages that quote
/// outside text such as a parser's error.
pub fn escape_refused(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_refused(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_with_the_key_and_the_escaped_value() {
        let e = check("name.nl", "a\u{0}b", 64).unwrap_err().to_string();
        assert!(
            e.starts_with("name.nl = \"a\\0b\" contains U+0000 at character 1"),
            "{e}"
        );
        assert!(e.contains("allowed: printable text"), "{e}");
        for bad in [
            "\u{1}",
            "\t",
            "\n",
            "\r",
            "\u{1b}[2J",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
            "\u{2028}",
            "\u{2029}",
            "\u{202e}",
            "\u{2066}",
            "\u{2069}",
        ] {
            assert!(check("k", &format!("x{bad}y"), 64).is_err(), "{bad:?}");
        }
        for ok in [
            "Rug",
            "Lage rug — zenuwpijn",
            "Knie (artrose)",
            "ÄÖÜ ß ☺",
            "",
            "a b",
        ] {
            assert_eq!(check("k", ok, 64), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn length_is_counted_in_characters_and_long_values_are_cut_in_messages() {
        assert!(check("k", &"é".repeat(64), 64).is_ok());
        let e = check("summary.en", &"x".repeat(100_000), 600)
            .unwrap_err()
            .to_string();
        assert!(e.contains("longer than 600 characters"), "{e}");
        assert!(e.len() < 400, "the message quotes only the start: {e}");
    }

    #[test]
    fn escaping_leaves_no_refused_character() {
        let s = escape_refused("a\u{0}b\u{1b}c\nd\u{202e}");
        assert_eq!(first_refused(&s), None, "{s}");
        assert!(s.contains("\\u{0}") && s.contains("\\u{1b}"), "{s}");
    }
}
