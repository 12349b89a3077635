//! The history thread: records wait in memory, in order, until committed; the database is
//! reopened when it could not be opened, and recreated when its file is deleted or replaced.
//!
//! Everything here runs on the history's own thread; callers only ever `try_send` into its
//! queue, so no disk or database trouble reaches the safety path. The writer's decisions take
//! the time as an argument, so the tests drive them without waiting.

use super::ids::{Counter, SessionIds};
use super::store::{FileState, BATCH_EVERY};
use super::{HistoryError, Op, Retention, SessionFigures, SessionRow, Store, STATUS_OK};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Records waiting for the disk beyond which new telemetry (intensity changes, progress) is
/// dropped.
pub const MAX_PENDING: usize = 20_000;
/// Records waiting beyond which every new record is dropped: a few megabytes at most (a
/// record is a few hundred bytes), and days of normal use (a session writes tens to hundreds).
pub const MAX_PENDING_ALL: usize = 25_000;
/// How often a database that cannot be opened is tried again.
pub const RETRY_EVERY: Duration = Duration::from_secs(3);
/// How often, at most, the database file is checked to still be the one at its path when
/// nothing is written (it is also checked before every commit).
pub const CHECK_EVERY: Duration = Duration::from_secs(2);
/// Retention is applied this often while running.
const PRUNE_EVERY: Duration = Duration::from_secs(24 * 3600);
/// Sessions remembered as running (normally one; more only if their ends were dropped).
const MAX_RUNNING: usize = 16;

/// "unavailable: …" for a database that cannot be opened.
pub fn unavailable_text(path: &Path, error: &str) -> String {
    format!(
        "unavailable: cannot open {}: {error}; trying again every {} s, keeping new records in memory (at most {MAX_PENDING_ALL})",
        path.display(),
        RETRY_EVERY.as_secs()
    )
}

/// A session of this run that has not ended: written again into a new or replacement file.
struct Running {
    row: SessionRow,
    last: Option<(i64, SessionFigures)>,
    /// Its end is queued: forgotten once committed.
    ended: bool,
}

/// Why the database is not open.
#[derive(Debug, Clone, PartialEq)]
enum Closed {
    /// It has not opened since start-up (the error).
    AtStart(String),
    /// Its file was deleted or replaced (what happened), and it has not opened again.
    Lost(&'static str),
}

pub(super) struct Writer {
    path: PathBuf,
    store: Option<Store>,
    /// Why `store` is `None`.
    closed: Option<Closed>,
    /// Whether the database has been open at some time in this run.
    opened_once: bool,
    /// How the file was last lost ("deleted", "replaced"), for the status once it is back.
    lost: Option<&'static str>,
    pending: Vec<Op>,
    /// Whether `pending` holds a record to commit at once.
    urgent: bool,
    /// Whether the last commit worked (after a failure the next waits `BATCH_EVERY`).
    healthy: bool,
    last_try: Instant,
    next_open: Instant,
    next_check: Instant,
    last_prune: Instant,
    dropped: u64,
    running: BTreeMap<u64, Running>,
    ids: Arc<SessionIds>,
    counter: Counter,
    status: Arc<watch::Sender<String>>,
    retention: Retention,
}

impl Writer {
    /// A writer for `path`, with the store opened at start-up or why it could not be.
    pub fn new(
        path: PathBuf,
        store: Result<Store, rusqlite::Error>,
        ids: Arc<SessionIds>,
        counter: Counter,
        status: Arc<watch::Sender<String>>,
        retention: Retention,
        now: Instant,
    ) -> Writer {
        let (store, closed) = match store {
            Ok(mut s) => {
                s.set_ids(ids.clone());
                (Some(s), None)
            }
            Err(e) => (None, Some(Closed::AtStart(e.to_string()))),
        };
        Writer {
            path,
            opened_once: store.is_some(),
            store,
            closed,
            lost: None,
            pending: Vec::new(),
            urgent: false,
            healthy: true,
            last_try: now,
            next_open: now + RETRY_EVERY,
            next_check: now + CHECK_EVERY,
            last_prune: now,
            dropped: 0,
            running: BTreeMap::new(),
            ids,
            counter,
            status,
            retention,
        }
    }

