//! The calibration's pure parts (test current, readings, fit) and the procedure and rig on an
//! in-process sim board: fail-closed on every path, and lines that correct the modelled error.

use super::fit::{self, FitError, ReadingError};
use super::rig::{Rig, Stop};
use super::*;
use crate::board::sim::{self, SimHandle, SimSettings};
use std::time::Instant;

fn sim_rig(analog: Transfers, hold: Duration) -> (Rig, SimHandle) {
    let settings = SimSettings {
        load_ohms: 1_000,
        analog,
        calibration: Transfers::IDEAL,
    };
    let b = sim::build_with(settings, Default::default()).unwrap();
    let handle = b.sim.clone().unwrap();
    let rig = Rig::new(b.engine.dac, b.safety, 2, hold).unwrap();
    (rig, handle)
}

fn setup() -> Setup {
    Setup {
        board: "sim",
        dac: "MCP4922",
        bits: 12,
        channels: 2,
        test_ua: 5_000,
        load_ohms: 1_000,
    }
}

/// Polls until `f` holds (generous deadline).
fn eventually(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(5), "never: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn the_test_current_keeps_the_worst_correctable_board_within_the_limits() {
    let mut c = Config::default();
    assert_eq!(fit::test_current_ua(&c), Ok(5_000));
    c.limits.peak_current_ua = 4_000;
    let t = fit::test_current_ua(&c).unwrap();
    assert!(
        fit::worst_case_ua(f64::from(t)) <= 4_000.0 && t >= 1_900,
        "{t}"
    );
    c.limits.peak_current_ua = 20_000;
    c.electrodes.area_cm2 = 1.0; // 2 mA over 1 cm²
    let e = fit::test_current_ua(&c).unwrap_err();
    assert!(
        e.contains("at most 2000 µA of DC") && e.contains("needs 3050 µA"),
        "{e}"
    );
}

#[test]
fn readings_need_a_unit_and_a_point() {
    let ua = |t| fit::parse_reading(t, 1_000);
    assert_eq!(ua("312 uA"), Ok(312.0));
    assert_eq!(ua(" -4.98mA "), Ok(-4_980.0));
    assert_eq!(ua("312µA"), Ok(312.0));
    assert_eq!(ua("+4980 mV"), Ok(4_980.0));
    assert_eq!(ua("0.3 V"), Ok(300.0));
    assert_eq!(fit::parse_reading("100 mV", 500), Ok(200.0));
    assert_eq!(ua("312"), Err(ReadingError::NoUnit("312".into())));
    assert_eq!(ua("4,98 mA"), Err(ReadingError::Comma("4,98 mA".into())));
    assert_eq!(ua(""), Err(ReadingError::Empty));
    assert!(matches!(ua("five mA"), Err(ReadingError::NotANumber(_))));
    assert!(matches!(ua("5 kA"), Err(ReadingError::NotANumber(_))));
    assert!(matches!(ua("1e400 uA"), Err(ReadingError::NotANumber(_))));
    let e = ua("312").unwrap_err().to_string();
    assert!(e.contains("312 uA, 312 mA or 312 mV"), "{e}");
}

#[test]
fn a_reading_far_from_its_step_is_refused_with_what_to_check() {
    // +5 mA asked: 5 µA (a reading in mA typed as µA) and −5 mA (the probes swapped) are wrong.
    assert!(fit::plausible(5_300.0, 4_982.9).is_ok());
    for got in [4.98, -4_982.9, 49_829.0] {
        let e = fit::plausible(got, 4_982.9).unwrap_err();
        assert!(matches!(e, ReadingError::Implausible { .. }), "{got}");
        assert!(e.to_string().contains("polarity"), "{e}");
    }
    assert!(fit::plausible(300.0, 0.0).is_ok());
}

#[test]
fn the_fit_finds_offset_and_gain_and_refuses_what_cannot_be_corrected() {
    let board = Transfer {
        offset_ua: 300,
        gain_ppm: 20_000,
    };
    let points: Vec<(f64, f64)> = [2048u16, 2150, 1946]
        .iter()
        .map(|&c| {
            let ideal = Transfer::IDEAL.microamps_exact(c, 12);
            (ideal, board.microamps_exact(c, 12))
        })
        .collect();
    let f = fit::fit(&points, 12).unwrap();
    assert_eq!(f.transfer, board);
    assert!(f.residual_ua < 1e-6);

    let bent = [(0.0, 300.0), (5_000.0, 5_400.0), (-5_000.0, -4_600.0)];
    assert!(matches!(
        fit::fit(&bent, 12),
        Err(FitError::NotLinear { .. })
    ));
    let far = [(0.0, 2_500.0), (5_000.0, 7_500.0), (-5_000.0, -2_500.0)];
    assert_eq!(fit::fit(&far, 12), Err(FitError::Offset(2_500)));
    let steep = [(0.0, 0.0), (5_000.0, 5_300.0), (-5_000.0, -5_300.0)];
    let e = fit::fit(&steep, 12).unwrap_err();
    assert_eq!(e, FitError::Gain(60_000));
    assert!(e.to_string().contains("needs repair"), "{e}");
}

