//! Tests of the program model, the file format and the presets.

use super::text::{parse, to_toml};
use super::*;
use crate::catalog::Catalog;
use crate::model::limits::tests::default_limits;
use crate::model::units::{Hertz, Micros};
use proptest::prelude::*;

#[test]
fn every_preset_fits_the_default_limits_and_round_trips() {
    let limits = default_limits();
    let ps = presets();
    let ids: Vec<&str> = ps.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "low-back",
            "neck",
            "shoulder",
            "knee",
            "massage",
            "tapping",
            "nerve-pain",
            "ems-recovery",
            "ems-strength",
            "combi-low-back"
        ]
    );
    for p in &ps {
        p.check(&limits)
            .unwrap_or_else(|e| panic!("{}: {e:?}", p.id));
        assert!(!p.name.nl.is_empty() && !p.name.en.is_empty() && !p.summary.nl.is_empty());
        let back = parse(&to_toml(p), &limits).unwrap_or_else(|e| panic!("{}: {e:?}", p.id));
        assert_eq!(&back, p, "{} round-trips through its file format", p.id);
    }
}

#[test]
fn low_back_is_conventional_80hz_200us() {
    let p = find_preset("low-back").unwrap();
    assert_eq!(p.kind, Kind::Tens);
    assert_eq!(
        p.segments[0].mode,
        Mode::Conventional {
            rate_hz: 80.0,
            phase_us: 200
        }
    );
    assert_eq!(p.name.get("nl"), "Rug");
}

#[test]
fn the_presets_cover_every_mode_and_the_combi_starts_ems_low() {
    let ps = presets();
    for mode in ["conventional", "acupuncture", "burst", "modulated", "ems"] {
        assert!(
            ps.iter()
                .any(|p| p.segments.iter().any(|s| s.mode.name() == mode)),
            "no preset uses {mode}"
        );
    }
    let combi = find_preset("combi-low-back").unwrap();
    assert_eq!(combi.kind, Kind::Combi);
    assert_eq!(combi.segments[0].mode.name(), "conventional");
    assert_eq!(combi.segments[1].mode.name(), "ems");
    assert!(combi.segments[1].intensity_percent < 100);
}

#[test]
fn out_of_range_shape_is_listed() {
    let mut limits = default_limits();
    limits.max_rate = Hertz(50.0);
    let p = find_preset("low-back").unwrap();
    let e = p.check(&limits).unwrap_err();
    assert_eq!(
        e,
        vec!["segments[0].rate_hz = 80 is out of range (allowed: 80..=50)"]
    );
}

#[test]
fn segment_at_walks_segments_in_order() {
    let seg = |rate_hz, seconds| Segment {
        mode: Mode::Conventional {
            rate_hz,
            phase_us: 200,
        },
        seconds,
        intensity_percent: 100,
        interphase_us: 0,
    };
    let p = Program {
        segments: vec![
            seg(80.0, Some(60)),
            seg(100.0, Some(30)),
            seg(120.0, Some(10)),
        ],
        ..find_preset("low-back").unwrap()
    };
    assert_eq!(p.segment_at_ms(59_999), (0, 0));
    assert_eq!(p.segment_at_ms(60_000), (1, 60_000));
    assert_eq!(p.segment_at_ms(89_999), (1, 60_000));
    assert_eq!(p.segment_at_ms(90_000), (2, 90_000));
    // The last segment runs to the end of the session, whatever its own duration.
    assert_eq!(p.segment_at_ms(10_000_000), (2, 90_000));
    assert_eq!(
        p.segments[p.segment_at_ms(61_000).0]
            .mode
            .worst_shape()
            .rate,
        Hertz(100.0)
    );
}

const GOOD: &str = r#"
id = "my-knee"
kind = "combi"
placements = ["knee"]

[name]
nl = "Mijn knie"
en = "My knee"

[summary]
nl = "Eerst TENS, dan zachte EMS."
en = "TENS first, then gentle EMS."

[[segments]]
mode = "burst"
rate_hz = 2
pulses = 8
inner_rate_hz = 100
phase_us = 200
minutes = 10

[[segments]]
mode = "modulated"
rate_hz = 100
phase_us = 100
period_s = 4
sweep = "width"
sweep_to_us = 250
seconds = 90