    /// Takes one record, query, rating or flush.
    pub fn receive(&mut self, op: Op, now: Instant) {
        if op.is_record() {
            self.note(&op);
            if self.pending.is_empty() && self.healthy {
                // The batch window starts with its first record.
                self.last_try = now;
            }
            self.queue(op);
            return;
        }
        // A query, a rating or a flush: first commit what came before it.
        if !self.pending.is_empty() && self.healthy {
            self.commit(now);
        }
        match (&mut self.store, op) {
            (_, Op::Flush { reply }) => {
                if self.pending.is_empty() {
                    let _ = reply.send(());
                } else {
                    // Dropping the reply tells the caller the records are not all written.
                    tracing::warn!(
                        "history: {} record(s) not written yet ({})",
                        self.pending.len(),
                        self.status.borrow().as_str()
                    );
                }
            }
            (Some(store), op) => {
                if let Err(e) = store.apply(op) {
                    tracing::warn!("history: query failed: {e}");
                }
            }
            (None, op) => refuse(op, &self.status.borrow()),
        }
    }

    /// Does what is due at `now`: checks the file is still there, tries to open a database
    /// that is not open, commits, prunes.
    pub fn tick(&mut self, now: Instant) {
        if self.store.is_some() && now >= self.next_check {
            self.check_file(now);
        }
        if self.store.is_none() && now >= self.next_open {
            self.try_open(now);
        }
        let due = now.saturating_duration_since(self.last_try) >= BATCH_EVERY;
        if !self.pending.is_empty() && (due || (self.urgent && self.healthy)) {
            self.commit(now);
        }
        if now.saturating_duration_since(self.last_prune) >= PRUNE_EVERY {
            self.last_prune = now;
            if let Some(s) = &mut self.store {
                if let Err(e) = s.prune(self.retention, crate::clock::unix_now()) {
                    tracing::warn!("history: cannot apply the retention: {e}");
                }
            }
        }
    }

    /// How long the thread may sleep at `now` before something is due.
    pub fn wait(&self, now: Instant) -> Duration {
        let mut at = if self.store.is_some() {
            self.next_check
        } else {
            self.next_open
        };
        if self.store.is_some() && !self.pending.is_empty() {
            at = at.min(self.last_try + BATCH_EVERY);
        }
        at.saturating_duration_since(now)
    }

    /// The queue is closed (shutting down): one last try to write what waits.
    pub fn finish(&mut self, now: Instant) {
        if self.store.is_none() && !self.pending.is_empty() {
            self.try_open(now);
        }
        if !self.pending.is_empty() {
            self.commit(now);
        }
        if !self.pending.is_empty() {
            tracing::error!(
                "history: {} record(s) could not be written before shut-down ({})",
                self.pending.len(),
                self.status.borrow().as_str()
            );
        }
    }

    /// Records waiting to be written.
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }

    /// Keeps track of this run's running sessions and of the ids taken.
    fn note(&mut self, op: &Op) {
        match op {
            Op::Started(row) => {
                self.ids.at_least(row.id.saturating_add(1));
                self.store_counter();
                if self.running.len() >= MAX_RUNNING {
                    self.running.pop_first();
                }
                self.running.insert(
                    row.id,
                    Running {
                        row: row.clone(),
                        last: None,
                        ended: false,
                    },
                );
            }
            Op::Progress { id, time, figures } => {
                if let Some(r) = self.running.get_mut(id) {
                    r.last = Some((*time, figures.clone()));
                }
            }
            Op::Ended { id, .. } => {
                if let Some(r) = self.running.get_mut(id) {
                    r.ended = true;
                }
            }
            _ => {}
        }
    }

    /// Persists the next id (a failure is logged: the database's own ids still count).
    fn store_counter(&mut self) {
        if let Err(e) = self.counter.store(self.ids.peek()) {
            tracing::warn!(
                "history: cannot store the session id counter {}: {e}",
                self.counter.path().display()
            );
        }
    }

