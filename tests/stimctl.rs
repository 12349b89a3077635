//! `stimctl` as a person uses it, against the real daemon on the sim board over a private bus:
//! `--json` documents and their keys, `watch` to the session's end, why `status` says a
//! session is paused, limited requests, program names, exit codes for bus refusals, and the
//! language from `LANG`.

mod common;

use common::*;
use serde_json::Value as J;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zbus::zvariant::Value;

/// Runs stimctl on `bus` with `lang` (`LC_ALL`); exit code, stdout, stderr.
fn stimctl(address: &str, lang: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stimctl"))
        .env("LC_ALL", lang)
        .arg("--bus")
        .arg(address)
        .args(args)
        .output()
        .expect("stimctl runs");
    (
        out.status.code().expect("exited"),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Runs stimctl in English and parses its `--json` output; asserts it succeeded.
fn json(address: &str, args: &[&str]) -> J {
    let (code, out, err) = stimctl(address, "C.UTF-8", args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn has_keys(v: &J, keys: &[&str], what: &str) {
    for k in keys {
        assert!(v.get(k).is_some(), "{what}: no key {k:?} in {v}");
    }
}

fn intensity(ua: u32) -> std::collections::HashMap<String, zbus::zvariant::OwnedValue> {
    opts(vec![("intensity", Value::from(vec![ua, ua]))])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_json_document_has_its_keys() {
    let bus = Bus::start();
    let dir = TempDir::new("stimctl-json");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let a = bus.address.as_str();

    let status = json(a, &["status", "--json"]);
    has_keys(
        &status,
        &[
            "state",
            "fault",
            "board",
            "version",
            "battery_percent",
            "pads",
            "session",
        ],
        "status",
    );
    assert_eq!(status["state"], "idle");
    assert!(status["session"].is_null() && status["fault"].is_null());
    has_keys(
        &status["pads"][0],
        &["channel", "sessions", "minutes", "worn"],
        "pads",
    );

    let programs = json(a, &["programs", "--json"]);
    let low_back = programs
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "low-back")
        .expect("low-back listed");
    has_keys(low_back, &["id", "name", "kind", "summary"], "programs");
    let program = json(a, &["program", "show", "low-back", "--json"]);
    has_keys(
        &program,
        &["id", "name_nl", "name_en", "segments", "toml"],
        "program show",
    );
    assert_eq!(program["name_nl"], "Rug");

    let profiles = json(a, &["profiles", "--json"]);
    assert!(profiles
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "default" && p.get("language").is_some()));
    let profile = json(a, &["profile", "show", "default", "--json"]);
    has_keys(
        &profile,
        &["language", "max_intensity_ua", "screened"],
        "profile show",
    );
    let pads = json(a, &["pads", "--json"]);
    assert_eq!(pads.as_array().unwrap().len(), 2, "{pads}");
    has_keys(
        &pads[1],
        &["channel", "sessions", "minutes", "worn"],
        "pads",
    );
    assert!(json(a, &["history", "--json"]).is_array());
    has_keys(
        &json(a, &["summary", "--json"]),
        &["sessions", "minutes"],
        "summary",
    );
    has_keys(&json(a, &["advice", "--json"]), &["message"], "advice");

    let started = json(a, &["start", "low-back", "--intensity", "5", "--json"]);
    has_keys(
        &started,
        &["session", "program", "targets_ua", "limited"],
        "start",
    );
    assert_eq!(started["targets_ua"], serde_json::json!([5000, 5000]));
    assert_eq!(started["limited"], serde_json::json!([]));
    let id = started["session"].as_u64().unwrap();
    assert!(id > 0);

    let set = json(a, &["set", "1", "75", "--json"]);
    has_keys(&set, &["channel", "target_ua", "limited"], "set");
    assert_eq!(set["target_ua"], 60_000);
    assert_eq!(set["limited"]["limit"], "peak_current", "{set}");
    assert_eq!(set["limited"]["requested_ua"], 75_000);
    let step = json(a, &["step", "0", "2", "--json"]);
    assert_eq!(step["target_ua"], 6_000, "{step}");
    assert!(step["limited"].is_null(), "{step}");

    let status = json(a, &["status", "--json"]);
    assert_eq!(status["session"]["id"], id);
    has_keys(
        &status["session"],
        &[
            "id",
            "program",
            "profile",
            "segment",
            "elapsed_s",
            "remaining_s",
            "paused",
            "contact_lost_channels",
            "channels",
        ],
        "status session",
    );
    has_keys(
        &status["session"]["channels"][0],
        &["channel", "intensity_ua", "target_ua", "contact"],
        "status channel",
    );
    assert_eq!(status["session"]["channels"][1]["target_ua"], 60_000);
    assert!(status["session"]["paused"].is_null());
    let (code, _, err) = stimctl(a, "C.UTF-8", &["stop"]);
    assert_eq!(code, 0, "{err}");
}

/// Reads a child's stdout into a shared list of lines.
fn collect(child: &mut std::process::Child) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let out = child.stdout.take().unwrap();
    let into = lines.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            into.lock().unwrap().push(line);
        }
    });
    lines
}

