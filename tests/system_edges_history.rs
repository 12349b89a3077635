//! System tests of the history's edges, with the real daemon on a real bus: a state directory
//! deleted while the daemon runs, a history that cannot be opened at start and becomes
//! available later, and session ids that never repeat across a database that is unavailable
//! at start. Tests run as root, so an unopenable database is made with paths (a directory
//! where the database file belongs), not with permissions.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};
use stimd::history::{Op, SessionFigures, SessionRow, Store};
use zbus::zvariant::{OwnedValue, Value};

/// Polls `History.Status` until `want` holds; returns it.
async fn wait_status(c: &Client, what: &str, want: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let s = c.history.status().await.unwrap();
        if want(&s) {
            return s;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "History.Status stayed {s:?}, wanted {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `History.Sessions` until it answers with at least `n` sessions.
async fn wait_sessions(c: &Client, n: usize) -> Vec<HashMap<String, OwnedValue>> {
    let start = Instant::now();
    loop {
        let rows = c.history.sessions(0, 0, 0).await;
        match &rows {
            Ok(r) if r.len() >= n => return r.clone(),
            _ => {}
        }
        assert!(start.elapsed() < DEADLINE, "sessions: {rows:?}, want {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn start_session(c: &Client) -> u64 {
    c.session
        .start(
            "low-back",
            opts(vec![
                ("channels", Value::from(vec![0u32])),
                ("intensity", Value::from(vec![2_000u32])),
                ("duration", Value::U32(60)),
            ]),
        )
        .await
        .unwrap()
}

/// A session run for `ms`, then stopped; its id.
async fn short_session(c: &Client, ms: u64) -> u64 {
    let id = start_session(c).await;
    tokio::time::sleep(Duration::from_millis(ms)).await;
    c.session.stop().await.unwrap();
    c.wait_state("idle").await;
    id
}

/// (id, end_reason) of every session in the database file, read with a connection of its own.
fn on_disk(db: &Path) -> Vec<(u64, String)> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT id, end_reason FROM sessions ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    rows
}

fn ids_and_reasons(rows: &[HashMap<String, OwnedValue>]) -> Vec<(u64, String)> {
    let mut v: Vec<(u64, String)> = rows
        .iter()
        .map(|r| (get::<u64>(r, "id"), get::<String>(r, "end_reason")))
        .collect();
    v.sort();
    v
}

/// The state directory deleted under a running daemon, in the middle of a session: the
/// history notices, says so, recreates the directory and the database, and keeps both the
/// session that was running and the next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_directory_deleted_while_running_is_recreated_and_keeps_the_sessions() {
    retry_on_timing_trip("edge-deleted", |dir| async move {
        let bus = Bus::start();
        let state = dir.join("state");
        let db = state.join("history.sqlite");
        let mut daemon = Daemon::start(&bus, &state, &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        assert_eq!(c.history.status().await.unwrap(), "ok");

        let running = start_session(&c).await;
        wait_sessions(&c, 1).await;
        std::fs::remove_dir_all(&state).unwrap();
        let status = wait_status(&c, "a recovered deleted database", |s| {
            s.starts_with("recovered:") && s.contains("was deleted while in use")
        })
        .await;
        assert!(status.contains("a new one was created"), "{status}");
        assert!(db.exists(), "the database is back");
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.session.stop().await.unwrap();
        c.wait_state("idle").await;
        let after = short_session(&c, 300).await;

        let rows = wait_sessions(&c, 2).await;
        let want = vec![(running, "stopped".to_string()), (after, "stopped".into())];
        let start = Instant::now();
        let mut got = ids_and_reasons(&rows);
        while got != want {
            assert!(
                start.elapsed() < DEADLINE,
                "sessions {got:?}, want {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            got = ids_and_reasons(&c.history.sessions(0, 0, 0).await.unwrap());
        }
        assert!(daemon.terminate().success());
        assert_eq!(on_disk(&db), want, "in the recreated file");
    })
    .await;
}

/// A history that cannot be opened at start (a directory where the database file belongs):
/// the daemon runs, `Status` says `unavailable`, a session is kept in memory; once the path is
/// free the history opens by itself and the session is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_unavailable_at_start_opens_later_and_writes_what_happened() {
    retry_on_timing_trip("edge-late", |dir| async move {
        let bus = Bus::start();
        let state = dir.join("state");
        let db = state.join("history.sqlite");
        std::fs::create_dir_all(&db).unwrap();
        let mut daemon = Daemon::start(&bus, &state, &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let status = c.history.status().await.unwrap();
        assert!(
            status.starts_with("unavailable: cannot open") && status.contains("trying again"),
            "{status}"
        );
        let id = short_session(&c, 500).await;
        let e = c.history.sessions(0, 0, 0).await.unwrap_err();
        assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.HistoryUnavailable");

        std::fs::remove_dir(&db).unwrap();
        let status = wait_status(&c, "recovered", |s| s.starts_with("recovered:")).await;
        assert!(
            status.contains("could not be opened at start-up") && status.contains("opened later"),
            "{status}"
        );
        let rows = wait_sessions(&c, 1).await;
        assert_eq!(ids_and_reasons(&rows), vec![(id, "stopped".to_string())]);
        assert!(daemon.terminate().success());
        assert_eq!(on_disk(&db), vec![(id, "stopped".to_string())]);
    })
    .await;
}

/// Sessions 1..5 on record; at the next start the database cannot be opened: a new session
/// still gets an id above 5 (from the persisted counter), and once the database opens all six
/// are there, distinct.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_ids_never_repeat_when_the_database_is_unavailable_at_start() {
    retry_on_timing_trip("edge-ids", |dir| async move {
        let bus = Bus::start();
        let state = dir.join("state");
        let db = state.join("history.sqlite");
        std::fs::create_dir_all(&state).unwrap();
        {
            let mut s = Store::open(&db).unwrap();
            for id in 1..=5u64 {
                let start = 1_700_000_000 + id as i64 * 3_600;
                s.apply_now(Op::Started(SessionRow::starting(
                    id,
                    "neck",
                    "default",
                    "",
                    start,
                    vec![0],
                )))
                .unwrap();
                s.apply_now(Op::Ended {
                    id,
                    end: start + 600,
                    reason: "completed".into(),
                    figures: SessionFigures::default(),
                })
                .unwrap();
            }
        }
        // A run that sees the database (and stores the counter), then a clean stop.
        let mut first = Daemon::start(&bus, &state, &dir.join("t1.csv")).await;
        assert!(first.terminate().success());

        let away = state.join("history.sqlite.away");
        std::fs::rename(&db, &away).unwrap();
        std::fs::create_dir(&db).unwrap();
        let mut daemon = Daemon::start(&bus, &state, &dir.join("t2.csv")).await;
        let c = Client::new(&bus).await;
        let status = c.history.status().await.unwrap();
        assert!(status.starts_with("unavailable: cannot open"), "{status}");
        let id = short_session(&c, 300).await;
        assert!(id > 5, "session id {id} was already used");

        std::fs::remove_dir(&db).unwrap();
        std::fs::rename(&away, &db).unwrap();
        wait_status(&c, "recovered", |s| s.starts_with("recovered:")).await;
        let rows = wait_sessions(&c, 6).await;
        let got = ids_and_reasons(&rows);
        let mut want: Vec<(u64, String)> = (1..=5).map(|i| (i, "completed".into())).collect();
        want.push((id, "stopped".into()));
        assert_eq!(got, want);
        let ours = rows.iter().find(|r| get::<u64>(r, "id") == id).unwrap();
        assert_eq!(get::<String>(ours, "program"), "low-back");
        assert!(daemon.terminate().success());
        assert_eq!(on_disk(&db), want);
    })
    .await;
}
