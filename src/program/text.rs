//! The program file format (TOML): parsing with every problem named, and writing a program
//! back out in the same format (`write`: what `Programs.Get` returns as `toml`).
//!
//! Parsing never panics, on any input; a program comes out only when every key is known, every
//! value has the right type and range, and it fits the effective limits.

use super::{ranges, Kind, Mode, Program, Segment, Sweep, Text};
use crate::model::limits::Limits;
use serde::{Deserialize, Serialize};

mod write;
pub use write::to_toml;

/// Largest program file accepted (a client cannot exhaust memory with one).
pub const MAX_TOML_BYTES: usize = 16 * 1024;
/// Longest program id, bytes (ids are ASCII).
pub(crate) const MAX_ID_LEN: usize = 64;
/// Longest name (each language) and placement, characters.
pub(crate) const MAX_NAME_LEN: usize = 64;
/// Longest summary (each language), characters.
pub(crate) const MAX_SUMMARY_LEN: usize = 600;
const MAX_PLACEMENTS: usize = 16;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    id: String,
    kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    placements: Vec<String>,
    name: RawText,
    summary: RawText,
    segments: Vec<RawSegment>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    nl: String,
    en: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSegment {
    mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    intensity_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interphase_us: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_hz: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phase_us: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pulses: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inner_rate_hz: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sweep: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sweep_to_hz: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sweep_to_us: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amplitude_min_percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ramp_up_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ramp_down_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    off_s: Option<f64>,
}

/// The keys each mode uses besides `mode`, `minutes`, `seconds` and `intensity_percent`.
fn mode_keys(mode: &str) -> Option<&'static [&'static str]> {
    Some(match mode {
        "conventional" | "acupuncture" => &["rate_hz", "phase_us"],
        "burst" => &["rate_hz", "pulses", "inner_rate_hz", "phase_us"],
        "modulated" => &[
            "rate_hz",
            "phase_us",
            "period_s",
            "sweep",
            "sweep_to_hz",
            "sweep_to_us",
            "amplitude_min_percent",
        ],
        "ems" => &[
            "rate_hz",
            "phase_us",
            "ramp_up_s",
            "on_s",
            "ramp_down_s",
            "off_s",
        ],
        _ => return None,
    })
}

const MODES: &str = "conventional, acupuncture, burst, modulated, ems";

