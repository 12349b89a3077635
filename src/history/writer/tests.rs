//! The writer driven with explicit times: a deleted or replaced database recreated with nothing
//! lost, a database that cannot be opened retried with memory bounded, and session ids kept
//! unique across all of it.

use super::*;
use crate::history::ids::COUNTER_FILE;
use crate::history::{FaultRow, IntensityRow, DB_FILE, STATUS_OK};

fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "stimd-writer-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn row(id: u64, start: i64) -> SessionRow {
    SessionRow::starting(id, "low-back", "default", "", start, vec![0])
}

fn ended(id: u64, end: i64) -> Op {
    Op::Ended {
        id,
        end,
        reason: "stopped".into(),
        figures: SessionFigures {
            max_intensity: vec![3_000],
            mean_intensity: vec![2_000],
            segments: vec!["conventional".into()],
            stimulated_s: 0,
        },
    }
}

fn level(id: u64, time_ms: i64) -> Op {
    Op::Intensity(IntensityRow {
        time_ms,
        session_id: id,
        channel: 0,
        kind: "level",
        microamps: 1_000,
        actor: "ramp".into(),
    })
}

struct Setup {
    dir: PathBuf,
    path: PathBuf,
    writer: Writer,
    status: Arc<watch::Sender<String>>,
    ids: Arc<SessionIds>,
    t0: Instant,
}

/// A writer for `dir/history.sqlite`, opened as `HistoryHandle::open` would.
fn setup(dir: PathBuf) -> Setup {
    let path = dir.join(DB_FILE);
    let store = Store::open_or_recover(&path).map(|(s, _)| s);
    let status = Arc::new(watch::channel(STATUS_OK.to_string()).0);
    if let Err(e) = &store {
        status.send_replace(unavailable_text(&path, &e.to_string()));
    }
    let mut counter = Counter::new(&dir);
    let first = counter.read().ok().flatten().unwrap_or(1);
    let ids = Arc::new(SessionIds::new(first));
    let t0 = Instant::now();
    let writer = Writer::new(
        path.clone(),
        store,
        ids.clone(),
        counter,
        status.clone(),
        Retention::default(),
        t0,
    );
    Setup {
        dir,
        path,
        writer,
        status,
        ids,
        t0,
    }
}

fn status(s: &Setup) -> String {
    s.status.borrow().clone()
}

/// The sessions in the file at `path`, read with a connection of its own.
fn sessions_on_disk(path: &Path) -> Vec<SessionRow> {
    Store::open(path).unwrap().sessions(0, 0, 0).unwrap()
}

