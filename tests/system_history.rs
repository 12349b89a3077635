//! System tests of the usage history: ratings, summary and export through the real bus (the
//! FHIR export validated by fhir.resources, through `scripts/fhir-validate.sh`); every
//! intensity change with its actor in the SQLite file; a crash loop of SIGKILLs that never
//! damages the database; and a corrupt or unwritable database that costs the history, never
//! the stimulation.

mod common;

use common::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use zbus::zvariant::{OwnedValue, Value};

/// Polls `History.Sessions` until it holds `n` sessions.
async fn wait_sessions(c: &Client, n: usize) -> Vec<HashMap<String, OwnedValue>> {
    let start = Instant::now();
    loop {
        let rows = c.history.sessions(0, 0, 0).await.unwrap();
        if rows.len() >= n {
            return rows;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{} session(s), want {n}",
            rows.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A session of `program` at `ua` on channel 0, run for `ms`, then stopped; returns its id.
async fn short_session(c: &Client, program: &str, ua: u32, ms: u64) -> u64 {
    let id = c
        .session
        .start(
            program,
            opts(vec![
                ("channels", Value::from(vec![0u32])),
                ("intensity", Value::from(vec![ua])),
                ("duration", Value::U32(60)),
            ]),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(ms)).await;
    c.session.stop().await.unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_summary_export_and_actors() {
    retry_on_timing_trip("history", |dir| async move {
        let bus = Bus::start();
        let state = dir.join("state");
        let mut daemon = Daemon::start(&bus, &state, &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        assert_eq!(c.history.status().await.unwrap(), "ok");

        let a = short_session(&c, "low-back", 3_000, 1_500).await;
        let b = short_session(&c, "massage", 2_000, 300).await;
        // A client raises the intensity during the third session: recorded with its Unix user.
        let third = c
            .session
            .start(
                "low-back",
                opts(vec![
                    ("channels", Value::from(vec![0u32])),
                    ("duration", Value::U32(60)),
                ]),
            )
            .await
            .unwrap();
        c.session.set_intensity(0, 1_500).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        c.session.stop().await.unwrap();

        c.history.rate_pain(a, 7, 3).await.unwrap();
        c.history.rate_pain(b, 6, 5).await.unwrap();
        for (id, before, after, kind) in [
            (a, 11, 3, "InvalidArgument"),
            (a, 3, 200, "InvalidArgument"),
            (999, 5, 5, "InvalidArgument"),
        ] {
            let e = c.history.rate_pain(id, before, after).await.unwrap_err();
            assert_eq!(
                error_name(&e),
                format!("io.stimd.Stimd1.Error.{kind}"),
                "{e:?}"
            );
        }
        let e = c.history.export("xml").await.unwrap_err();
        assert!(e
            .message()
            .contains("format = \"xml\" is not supported (allowed: json, csv, fhir)"));
        let e = c.history.summary(10, 5).await.unwrap_err();
        assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.InvalidArgument");

        let rows = wait_sessions(&c, 3).await;
        let first = rows.iter().find(|r| get::<u64>(r, "id") == a).unwrap();
        assert_eq!(
            (
                get::<u8>(first, "pain_before"),
                get::<u8>(first, "pain_after")
            ),
            (7, 3)
        );
        assert_eq!(get::<Vec<String>>(first, "segments"), vec!["conventional"]);
        let mean: Vec<u32> = get(first, "mean_intensity");
        let max: Vec<u32> = get(first, "max_intensity");
        assert!(
            mean[0] > 0 && mean[0] < max[0],
            "mean {mean:?}, max {max:?}"
        );
        let unrated = rows.iter().find(|r| get::<u64>(r, "id") == third).unwrap();
        assert!(!unrated.contains_key("pain_before"));

        let sum = c.history.summary(0, 0).await.unwrap();
        assert_eq!(get::<u32>(&sum, "sessions"), 3);
        let programs: Vec<HashMap<String, OwnedValue>> = get(&sum, "programs");
        let lb = programs
            .iter()
            .find(|p| get::<String>(p, "program") == "low-back")
            .unwrap();
        assert_eq!(
            (get::<u32>(lb, "sessions"), get::<u32>(lb, "rated")),
            (2, 1)
        );
        assert!((get::<f64>(lb, "mean_reduction") - 4.0).abs() < 1e-9);

        // Export: both formats parse and hold every session.
        let json: serde_json::Value =
            serde_json::from_str(&c.history.export("json").await.unwrap()).unwrap();
        let ids: Vec<u64> = json["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, vec![third, b, a]);
        assert_eq!(json["sessions"][2]["pain_before"], 7);
        let csv_text = c.history.export("csv").await.unwrap();
        let (sessions_csv, _changes) = csv_text.split_once("\n\n").unwrap();
        let mut rd = csv::Reader::from_reader(sessions_csv.as_bytes());
        assert_eq!(&rd.headers().unwrap()[0], "id");
        let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(recs.len(), 3);
        assert_eq!(&recs[2][0], a.to_string().as_str());
        assert_eq!((&recs[2][12], &recs[2][13]), ("7", "3"));

        // The intensity changes, with who made them, straight from the file.
        assert!(daemon.terminate().success());
        let db = rusqlite::Connection::open_with_flags(
            state.join("history.sqlite"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let uid = unsafe { libc::getuid() };
        let actors: Vec<(i64, String, String, u32)> = db
            .prepare("SELECT session_id, kind, actor, microamps FROM intensity ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let me = format!("uid:{uid}");
        assert!(
            actors.contains(&(third as i64, "target".into(), me.clone(), 1_500)),
            "{actors:?}"
        );
        assert!(actors.contains(&(a as i64, "target".into(), me, 3_000)));
        assert!(actors.iter().any(|(id, kind, actor, ua)| *id == a as i64
            && kind == "level"
            && actor == "ramp"
            && *ua > 0));
        // Intensity changes only: far fewer rows than pulses or ticks.
        assert!(actors.len() < 40, "{} rows", actors.len());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loop_never_damages_the_history() {
    // 50 in the test suite; more for a soak: STIMD_CRASH_ROUNDS=500 scripts/test.sh crash_loop
    let rounds: u64 = std::env::var("STIMD_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = TempDir::new("crashloop");
    let bus = Bus::start();
    let state = dir.0.join("state");
    let db_path = state.join("history.sqlite");
    // Each killed session with its daemon's log.
    let mut killed: Vec<(u64, String)> = Vec::new();
    for round in 0..rounds {
        let mut daemon = Daemon::start(&bus, &state, &dir.0.join(format!("t{round}.csv"))).await;
        let c = Client::new(&bus).await;
        let rows = wait_sessions(&c, round as usize).await;
        assert_eq!(
            rows.len(),
            round as usize,
            "round {round}: every session is still there"
        );
        for r in &rows {
            let id = get::<u64>(r, "id");
            let reason = get::<String>(r, "end_reason");
            let (_, log) = killed
                .iter()
                .find(|(k, _)| *k == id)
                .expect("a session this test started");
            // A stalled vCPU can make the supervisor trip (rightly) before the kill: then the
            // session ended with that fault, which its daemon logged. Anything else must be
            // `interrupted`.
            let timing_trip = ["stuck_phase", "engine_heartbeat", "supervisor_stall"]
                .iter()
                .any(|c| reason == format!("fault:{c}") && log.contains(&format!("code=\"{c}\"")));
            assert!(
                reason == "interrupted" || timing_trip,
                "round {round}: killed session {id} ended {reason:?}, not interrupted"
            );
        }
        // Comes up disarmed: idle, or — on a stalled vCPU — with a timing trip latched at
        // start-up (output off as well); never running.
        let state = c.device.state().await.unwrap();
        let (code, _) = c.device.fault().await.unwrap();
        assert!(
            state == "idle"
                || (state == "fault"
                    && ["stuck_phase", "engine_heartbeat", "supervisor_stall"]
                        .contains(&code.as_str())),
            "round {round}: comes up {state:?} (fault {code:?}), not disarmed"
        );
        let check: String = rusqlite::Connection::open_with_flags(
            &db_path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
        assert_eq!(check, "ok", "round {round}");
        if state == "fault" {
            c.device.acknowledge_fault().await.unwrap();
        }

        let id = c
            .session
            .start(
                "low-back",
                opts(vec![("intensity", Value::from(vec![4_000u32, 4_000]))]),
            )
            .await
            .unwrap();
        wait_sessions(&c, round as usize + 1).await;
        // Kill at a varying moment: during the ramp, a progress write, a level batch.
        tokio::time::sleep(Duration::from_millis(round * 37 % 1_300)).await;
        daemon.kill();
        killed.push((id, daemon.log_text()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_database_is_replaced_and_stimulation_goes_on() {
    retry_on_timing_trip("corrupt", |dir| async move {
        let bus = Bus::start();
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::write(state.join("history.sqlite"), vec![0xA5u8; 16_384]).unwrap();
        let _daemon = Daemon::start(&bus, &state, &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let status = c.history.status().await.unwrap();
        assert!(
            status.starts_with(
                "recovered: the history database was unreadable and was moved aside to"
            ),
            "{status}"
        );
        let aside: Vec<_> = std::fs::read_dir(&state)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1, "the unreadable file is kept for inspection");
        short_session(&c, "low-back", 2_000, 300).await;
        assert_eq!(wait_sessions(&c, 1).await.len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_state_directory_costs_the_history_not_the_stimulation() {
    retry_on_timing_trip("readonly", |dir| async move {
        let bus = Bus::start();
        // A directory where the database file should be: the history cannot open (as a
        // read-only or failing disk would), while profiles can still be kept.
        let state = dir.join("state");
        std::fs::create_dir_all(state.join("history.sqlite").join("blocked")).unwrap();
        let trace = dir.join("t.csv");
        let _daemon = Daemon::start(&bus, &state, &trace).await;
        let c = Client::new(&bus).await;
        let status = c.history.status().await.unwrap();
        assert!(status.starts_with("unavailable: cannot open"), "{status}");
        let from = monotonic_ns();
        let id = c
            .session
            .start(
                "low-back",
                opts(vec![
                    ("channels", Value::from(vec![0u32])),
                    ("intensity", Value::from(vec![2_000u32])),
                ]),
            )
            .await
            .unwrap();
        assert!(id > 0);
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(c.device.state().await.unwrap(), "running");
        c.device.emergency_stop().await.unwrap();
        assert_eq!(c.device.state().await.unwrap(), "idle");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let p: Vec<Pulse> = pulses(&read_trace(&trace), 0)
            .into_iter()
            .filter(|p| p.onset_ns >= from)
            .collect();
        assert!(p.len() > 50, "only {} pulses without a history", p.len());
        let e = c.history.sessions(0, 0, 0).await.unwrap_err();
        assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.HistoryUnavailable");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stimctl_shows_rates_summarises_and_exports_the_history() {
    retry_on_timing_trip("stimctl-history", |dir| async move {
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let id = short_session(&c, "neck", 2_000, 300).await;
        wait_sessions(&c, 1).await;
        let stimctl = |args: &[&str]| {
            run(std::process::Command::new(env!("CARGO_BIN_EXE_stimctl"))
                .env("LC_ALL", "C.UTF-8")
                .arg("--bus")
                .arg(&bus.address)
                .args(args))
        };
        let (ok, out) = stimctl(&["history"]);
        assert!(
            ok && out.contains("neck") && out.contains("stopped") && out.contains("not rated"),
            "{out}"
        );
        let (ok, out) = stimctl(&["rate", &id.to_string(), "6", "2"]);
        assert!(ok && out.contains("pain 6 → 2 recorded"), "{out}");
        let (ok, out) = stimctl(&["rate", &id.to_string(), "6", "12"]);
        assert!(
            !ok && out.contains("AFTER = 12 is out of range (allowed: 0..=10)"),
            "{out}"
        );
        let (ok, out) = stimctl(&["summary", "--since", "2020-01-01"]);
        assert!(
            ok && out.contains("1 session, ") && out.contains("pain 6.0 → 2.0 (−4.0) over 1 rated"),
            "{out}"
        );
        let (ok, out) = stimctl(&["export", "--format", "csv"]);
        assert!(
            ok && out.starts_with("id,program,profile,placement,start,end,duration_s"),
            "{out}"
        );
        let (ok, out) = stimctl(&["history", "--json"]);
        assert!(ok && out.contains("\"program\": \"neck\""), "{out}");
        let (ok, out) = stimctl(&["history", "--since", "2026-13-01"]);
        assert!(
            !ok && out.contains("--since = \"2026-13-01\" is not a date (allowed: YYYY-MM-DD)"),
            "{out}"
        );
        // Past 2038 (a 32-bit time_t's end): a date, with nothing after it yet.
        let (ok, out) = stimctl(&["history", "--since", "2039-01-01"]);
        assert!(ok && out.contains("no sessions"), "{out}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_is_reported_and_writes_resume_when_it_is_free() {
    retry_on_timing_trip("locked", |dir| async move {
        let bus = Bus::start();
        let state = dir.join("state");
        let _daemon = Daemon::start(&bus, &state, &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        // Another process holds the write lock (a backup tool, a curious person with sqlite3).
        let other = rusqlite::Connection::open(state.join("history.sqlite")).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        short_session(&c, "low-back", 2_000, 200).await;
        let start = Instant::now();
        loop {
            let status = c.history.status().await.unwrap();
            if status.starts_with("degraded: write failed") {
                assert!(
                    status.contains("locked") && status.contains("stimulation is not affected"),
                    "{status}"
                );
                break;
            }
            assert!(start.elapsed() < DEADLINE, "status stayed {status:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            c.device.state().await.unwrap(),
            "idle",
            "the session itself went on and ended"
        );
        other.execute_batch("COMMIT").unwrap();
        drop(other);
        short_session(&c, "low-back", 2_000, 200).await;
        let start = Instant::now();
        while c.history.status().await.unwrap() != "ok" {
            assert!(start.elapsed() < DEADLINE, "writes never resumed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Nothing was lost: the session run while the database was locked is there too.
        assert_eq!(wait_sessions(&c, 2).await.len(), 2);
    })
    .await;
}

/// Pipes `json` to `scripts/fhir-validate.sh` (fhir.resources, FHIR R4 4.0.1, in a venv under
/// target/ that it makes when missing); returns whether it passed and what it said.
fn fhir_validate(json: &str) -> (bool, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fhir-validate.sh");
    let mut child = Command::new(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scripts/fhir-validate.sh");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// `History.Export("fhir")` over the bus from a real daemon: a session with pain rated before
/// and after and a placement, and an unrated one, as a FHIR R4 Bundle that a validator nobody
/// here wrote accepts (and refuses once broken, so it is known to look), with the session's
/// values in the places the documentation names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fhir_export_is_a_valid_r4_bundle_of_procedures_and_pain_scores() {
    retry_on_timing_trip("fhir", |dir| async move {
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let rated = c
            .session
            .start(
                "neck",
                opts(vec![
                    ("channels", Value::from(vec![0u32])),
                    ("intensity", Value::from(vec![1_000u32])),
                    ("duration", Value::U32(60)),
                    ("placement", Value::from("knee")),
                ]),
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.session.stop().await.unwrap();
        let unrated = short_session(&c, "low-back", 1_000, 100).await;
        wait_sessions(&c, 2).await;
        c.history.rate_pain(rated, 6, 2).await.unwrap();

        let text = c.history.export("fhir").await.unwrap();
        let (ok, said) = fhir_validate(&text);
        assert!(ok, "{said}\n{text}");
        assert!(
            said.contains("valid FHIR R4 4.0.1 Bundle (transaction): 2 Observation, 2 Procedure"),
            "{said}"
        );

        let b: serde_json::Value = serde_json::from_str(&text).unwrap();
        let entries = b["entry"].as_array().unwrap();
        let of = |kind: &str| -> Vec<&serde_json::Value> {
            entries
                .iter()
                .filter(|e| e["resource"]["resourceType"] == kind)
                .collect()
        };
        let procedures = of("Procedure");
        let p = procedures
            .iter()
            .find(|e| e["resource"]["code"]["text"] == "neck")
            .expect("the rated session");
        let r = &p["resource"];
        assert_eq!(r["status"], "stopped");
        assert_eq!(r["statusReason"]["text"], "stopped");
        assert_eq!(r["bodySite"][0]["text"], "knee");
        assert_eq!(r["subject"], serde_json::json!({ "display": "default" }));
        assert!(r["performedPeriod"]["end"].is_string());
        let scores: Vec<(String, u64)> = of("Observation")
            .iter()
            .map(|e| {
                let o = &e["resource"];
                assert_eq!(o["code"]["coding"][0]["system"], "http://loinc.org");
                assert_eq!(o["code"]["coding"][0]["code"], "72514-3");
                assert_eq!(o["partOf"][0]["reference"], p["fullUrl"]);
                (
                    o["note"][0]["text"].as_str().unwrap().to_string(),
                    o["valueInteger"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            scores,
            [
                ("before the session".to_string(), 6),
                ("after the session".to_string(), 2)
            ]
        );
        let other = procedures
            .iter()
            .find(|e| e["resource"]["code"]["text"] == "low-back")
            .unwrap();
        assert!(other["resource"].get("bodySite").is_none(), "{unrated}");

        // The same export again names every resource the same.
        assert_eq!(c.history.export("fhir").await.unwrap(), text);
        // Broken (a Procedure without its required status), the validator refuses it.
        let broken = text.replacen("\"status\": \"stopped\",", "", 1);
        assert_ne!(broken, text);
        let (ok, said) = fhir_validate(&broken);
        assert!(!ok && said.contains("status"), "{said}");
    })
    .await;
}