[[segments]]
mode = "ems"
rate_hz = 35
phase_us = 300
ramp_up_s = 1.5
on_s = 6
ramp_down_s = 1
off_s = 12
intensity_percent = 40
"#;

#[test]
fn a_full_program_file_parses() {
    let p = parse(GOOD, &default_limits()).unwrap();
    assert_eq!(p.id, "my-knee");
    assert_eq!(p.kind, Kind::Combi);
    assert_eq!(p.segments.len(), 3);
    assert_eq!(p.segments[0].seconds, Some(600));
    assert_eq!(p.segments[1].seconds, Some(90));
    assert_eq!(
        p.segments[1].mode,
        Mode::Modulated {
            rate_hz: 100.0,
            phase_us: 100,
            period_s: 4.0,
            sweep: Sweep::Width { to_us: 250 }
        }
    );
    assert_eq!(p.segments[2].intensity_percent, 40);
    assert_eq!(parse(&to_toml(&p), &default_limits()).unwrap(), p);
}

#[test]
fn every_problem_is_listed_with_key_value_and_range() {
    let bad = GOOD
        .replace("pulses = 8", "pulses = 20")
        .replace("phase_us = 300", "phase_us = 900")
        .replace("intensity_percent = 40", "intensity_percent = 0");
    let e = parse(&bad, &default_limits()).unwrap_err();
    assert_eq!(
        e,
        vec![
            "segments[0].pulses = 20 is out of range (allowed: 7..=10)",
            "segments[2].phase_us = 900 is out of range (allowed: 100..=400)",
            "segments[2].intensity_percent = 0 is out of range (allowed: 1..=100)",
        ]
    );
}

#[test]
fn unknown_keys_foreign_keys_and_missing_keys_are_named() {
    let l = default_limits();
    let e = parse(&GOOD.replace("placements", "placement"), &l).unwrap_err();
    assert!(e[0].contains("unknown field `placement`"), "{e:?}");
    let e = parse(&GOOD.replace("pulses = 8", "pulses = 8\nperiod_s = 3"), &l).unwrap_err();
    assert_eq!(
        e,
        vec!["segments[0].period_s is not used by mode \"burst\""]
    );
    let e = parse(&GOOD.replace("inner_rate_hz = 100\n", ""), &l).unwrap_err();
    assert_eq!(
        e,
        vec!["segments[0].inner_rate_hz is missing (mode \"burst\")"]
    );
    let e = parse(&GOOD.replace("mode = \"burst\"", "mode = \"zap\""), &l).unwrap_err();
    assert_eq!(
        e,
        vec!["segments[0].mode = \"zap\" is not a mode (allowed: conventional, acupuncture, burst, modulated, ems)"]
    );
    let e = parse(&GOOD.replace("minutes = 10", ""), &l).unwrap_err();
    assert_eq!(
        e,
        vec!["segments[0]: needs `minutes` or `seconds` (only the last segment may run to the end of the session)"]
    );
    let e = parse(&GOOD.replace("id = \"my-knee\"", "id = \"My Knee\""), &l).unwrap_err();
    assert!(
        e[0].starts_with("id = \"My Knee\" is not a valid id"),
        "{e:?}"
    );
}

#[test]
fn configured_limits_narrow_the_mode_ranges() {
    let mut l = default_limits();
    l.max_phase_width = Micros(250);
    let e = parse(GOOD, &l).unwrap_err();
    assert_eq!(
        e,
        vec!["segments[2].phase_us = 300 is out of range (allowed: 100..=250)"]
    );
}