#[test]
fn a_deleted_state_directory_is_noticed_recreated_and_nothing_queued_is_lost() {
    let mut s = setup(temp_dir("deleted-dir"));
    let t = s.t0;
    s.writer.receive(Op::Started(row(1, 100)), t);
    s.writer.tick(t);
    assert_eq!(sessions_on_disk(&s.path).len(), 1);

    std::fs::remove_dir_all(&s.dir).unwrap();
    // The running session goes on; its records arrive while the directory is gone.
    let t = t + Duration::from_millis(500);
    s.writer.receive(level(1, 100_500), t);
    s.writer.receive(ended(1, 160), t);
    s.writer.tick(t);
    let st = status(&s);
    assert!(
        st.starts_with("recovered: the database file")
            && st.contains("was deleted while in use; a new one was created"),
        "{st}"
    );
    assert_eq!(s.writer.waiting(), 0);
    let rows = sessions_on_disk(&s.path);
    assert_eq!(rows.len(), 1, "the running session was written again");
    assert_eq!(
        (rows[0].id, rows[0].end, rows[0].end_reason.as_str()),
        (1, 160, "stopped")
    );
    assert_eq!(rows[0].max_intensity, vec![3_000]);
    let counter = std::fs::read_to_string(s.dir.join(COUNTER_FILE)).unwrap();
    assert_eq!(counter.trim(), "2", "the id counter is back too");

    // Later sessions land in the new file, and the status stays as it is until then.
    s.writer.receive(Op::Started(row(2, 200)), t);
    s.writer.tick(t);
    assert_eq!(sessions_on_disk(&s.path).len(), 2);
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[test]
fn a_deleted_file_is_noticed_while_idle() {
    let mut s = setup(temp_dir("deleted-file"));
    let t = s.t0;
    s.writer.receive(Op::Started(row(1, 100)), t);
    s.writer.receive(ended(1, 160), t);
    s.writer.tick(t);
    std::fs::remove_file(&s.path).unwrap();
    // Nothing to write: found by the periodic check, not before.
    s.writer.tick(t + CHECK_EVERY / 2);
    assert_eq!(status(&s), STATUS_OK);
    assert!(!s.path.exists());
    s.writer.tick(t + CHECK_EVERY);
    assert!(
        status(&s).contains("was deleted while in use"),
        "{}",
        status(&s)
    );
    assert!(s.path.exists(), "recreated at once");
    // The old WAL went with the old file: the new database is whole and empty.
    let check: String = rusqlite::Connection::open(&s.path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert!(sessions_on_disk(&s.path).is_empty());
    s.writer.receive(Op::Started(row(2, 200)), t + CHECK_EVERY);
    s.writer.tick(t + CHECK_EVERY);
    assert_eq!(sessions_on_disk(&s.path)[0].id, 2);
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[test]
fn a_replaced_file_is_used_and_the_running_session_written_into_it() {
    let mut s = setup(temp_dir("replaced"));
    let t = s.t0;
    s.writer.receive(Op::Started(row(7, 700)), t);
    s.writer.tick(t);
    // Another database (a restored backup) is moved over the path.
    let other = s.dir.join("backup.sqlite");
    {
        let mut b = Store::open(&other).unwrap();
        b.apply_now(Op::Started(row(3, 300))).unwrap();
        b.apply_now(ended(3, 360)).unwrap();
    }
    std::fs::rename(&other, &s.path).unwrap();
    s.writer.receive(ended(7, 760), t);
    s.writer.tick(t);
    let st = status(&s);
    assert!(
        st.contains("was replaced while in use; the file now at that path was opened"),
        "{st}"
    );
    let rows = sessions_on_disk(&s.path);
    let ids: Vec<(u64, &str)> = rows.iter().map(|r| (r.id, r.end_reason.as_str())).collect();
    assert_eq!(ids, vec![(7, "stopped"), (3, "stopped")]);
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[test]
fn a_history_that_cannot_be_opened_is_retried_and_keeps_what_happened() {
    let dir = temp_dir("retry");
    // A directory where the database file should be.
    std::fs::create_dir_all(dir.join(DB_FILE)).unwrap();
    let mut s = setup(dir);
    assert!(
        status(&s).starts_with("unavailable: cannot open"),
        "{}",
        status(&s)
    );
    let t = s.t0;
    s.writer.receive(Op::Started(row(1, 100)), t);
    s.writer.receive(level(1, 100_200), t);
    s.writer.receive(ended(1, 160), t);
    s.writer.tick(t);
    assert_eq!(s.writer.waiting(), 3);
    let (reply, mut rx) = tokio::sync::oneshot::channel();
    s.writer.receive(
        Op::Sessions {
            since: 0,
            until: 0,
            limit: 0,
            reply,
        },
        t,
    );
    let e = rx.try_recv().unwrap().unwrap_err().to_string();
    assert!(e.starts_with("history unavailable: cannot open"), "{e}");
    let (reply, mut rx) = tokio::sync::oneshot::channel();
    s.writer.receive(Op::Flush { reply }, t);
    assert!(rx.try_recv().is_err(), "a flush is not confirmed");
    assert_eq!(s.writer.wait(t), RETRY_EVERY, "sleeps until the next try");

    std::fs::remove_dir(&s.path).unwrap();
    s.writer.tick(t + RETRY_EVERY / 2);
    assert!(!s.path.exists(), "not tried before it is due");
    s.writer.tick(t + RETRY_EVERY);
    assert_eq!(s.writer.waiting(), 0);
    let st = status(&s);
    assert!(
        st.starts_with("recovered: the history could not be opened at start-up"),
        "{st}"
    );
    let rows = sessions_on_disk(&s.path);
    assert_eq!((rows.len(), rows[0].end), (1, 160));
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[test]
fn memory_is_bounded_while_the_history_cannot_be_written() {
    let dir = temp_dir("bound");
    std::fs::create_dir_all(&dir).unwrap();
    // The state directory is a regular file: nothing can be created under it.
    let file = dir.join("state");
    std::fs::write(&file, b"").unwrap();
    let mut s = setup(file);
    let t = s.t0;
    for i in 0..MAX_PENDING + 10 {
        s.writer.receive(level(1, i as i64), t);
    }
    assert_eq!(
        s.writer.waiting(),
        MAX_PENDING,
        "telemetry beyond is dropped"
    );
    let st = status(&s);
    assert!(
        st.starts_with("unavailable:") && st.contains("10 record(s) dropped"),
        "{st}"
    );
    for i in 0..(MAX_PENDING_ALL - MAX_PENDING + 5) {
        s.writer.receive(
            Op::Fault(FaultRow {
                time: i as i64,
                code: "overcurrent".into(),
                message: String::new(),
                session_id: 1,
            }),
            t,
        );
    }
    assert_eq!(s.writer.waiting(), MAX_PENDING_ALL);
    assert!(status(&s).contains("15 record(s) dropped"));
    // A retry that fails again keeps the notice of what was dropped.
    s.writer.tick(t + RETRY_EVERY);
    assert!(
        status(&s).contains("15 record(s) dropped"),
        "{}",
        status(&s)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Ids handed out while neither the database nor the counter could be read collide with
/// an older session once the database opens: the running session keeps its id (the one
/// its clients were told), the older row moves to a fresh id with its detail, and the
/// allocator stays above all of them.
#[test]
fn an_id_taken_by_an_older_session_moves_that_session_and_ids_stay_unique() {
    let dir = temp_dir("collide");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(DB_FILE);
    let aside = dir.join("elsewhere.sqlite");
    // Recent enough for the retention of intensity changes.
    let recent_ms = crate::clock::unix_now() * 1_000;
    {
        let mut b = Store::open(&aside).unwrap();
        for id in 1..=5 {
            b.apply_now(Op::Started(row(id, id as i64 * 10))).unwrap();
            b.apply_now(ended(id, id as i64 * 10 + 5)).unwrap();
        }
        b.apply_now(level(1, recent_ms)).unwrap();
    }
    std::fs::create_dir_all(&path).unwrap();
    let mut s = setup(dir);
    let t = s.t0;
    let id = s.ids.take();
    assert_eq!(id, 1, "nothing says otherwise yet");
    s.writer.receive(Op::Started(row(id, 1_000)), t);
    s.writer.receive(level(id, 1_000_500), t);
    s.writer.receive(ended(id, 1_060), t);
    std::fs::remove_dir(&path).unwrap();
    std::fs::rename(&aside, &path).unwrap();
    s.writer.tick(t + RETRY_EVERY);
    assert_eq!(s.writer.waiting(), 0);
    let st = status(&s);
    assert!(
        st.contains("session id 1 was already taken by an older session")
            && st.contains("now has id 6"),
        "{st}"
    );
    let rows = sessions_on_disk(&path);
    let mut got: Vec<(u64, i64)> = rows.iter().map(|r| (r.id, r.start)).collect();
    got.sort();
    assert_eq!(
        got,
        vec![(1, 1_000), (2, 20), (3, 30), (4, 40), (5, 50), (6, 10)]
    );
    let moved: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM intensity WHERE session_id = 6 AND time_ms = ?1",
            [recent_ms],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(moved, 1, "the older session's detail moved with it");
    assert_eq!(s.ids.take(), 7);
    let counter = std::fs::read_to_string(s.dir.join(COUNTER_FILE)).unwrap();
    assert_eq!(counter.trim(), "7");
    let _ = std::fs::remove_dir_all(&s.dir);
}

/// Writes `n` ended sessions into a fresh database at `path`.
fn database_with(path: &Path, n: u64) {
    let mut b = Store::open(path).unwrap();
    for id in 1..=n {
        b.apply_now(Op::Started(row(id, id as i64 * 10))).unwrap();
        b.apply_now(ended(id, id as i64 * 10 + 5)).unwrap();
    }
}

#[test]
fn the_persisted_counter_keeps_ids_unique_when_the_database_is_unavailable_at_start() {
    let dir = temp_dir("counter");
    let path = dir.join(DB_FILE);
    database_with(&path, 5);
    {
        let (h, max) = crate::history::HistoryHandle::open(&dir, Retention::default());
        assert_eq!(max, 5);
        assert_eq!(h.next_session_id(), 6);
    }
    let counter = std::fs::read_to_string(dir.join(COUNTER_FILE)).unwrap();
    assert_eq!(counter.trim(), "6");
    // Next start: the database cannot be opened.
    std::fs::rename(&path, dir.join("away.sqlite")).unwrap();
    std::fs::create_dir(&path).unwrap();
    let (h, max) = crate::history::HistoryHandle::open(&dir, Retention::default());
    assert!(h.status().borrow().starts_with("unavailable: cannot open"));
    assert_eq!(max, 5);
    assert_eq!(h.next_session_id(), 6);
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_allocator_rises_above_a_database_that_opens_later() {
    let dir = temp_dir("rise");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(DB_FILE);
    database_with(&dir.join("later.sqlite"), 9);
    std::fs::create_dir(&path).unwrap();
    let mut s = setup(dir);
    assert_eq!(s.ids.peek(), 1);
    std::fs::remove_dir(&path).unwrap();
    std::fs::rename(s.dir.join("later.sqlite"), &path).unwrap();
    s.writer.tick(s.t0 + RETRY_EVERY);
    assert_eq!(
        status(&s),
        "recovered: the history could not be opened at start-up (unable to open database file: "
            .to_string()
            + &path.display().to_string()
            + "); it opened later"
    );
    assert_eq!(s.ids.take(), 10);
    let _ = std::fs::remove_dir_all(&s.dir);
}