#[test]
fn the_section_is_what_the_configuration_takes() {
    let lines = fit::section(&[
        Transfer {
            offset_ua: 300,
            gain_ppm: 19_888,
        },
        Transfer {
            offset_ua: -450,
            gain_ppm: -15_000,
        },
    ]);
    assert_eq!(
        lines,
        "[calibration]\noffset_ua = [300, -450]\ngain_ppm = [19888, -15000]\n"
    );
    let c =
        Config::from_layers(Some((std::path::Path::new("cal.toml"), &lines)), Vec::new()).unwrap();
    assert_eq!(c.calibration.gain_ppm, [19_888, -15_000]);
}

#[test]
fn the_rig_switches_on_only_while_driving_and_off_by_itself_after_the_hold() {
    let (rig, sim) = sim_rig(Transfers::IDEAL, Duration::from_millis(60));
    assert!(!sim.output_enabled() && !rig.is_on());
    rig.drive(0, 5_000).unwrap();
    // On, and kept on by the keeper past the monostable's 10 ms (polled: a stalled virtual
    // CPU may let the monostable lapse for a moment; without the keeper it never comes back).
    std::thread::sleep(Duration::from_millis(25));
    eventually("kept on by the keeper", || sim.output_enabled());
    assert!(rig.is_on());
    eventually("off after the hold", || !sim.output_enabled());
    assert_eq!(rig.stopped(), Some(Stop::Timeout));
    rig.drive(1, -5_000).unwrap();
    assert_eq!(rig.stopped(), None);
    eventually("on again", || sim.output_enabled());
    rig.off();
    assert!(!sim.output_enabled() && !rig.is_on());
}

#[test]
fn the_kill_switch_and_a_drop_switch_the_output_off_for_good() {
    let (rig, sim) = sim_rig(Transfers::IDEAL, HOLD);
    rig.drive(0, 5_000).unwrap();
    eventually("on", || sim.output_enabled());
    let kill = rig.kill_switch();
    std::thread::spawn(move || kill.trip()).join().unwrap();
    assert!(!sim.output_enabled());
    assert_eq!(rig.stopped(), Some(Stop::Interrupted));
    assert_eq!(rig.drive(0, 5_000), Err(Stop::Interrupted));
    assert!(!sim.output_enabled());

    let (rig, sim) = sim_rig(Transfers::IDEAL, HOLD);
    rig.drive(1, 5_000).unwrap();
    eventually("on", || sim.output_enabled());
    drop(rig);
    assert!(!sim.output_enabled());
}

#[test]
fn the_overcurrent_input_switches_the_output_off() {
    let (rig, sim) = sim_rig(Transfers::IDEAL, HOLD);
    rig.drive(0, 5_000).unwrap();
    assert!(sim.inject("overcurrent", 200));
    eventually("off on overcurrent", || !sim.output_enabled());
    assert_eq!(rig.stopped(), Some(Stop::Overcurrent));
    assert_eq!(rig.drive(0, 5_000), Err(Stop::Overcurrent));
    assert!(!sim.output_enabled());
}

/// What a meter on the modelled board reads at each step, as typed.
fn readings(model: Transfers, channels: usize) -> String {
    let mut s = String::new();
    for ch in 0..channels {
        for ua in [5_000, 0, -5_000] {
            let code = Transfer::IDEAL.code(ua, 12);
            s += &format!("{} uA\n", model.get(ch).microamps(code, 12));
        }
    }
    s
}

#[test]
fn the_procedure_recovers_the_modelled_errors() {
    let model = Transfers::from_lists(&[300, -450], &[20_000, -15_000]);
    let (rig, sim) = sim_rig(model, HOLD);
    let script = format!("yes\n{}", readings(model, 2));
    let mut talk = Vec::new();
    let t = procedure(&setup(), &rig, &mut script.as_bytes(), &mut talk).unwrap();
    let talk = String::from_utf8(talk).unwrap();
    assert!(!sim.output_enabled() && !rig.is_on(), "off at the end");
    for (ch, got) in t.iter().enumerate() {
        let want = model.get(ch);
        assert!(
            (got.offset_ua - want.offset_ua).abs() <= 1,
            "{got:?} {want:?}"
        );
        assert!(
            (got.gain_ppm - want.gain_ppm).abs() <= 300,
            "{got:?} {want:?}"
        );
    }
    assert!(talk.contains("NO PERSON MAY BE CONNECTED"), "{talk}");
    assert_eq!(talk.matches("Output ON.").count(), 6, "{talk}");
    assert_eq!(talk.matches("Output off.").count(), 6, "{talk}");
}

