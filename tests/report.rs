//! `stimctl program plot` and `stimctl report` against the real daemon: program pictures
//! from presets and from a custom program stored on the device, and a report of sessions
//! recorded and rated through the real bus, opened in a real browser (headless Chromium,
//! installed by scripts/ensure-deps.sh) that renders it to a PNG and dumps its DOM.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zbus::zvariant::Value;

fn stimctl(bus: &Bus, args: &[&str]) -> (bool, Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stimctl"))
        .arg("--bus")
        .arg(&bus.address)
        .args(args)
        .env("LANG", "C")
        .output()
        .expect("run stimctl");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), out.status.code(), text)
}

const CUSTOM: &str = r#"
id = "my-mix"
kind = "tens"
[name]
nl = "Mijn mix"
en = "My mix"
[summary]
nl = ""
en = ""
[[segments]]
mode = "burst"
rate_hz = 2
pulses = 7
inner_rate_hz = 100
phase_us = 150
interphase_us = 50
minutes = 5
[[segments]]
mode = "modulated"
rate_hz = 100
phase_us = 100
period_s = 4
sweep = "width"
sweep_to_us = 250
intensity_percent = 60
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stimctl_plots_presets_and_programs_stored_on_the_device() {
    let bus = Bus::start();
    let dir = TempDir::new("plot");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let svg = dir.0.join("massage.svg");
    let (ok, _, out) = stimctl(
        &bus,
        &[
            "program",
            "plot",
            "massage",
            "--output",
            svg.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&svg).expect("the SVG was written");
    assert!(text.starts_with("<svg"), "{text:.200}");
    for want in [
        "time (ms)",
        "current (mA)",
        "burst TENS",
        "10.0 mA",
        "phases of 200 µs",
    ] {
        assert!(text.contains(want), "{want:?} missing from the SVG");
    }

    // A custom program, as the device stores it: the second segment carries 20 mA over
    // scaled for its wider phase (150/250) and by its 60 %: 7.2 mA.
    let file = write_file(&dir.0, "my-mix.toml", CUSTOM);
    let (ok, _, out) = stimctl(&bus, &["program", "add", file.to_str().unwrap()]);
    assert!(ok, "{out}");
    let mix = dir.0.join("mix.svg");
    let (ok, _, out) = stimctl(
        &bus,
        &[
            "program",
            "plot",
            "my-mix",
            "--output",
            mix.to_str().unwrap(),
            "--intensity",
            "20",
        ],
    );
    assert!(ok && out.contains("2 segments of my-mix"), "{out}");
    let text = std::fs::read_to_string(&mix).unwrap();
    for want in [
        "My mix (my-mix) at 20.0 mA",
        "20.0 mA",
        "7.2 mA",
        "gap 50 µs",
        "100 … 250",
    ] {
        assert!(text.contains(want), "{want:?} missing from the SVG");
    }

    // Bad input: named, nothing written.
    let bad = dir.0.join("bad.svg");
    let (ok, code, out) = stimctl(
        &bus,
        &[
            "program",
            "plot",
            "moon-walk",
            "--output",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!ok && code == Some(1), "{out}");
    assert!(
        out.contains("UnknownProgram") && out.contains("\"moon-walk\" does not exist"),
        "{out}"
    );
    let (ok, code, out) = stimctl(&bus, &["program", "plot", "massage", "--output", "x.png"]);
    assert!(
        !ok && code == Some(2) && out.contains("--output = x.png"),
        "{out}"
    );
    let (ok, code, out) = stimctl(
        &bus,
        &[
            "program",
            "plot",
            "massage",
            "--output",
            bad.to_str().unwrap(),
            "--intensity",
            "0",
        ],
    );
    assert!(
        !ok && code == Some(2) && out.contains("--intensity = 0"),
        "{out}"
    );
    assert!(!bad.exists());
}

/// A session of `program` at 2 mA on channel 0 for a moment, stopped; returns its id.
async fn session(c: &Client, program: &str) -> u64 {
    let id = c
        .session
        .start(
            program,
            opts(vec![
                ("channels", Value::from(vec![0u32])),
                ("intensity", Value::from(vec![2_000u32])),
                ("duration", Value::U32(60)),
            ]),
        )
        .await
        .expect("Start");
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.session.stop().await.expect("Stop");
    id
}

/// Runs `cmd` until it exits, killing it after a generous deadline; returns its stdout.
fn run_browser(cmd: &mut Command) -> String {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run chromium ({e}); scripts/ensure-deps.sh installs it")
        });
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            assert!(status.success(), "chromium failed: {status}");
            return reader.join().expect("read chromium's output");
        }
        if start.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            panic!("chromium did not finish in 180 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn chromium(profile: &Path) -> Command {
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .env("HOME", profile);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_of_rated_sessions_renders_in_a_real_browser() {
    retry_on_timing_trip("report", |dir| async move {
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let (ok, _, out) = stimctl(&bus, &["profile", "set", "default", "--language", "nl"]);
        assert!(ok, "{out}");
        // Three rated sessions of neck, one of massage, one unrated.
        for (program, pain) in [
            ("neck", Some((7, 3))),
            ("neck", Some((6, 3))),
            ("massage", Some((6, 5))),
            ("neck", Some((8, 4))),
            ("massage", None),
        ] {
            let id = session(&c, program).await;
            if let Some((before, after)) = pain {
                let (ok, _, out) = stimctl(
                    &bus,
                    &[
                        "rate",
                        &id.to_string(),
                        &before.to_string(),
                        &after.to_string(),
                    ],
                );
                assert!(ok, "{out}");
            }
        }
        // New pads on channel 1: listed with their date.
        c.device.pads_replaced(1).await.unwrap();
        let replaced = c.history.changes(0, 0, 1).await.unwrap();
        assert_eq!(get::<String>(&replaced[0], "kind"), "pads_replaced");
        let when = stimd::clock::local_date_minute(get::<i64>(&replaced[0], "time")).unwrap();
        let html = dir.join("report.html");
        let charts = dir.join("charts");
        let (ok, _, out) = stimctl(
            &bus,
            &[
                "report",
                "--profile",
                "default",
                "--output",
                html.to_str().unwrap(),
                "--charts",
                charts.to_str().unwrap(),
            ],
        );
        assert!(ok && out.contains("5 sessies"), "{out}");
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(
            !page.contains("<script") && !page.contains("<link"),
            "self-contained"
        );
        assert!(
            page.contains(
                "neck hielp het meest: pijn gemiddeld 7,0 → 3,3 (3,7 punten minder) over 3"
            ),
            "{page}"
        );
        let pads_at = page
            .find("<table id=\"pad-changes\">")
            .expect("pad changes");
        assert!(
            page[pads_at..].contains(&format!("<tr><td>{when}</td><td class=\"n\">1</td></tr>")),
            "{page}"
        );
        assert!(page.contains("<h3>Elektroden vervangen</h3>"), "{page}");
        for name in ["sessions-per-day", "minutes-per-day", "pain", "programs"] {
            let svg = std::fs::read_to_string(charts.join(format!("{name}.svg")))
                .unwrap_or_else(|e| panic!("chart {name}: {e}"));
            assert!(svg.starts_with("<svg"), "{name}");
        }

        // Too few ratings: said so, no winner.
        let (ok, _, out) = stimctl(
            &bus,
            &[
                "report",
                "--output",
                html.to_str().unwrap(),
                "--language",
                "en",
                "--since",
                "2039-01-01",
            ],
        );
        assert!(ok, "{out}");
        let empty = std::fs::read_to_string(&html).unwrap();
        assert!(empty.contains("Not enough to say yet"), "{empty}");
        assert!(
            empty.contains("No pads replaced in this period."),
            "{empty}"
        );
        let (ok, code, out) = stimctl(
            &bus,
            &[
                "report",
                "--profile",
                "nobody",
                "--output",
                html.to_str().unwrap(),
            ],
        );
        assert!(
            !ok && code == Some(2) && out.contains("--profile = \"nobody\" does not exist"),
            "{out}"
        );
        let (ok, code, out) = stimctl(&bus, &["report", "--output", "r.pdf"]);
        assert!(
            !ok && code == Some(2) && out.contains("--output = r.pdf"),
            "{out}"
        );

        // The Dutch report again, opened in a real browser.
        let (ok, _, out) = stimctl(
            &bus,
            &[
                "report",
                "--profile",
                "default",
                "--output",
                html.to_str().unwrap(),
            ],
        );
        assert!(ok, "{out}");
        let url = format!("file://{}", html.display());
        let png = dir.join("report.png");
        run_browser(
            chromium(&dir.join("chromium"))
                .arg(format!("--screenshot={}", png.display()))
                .arg("--window-size=1000,2600")
                .arg(&url),
        );
        let decoder = png::Decoder::new(std::fs::File::open(&png).expect("a screenshot"));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("a PNG frame");
        let pixels: Vec<&[u8]> = buf[..info.buffer_size()]
            .chunks(info.color_type.samples())
            .collect();
        let distinct: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
        let ink = pixels.iter().filter(|p| p[..3] != [255, 255, 255]).count();
        assert!(
            distinct.len() > 16 && ink * 100 > pixels.len(),
            "the screenshot looks blank: {} colours, {ink} of {} pixels not white",
            distinct.len(),
            pixels.len()
        );
        let dom = run_browser(chromium(&dir.join("chromium")).arg("--dump-dom").arg(&url));
        assert!(
            dom.contains("<title>TENS-rapport voor default</title>"),
            "{dom:.400}"
        );
        assert!(
            dom.contains("id=\"pad-changes\""),
            "pad changes missing from the DOM"
        );
        for name in ["sessions-per-day", "minutes-per-day", "pain", "programs"] {
            let at = dom
                .find(&format!("id=\"chart-{name}\""))
                .unwrap_or_else(|| panic!("chart-{name} missing from the DOM"));
            let figure = &dom[at..dom[at..].find("</figure>").map_or(dom.len(), |e| at + e)];
            assert!(figure.contains("<svg"), "chart-{name} holds no <svg>");
        }
        if let Ok(keep) = std::env::var("STIMD_REPORT_SCREENSHOT") {
            std::fs::copy(&png, keep).expect("copy the screenshot");
        }
    })
    .await;
}
