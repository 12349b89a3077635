//! Writing a program back out as a program file (what `Programs.Get` returns as `toml`), in
//! the format `parse` reads: the same keys, segments built from each mode's parameters.

use super::RawText;
use crate::program::{Param, Program, Segment};
use serde::Serialize;

/// A program as written out: the same keys, segments built from each mode's parameters.
#[derive(Serialize)]
struct ProgramOut {
    id: String,
    kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    placements: Vec<String>,
    name: RawText,
    summary: RawText,
    segments: Vec<toml::Table>,
}

/// One segment as a program-file table.
fn segment_table(seg: &Segment) -> toml::Table {
    let mut t = toml::Table::new();
    t.insert("mode".into(), seg.mode.name().into());
    match seg.seconds {
        Some(s) if s % 60 == 0 => {
            t.insert("minutes".into(), i64::from(s / 60).into());
        }
        Some(s) => {
            t.insert("seconds".into(), i64::from(s).into());
        }
        None => {}
    }
    if seg.intensity_percent != 100 {
        t.insert(
            "intensity_percent".into(),
            i64::from(seg.intensity_percent).into(),
        );
    }
    if seg.interphase_us != 0 {
        t.insert("interphase_us".into(), i64::from(seg.interphase_us).into());
    }
    for (key, value) in seg.mode.params() {
        let v: toml::Value = match value {
            Param::F64(x) => x.into(),
            Param::U32(x) => i64::from(x).into(),
            Param::Str(x) => x.into(),
        };
        t.insert(key.into(), v);
    }
    t
}

/// The program as a program file (the same format `parse` reads).
pub fn to_toml(p: &Program) -> String {
    let out = ProgramOut {
        id: p.id.clone(),
        kind: p.kind.as_str().into(),
        placements: p.placements.clone(),
        name: RawText {
            nl: p.name.nl.clone(),
            en: p.name.en.clone(),
        },
        summary: RawText {
            nl: p.summary.nl.clone(),
            en: p.summary.en.clone(),
        },
        segments: p.segments.iter().map(segment_table).collect(),
    };
    toml::to_string(&out).unwrap_or_default()
}