#[test]
fn without_a_yes_nothing_is_switched_on() {
    for answer in ["no\n", "y\n", "", "yes please\n"] {
        let (rig, sim) = sim_rig(Transfers::IDEAL, HOLD);
        let script = format!("{answer}{}", readings(Transfers::IDEAL, 2));
        let e = procedure(&setup(), &rig, &mut script.as_bytes(), &mut Vec::new()).unwrap_err();
        assert!(matches!(e, CalError::NotConfirmed), "{answer:?}: {e}");
        assert!(!rig.is_on() && !sim.output_enabled());
        assert_eq!(rig.stopped(), None, "never driven");
    }
}

#[test]
fn bad_readings_are_asked_again_and_the_end_of_input_switches_off() {
    let model = Transfers::from_lists(&[300, 0], &[0, 0]);
    let (rig, sim) = sim_rig(model, HOLD);
    // Step 1 (+5 mA): the probes swapped, no unit, a comma, nonsense, then right; step 2
    // (0 mA): the end of the input.
    let script = "yes\n-5282 uA\n5282\n5,282 mA\nlots\n5282 uA\n";
    let mut talk = Vec::new();
    let e = procedure(&setup(), &rig, &mut script.as_bytes(), &mut talk).unwrap_err();
    assert!(matches!(e, CalError::InputEnded), "{e}");
    assert!(!rig.is_on() && !sim.output_enabled());
    let talk = String::from_utf8(talk).unwrap();
    for want in [
        "-5282.0 µA cannot be right at this step",
        "\"5282\" has no unit",
        "use a point as the decimal separator",
        "\"lots\" is not a reading",
    ] {
        assert!(talk.contains(want), "missing {want:?} in:\n{talk}");
    }
    assert_eq!(talk.matches("Reading (").count(), 6, "{talk}");
}

#[test]
fn a_board_beyond_correction_is_measured_three_times_then_refused() {
    // 3 mA at mid-scale: plausible readings, but no calibration corrects it.
    let model = Transfers::from_lists(&[3_000, 0], &[0, 0]);
    let (rig, sim) = sim_rig(model, HOLD);
    let once = readings(model, 1);
    let script = format!("yes\n{once}{once}{once}");
    let mut talk = Vec::new();
    let e = procedure(&setup(), &rig, &mut script.as_bytes(), &mut talk).unwrap_err();
    assert!(
        matches!(
            e,
            CalError::Channel {
                channel: 0,
                problem: FitError::Offset(3_000)
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("needs repair"), "{e}");
    assert!(!sim.output_enabled());
    let talk = String::from_utf8(talk).unwrap();
    assert!(talk.contains("(Measurement 3 of 3.)"), "{talk}");
}

/// Input that waits `pause` before each line after the first: a technician away from the
/// bench longer than the hold.
struct Slow<'a> {
    lines: std::vec::IntoIter<&'a str>,
    pause: Duration,
    first: bool,
    buf: Vec<u8>,
}

impl std::io::Read for Slow<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = std::io::BufRead::fill_buf(self)?.len().min(out.len());
        out[..n].copy_from_slice(&self.buf[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for Slow<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.buf.is_empty() {
            if let Some(l) = self.lines.next() {
                if !std::mem::take(&mut self.first) {
                    std::thread::sleep(self.pause);
                }
                self.buf = format!("{l}\n").into_bytes();
            }
        }
        Ok(&self.buf)
    }
    fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
    }
}

#[test]
fn after_the_hold_the_output_comes_on_again_only_after_another_yes() {
    for (again, on_again) in [("no", false), ("yes", true)] {
        let (rig, sim) = sim_rig(Transfers::IDEAL, Duration::from_millis(60));
        let mut input = Slow {
            lines: vec!["yes", "5000 uA", again].into_iter(),
            pause: Duration::from_millis(300),
            first: true,
            buf: Vec::new(),
        };
        let mut talk = Vec::new();
        let r = procedure(&setup(), &rig, &mut input, &mut talk);
        let talk = String::from_utf8(talk).unwrap();
        assert!(talk.contains("Type yes to switch it on again"), "{talk}");
        if on_again {
            assert!(
                talk.contains("Output ON: read the meter once more."),
                "{talk}"
            );
            assert!(matches!(r, Err(CalError::InputEnded)), "{r:?}");
        } else {
            assert!(matches!(r, Err(CalError::NotConfirmed)), "{r:?}");
            assert!(!talk.contains("Output ON: read"), "{talk}");
        }
        assert!(!sim.output_enabled() && !rig.is_on());
    }
}
