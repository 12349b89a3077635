//! Calibration through the real binary on the sim board: the modelled analog errors of the
//! output stage (`[sim] analog_*`) show in the trace as DC at rest and unbalanced, too strong
//! pulses without `[calibration]`, and vanish with it; `stimd calibrate`, driven as a
//! technician would (the trace's modelled current as the multimeter), prints lines that
//! remove them, and switches the output off on every way out.

mod common;

use common::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zbus::zvariant::Value;

/// The modelled board: channel 0 has +300 µA at mid-scale and 2 % too much gain, channel 1
/// −450 µA and 1.5 % too little.
const MODEL: &str = "[sim]\nanalog_offset_ua = [300, -450]\nanalog_gain_ppm = [20000, -15000]\n";
const OFFSETS: [i32; 2] = [300, -450];

/// One code step of the sim board's MCP4922, µA (100 mA / 2047).
const LSB_UA: i32 = 49;

/// A pulse on one channel as the trace shows it: the rest level before and after, the two
/// phases' modelled currents and codes.
#[derive(Debug, Clone, Copy)]
struct Seen {
    rest_code: u16,
    rest_ua: i32,
    code1: u16,
    phase1_ua: i32,
    phase2_ua: i32,
}

/// Pulses as rest → up → down → the same rest, whatever code the rest is.
fn pulses_around_rest(rows: &[Row], channel: usize) -> Vec<Seen> {
    let dac: Vec<(u16, i32)> = rows
        .iter()
        .filter_map(|r| match *r {
            Row::Dac {
                channel: c,
                code,
                microamps,
                ..
            } if c == channel => Some((code, microamps)),
            _ => None,
        })
        .collect();
    dac.windows(4)
        .filter(|w| w[0].0 == w[3].0 && w[1].0 > w[0].0 && w[2].0 < w[0].0)
        .map(|w| Seen {
            rest_code: w[3].0,
            rest_ua: w[3].1,
            code1: w[1].0,
            phase1_ua: w[1].1,
            phase2_ua: w[2].1,
        })
        .collect()
}