impl RawSegment {
    /// The mode keys present, by name.
    fn present(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |set: bool, k: &'static str| {
            if set {
                v.push(k)
            }
        };
        add(self.rate_hz.is_some(), "rate_hz");
        add(self.phase_us.is_some(), "phase_us");
        add(self.pulses.is_some(), "pulses");
        add(self.inner_rate_hz.is_some(), "inner_rate_hz");
        add(self.period_s.is_some(), "period_s");
        add(self.sweep.is_some(), "sweep");
        add(self.sweep_to_hz.is_some(), "sweep_to_hz");
        add(self.sweep_to_us.is_some(), "sweep_to_us");
        add(
            self.amplitude_min_percent.is_some(),
            "amplitude_min_percent",
        );
        add(self.ramp_up_s.is_some(), "ramp_up_s");
        add(self.on_s.is_some(), "on_s");
        add(self.ramp_down_s.is_some(), "ramp_down_s");
        add(self.off_s.is_some(), "off_s");
        v
    }

    fn into_segment(self, at: &str, problems: &mut Vec<String>) -> Option<Segment> {
        let Some(allowed) = mode_keys(&self.mode) else {
            problems.push(format!(
                "{at}.mode = {} is not a mode (allowed: {MODES})",
                crate::model::text::shown(&self.mode)
            ));
            return None;
        };
        for k in self.present() {
            if !allowed.contains(&k) {
                problems.push(format!("{at}.{k} is not used by mode {:?}", self.mode));
            }
        }
        let before = problems.len();
        let mut need_f = |v: Option<f64>, key: &str| {
            v.unwrap_or_else(|| {
                problems.push(format!("{at}.{key} is missing (mode {:?})", self.mode));
                0.0
            })
        };
        let rate_hz = need_f(self.rate_hz, "rate_hz");
        let mode = match self.mode.as_str() {
            "conventional" | "acupuncture" | "burst" | "modulated" | "ems" => {
                let phase_us = self.phase_us.unwrap_or_else(|| {
                    problems.push(format!("{at}.phase_us is missing (mode {:?})", self.mode));
                    0
                });
                match self.mode.as_str() {
                    "conventional" => Mode::Conventional { rate_hz, phase_us },
                    "acupuncture" => Mode::Acupuncture { rate_hz, phase_us },
                    "burst" => Mode::Burst {
                        rate_hz,
                        pulses: self.pulses.unwrap_or_else(|| {
                            problems.push(format!("{at}.pulses is missing (mode \"burst\")"));
                            0
                        }),
                        inner_rate_hz: self.inner_rate_hz.unwrap_or_else(|| {
                            problems
                                .push(format!("{at}.inner_rate_hz is missing (mode \"burst\")"));
                            0.0
                        }),
                        phase_us,
                    },
                    "modulated" => {
                        let sweep = match self.sweep.as_deref() {
                            Some("rate") => self.sweep_to_hz.map(|to_hz| Sweep::Rate { to_hz }),
                            Some("width") => self.sweep_to_us.map(|to_us| Sweep::Width { to_us }),
                            Some("amplitude") => self
                                .amplitude_min_percent
                                .map(|min_percent| Sweep::Amplitude { min_percent }),
                            Some(other) => {
                                problems.push(format!(
                                    "{at}.sweep = {} is not a sweep (allowed: rate, width, amplitude)",
                                    crate::model::text::shown(other)
                                ));
                                return None;
                            }
                            None => {
                                problems.push(format!(
                                    "{at}.sweep is missing (mode \"modulated\"; allowed: rate, width, amplitude)"
                                ));
                                return None;
                            }
                        };
                        let Some(sweep) = sweep else {
                            let key = match self.sweep.as_deref() {
                                Some("rate") => "sweep_to_hz",
                                Some("width") => "sweep_to_us",
                                _ => "amplitude_min_percent",
                            };
                            problems.push(format!(
                                "{at}.{key} is missing (sweep {:?})",
                                self.sweep.unwrap_or_default()
                            ));
                            return None;
                        };
                        let extra: Vec<&str> = [
                            ("sweep_to_hz", self.sweep_to_hz.is_some(), "rate"),
                            ("sweep_to_us", self.sweep_to_us.is_some(), "width"),
                            (
                                "amplitude_min_percent",
                                self.amplitude_min_percent.is_some(),
                                "amplitude",
                            ),
                        ]
                        .into_iter()
                        .filter(|(_, set, s)| *set && Some(*s) != self.sweep.as_deref())
                        .map(|(k, _, _)| k)
                        .collect();
                        for k in extra {
                            problems.push(format!(
                                "{at}.{k} does not belong to sweep {:?}",
                                self.sweep.as_deref().unwrap_or_default()
                            ));
                        }
                        Mode::Modulated {
                            rate_hz,
                            phase_us,
                            period_s: self.period_s.unwrap_or_else(|| {
                                problems
                                    .push(format!("{at}.period_s is missing (mode \"modulated\")"));
                                0.0
                            }),
                            sweep,
                        }
                    }
                    _ => {
                        let mut f = |v: Option<f64>, key: &str| {
                            v.unwrap_or_else(|| {
                                problems.push(format!("{at}.{key} is missing (mode \"ems\")"));
                                0.0
                            })
                        };
                        Mode::Ems {
                            rate_hz,
                            phase_us,
                            ramp_up_s: f(self.ramp_up_s, "ramp_up_s"),
                            on_s: f(self.on_s, "on_s"),
                            ramp_down_s: f(self.ramp_down_s, "ramp_down_s"),
                            off_s: f(self.off_s, "off_s"),
                        }
                    }
                }
            }
            _ => return None,
        };
        let seconds = match (self.minutes, self.seconds) {
            (Some(_), Some(_)) => {
                problems.push(format!("{at}: give `minutes` or `seconds`, not both"));
                None
            }
            (Some(m), None) => Some(m.saturating_mul(60)),
            (None, s) => s,
        };
        if problems.len() > before {
            return None;
        }
        Some(Segment {
            mode,
            seconds,
            intensity_percent: self.intensity_percent.unwrap_or(100),
            interphase_us: self.interphase_us.unwrap_or(0),
        })
    }
}

/// Whether `id` is a valid program id: 1–64 of `a-z`, `0-9`, `-`, starting with a letter or digit.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

fn check_text(problems: &mut Vec<String>, key: &str, t: &RawText, max: usize, required: bool) {
    for (lang, v) in [("nl", &t.nl), ("en", &t.en)] {
        let key = format!("{key}.{lang}");
        if let Err(e) = crate::model::text::check(&key, v, max) {
            problems.push(e.to_string());
        } else if required && v.trim().is_empty() {
            problems.push(format!("{key} is empty (allowed: 1..={max} characters)"));
        }
    }
}