fn watch(address: &str, args: &[&str]) -> (std::process::Child, Arc<Mutex<Vec<String>>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stimctl"))
        .env("LC_ALL", "C.UTF-8")
        .arg("--bus")
        .arg(address)
        .arg("watch")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("stimctl watch runs");
    let lines = collect(&mut child);
    (child, lines)
}

async fn wait_lines(lines: &Arc<Mutex<Vec<String>>>, n: usize) {
    let start = Instant::now();
    while lines.lock().unwrap().len() < n {
        assert!(
            start.elapsed() < DEADLINE,
            "watch printed {:?}",
            lines.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_exit(child: &mut std::process::Child) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().expect("exited");
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("watch did not end");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_follows_a_session_to_its_end_reason() {
    let bus = Bus::start();
    let dir = TempDir::new("stimctl-watch");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;
    let a = bus.address.as_str();

    let (code, _, err) = stimctl(a, "C.UTF-8", &["watch"]);
    assert_eq!(code, 1, "no session: refused: {err}");
    assert!(err.contains("no session is running"), "{err}");

    // Stopped while two watchers follow it: one as text (not a terminal), one as JSON lines.
    let id = c.session.start("low-back", intensity(4_000)).await.unwrap();
    let (mut text, text_lines) = watch(a, &[]);
    let (mut js, js_lines) = watch(a, &["--json"]);
    wait_lines(&text_lines, 1).await;
    wait_lines(&js_lines, 1).await;
    c.session.stop().await.unwrap();
    assert_eq!(wait_exit(&mut text).await, 0);
    assert_eq!(wait_exit(&mut js).await, 0);
    let text_lines = text_lines.lock().unwrap().clone();
    let last = text_lines.last().unwrap();
    assert_eq!(
        last,
        &format!("session {id} ended: stopped"),
        "{text_lines:?}"
    );
    assert!(
        text_lines[0].contains(&format!("session {id}: low-back"))
            && text_lines[0].contains("channel 0:")
            && text_lines[0].contains("/ 4.0 mA"),
        "{text_lines:?}"
    );
    assert!(
        !text_lines.iter().any(|l| l.contains('\x1b')),
        "no escape codes when stdout is not a terminal: {text_lines:?}"
    );
    let docs: Vec<J> = js_lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(docs[0]["event"], "update");
    assert_eq!(docs[0]["session"]["id"], id);
    has_keys(
        &docs[0],
        &["state", "battery_percent", "session"],
        "watch update",
    );
    assert_eq!(
        docs.last().unwrap(),
        &serde_json::json!({"event": "ended", "id": id, "reason": "stopped"})
    );

    // A short session that runs out by itself.
    let short = opts(vec![
        ("intensity", Value::from(vec![2_000u32, 2_000])),
        ("duration", Value::U32(2)),
    ]);
    let id = c.session.start("low-back", short).await.unwrap();
    let (mut text, lines) = watch(a, &[]);
    assert_eq!(wait_exit(&mut text).await, 0);
    let lines = lines.lock().unwrap().clone();
    assert_eq!(
        lines.last().unwrap(),
        &format!("session {id} ended: completed"),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_says_why_a_session_is_paused() {
    retry_on_timing_trip("stimctl-paused", |dir| async move {
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let a = bus.address.as_str();
        c.session.start("low-back", intensity(5_000)).await.unwrap();
        let start = Instant::now();
        while c.session.contact_state().await.unwrap() != ["on", "on"] {
            assert!(start.elapsed() < DEADLINE, "contact never measured");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        c.sim.set_contact(0, false).await.unwrap();
        c.wait_state("paused").await;
        let (code, out, err) = stimctl(a, "C.UTF-8", &["status"]);
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("paused:    contact lost on channel 0: press the pads on firmly"),
            "{out}"
        );
        assert!(
            out.contains("channel 0: 0.0 mA (target 0.0 mA), no contact"),
            "{out}"
        );
        assert!(
            out.contains("battery:") && out.contains("profile:   default"),
            "{out}"
        );
        let (_, out, _) = stimctl(a, "nl_NL.UTF-8", &["status"]);
        assert!(out.contains("contact verloren op kanaal 0"), "{out}");
        let doc = json(a, &["status", "--json"]);
        assert_eq!(doc["session"]["paused"], "contact_lost", "{doc}");
        assert_eq!(
            doc["session"]["contact_lost_channels"],
            serde_json::json!([0])
        );

        // Pads back on, resumed, then paused by hand.
        c.sim.set_contact(0, true).await.unwrap();
        let (code, out, _) = stimctl(a, "C.UTF-8", &["resume"]);
        assert!(code == 0 && out.contains("resumed"), "{out}");
        c.wait_state("running").await;
        let (code, _, _) = stimctl(a, "C.UTF-8", &["pause"]);
        assert_eq!(code, 0);
        let (_, out, _) = stimctl(a, "C.UTF-8", &["status"]);
        assert!(out.contains("paused:    paused by hand"), "{out}");
        assert_eq!(
            json(a, &["status", "--json"])["session"]["paused"],
            "by_hand"
        );
        c.session.stop().await.unwrap();
    })
    .await;
}

/// `start rug --intensity 20` for a person whose maximum is 8 mA: the program found by its
/// Dutch name, the target limited, and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_by_name_says_when_and_why_it_was_limited() {
    let bus = Bus::start();
    let dir = TempDir::new("stimctl-limited");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let a = bus.address.as_str();
    let en = |args: &[&str]| stimctl(a, "C.UTF-8", args);
    let (code, _, err) = en(&["profile", "add", "oma", "--language", "nl", "--max", "8,8"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = en(&["check", "--profile", "oma", "--answers", "no,no,no,no,no"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = en(&["start", "rug", "--intensity", "20", "--profile", "oma"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("started: low-back"), "{out}");
    for ch in [0, 1] {
        assert!(
            out.contains(&format!(
                "channel {ch}: target 8.0 mA (limited from 20.0 mA: the profile's maximum)"
            )),
            "{out}"
        );
    }
    let (code, out, _) = stimctl(a, "nl_NL.UTF-8", &["set", "0", "12"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("kanaal 0: doel 8,0 mA (begrensd van 12,0 mA: het maximum van het profiel)"),
        "{out}"
    );
    let (code, out, _) = en(&["step", "1", "4"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("limited from 10.0 mA: the profile's maximum"),
        "{out}"
    );
    let (code, out, _) = en(&["stop"]);
    assert!(code == 0 && out.contains("stopped"), "{out}");

    // Names in either language, any case; an unknown one is a usage error listing them.
    let (code, out, err) = en(&["start", "LOW BACK", "--intensity", "1"]);
    assert!(code == 0 && out.contains("started: low-back"), "{err}");
    en(&["stop"]);
    let (code, _, err) = en(&["start", "rugg"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("PROGRAM = \"rugg\"") && err.contains("low-back (Rug, Low back)"),
        "{err}"
    );
}

/// Exit code 4 with a sentence a person can act on: nobody serves stimd on the bus, or the
/// bus refused the call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bus_refusals_are_explained() {
    let empty = Bus::start();
    let (code, _, err) = stimctl(&empty.address, "C.UTF-8", &["status"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("stimd is not running") && err.contains("ServiceUnknown"),
        "{err}"
    );
    let (code, _, err) = stimctl(&empty.address, "nl_NL.UTF-8", &["stop"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("stimd draait niet"), "{err}");

    let bus = Bus::start_with_policy(
        "<policy context=\"default\"><allow send_destination=\"*\"/><allow receive_sender=\"*\"/><allow own=\"*\"/>\
         <deny send_destination=\"io.stimd.Stimd1\" send_interface=\"io.stimd.Stimd1.Session\" \
         send_member=\"Pause\"/></policy>",
    );
    let dir = TempDir::new("stimctl-denied");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let (code, _, err) = stimctl(&bus.address, "C.UTF-8", &["pause"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("you may not do this") && err.contains("AccessDenied"),
        "{err}"
    );
    // The rest still works: refused by stimd (1), a usage error (2).
    let (code, _, err) = stimctl(&bus.address, "C.UTF-8", &["resume"]);
    assert_eq!(code, 1, "NotRunning: {err}");
    let (code, _, err) = stimctl(&bus.address, "C.UTF-8", &["step", "0", "x"]);
    assert_eq!(code, 2, "{err}");
    // `NotPermitted` for the device's state (a flat battery) is a refusal (1), not "you may
    // not" (4).
    let c = Client::new(&bus).await;
    c.sim.set_battery(3).await.unwrap();
    let deadline = Instant::now() + DEADLINE;
    while c.device.battery().await.unwrap() != 3 {
        assert!(Instant::now() < deadline, "Battery never showed 3 %");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, _, err) = stimctl(&bus.address, "C.UTF-8", &["start", "low-back"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("NotPermitted") && err.contains("battery at 3 %"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stimctl_speaks_the_language_of_lang() {
    let bus = Bus::start();
    let dir = TempDir::new("stimctl-lang");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let run_with = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stimctl"));
        cmd.env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(cmd.arg("--bus").arg(&bus.address).args(args))
    };
    let (ok, out) = run_with(&[("LANG", "nl_NL.UTF-8")], &["status"]);
    assert!(ok && out.contains("toestand:  in rust"), "{out}");
    let (ok, out) = run_with(&[("LANG", "en_GB.UTF-8")], &["status"]);
    assert!(ok && out.contains("state:     idle"), "{out}");
    // LC_MESSAGES before LANG.
    let (ok, out) = run_with(
        &[("LANG", "en_GB.UTF-8"), ("LC_MESSAGES", "nl_BE.UTF-8")],
        &["profile", "add", "opa", "--language", "en"],
    );
    assert!(ok && out.contains("profiel opa toegevoegd"), "{out}");
    let (ok, out) = run_with(
        &[],
        &["check", "--profile", "opa", "--answers", "no,no,no,no,no"],
    );
    assert!(ok && out.contains("Recorded."), "{out}");
}
