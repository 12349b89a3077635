//! System tests of programs: the `Programs` interface and `stimctl` against the real daemon on
//! a real bus, custom programs across a restart, and each mode measured on the sim trace
//! (burst structure, acupuncture rate, EMS work/rest timing, a rate sweep's period, and the
//! combi transition starting EMS from zero).

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;
use zbus::zvariant::Value;

/// A program file with `segments` (TOML `[[segments]]` tables) and the given id.
fn program_toml(id: &str, kind: &str, segments: &str) -> String {
    format!(
        "id = \"{id}\"\nkind = \"{kind}\"\nplacements = [\"low back\"]\n\n[name]\nnl = \"Test {id}\"\nen = \"Test {id}\"\n\n[summary]\nnl = \"Voor de tests.\"\nen = \"For the tests.\"\n\n{segments}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programs_are_listed_added_kept_across_a_restart_and_removed() {
    let dir = TempDir::new("programs");
    let bus = Bus::start();
    let state = dir.0.join("state");
    // The device's default language, which the harness otherwise sets to English.
    let mut daemon = Daemon::start_with_config(
        &bus,
        &state,
        &dir.0.join("t.csv"),
        "[device]\nlocale = \"nl\"\n",
    )
    .await;
    let c = Client::new(&bus).await;

    let list = c.programs.list().await.unwrap();
    let ids: Vec<&str> = list.iter().map(|p| p.0.as_str()).collect();
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
    // Dutch names by default (device.locale = nl).
    assert_eq!(
        list[0],
        (
            "low-back".to_string(),
            "Rug".to_string(),
            "tens".to_string(),
            list[0].3.clone()
        )
    );
    let g = c.programs.get("combi-low-back").await.unwrap();
    assert_eq!(get::<String>(&g, "kind"), "combi");
    assert_eq!(get::<String>(&g, "name_en"), "Combi low back");
    assert!(get::<bool>(&g, "builtin"));
    assert_eq!(get::<String>(&g, "outline"), "conventional 20 min → ems");
    let segs: Vec<std::collections::HashMap<String, zbus::zvariant::OwnedValue>> =
        get(&g, "segments");
    assert_eq!(get::<String>(&segs[1], "mode"), "ems");
    assert_eq!(get::<u32>(&segs[1], "intensity_percent"), 50);
    // 60 mA peak by default: 250 µs at 25 Hz fits it.
    assert_eq!(get::<u32>(&segs[1], "max_intensity_ua"), 60_000);
    assert_eq!(
        get::<String>(&segs[1], "max_intensity_limit"),
        "peak_current"
    );
    let toml_text: String = get(&g, "toml");
    assert!(toml_text.contains("mode = \"ems\""), "{toml_text}");

    // A custom program.
    let text = program_toml(
        "my-back",
        "tens",
        "[[segments]]\nmode = \"conventional\"\nrate_hz = 100\nphase_us = 150\nminutes = 5\n\n[[segments]]\nmode = \"acupuncture\"\nrate_hz = 2\nphase_us = 250\n",
    );
    assert_eq!(c.programs.add(&text).await.unwrap(), "my-back");
    let g = c.programs.get("my-back").await.unwrap();
    assert!(!get::<bool>(&g, "builtin"));
    assert_eq!(
        get::<String>(&g, "outline"),
        "conventional 5 min → acupuncture"
    );

    // Refusals change nothing.
    let bad = text
        .replace("my-back", "bad-one")
        .replace("rate_hz = 100", "rate_hz = 400")
        .replace("phase_us = 250", "phase_us = 20");
    let e = c.programs.add(&bad).await.unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.InvalidArgument");
    let msg = e.message();
    assert!(
        msg.contains("segments[0].rate_hz = 400 is out of range (allowed: 80..=150)")
            && msg.contains("segments[1].phase_us = 20 is out of range (allowed: 200..=250)"),
        "{msg}"
    );
    let e = c
        .programs
        .add(&text.replace("my-back", "low-back"))
        .await
        .unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.NotPermitted");
    let e = c.programs.add(&text).await.unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.InvalidArgument");
    let e = c.programs.remove("low-back").await.unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.NotPermitted");
    let e = c.programs.remove("nope").await.unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.UnknownProgram");
    let e = c.programs.get("nope").await.unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.UnknownProgram");
    assert_eq!(c.programs.list().await.unwrap().len(), 11);

    // A custom program can be started; it survives a restart; then it is removed for good.
    let id = c
        .session
        .start("my-back", opts(vec![("duration", Value::U32(60))]))
        .await
        .unwrap();
    assert!(id > 0);
    assert_eq!(c.session.segment().await.unwrap(), "conventional");
    c.session.stop().await.unwrap();
    assert!(daemon.terminate().success());
    let mut daemon = Daemon::start(&bus, &state, &dir.0.join("t2.csv")).await;
    let c = Client::new(&bus).await;
    assert_eq!(c.programs.list().await.unwrap().len(), 11);
    c.programs.remove("my-back").await.unwrap();
    assert!(daemon.terminate().success());
    let _daemon = Daemon::start(&bus, &state, &dir.0.join("t3.csv")).await;
    let c = Client::new(&bus).await;
    assert_eq!(c.programs.list().await.unwrap().len(), 10);
    let e = c.session.start("my-back", opts(vec![])).await.unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.UnknownProgram");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stimctl_lists_shows_adds_and_removes_programs() {
    let dir = TempDir::new("stimctl-programs");
    let bus = Bus::start();
    // The device's default language (Dutch names), which the harness otherwise sets to English.
    let _d = Daemon::start_with_config(
        &bus,
        &dir.0.join("state"),
        &dir.0.join("t.csv"),
        "[device]\nlocale = \"nl\"\n",
    )
    .await;
    let stimctl = |args: &[&str]| {
        run(Command::new(env!("CARGO_BIN_EXE_stimctl"))
            .env("LC_ALL", "C.UTF-8")
            .arg("--bus")
            .arg(&bus.address)
            .args(args))
    };
    let (ok, out) = stimctl(&["programs"]);
    assert!(
        ok && out.contains("ems-strength") && out.contains("Zenuwpijn"),
        "{out}"
    );
    let (ok, out) = stimctl(&["program", "show", "massage"]);
    assert!(
        ok && out.contains("mode = \"burst\"") && out.contains("pulses = 8"),
        "{out}"
    );
    let file = write_file(
        &dir.0,
        "p.toml",
        &program_toml(
            "legs",
            "ems",
            "[[segments]]\nmode = \"ems\"\nrate_hz = 30\nphase_us = 300\nramp_up_s = 1\non_s = 5\nramp_down_s = 1\noff_s = 10\n",
        ),
    );
    let (ok, out) = stimctl(&["program", "add", file.to_str().unwrap()]);
    assert!(ok && out.contains("program legs added"), "{out}");
    let bad = write_file(&dir.0, "bad.toml", "id = \"x\"\n");
    let (ok, out) = stimctl(&["program", "add", bad.to_str().unwrap()]);
    assert!(
        !ok && out.contains("InvalidArgument") && out.contains("missing field"),
        "{out}"
    );
    let (ok, out) = stimctl(&["program", "rm", "legs"]);
    assert!(ok && out.contains("program legs removed"), "{out}");
    let (ok, out) = stimctl(&["program", "rm", "neck"]);
    assert!(!ok && out.contains("NotPermitted"), "{out}");
}

/// Least-squares line (slope µA/ns, intercept µA) through the pulses' (onset, amplitude),
/// in absolute trace time (ns).
fn fit(p: &[Pulse]) -> (f64, f64) {
    assert!(p.len() >= 5, "only {} ramp pulses", p.len());
    let n = p.len() as f64;
    let xs: Vec<f64> = p.iter().map(|w| w.onset_ns as f64).collect();
    let ys: Vec<f64> = p.iter().map(|w| f64::from(w.phase1_ua)).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let slope = sxy / sxx;
    (slope, my - slope * mx)
}

/// Starts `program` at `intensity_ua` on channel 0 only, lets it run `secs`, stops it, and
/// returns channel 0's pulses from the trace.
async fn run_program(
    c: &Client,
    trace: &std::path::Path,
    program: &str,
    intensity_ua: u32,
    secs: u64,
) -> Vec<Pulse> {
    let from = monotonic_ns();
    c.session
        .start(
            program,
            opts(vec![
                ("channels", Value::from(vec![0u32])),
                ("intensity", Value::from(vec![intensity_ua])),
                ("duration", Value::U32(120)),
            ]),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    c.session.stop().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    pulses(&read_trace(trace), 0)
        .into_iter()
        .filter(|p| p.onset_ns >= from)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_trains_and_acupuncture_taps_on_the_trace() {
    retry_on_timing_trip("burst", |dir| async move {
        let bus = Bus::start();
        let trace = dir.join("trace.csv");
        let _d = Daemon::start(&bus, &dir.join("state"), &trace).await;
        let c = Client::new(&bus).await;

        // massage: trains of 8 pulses at 100 Hz, 2 trains a second.
        let p = run_program(&c, &trace, "massage", 3_000, 4).await;
        let mut trains: Vec<Vec<u64>> = Vec::new();
        for w in &p {
            match trains.last_mut() {
                Some(t) if w.onset_ns - t[t.len() - 1] < 50_000_000 => t.push(w.onset_ns),
                _ => trains.push(vec![w.onset_ns]),
            }
        }
        // The first train may have started below the DAC's smallest step.
        let full = &trains[1..trains.len() - 1];
        assert!(full.len() >= 5, "{} trains", trains.len());
        for t in full {
            assert_eq!(t.len(), 8, "pulses per train: {t:?}");
            let gaps: Vec<u64> = t.windows(2).map(|w| w[1] - w[0]).collect();
            let m = median(gaps);
            assert!(
                (9_950_000..=10_050_000).contains(&m),
                "inner spacing {m} ns, want 10 ms ± 0.5 %"
            );
        }
        let starts: Vec<u64> = full.iter().map(|t| t[0]).collect();
        let span = (starts[starts.len() - 1] - starts[0]) as f64 / 1e9;
        let rate = (starts.len() - 1) as f64 / span;
        assert!(
            (rate - 2.0).abs() <= 0.01,
            "train rate {rate:.4} Hz, want 2 Hz ± 0.5 %"
        );
        // The width is the program's 200 µs; a stalled vCPU may stretch the odd phase, so the
        // median must be right and nearly every pulse (timing itself is in the benchmarks).
        let widths: Vec<u64> = p.iter().map(|w| w.phase1_ns).collect();
        let m = median(widths.clone());
        assert!((190_000..=210_000).contains(&m), "median phase {m} ns");
        let off: Vec<u64> = widths
            .into_iter()
            .filter(|w| !(190_000..=260_000).contains(w))
            .collect();
        assert!(off.len() * 20 <= p.len(), "phases off 200 µs: {off:?}");

        // tapping: acupuncture-like, 2 Hz, 250 µs.
        let p = run_program(&c, &trace, "tapping", 5_000, 5).await;
        assert!(p.len() >= 7, "{} taps", p.len());
        let span = (p[p.len() - 1].onset_ns - p[0].onset_ns) as f64 / 1e9;
        let rate = (p.len() - 1) as f64 / span;
        assert!(
            (rate - 2.0).abs() <= 0.01,
            "tap rate {rate:.4} Hz, want 2 Hz ± 0.5 %"
        );
        let w = median(p.iter().map(|x| x.phase1_ns).collect());
        assert!(
            (240_000..=260_000).contains(&w),
            "phase {w} ns, want 250 µs"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ems_work_and_rest_are_on_time() {
    retry_on_timing_trip("ems", |dir| async move {
        let bus = Bus::start();
        let trace = dir.join("trace.csv");
        let _d = Daemon::start(&bus, &dir.join("state"), &trace).await;
        let c = Client::new(&bus).await;
        let text = program_toml(
            "ems-test",
            "ems",
            "[[segments]]\nmode = \"ems\"\nrate_hz = 50\nphase_us = 200\nramp_up_s = 0.5\non_s = 1\nramp_down_s = 0.5\noff_s = 1\n",
        );
        c.programs.add(&text).await.unwrap();
        // 2 mA is reached after 1 s of ramp; the cycle is 3 s; look at the cycles after that.
        let p = run_program(&c, &trace, "ems-test", 2_000, 11).await;
        let period = 20_000_000u64;
        let mut runs: Vec<Vec<Pulse>> = Vec::new();
        for w in p {
            match runs.last_mut() {
                Some(r) if w.onset_ns - r[r.len() - 1].onset_ns <= 2 * period => r.push(w),
                _ => runs.push(vec![w]),
            }
        }
        assert!(runs.len() >= 3, "{} work phases", runs.len());
        let settled = &runs[1..runs.len() - 1];
        for pair in settled.windows(2) {
            let cycle = pair[1][0].onset_ns - pair[0][0].onset_ns;
            assert!(
                cycle.abs_diff(3_000_000_000) <= period,
                "cycle {} ms, want 3000 ± one pulse period",
                cycle / 1_000_000
            );
        }
        for r in settled {
            let top = r.iter().map(|w| w.phase1_ua).max().unwrap();
            assert!(top.abs_diff(2_000) <= 60, "work level {top} µA, want 2 mA");
            let first_top = r.iter().position(|w| w.phase1_ua == top).unwrap();
            let last_top = r.iter().rposition(|w| w.phase1_ua == top).unwrap();
            // Ramps rise and fall monotonically.
            assert!(r[..first_top].windows(2).all(|w| w[0].phase1_ua <= w[1].phase1_ua));
            assert!(r[last_top..].windows(2).all(|w| w[0].phase1_ua >= w[1].phase1_ua));
            // Each ramp is a straight line (a least-squares fit averages out the DAC's steps):
            // where it crosses zero and where it reaches the 2 mA level.
            let up = fit(&r[..first_top]);
            let down = fit(&r[last_top + 1..]);
            let up_start = -up.1 / up.0;
            let up_end = (2_000.0 - up.1) / up.0;
            let down_start = (2_000.0 - down.1) / down.0;
            let down_end = -down.1 / down.0;
            for (name, got, want) in [
                ("ramp up", up_end - up_start, 500e6),
                ("on", down_start - up_end, 1_000e6),
                ("ramp down", down_end - down_start, 500e6),
            ] {
                assert!(
                    (got - want).abs() <= period as f64,
                    "{name} {:.1} ms, want {} ± one pulse period",
                    got / 1e6,
                    want / 1e6
                );
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_sweep_repeats_once_per_period() {
    retry_on_timing_trip("sweep", |dir| async move {
        let bus = Bus::start();
        let trace = dir.join("trace.csv");
        let _d = Daemon::start(&bus, &dir.join("state"), &trace).await;
        let c = Client::new(&bus).await;
        let text = program_toml(
            "sweep-test",
            "tens",
            "[[segments]]\nmode = \"modulated\"\nrate_hz = 50\nphase_us = 100\nperiod_s = 2\nsweep = \"rate\"\nsweep_to_hz = 150\n",
        );
        c.programs.add(&text).await.unwrap();
        let p = run_program(&c, &trace, "sweep-test", 2_000, 8).await;
        let gaps: Vec<(u64, u64)> = p
            .windows(2)
            .map(|w| (w[0].onset_ns, w[1].onset_ns - w[0].onset_ns))
            .collect();
        // Fastest and slowest gaps, leaving out any a stalled vCPU stretched or squeezed.
        let plausible = |g: &u64| (6_400_000..=20_600_000).contains(g);
        let fast = gaps.iter().map(|g| g.1).filter(plausible).min().unwrap();
        let slow = gaps.iter().map(|g| g.1).filter(plausible).max().unwrap();
        assert!(fast <= 6_800_000, "fastest gap {fast} ns, want 1/150 s");
        assert!(slow >= 19_500_000, "slowest gap {slow} ns, want 1/50 s");
        // The slow ends: the first gap of each cluster above 19.5 ms, one cluster per period.
        let mut ends: Vec<u64> = Vec::new();
        for &(t, g) in &gaps {
            if (19_500_000..=20_500_000).contains(&g) && ends.last().is_none_or(|&e| t - e > 500_000_000) {
                ends.push(t);
            }
        }
        assert!(ends.len() >= 3, "{} slow ends", ends.len());
        for pair in ends.windows(2) {
            let d = pair[1] - pair[0];
            assert!(
                d.abs_diff(2_000_000_000) <= 40_000_000,
                "sweep period {} ms, want 2000 ± two pulse periods",
                d / 1_000_000
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn combi_starts_its_ems_part_from_zero_at_a_lower_target() {
    retry_on_timing_trip("combi", |dir| async move {
        let bus = Bus::start();
        let trace = dir.join("trace.csv");
        let _d = Daemon::start(&bus, &dir.join("state"), &trace).await;
        let c = Client::new(&bus).await;
        let text = program_toml(
            "combi-test",
            "combi",
            "[[segments]]\nmode = \"conventional\"\nrate_hz = 80\nphase_us = 200\nseconds = 3\n\n[[segments]]\nmode = \"ems\"\nrate_hz = 35\nphase_us = 400\nramp_up_s = 0.2\non_s = 3\nramp_down_s = 0.2\noff_s = 0.5\nintensity_percent = 50\n",
        );
        c.programs.add(&text).await.unwrap();
        let from = monotonic_ns();
        c.session
            .start(
                "combi-test",
                opts(vec![
                    ("channels", Value::from(vec![0u32])),
                    ("intensity", Value::from(vec![4_000u32])),
                    ("duration", Value::U32(120)),
                ]),
            )
            .await
            .unwrap();
        assert_eq!(c.session.segment().await.unwrap(), "conventional");
        let start = std::time::Instant::now();
        while c.session.segment().await.unwrap() != "ems" {
            assert!(start.elapsed() < DEADLINE, "never reached the EMS segment");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // 4 mA at 200 µs → 2 mA at 400 µs (same charge per phase) → 50 % → 1 mA.
        assert_eq!(c.session.target().await.unwrap(), vec![1_000, 0]);
        tokio::time::sleep(Duration::from_secs(3)).await;
        c.session.stop().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;

        let p: Vec<Pulse> = pulses(&read_trace(&trace), 0)
            .into_iter()
            .filter(|p| p.onset_ns >= from)
            .collect();
        let split = p
            .iter()
            .position(|w| w.phase1_ns > 300_000 && w.phase2_ns > 300_000)
            .expect("EMS pulses (400 µs) in the trace");
        let (tens, ems) = p.split_at(split);
        let tens_top = tens.iter().map(|w| w.phase1_ua).max().unwrap();
        assert!(tens_top >= 3_900, "TENS reached {tens_top} µA");
        assert!(ems.len() > 50, "{} EMS pulses", ems.len());
        // The EMS segment began after the last TENS pulse: its level ramps from zero since.
        let t0 = tens[tens.len() - 1].onset_ns;
        for w in ems {
            assert!(
                w.phase1_ns.max(w.phase2_ns) > 300_000,
                "a TENS pulse after the EMS began"
            );
            assert!(w.phase1_ua <= 1_000, "EMS pulse at {} µA above its 1 mA target", w.phase1_ua);
            // Ramping from zero at 2 mA/s (one DAC step and 50 ms of slack).
            let bound = 2_000.0 * (w.onset_ns - t0) as f64 / 1e9 + 100.0 + 49.0;

            assert!(
                f64::from(w.phase1_ua) <= bound,
                "EMS pulse at {} µA {} ms into the segment: it did not start from zero",
                w.phase1_ua,
                (w.onset_ns - t0) / 1_000_000
            );
        }
        assert!(ems.iter().any(|w| w.phase1_ua >= 950), "EMS never reached its target");
    })
    .await;
}
