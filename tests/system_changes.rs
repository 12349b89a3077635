//! System test of the audit trail through the real bus (`History.Changes`): a button press, a
//! profile created and screened, a custom program added and removed, a pad set replaced — each with who did it, newest first, the
//! period and the limit honoured, a bad argument named — and `Export` holding them.

mod common;

use common::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use zbus::zvariant::OwnedValue;

type Dict = HashMap<String, OwnedValue>;

/// A bouncing press, held `hold_ms`, then a bouncing release (as in `system_board`).
async fn press(c: &Client, button: &str, hold_ms: u64) {
    for pressed in [true, false, true] {
        c.sim.set_button(button, pressed).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(hold_ms)).await;
    for pressed in [false, true, false] {
        c.sim.set_button(button, pressed).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Polls `Target` until it equals `want`.
async fn wait_target(c: &Client, want: &[u32]) {
    let start = Instant::now();
    loop {
        let t = c.session.target().await.unwrap();
        if t == want {
            return;
        }
        assert!(start.elapsed() < DEADLINE, "target {t:?}, want {want:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `Changes` until a row satisfies `found`; returns every row.
async fn wait_changes(c: &Client, found: impl Fn(&Dict) -> bool) -> Vec<Dict> {
    let start = Instant::now();
    loop {
        let rows = c.history.changes(0, 0, 0).await.unwrap();
        if rows.iter().any(&found) {
            return rows;
        }
        assert!(start.elapsed() < DEADLINE, "not in the changes: {rows:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn kind(r: &Dict) -> String {
    get(r, "kind")
}

fn position(rows: &[Dict], what: impl Fn(&Dict) -> bool) -> usize {
    rows.iter()
        .position(what)
        .unwrap_or_else(|| panic!("not found in {rows:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_show_who_changed_what_newest_first_and_export_holds_them() {
    retry_on_timing_trip("changes", |dir| async move {
        let bus = Bus::start();
        let _daemon = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let me = format!("uid:{}", unsafe { libc::getuid() });
        // (The harness's client has set up the default profile already: recorded too.)

        // A profile created and screened by this client.
        c.profiles.create("oma", HashMap::new()).await.unwrap();
        c.profiles
            .record_screening("oma", no_contraindications())
            .await
            .unwrap();
        // A button press in a session: the target rises one step, by the button.
        let id = c.session.start("low-back", HashMap::new()).await.unwrap();
        wait_target(&c, &[0, 0]).await;
        press(&c, "up", 100).await;
        wait_target(&c, &[500, 500]).await;
        c.session.stop().await.unwrap();
        c.wait_state("idle").await;
        // A custom program added and removed.
        let program = "id = \"my-back\"\nkind = \"tens\"\nplacements = [\"low back\"]\n\n[name]\nnl = \"Rug\"\nen = \"Back\"\n\n[summary]\nnl = \"Test.\"\nen = \"Test.\"\n\n[[segments]]\nmode = \"conventional\"\nrate_hz = 100\nphase_us = 150\nminutes = 5\n";
        assert_eq!(c.programs.add(program).await.unwrap(), "my-back");
        c.programs.remove("my-back").await.unwrap();
        // New pads on channel 1, once the session is counted on the old ones.
        let start = Instant::now();
        let old = loop {
            let set = c.device.pads().await.unwrap()[1];
            if set.0 == 1 {
                break set;
            }
            assert!(start.elapsed() < DEADLINE, "the session is not counted");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        c.device.pads_replaced(1).await.unwrap();

        let rows = wait_changes(&c, |r| kind(r) == "pads_replaced").await;
        let times: Vec<i64> = rows.iter().map(|r| get::<i64>(r, "time_ms")).collect();
        assert!(
            times.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {times:?}"
        );
        for r in &rows {
            assert_eq!(get::<i64>(r, "time"), get::<i64>(r, "time_ms") / 1_000);
        }

        let pads = position(&rows, |r| kind(r) == "pads_replaced");
        let p = &rows[pads];
        assert_eq!(
            (get::<u32>(p, "channel"), get::<String>(p, "actor")),
            (1, me.clone())
        );
        assert_eq!(
            get::<String>(p, "detail"),
            format!("old set: 1 sessions, {} minutes", old.1),
            "{p:?}"
        );

        let button: Vec<&Dict> = rows
            .iter()
            .filter(|r| kind(r) == "intensity" && get::<String>(r, "actor") == "button")
            .collect();
        assert_eq!(button.len(), 2, "one per channel: {rows:?}");
        for b in &button {
            assert_eq!(
                (
                    get::<u64>(b, "session"),
                    get::<u32>(b, "from"),
                    get::<u32>(b, "to"),
                    get::<String>(b, "profile")
                ),
                (id, 0, 500, "default".to_string())
            );
        }
        let pressed = position(&rows, |r| {
            kind(r) == "intensity" && get::<String>(r, "actor") == "button"
        });

        let removed = position(&rows, |r| kind(r) == "program_removed");
        let added = position(&rows, |r| kind(r) == "program_added");
        for i in [removed, added] {
            assert_eq!(
                (
                    get::<String>(&rows[i], "actor"),
                    get::<String>(&rows[i], "detail")
                ),
                (me.clone(), "my-back".to_string())
            );
        }
        assert!(pads < removed && removed < added && added < pressed);
        let screened = position(&rows, |r| kind(r) == "screening" && get::<String>(r, "profile") == "oma");
        let created = position(&rows, |r| kind(r) == "profile_created" && get::<String>(r, "profile") == "oma");
        for i in [screened, created] {
            assert_eq!(
                (
                    get::<String>(&rows[i], "actor"),
                    get::<String>(&rows[i], "profile"),
                    get::<u64>(&rows[i], "session")
                ),
                (me.clone(), "oma".to_string(), 0)
            );
        }
        assert!(
            pads < pressed && pressed < screened && screened < created,
            "newest first: pads {pads}, button {pressed}, screening {screened}, created {created}"
        );

        // The limit keeps the newest; the period is honoured at both ends.
        let one = c.history.changes(0, 0, 1).await.unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(kind(&one[0]), "pads_replaced");
        let t_pads: i64 = get(p, "time");
        let t_created: i64 = get(&rows[created], "time");
        let late = c.history.changes(t_pads, 0, 0).await.unwrap();
        assert!(late.iter().any(|r| kind(r) == "pads_replaced"));
        assert!(late.iter().all(|r| get::<i64>(r, "time") >= t_pads));
        assert!(c
            .history
            .changes(t_pads + 1, 0, 0)
            .await
            .unwrap()
            .is_empty());
        let early = c.history.changes(0, t_created, 0).await.unwrap();
        assert!(early.iter().any(|r| kind(r) == "profile_created"));
        assert!(early.iter().all(|r| get::<i64>(r, "time") <= t_created));
        let before = c.history.changes(0, t_created - 1, 0).await.unwrap();
        assert!(before
            .iter()
            .all(|r| get::<i64>(r, "time") < t_created && get::<String>(r, "profile") != "oma"));

        // A bad period is named and refused.
        for (since, until) in [(10, 5), (-1, 0), (0, -7)] {
            let e = c.history.changes(since, until, 0).await.unwrap_err();
            assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.InvalidArgument");
            assert!(
                e.to_string()
                    .contains(&format!("since = {since}, until = {until}")),
                "{e}"
            );
        }

        // Export holds the same changes: JSON as a list beside the sessions, CSV as a second
        // table.
        let json: serde_json::Value =
            serde_json::from_str(&c.history.export("json").await.unwrap()).unwrap();
        assert_eq!(json["sessions"][0]["id"], id);
        let changes = json["changes"].as_array().unwrap();
        assert!(changes.len() >= rows.len());
        assert_eq!(changes[0]["kind"], "pads_replaced");
        assert_eq!(changes[0]["channel"], 1);
        assert!(changes
            .iter()
            .any(|c| c["actor"] == "button" && c["to"] == 500 && c["session"] == id));
        assert!(changes
            .iter()
            .any(|c| c["kind"] == "profile_created" && c["actor"] == me.as_str()));
        let csv_text = c.history.export("csv").await.unwrap();
        let (_, changes_csv) = csv_text.split_once("\n\n").unwrap();
        let mut rd = csv::Reader::from_reader(changes_csv.as_bytes());
        assert_eq!(&rd.headers().unwrap()[4], "kind");
        let recs: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!((&recs[0][4], &recs[0][5]), ("pads_replaced", "1"));
        assert!(recs.iter().any(|r| &r[3] == "button" && &r[7] == "500"));

        // `stimctl changes`: the same trail for a person (in their language), and as JSON.
        let stimctl = |lang: &str, args: &[&str]| {
            run(std::process::Command::new(env!("CARGO_BIN_EXE_stimctl"))
                .env("LC_ALL", lang)
                .arg("--bus")
                .arg(&bus.address)
                .args(args))
        };
        let (ok, out) = stimctl("nl_NL.UTF-8", &["changes"]);
        let first = out.lines().next().unwrap_or_default();
        assert!(
            ok && first.contains("pads_replaced") && first.contains("kan. 1"),
            "{out}"
        );
        assert!(out.contains("button") && out.contains("0,0 → 0,5 mA"), "{out}");
        let (ok, out) = stimctl("C.UTF-8", &["changes", "--json"]);
        let trail: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert!(ok && trail[0]["kind"] == "pads_replaced" && trail[0]["channel"] == 1);
        let (ok, out) = stimctl("C.UTF-8", &["changes", "--since", "2039-01-01"]);
        assert!(ok && out.trim() == "no changes", "{out}");
        let (ok, out) = stimctl("C.UTF-8", &["changes", "--since", "tomorrow"]);
        assert!(
            !ok && out.contains("--since = \"tomorrow\" is not a date (allowed: YYYY-MM-DD)"),
            "{out}"
        );
    })
    .await;
}
