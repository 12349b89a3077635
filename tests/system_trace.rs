//! The sim board's VCD trace (`--trace FILE.vcd`) written by the real daemon through a real
//! session, then opened by tools nobody here wrote: GTKWave's `vcd2fst` (VCD → FST) and
//! `fst2vcd` (FST → VCD) for every signal, and `sigrok-cli` (libsigrok, the library under
//! PulseView) for the 1-bit lines. Debian's libsigrok 0.5.2 stops reading a dump at its first
//! multi-bit value, so sigrok gets the dump without the DAC code lines, as README tells
//! PulseView users to do. Both packages come from `scripts/ensure-deps.sh`.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use zbus::zvariant::Value;

/// Every value change of a dump, by signal name: (time, value as the file wrote it).
type Changes = HashMap<String, Vec<(u64, String)>>;

/// Reads a dump (its signal names, its timescale, its value changes) with a tokenizer of its
/// own, so that a tool's output is read as that tool wrote it.
fn changes(text: &str) -> (Changes, String) {
    let mut names = HashMap::new();
    let mut timescale = String::new();
    let mut out = Changes::new();
    let mut t = 0;
    let mut tokens = text.split_whitespace();
    while let Some(tok) = tokens.next() {
        let mut until_end = || {
            tokens
                .by_ref()
                .take_while(|x| *x != "$end")
                .collect::<Vec<_>>()
        };
        let (id, value) = match tok.as_bytes()[0] {
            b'$' => {
                match tok {
                    "$var" => {
                        let v = until_end();
                        names.insert(v[2].to_string(), v[3].to_string());
                    }
                    "$timescale" => timescale = until_end().concat(),
                    "$dumpvars" | "$end" | "$dumpon" | "$dumpoff" | "$dumpall" => {}
                    _ => {
                        until_end();
                    }
                }
                continue;
            }
            b'#' => {
                t = tok[1..].parse().expect("a time");
                continue;
            }
            b'b' | b'B' | b'r' | b'R' => (
                tokens.next().expect("an id").to_string(),
                tok[1..].to_string(),
            ),
            _ => (tok[1..].to_string(), tok[..1].to_string()),
        };
        if let Some(n) = names.get(&id) {
            out.entry(n.clone()).or_default().push((t, value));
        }
    }
    (out, timescale)
}

/// The values a signal took, in order, with repeats collapsed.
fn values(c: &Changes, name: &str) -> Vec<String> {
    let mut v: Vec<String> = c
        .get(name)
        .unwrap_or_else(|| panic!("no signal {name} in {:?}", c.keys()))
        .iter()
        .map(|x| x.1.clone())
        .collect();
    v.dedup();
    v
}