#[test]
fn ems_rates_between_the_bands_are_refused() {
    let e = parse(
        &GOOD.replace("rate_hz = 35", "rate_hz = 15"),
        &default_limits(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        vec!["segments[2].rate_hz = 15 is out of range (allowed: 20..=50 for contraction or 1..=10 for relaxation)"]
    );
}

proptest! {
    /// Segment boundaries fall exactly where the durations add up; the last segment runs on.
    #[test]
    fn segments_change_exactly_at_their_boundaries(secs in proptest::collection::vec(1u32..=600, 1..8), probe in 0u64..5_000_000) {
        let seg = |seconds| Segment {
            mode: Mode::Conventional { rate_hz: 80.0, phase_us: 200 },
            seconds: Some(seconds),
            intensity_percent: 100,
            interphase_us: 0,
        };
        let p = Program { segments: secs.iter().map(|&s| seg(s)).collect(), ..find_preset("low-back").unwrap() };
        let mut start = 0u64;
        for (i, &s) in secs.iter().enumerate() {
            let end = start + u64::from(s) * 1_000;
            prop_assert_eq!(p.segment_at_ms(start), (i, start));
            if i + 1 < secs.len() {
                prop_assert_eq!(p.segment_at_ms(end - 1), (i, start));
            }
            start = end;
        }
        let (i, _) = p.segment_at_ms(probe);
        let before: u64 = secs[..i].iter().map(|&s| u64::from(s) * 1_000).sum();
        prop_assert!(probe >= before);
        if i + 1 < secs.len() {
            prop_assert!(probe < before + u64::from(secs[i]) * 1_000);
        }
    }

    /// Program loading never panics on arbitrary text.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = parse(&text, &default_limits());
    }

    /// Arbitrary values in a well-formed file: accepted only when every value is in range, and
    /// then every segment's worst shape is within the limits.
    #[test]
    fn only_in_range_programs_are_accepted(
        rate in -10.0f64..300.0,
        phase in 0u32..1200,
        pulses in 0u32..20,
        inner in 0.0f64..250.0,
        on in -1.0f64..40.0,
        pct in 0u32..150,
    ) {
        let text = GOOD
            .replace("rate_hz = 2\n", &format!("rate_hz = {rate:?}\n"))
            .replace("phase_us = 200", &format!("phase_us = {phase}"))
            .replace("pulses = 8", &format!("pulses = {pulses}"))
            .replace("inner_rate_hz = 100", &format!("inner_rate_hz = {inner:?}"))
            .replace("on_s = 6", &format!("on_s = {on:?}"))
            .replace("intensity_percent = 40", &format!("intensity_percent = {pct}"));
        let l = default_limits();
        match parse(&text, &l) {
            Ok(p) => {
                prop_assert!(ranges::BURST_RATE_HZ.contains(&rate));
                prop_assert!(ranges::BURST_PHASE_US.contains(&phase));
                prop_assert!(ranges::BURST_PULSES.contains(&pulses));
                prop_assert!(ranges::BURST_INNER_RATE_HZ.contains(&inner));
                prop_assert!(ranges::EMS_ON_S.contains(&on));
                prop_assert!(ranges::INTENSITY_PERCENT.contains(&pct));
                for s in &p.segments {
                    let w = s.mode.worst_shape();
                    prop_assert!(w.phase >= l.min_phase_width && w.phase <= l.max_phase_width);
                    prop_assert!(w.rate.0 >= l.min_rate.0 - 0.5 && w.rate.0 <= l.max_rate.0 + 0.5);
                }
            }
            Err(problems) => prop_assert!(!problems.is_empty()),
        }
    }
}

#[test]
fn placements_must_be_known_and_allowed() {
    let l = default_limits();
    let text = GOOD.replace(
        r#"placements = ["knee"]"#,
        r#"placements = ["knee", "chest", "knees"]"#,
    );
    let e = parse(&text, &l).unwrap_err().join("\n");
    assert!(
        e.contains("placements: placement = \"chest\" is never allowed"),
        "{e}"
    );
    assert!(
        e.contains("placements: placement = \"knees\" is unknown"),
        "{e}"
    );
    assert!(!e.contains("\"knee\" is"), "{e}");
}

/// Every pulse of every preset is within the limits a session of it is armed with: the engine
/// checks each pulse against them before writing, so a pulse outside would be a false trip.
#[test]
fn every_preset_pulse_is_within_the_program_s_armed_limits() {
    use crate::safety::armed::ArmedLimits;
    let device = crate::model::limits::tests::default_limits();
    for p in super::presets::presets() {
        let armed = ArmedLimits::for_session(
            &device,
            &[],
            None,
            p.segments.iter().map(|s| s.mode.worst_shape()),
        );
        for seg in &p.segments {
            let pat = seg.pattern();
            let mut t = pat.first_at_or_after(0);
            for _ in 0..5_000 {
                let shape = pat.pulse_at(t);
                let sp = crate::pulse::Setpoint {
                    amplitude: crate::model::units::MicroAmps(1_000),
                    phase: shape.phase,
                    period: shape.interval,
                };
                assert_eq!(armed.check(0, sp), Ok(()), "{} at {t} ns: {shape:?}", p.id);
                t = pat.next_after(t);
            }
        }
    }
}