    /// Adds a record to `pending`, or drops it when too many wait.
    fn queue(&mut self, op: Op) {
        let n = self.pending.len();
        if n >= MAX_PENDING_ALL || (n >= MAX_PENDING && op.is_telemetry()) {
            self.dropped += 1;
            let dropped = self.dropped;
            let text = match &self.closed {
                Some(_) => format!(
                    "unavailable: the history cannot be written and {n} record(s) wait in memory; {dropped} record(s) dropped (at most {MAX_PENDING} wait, {MAX_PENDING_ALL} with session starts, ends and faults)"
                ),
                None => format!(
                    "degraded: the disk has not taken writes for a while; {dropped} record(s) dropped"
                ),
            };
            if dropped == 1 || dropped.is_power_of_two() {
                tracing::warn!("history: {text}");
            }
            self.status.send_replace(text);
            return;
        }
        self.urgent |= !op.is_telemetry();
        self.pending.push(op);
    }

    /// Commits `pending`, first making sure the file is still the one at the path.
    fn commit(&mut self, now: Instant) {
        if self.store.is_some() {
            self.check_file(now);
        }
        let Some(store) = &mut self.store else {
            return;
        };
        self.healthy = try_commit(store, &mut self.pending, self.urgent, &self.status);
        self.urgent &= !self.pending.is_empty();
        self.last_try = now;
        if self.pending.is_empty() {
            self.running.retain(|_, r| !r.ended);
        }
        let moved = store.take_renumbered();
        if !moved.is_empty() {
            self.store_counter();
        }
        for (id, to) in moved {
            let text = format!(
                "session id {id} was already taken by an older session in the database (ids were handed out while the history could not be read); that older session now has id {to}"
            );
            tracing::warn!("history: {text}");
            self.status.send_modify(|s| {
                *s = if s.starts_with("recovered:") {
                    format!("{s}; {text}")
                } else {
                    format!("recovered: {text}")
                };
            });
        }
    }

    /// Recreates (or reopens) the database if its file was deleted or replaced.
    fn check_file(&mut self, now: Instant) {
        self.next_check = now + CHECK_EVERY;
        let Some(store) = &self.store else {
            return;
        };
        let what = match store.file_state() {
            FileState::Same => return,
            FileState::Unknown(e) => {
                tracing::debug!("history: cannot check {}: {e}", self.path.display());
                return;
            }
            FileState::Gone => "deleted",
            FileState::Replaced => "replaced",
        };
        let text = format!(
            "degraded: the database file {} was {what} while in use; recreating it",
            self.path.display()
        );
        tracing::error!("history: {text}");
        self.status.send_replace(text);
        if let Some(old) = self.store.take() {
            old.abandon();
        }
        self.lost = Some(what);
        self.closed = Some(Closed::Lost(what));
        self.counter.forget();
        // This run's running sessions first, so their later records have a row to update.
        let mut again: Vec<Op> = Vec::new();
        for r in self.running.values() {
            again.push(Op::Started(r.row.clone()));
            if let Some((time, figures)) = &r.last {
                again.push(Op::Progress {
                    id: r.row.id,
                    time: *time,
                    figures: figures.clone(),
                });
            }
        }
        if !again.is_empty() {
            self.urgent = true;
            again.append(&mut self.pending);
            self.pending = again;
        }
        self.try_open(now);
    }