/// Runs a tool, panicking with its output if it fails.
fn tool(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (scripts/ensure-deps.sh installs it)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls until the daemon's own dump shows channel 1's pads taken off and put back (the last
/// thing the scenario does), so that nothing is still held in the writer when it stops.
async fn wait_written(trace: &Path) {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(trace).unwrap_or_default();
        if text.contains("$enddefinitions") {
            let (c, _) = changes(&text);
            if c.get("ch1_pads_on").map_or(0, Vec::len) >= 3 {
                return;
            }
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the trace did not show the pads"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vcd_trace_opens_in_gtkwave_and_sigrok_with_the_session_in_it() {
    retry_on_timing_trip("vcd", |dir| async move {
        let bus = Bus::start();
        let trace = dir.join("t.vcd");
        let mut d = Daemon::start(&bus, &dir.join("state"), &trace).await;
        let c = Client::new(&bus).await;
        c.session
            .start(
                "low-back",
                opts(vec![("intensity", Value::from(vec![2_000u32, 2_000]))]),
            )
            .await
            .unwrap();
        let start = Instant::now();
        while c.session.intensity().await.unwrap() != [2_000, 2_000] {
            assert!(start.elapsed() < DEADLINE, "intensity did not reach 2 mA");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A few pulses at 2 mA (80 Hz), then the end.
        tokio::time::sleep(Duration::from_millis(200)).await;
        c.session.stop().await.unwrap();
        c.wait_state("idle").await;
        c.sim.set_contact(1, false).await.unwrap();
        c.sim.set_contact(1, true).await.unwrap();
        wait_written(&trace).await;
        assert!(d.terminate().success());
        let text = std::fs::read_to_string(&trace).unwrap();
        assert!(!text.contains("dropped"), "the trace dropped events");

        // GTKWave: VCD → FST → VCD, every signal.
        let fst = dir.join("t.fst");
        tool(Command::new("vcd2fst").arg(&trace).arg(&fst));
        let back = tool(Command::new("fst2vcd").arg(&fst));
        let (g, timescale) = changes(&back);
        assert_eq!(timescale, "1ns");
        for n in 0..2 {
            for s in ["dac_code", "current_mA", "voltage_V", "pads_on", "contact"] {
                assert!(
                    g.contains_key(&format!("ch{n}_{s}")),
                    "ch{n}_{s}: {:?}",
                    g.keys()
                );
            }
        }
        // The output stage: off at power-on, on for the session, off after it.
        assert_eq!(values(&g, "enable"), ["0", "1", "0"]);
        let on = g["enable"].iter().find(|x| x.1 == "1").unwrap().0;
        let off = g["enable"].iter().rfind(|x| x.1 == "0").unwrap().0;
        for n in 0..2 {
            // Pulses: a positive phase, a negative one, then mid-scale (0 mA), only while on.
            let codes = &g[&format!("ch{n}_dac_code")];
            let code = |v: &str| u16::from_str_radix(v, 2).unwrap();
            assert_eq!(code(&codes[0].1), 2048, "mid-scale at power-on");
            assert_eq!(code(&codes.last().unwrap().1), 2048, "mid-scale at the end");
            let onsets: Vec<u64> = codes
                .windows(2)
                .filter(|w| code(&w[0].1) == 2048 && code(&w[1].1) > 2048)
                .map(|w| w[1].0)
                .collect();
            assert!(onsets.len() >= 10, "ch{n}: {} pulses", onsets.len());
            assert!(
                onsets.iter().all(|&t| on < t && t < off),
                "ch{n}: {onsets:?}"
            );
            let pulse = codes
                .windows(3)
                .rfind(|w| code(&w[0].1) > 2048)
                .expect("a whole pulse");
            assert!(
                code(&pulse[1].1) < 2048 && code(&pulse[2].1) == 2048,
                "{pulse:?}"
            );
            // At 2 mA: the positive phase within one DAC step (100 mA / 2047) below 2 mA.
            let ma: Vec<f64> = g[&format!("ch{n}_current_mA")]
                .iter()
                .map(|x| x.1.parse().unwrap())
                .collect();
            let top = ma.iter().cloned().fold(f64::MIN, f64::max);
            let bottom = ma.iter().cloned().fold(f64::MAX, f64::min);
            assert!((1.95..=2.0).contains(&top), "ch{n}: {top} mA");
            assert!((-2.0..=-1.95).contains(&bottom), "ch{n}: {bottom} mA");
            // 1 kΩ (the default load): as many volts as mA.
            let volts: Vec<f64> = g[&format!("ch{n}_voltage_V")]
                .iter()
                .map(|x| x.1.parse().unwrap())
                .collect();
            assert_eq!(volts.iter().cloned().fold(f64::MIN, f64::max), top);
            // The comparator saw current during the pulses.
            assert_eq!(values(&g, &format!("ch{n}_contact"))[..3], ["0", "1", "0"]);
        }
        assert_eq!(values(&g, "ch1_pads_on"), ["1", "0", "1"]);

        // sigrok: the 1-bit lines, at 1 µs a sample (downsample 1 ns × 1000).
        let logic = dir.join("logic.vcd");
        let kept: String = text
            .lines()
            .filter(|l| !l.starts_with('b'))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&logic, kept).unwrap();
        let s = tool(
            Command::new("sigrok-cli")
                .args(["-I", "vcd:downsample=1000", "-i"])
                .arg(&logic)
                .args(["-O", "vcd"]),
        );
        let (s, _) = changes(&s);
        assert_eq!(
            values(&s, "enable"),
            ["0", "1", "0"],
            "sigrok: {:?}",
            s.keys()
        );
        assert_eq!(values(&s, "ch0_contact")[..3], ["0", "1", "0"]);
        assert_eq!(values(&s, "ch1_pads_on"), ["1", "0", "1"]);
        assert_eq!(values(&s, "ch0_pads_on"), ["1"]);
    })
    .await;
}