/// Why a program file's text is refused before it is parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileTextError {
    /// Longer than `MAX_TOML_BYTES`.
    #[error("program text is {bytes} bytes (allowed: at most {MAX_TOML_BYTES} bytes)")]
    TooBig {
        /// The text's length, bytes.
        bytes: usize,
    },
    /// Holds a control character other than tab and line breaks (the first one found).
    #[error(
        "program text contains U+{:04X} on line {line} (allowed: {}, except tab and line breaks)",
        u32::from(*.refused),
        crate::model::text::ALLOWED
    )]
    Refused {
        /// The refused character.
        refused: char,
        /// Its line, counted from 1.
        line: usize,
    },
}

/// Checks a program file's text before it is parsed: its size, and no control characters
/// outside tab and line breaks (TOML allows no others; a parser's error would quote them).
pub fn check_file_text(text: &str) -> Result<(), FileTextError> {
    if text.len() > MAX_TOML_BYTES {
        return Err(FileTextError::TooBig { bytes: text.len() });
    }
    let mut line = 1;
    for c in text.chars() {
        match c {
            '\n' => line += 1,
            '\t' | '\r' => {}
            c if crate::model::text::is_refused(c) => {
                return Err(FileTextError::Refused { refused: c, line })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Parses and validates a program file. On failure, every problem found, each naming the key,
/// the value and the allowed range.
pub fn parse(text: &str, limits: &Limits) -> Result<Program, Vec<String>> {
    check_file_text(text).map_err(|e| vec![e.to_string()])?;
    let raw: RawProgram = toml::from_str(text).map_err(|e| {
        vec![format!(
            "not a valid program file: {}",
            crate::model::text::escape_refused(&e.to_string().trim().replace('\n', " "))
        )]
    })?;
    let mut problems = Vec::new();
    if !valid_id(&raw.id) {
        problems.push(format!(
            "id = {} is not a valid id (allowed: 1..={MAX_ID_LEN} characters of a-z, 0-9 and '-', not starting with '-')",
            crate::model::text::shown(&raw.id)
        ));
    }
    let kind = match raw.kind.as_str() {
        "tens" => Some(Kind::Tens),
        "ems" => Some(Kind::Ems),
        "combi" => Some(Kind::Combi),
        other => {
            problems.push(format!(
                "kind = {} is not a kind (allowed: tens, ems, combi)",
                crate::model::text::shown(other)
            ));
            None
        }
    };
    check_text(&mut problems, "name", &raw.name, MAX_NAME_LEN, true);
    check_text(
        &mut problems,
        "summary",
        &raw.summary,
        MAX_SUMMARY_LEN,
        false,
    );
    if raw.placements.len() > MAX_PLACEMENTS {
        problems.push(format!(
            "placements has {} names (allowed: at most {MAX_PLACEMENTS})",
            raw.placements.len()
        ));
        return Err(problems);
    }
    for (i, p) in raw.placements.iter().enumerate() {
        if let Err(e) = crate::model::text::check(&format!("placements[{i}]"), p, MAX_NAME_LEN) {
            problems.push(e.to_string());
            continue;
        }
        if let Err(e) = crate::model::sites::check(p) {
            problems.push(format!("placements: {e}"));
        }
    }
    if !ranges::SEGMENTS.contains(&raw.segments.len()) {
        problems.push(format!(
            "segments: {} segment(s) (allowed: {}..={})",
            raw.segments.len(),
            ranges::SEGMENTS.start(),
            ranges::SEGMENTS.end()
        ));
        return Err(problems);
    }
    let mut segments = Vec::new();
    for (i, raw_seg) in raw.segments.into_iter().enumerate() {
        if let Some(seg) = raw_seg.into_segment(&format!("segments[{i}]"), &mut problems) {
            segments.push(seg);
        }
    }
    let program = Program {
        id: raw.id,
        name: Text {
            nl: raw.name.nl,
            en: raw.name.en,
        },
        kind: kind.unwrap_or(Kind::Tens),
        summary: Text {
            nl: raw.summary.nl,
            en: raw.summary.en,
        },
        placements: raw.placements,
        segments,
    };
    if problems.is_empty() {
        if let Err(p) = program.check(limits) {
            problems.extend(p);
        }
    }
    if problems.is_empty() {
        Ok(program)
    } else {
        Err(problems)
    }
}