/// Runs a 10 mA `low-back` session on the modelled board with `extra` configuration and
/// returns each channel's pulses at the full level, and the daemon's log.
async fn session_pulses(dir: &Path, extra: &str) -> ([Vec<Seen>; 2], String) {
    let bus = Bus::start();
    let trace = dir.join("t.csv");
    let config = format!("{MODEL}[limits]\nrise_rate_ua_per_s = 5000\n{extra}");
    let mut daemon = Daemon::start_with_config(&bus, &dir.join("state"), &trace, &config).await;
    let c = Client::new(&bus).await;
    let options = opts(vec![("intensity", Value::from(vec![10_000u32, 10_000]))]);
    c.session.start("low-back", options).await.unwrap();
    let start = Instant::now();
    while c.session.intensity().await.unwrap() != [10_000, 10_000] {
        assert!(start.elapsed() < DEADLINE, "the ramp never reached 10 mA");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    c.session.stop().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = daemon.log_text();
    assert!(daemon.terminate().success());
    let rows = read_trace(&trace);
    let at_level = |ch| {
        let p = pulses_around_rest(&rows, ch);
        let top = p.iter().map(|s| s.code1).max().expect("pulses");
        let top: Vec<Seen> = p.into_iter().filter(|s| s.code1 == top).collect();
        assert!(
            top.len() >= 20,
            "channel {ch}: {} pulses at the level",
            top.len()
        );
        top
    };
    ([at_level(0), at_level(1)], log)
}

/// With a calibration that matches the board (to within `slack_ua` of measuring error): no DC
/// at rest (½ LSB), each pulse's phases balanced (1 LSB), each phase the 10 mA asked and never
/// more (1 LSB).
fn assert_corrected(pulses: &[Vec<Seen>; 2], slack_ua: i32) {
    for (ch, p) in pulses.iter().enumerate() {
        for s in p {
            assert!(
                s.rest_ua.abs() <= LSB_UA / 2 + slack_ua,
                "channel {ch}: {} µA at rest: {s:?}",
                s.rest_ua
            );
            assert!(
                (s.phase1_ua + s.phase2_ua).abs() <= LSB_UA + slack_ua,
                "channel {ch}: unbalanced {s:?}"
            );
            for phase in [s.phase1_ua, -s.phase2_ua] {
                assert!(
                    (10_000 - LSB_UA - slack_ua..=10_000 + slack_ua).contains(&phase),
                    "channel {ch}: a phase of {phase} µA for 10 mA: {s:?}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analog_errors_show_without_calibration_and_vanish_with_it() {
    retry_on_timing_trip("analog", |dir| async move {
        // Uncalibrated: the rest code is mid-scale, which drives the offset as DC the whole
        // session; the mirrored codes carry the offset twice per pulse; the gain error and
        // the offset make a phase stronger than asked.
        let (pulses, log) = session_pulses(&dir.join("raw"), "").await;
        assert!(!log.contains("DAC calibration"), "{log}");
        for (ch, p) in pulses.iter().enumerate() {
            let offset = OFFSETS[ch];
            for s in p {
                assert_eq!(s.rest_code, 2048, "channel {ch}: rest at mid-scale");
                assert_eq!(s.rest_ua, offset, "channel {ch}: DC at rest: {s:?}");
                let net = s.phase1_ua + s.phase2_ua;
                assert!(
                    (net - 2 * offset).abs() <= 2 && net.abs() > 10 * LSB_UA,
                    "channel {ch}: net {net} µA per pulse: {s:?}"
                );
                assert!(
                    s.phase1_ua.max(-s.phase2_ua) > 10_200,
                    "channel {ch}: more than the 10 mA asked: {s:?}"
                );
            }
        }

        // Calibrated with the board's own errors: neither.
        let cal = "[calibration]\noffset_ua = [300, -450]\ngain_ppm = [20000, -15000]\n";
        let (pulses, log) = session_pulses(&dir.join("cal"), cal).await;
        assert!(log.contains("DAC calibration"), "{log}");
        for (ch, p) in pulses.iter().enumerate() {
            assert_ne!(p[0].rest_code, 2048, "channel {ch}: rest is not mid-scale");
        }
        assert_corrected(&pulses, 0);
    })
    .await;
}

/// `stimd calibrate` on the sim board with piped standard streams: the conversation on
/// standard error, the lines on standard output.
struct Calibrate {
    child: Child,
    stdin: Option<ChildStdin>,
    talk: Arc<Mutex<String>>,
    out: Arc<Mutex<String>>,
}

fn collect(mut from: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let t = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            t.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}

impl Calibrate {
    fn start(config: &Path, trace: &Path) -> Calibrate {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stimd"))
            .args(["calibrate", "--board", "sim", "--config"])
            .arg(config)
            .arg("--trace")
            .arg(trace)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn stimd calibrate");
        let talk = collect(child.stderr.take().unwrap());
        let out = collect(child.stdout.take().unwrap());
        Calibrate {
            stdin: child.stdin.take(),
            child,
            talk,
            out,
        }
    }

    fn talk(&self) -> String {
        self.talk.lock().unwrap().clone()
    }

    /// Waits until the conversation holds `needle` `count` times; `None` if the process
    /// ended first.
    fn wait_for(&mut self, needle: &str, count: usize) -> Option<String> {
        let start = Instant::now();
        loop {
            let t = self.talk();
            if t.matches(needle).count() >= count {
                return Some(t);
            }
            if self.child.try_wait().unwrap().is_some() {
                std::thread::sleep(Duration::from_millis(50));
                let t = self.talk();
                return (t.matches(needle).count() >= count).then_some(t);
            }
            assert!(start.elapsed() < DEADLINE, "waited for {needle:?} in:\n{t}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn answer(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the exit: the code (or −signal), standard output, the conversation.
    fn finish(mut self) -> (i32, String, String) {
        drop(self.stdin.take());
        self.wait()
    }

    /// Waits for the exit with standard input still open (a signal's own way out, not raced
    /// by the input ending), then the exit code, standard output and the conversation.
    fn wait(mut self) -> (i32, String, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            assert!(start.elapsed() < DEADLINE, "calibrate did not exit");
            std::thread::sleep(Duration::from_millis(10));
        };
        std::thread::sleep(Duration::from_millis(50));
        use std::os::unix::process::ExitStatusExt;
        let code = status
            .code()
            .unwrap_or_else(|| -status.signal().unwrap_or(0));
        (code, self.out.lock().unwrap().clone(), self.talk())
    }
}

/// The channel and DAC code of the step the latest prompt is for.
fn step_of(talk: &str) -> (usize, u16) {
    let at = talk.rfind(", step ").expect("a step");
    let ch_at = talk[..at].rfind("Channel ").expect("its channel") + "Channel ".len();
    let channel = talk[ch_at..at].parse().expect("channel number");
    let code_at = talk[at..].find("DAC code ").expect("its code") + at + "DAC code ".len();
    let code = talk[code_at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|d| d.parse().ok())
        .expect("code");
    (channel, code)
}

/// The multimeter: the modelled current of `channel` once the DAC holds `code` with the output
/// stage on (the board's registers), as the sim board's trace records it.
fn meter(hw: &Path, trace: &Path, channel: usize, code: u16) -> i32 {
    use std::sync::atomic::Ordering::Acquire;
    let board = stimd::board::sim::registers::Mapping::open(hw).expect("register file");
    let r = board.registers();
    let start = Instant::now();
    loop {
        let held = r.codes[channel].load(Acquire) == code && r.output_enabled(monotonic_ns());
        let last = read_trace(trace)
            .into_iter()
            .rev()
            .find_map(|row| match row {
                Row::Dac {
                    channel: c,
                    code,
                    microamps,
                    ..
                } if c == channel => Some((code, microamps)),
                _ => None,
            });
        match last {
            Some((c, microamps)) if held && c == code => return microamps,
            _ => {}
        }
        assert!(
            start.elapsed() < DEADLINE,
            "channel {channel} never held code {code} with the output on"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn lists(text: &str, key: &str) -> Vec<i32> {
    let line = text
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no {key} in:\n{text}"));
    let inner = &line[line.find('[').unwrap() + 1..line.rfind(']').unwrap()];
    inner
        .split(',')
        .map(|v| v.trim().parse().unwrap())
        .collect()
}

fn calibrate_config(dir: &Path) -> (PathBuf, PathBuf) {
    let hw = dir.join("hardware");
    let config = write_file(
        dir,
        "cal.toml",
        &format!("{MODEL}hardware_file = {:?}\n", hw.to_str().unwrap()),
    );
    (config, hw)
}

/// After the process: HV off and every DAC code at mid-scale in the board's registers.
fn assert_output_off(hw: &Path) {
    use std::sync::atomic::Ordering::Acquire;
    let board = stimd::board::sim::registers::Mapping::open(hw).expect("register file");
    let r = board.registers();
    assert!(!r.hv_enable.load(Acquire), "HV enable left on");
    assert!(!r.output_enabled(monotonic_ns()));
    assert!(r
        .codes
        .iter()
        .all(|c| c.load(Acquire) == stimd::board::sim::MID));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibrate_on_the_sim_board_prints_lines_that_remove_the_modelled_error() {
    retry_on_timing_trip("calibrate", |dir| async move {
        let (config, hw) = calibrate_config(&dir);
        let trace = dir.join("calibrate.csv");
        let mut cal = Calibrate::start(&config, &trace);
        cal.wait_for("Type yes to go on: ", 1)
            .expect("the question");
        cal.answer("yes");
        let mut prompts = 0;
        while let Some(talk) = cal.wait_for("Reading (", prompts + 1) {
            prompts += 1;
            let (channel, code) = step_of(&talk);
            let ua = meter(&hw, &trace, channel, code);
            if prompts == 1 {
                cal.answer(&ua.to_string()); // no unit: asked again
            } else {
                cal.answer(&format!("{ua} uA"));
            }
        }
        let (code, out, talk) = cal.finish();
        assert_eq!(code, 0, "{talk}");
        assert_eq!(prompts, 7, "six steps and one reading again: {talk}");
        assert!(talk.contains("has no unit"), "{talk}");
        assert!(talk.contains("NO PERSON MAY BE CONNECTED"), "{talk}");
        assert_output_off(&hw);

        // The printed lines are the model's errors, to within the meter's 1 µA.
        let (offsets, gains) = (lists(&out, "offset_ua"), lists(&out, "gain_ppm"));
        assert!(out.contains("[calibration]"), "{out}");
        for (ch, want_gain) in [20_000, -15_000].into_iter().enumerate() {
            assert!((offsets[ch] - OFFSETS[ch]).abs() <= 2, "{out}");
            assert!((gains[ch] - want_gain).abs() <= 300, "{out}");
        }

        // Pasted into the configuration, they remove the modelled error.
        let (pulses, log) = session_pulses(&dir.join("after"), &out).await;
        assert!(log.contains("DAC calibration"), "{log}");
        assert_corrected(&pulses, 8);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibrate_needs_a_yes_and_switches_off_on_every_way_out() {
    use std::sync::atomic::Ordering::Acquire;
    let dir = TempDir::new("calibrate-exits");
    let (config, hw) = calibrate_config(&dir.0);
    let trace = dir.0.join("t.csv");

    // Not confirmed: nothing is switched on, nothing printed.
    let mut cal = Calibrate::start(&config, &trace);
    cal.wait_for("Type yes to go on: ", 1)
        .expect("the question");
    cal.answer("no");
    let (code, out, talk) = cal.finish();
    assert_eq!(code, 1, "{talk}");
    assert!(out.is_empty(), "{out}");
    assert!(talk.contains("nothing was switched on"), "{talk}");
    let board = stimd::board::sim::registers::Mapping::open(&hw).unwrap();
    assert_eq!(
        board.registers().hv_cut_ns.load(Acquire),
        0,
        "HV was never on"
    );
    assert_output_off(&hw);
    drop(board);

    // Interrupted (Ctrl-C, a terminal closed, systemd stopping it) or the input ending while
    // the output is on: off at once, nothing printed.
    for (how, want) in [
        (Some(libc::SIGINT), 130),
        (Some(libc::SIGTERM), 130),
        (Some(libc::SIGHUP), 130),
        (Some(libc::SIGQUIT), 130),
        (Some(libc::SIGTSTP), 130),
        (None, 1),
    ] {
        let mut cal = Calibrate::start(&config, &trace);
        cal.wait_for("Type yes to go on: ", 1)
            .expect("the question");
        cal.answer("yes");
        cal.wait_for("Reading (", 1).expect("a step");
        let board = stimd::board::sim::registers::Mapping::open(&hw).unwrap();
        assert!(
            board.registers().hv_enable.load(Acquire),
            "on while a reading is awaited"
        );
        let (code, out, talk) = match how {
            Some(sig) => {
                // SAFETY: a signal to our own child process.
                unsafe {
                    libc::kill(cal.child.id() as i32, sig);
                }
                cal.wait()
            }
            None => cal.finish(),
        };
        assert_eq!(code, want, "{how:?}: {talk}");
        assert!(out.is_empty(), "{out}");
        let said = if how.is_some() {
            "interrupted: output off, nothing printed"
        } else {
            "the input ended before every reading was typed: output off"
        };
        assert!(talk.contains(said), "{how:?}: {talk}");
        assert_output_off(&hw);
    }
}