    /// Opens (creating the directory and the schema) the database.
    fn try_open(&mut self, now: Instant) {
        self.next_open = now + RETRY_EVERY;
        let missing = matches!(
            std::fs::symlink_metadata(&self.path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound
        );
        if missing {
            if let Some(dir) = self.path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // A WAL without its database belongs to no file; SQLite would replay it into
            // the new one.
            for suffix in ["-wal", "-shm"] {
                let mut p = self.path.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
        match Store::open_or_recover(&self.path) {
            Ok((mut store, aside)) => {
                store.set_ids(self.ids.clone());
                let running: Vec<u64> = self.running.keys().copied().collect();
                match store.close_interrupted_except(&running) {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(
                        "history: {n} session(s) cut short by a crash or power loss marked interrupted"
                    ),
                    Err(e) => tracing::warn!("history: cannot close interrupted sessions: {e}"),
                }
                if let Err(e) = store.prune(self.retention, crate::clock::unix_now()) {
                    tracing::warn!("history: cannot apply the retention: {e}");
                }
                match store.max_session_id() {
                    Ok(max) => self.ids.at_least(max.saturating_add(1)),
                    Err(e) => tracing::warn!("history: cannot read the highest session id: {e}"),
                }
                self.store = Some(store);
                self.store_counter();
                let mut parts = Vec::new();
                match (self.closed.take(), self.lost) {
                    (Some(Closed::AtStart(e)), _) if !self.opened_once => parts.push(format!(
                        "the history could not be opened at start-up ({e}); it opened later{}",
                        match self.pending.len() {
                            0 => String::new(),
                            n => format!(" and the {n} record(s) kept meanwhile are written to it"),
                        }
                    )),
                    (_, Some(what)) => parts.push(format!(
                        "the database file {} was {what} while in use; {} and the records since are written to it",
                        self.path.display(),
                        if what == "deleted" {
                            "a new one was created"
                        } else {
                            "the file now at that path was opened"
                        }
                    )),
                    _ => {}
                }
                if let Some(aside) = aside {
                    parts.push(format!(
                        "the history database was unreadable and was moved aside to {}; a new one was started",
                        aside.display()
                    ));
                }
                if self.dropped > 0 {
                    parts.push(format!(
                        "{} record(s) were dropped while it could not be written",
                        self.dropped
                    ));
                }
                let text = if parts.is_empty() {
                    STATUS_OK.to_string()
                } else {
                    format!("recovered: {}", parts.join("; "))
                };
                tracing::warn!("history: {text}");
                self.status.send_replace(text);
                self.opened_once = true;
                self.lost = None;
                self.healthy = true;
                self.urgent |= !self.pending.is_empty();
                self.last_try = now;
                if !self.pending.is_empty() {
                    self.commit(now);
                }
            }
            Err(e) => {
                let e = e.to_string();
                let text = match &self.closed {
                    Some(Closed::Lost(what)) => format!(
                        "unavailable: the database file {} was {what} while in use and cannot be recreated: {e}; trying again every {} s, keeping new records in memory (at most {MAX_PENDING_ALL})",
                        self.path.display(),
                        RETRY_EVERY.as_secs()
                    ),
                    _ => unavailable_text(&self.path, &e),
                };
                let changed = self.status.send_if_modified(|s| {
                    // Keep a "records dropped" notice; otherwise say what fails now.
                    if *s == text || (s.starts_with("unavailable:") && s.contains("dropped")) {
                        false
                    } else {
                        *s = text.clone();
                        true
                    }
                });
                if changed {
                    tracing::error!("history: {text}");
                }
            }
        }
    }
}

/// The history thread's loop.
pub(super) fn serve(mut writer: Writer, rx: mpsc::Receiver<Op>) {
    loop {
        let wait = writer.wait(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(op) => writer.receive(op, Instant::now()),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                writer.finish(Instant::now());
                return;
            }
        }
        writer.tick(Instant::now());
    }
}

/// Commits `pending`; keeps `status` true. Returns whether it worked.
fn try_commit(
    store: &mut Store,
    pending: &mut Vec<Op>,
    full: bool,
    status: &watch::Sender<String>,
) -> bool {
    if pending.is_empty() {
        return true;
    }
    let n = pending.len();
    match store.commit_batch(pending, full) {
        Ok(()) => {
            status.send_if_modified(|s| {
                if s.starts_with("degraded") {
                    *s = STATUS_OK.into();
                    true
                } else {
                    false
                }
            });
            true
        }
        Err(e) => {
            tracing::warn!("history: write failed, {n} record(s) kept for the next try: {e}");
            status.send_replace(format!(
                "degraded: write failed ({e}); {n} record(s) waiting, stimulation is not affected"
            ));
            false
        }
    }
}

/// Answers a query when there is no database.
fn refuse(op: Op, status: &str) {
    let closed = || HistoryError::Closed {
        status: status.to_string(),
    };
    match op {
        Op::Sessions { reply, .. } => {
            let _ = reply.send(Err(closed()));
        }
        Op::Faults { reply, .. } => {
            let _ = reply.send(Err(closed()));
        }
        Op::Summary { reply, .. } => {
            let _ = reply.send(Err(closed()));
        }
        Op::RatePain { reply, .. } => {
            let _ = reply.send(Err(closed()));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::ids::COUNTER_FILE;
    use crate::history::{FaultRow, IntensityRow, DB_FILE};

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
                + &path.display().to_string() + "); it opened later"
        );
        assert_eq!(s.ids.take(), 10);
        let _ = std::fs::remove_dir_all(&s.dir);
    }
}
