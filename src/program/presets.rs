//! The compiled-in programs from the product leaflet, in Dutch and English.

use super::{Kind, Mode, Program, Segment, Sweep, Text};

fn seg(mode: Mode) -> Segment {
    Segment {
        mode,
        seconds: None,
        intensity_percent: 100,
        interphase_us: 0,
    }
}

fn program(
    id: &str,
    name: (&str, &str),
    kind: Kind,
    summary: (&str, &str),
    placements: &[&str],
    segments: Vec<Segment>,
) -> Program {
    Program {
        id: id.into(),
        name: Text::new(name.0, name.1),
        kind,
        summary: Text::new(summary.0, summary.1),
        placements: placements.iter().map(|p| p.to_string()).collect(),
        segments,
    }
}

/// Every built-in program.
pub fn presets() -> Vec<Program> {
    vec![
        program(
            "low-back",
            ("Rug", "Low back"),
            Kind::Tens,
            (
                "Conventionele TENS, 80 Hz, 200 µs: pijn in de onderrug; zet de intensiteit tot een duidelijke tinteling die geen pijn doet.",
                "Conventional TENS, 80 Hz, 200 µs: low back pain; raise the intensity until a clear tingling that does not hurt.",
            ),
            &["low back"],
            vec![seg(Mode::Conventional { rate_hz: 80.0, phase_us: 200 })],
        ),
        program(
            "neck",
            ("Nek", "Neck"),
            Kind::Tens,
            (
                "Conventionele TENS, 100 Hz, 150 µs: nekpijn en stijve nek; pads naast de wervelkolom, nooit op de voorkant van de hals.",
                "Conventional TENS, 100 Hz, 150 µs: neck pain and stiffness; pads beside the spine, never on the front of the neck.",
            ),
            &["neck"],
            vec![seg(Mode::Conventional { rate_hz: 100.0, phase_us: 150 })],
        ),
        program(
            "shoulder",
            ("Schouder", "Shoulder"),
            Kind::Tens,
            (
                "Conventionele TENS, 90 Hz, 180 µs: schouderpijn; pads voor en achter op de schouder.",
                "Conventional TENS, 90 Hz, 180 µs: shoulder pain; pads on the front and back of the shoulder.",
            ),
            &["shoulder"],
            vec![seg(Mode::Conventional { rate_hz: 90.0, phase_us: 180 })],
        ),
        program(
            "knee",
            ("Knie (artrose)", "Knee (arthrosis)"),
            Kind::Tens,
            (
                "Conventionele TENS, 110 Hz, 200 µs: knieklachten bij artrose; pads aan weerszijden van de knie.",
                "Conventional TENS, 110 Hz, 200 µs: knee pain with arthrosis; pads on either side of the knee.",
            ),
            &["knee"],
            vec![seg(Mode::Conventional { rate_hz: 110.0, phase_us: 200 })],
        ),
        program(
            "massage",
            ("Massage", "Massage"),
            Kind::Tens,
            (
                "Burst-TENS: pakketjes van 8 pulsen op 100 Hz, 2 keer per seconde; voelt als een kloppende massage.",
                "Burst TENS: trains of 8 pulses at 100 Hz, twice a second; feels like a kneading massage.",
            ),
            &["upper back", "low back", "shoulder", "thigh", "calf"],
            vec![seg(Mode::Burst { rate_hz: 2.0, pulses: 8, inner_rate_hz: 100.0, phase_us: 200 })],
        ),
        program(
            "tapping",
            ("Tikken", "Tapping"),
            Kind::Tens,
            (
                "Acupunctuur-achtige TENS, 2 Hz, 250 µs: langzame tikken voor diepe, langdurige pijn; wat hogere intensiteit is normaal.",
                "Acupuncture-like TENS, 2 Hz, 250 µs: slow taps for deep, long-standing pain; a somewhat higher intensity is normal.",
            ),
            &["low back", "shoulder", "knee", "hip"],
            vec![seg(Mode::Acupuncture { rate_hz: 2.0, phase_us: 250 })],
        ),
        program(
            "nerve-pain",
            ("Zenuwpijn", "Nerve pain"),
            Kind::Tens,
            (
                "Gemoduleerde TENS: de frequentie golft tussen 80 en 150 Hz zodat de zenuwen niet wennen; bij ischias en neuropathie.",
                "Modulated TENS: the rate sweeps between 80 and 150 Hz so the nerves do not get used to it; for sciatica and neuropathy.",
            ),
            &["low back", "thigh", "calf", "foot"],
            vec![seg(Mode::Modulated {
                rate_hz: 80.0,
                phase_us: 150,
                period_s: 6.0,
                sweep: Sweep::Rate { to_hz: 150.0 },
            })],
        ),
        program(
            "ems-recovery",
            ("EMS herstel", "EMS recovery"),
            Kind::Ems,
            (
                "EMS voor herstel: 8 Hz, 250 µs, 5 s aan en 5 s rust met zachte op- en afbouw; ontspant en doorbloedt vermoeide spieren.",
                "EMS for recovery: 8 Hz, 250 µs, 5 s on and 5 s rest with gentle ramps; relaxes tired muscles and helps circulation.",
            ),
            &["thigh", "calf", "upper back", "arm"],
            vec![seg(Mode::Ems {
                rate_hz: 8.0,
                phase_us: 250,
                ramp_up_s: 1.0,
                on_s: 5.0,
                ramp_down_s: 1.0,
                off_s: 5.0,
            })],
        ),
        program(
            "ems-strength",
            ("EMS kracht", "EMS strength"),
            Kind::Ems,
            (
                "EMS voor kracht: 35 Hz, 300 µs, 6 s aanspannen en 12 s rust; de spier trekt zichtbaar samen.",
                "EMS for strength: 35 Hz, 300 µs, 6 s contraction and 12 s rest; the muscle visibly contracts.",
            ),
            &["thigh", "calf", "arm", "abdomen"],
            vec![seg(Mode::Ems {
                rate_hz: 35.0,
                phase_us: 300,
                ramp_up_s: 1.5,
                on_s: 6.0,
                ramp_down_s: 1.0,
                off_s: 12.0,
            })],
        ),
        program(
            "combi-low-back",
            ("Combi rug", "Combi low back"),
            Kind::Combi,
            (
                "Eerst 20 min TENS tegen de pijn (80 Hz, 200 µs), dan 10 min zachte EMS (25 Hz) voor de rugspieren; de EMS begint weer bij nul.",
                "First 20 min of TENS against the pain (80 Hz, 200 µs), then 10 min of gentle EMS (25 Hz) for the back muscles; the EMS starts from zero again.",
            ),
            &["low back"],
            vec![
                Segment {
                    seconds: Some(20 * 60),
                    ..seg(Mode::Conventional { rate_hz: 80.0, phase_us: 200 })
                },
                Segment {
                    seconds: None,
                    interphase_us: 0,
                    // Low intensity: half of the TENS level (after scaling for the wider phase).
                    intensity_percent: 50,
                    mode: Mode::Ems {
                        rate_hz: 25.0,
                        phase_us: 250,
                        ramp_up_s: 2.0,
                        on_s: 5.0,
                        ramp_down_s: 1.0,
                        off_s: 10.0,
                    },
                },
            ],
        ),
    ]
}

/// A built-in program by id.
pub fn find_preset(id: &str) -> Option<Program> {
    presets().into_iter().find(|p| p.id == id)
}
