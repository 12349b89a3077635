//! The compiled-in programs from the product leaflet.

use super::{Kind, Mode, Program, Segment, Text};

fn text(nl: &str, en: &str) -> Text {
    Text {
        nl: nl.into(),
        en: en.into(),
    }
}

/// Every built-in program.
pub fn presets() -> Vec<Program> {
    vec![Program {
        id: "low-back".into(),
        name: text("Rug", "Low back"),
        kind: Kind::Tens,
        summary: text(
            "Conventionele TENS, 80 Hz, 200 µs: pijn in de onderrug; zet de intensiteit tot een \
             duidelijke tinteling die geen pijn doet.",
            "Conventional TENS, 80 Hz, 200 µs: low back pain; raise the intensity until a clear \
             tingling that does not hurt.",
        ),
        segments: vec![Segment {
            mode: Mode::Conventional {
                rate_hz: 80.0,
                phase_us: 200,
            },
            minutes: None,
        }],
    }]
}

/// A built-in program by id.
pub fn find_preset(id: &str) -> Option<Program> {
    presets().into_iter().find(|p| p.id == id)
}