#[test]
fn control_characters_in_any_text_are_refused_with_the_key() {
    let l = default_limits();
    for (from, to, key) in [
        (
            "nl = \"Mijn",
            "nl = \"Mi\\u0000jn",
            "name.nl = \"Mi\\0jn knie\" contains U+0000",
        ),
        (
            "en = \"My",
            "en = \"M\\u001by",
            "name.en = \"M\\u{1b}y knee\" contains U+001B",
        ),
        (
            r#"placements = ["knee"]"#,
            r#"placements = ["kn\nee"]"#,
            "placements[0] = \"kn\\nee\" contains U+000A",
        ),
    ] {
        assert!(GOOD.contains(from), "{from}");
        let e = parse(&GOOD.replacen(from, to, 1), &l)
            .unwrap_err()
            .join("\n");
        assert!(e.contains(key), "{key}: {e}");
    }
    // Summaries too, with the line break escapes of TOML.
    let p = parse(GOOD, &l).unwrap();
    let with = to_toml(&Program {
        summary: Text::new("regel 1\nregel 2", &p.summary.en),
        ..p
    });
    let e = parse(&with, &l).unwrap_err().join("\n");
    assert!(
        e.contains("summary.nl = \"regel 1\\nregel 2\" contains U+000A"),
        "{e}"
    );
    // Raw control characters in the file itself are named before parsing.
    let e = parse(&GOOD.replacen("id", "\u{1}id", 1), &l)
        .unwrap_err()
        .join("\n");
    assert!(e.contains("U+0001 on line"), "{e}");
    // Overlong texts and oversized files.
    let e = parse(
        &GOOD.replacen("nl = \"Mijn", &format!("nl = \"{}", "k".repeat(80)), 1),
        &l,
    )
    .unwrap_err()
    .join("\n");
    assert!(
        e.contains("name.nl = ") && e.contains("longer than 64 characters"),
        "{e}"
    );
    let big = format!("{GOOD}\n#{}\n", "x".repeat(100 * 1024));
    let e = parse(&big, &l).unwrap_err().join("\n");
    assert!(
        e.contains(&format!(
            "{} bytes (allowed: at most 16384 bytes)",
            big.len()
        )),
        "{e}"
    );
}

#[test]
fn every_preset_text_passes_the_text_check() {
    for p in presets() {
        for (k, v, max) in [
            ("name.nl", &p.name.nl, text::MAX_NAME_LEN),
            ("name.en", &p.name.en, text::MAX_NAME_LEN),
            ("summary.nl", &p.summary.nl, text::MAX_SUMMARY_LEN),
            ("summary.en", &p.summary.en, text::MAX_SUMMARY_LEN),
        ] {
            crate::model::text::check(k, v, max).unwrap_or_else(|e| panic!("{}: {e}", p.id));
        }
    }
}

#[test]
fn a_planted_file_with_a_nul_or_a_foreign_name_is_skipped_and_reported() {
    let dir = std::env::temp_dir().join(format!("stimd-catalog-nul-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("my-knee.toml"),
        GOOD.replacen("nl = \"Mijn knie", "nl = \"a\\u0000b", 1),
    )
    .unwrap();
    std::fs::write(dir.join("other.toml"), GOOD).unwrap();
    let (cat, warnings) = Catalog::load(&dir, default_limits());
    assert_eq!(cat.list().len(), presets().len(), "{warnings:?}");
    let w = warnings.join("\n");
    assert!(
        w.contains("my-knee.toml: skipped: name.nl = \"a\\0b\""),
        "{w}"
    );
    assert!(
        w.contains("other.toml: id = \"my-knee\" does not match the file name"),
        "{w}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

mod pattern;
