//! The history thread: records wait in memory, in order, until committed; the database is
//! reopened when it could not be opened, and recreated when its file is deleted or replaced.
//!
//! Everything here runs on the history's own thread; callers only ever `try_send` into its
//! queue, so no disk or database trouble reaches the safety path. The writer's decisions take
//! the time as an argument, so the tests drive them without waiting. This file owns the loop,
//! the queue in memory and its bounds; `commit` writes what waits, `reopen` brings back a
//! database that could not be opened or whose file was deleted or replaced.

mod commit;
mod reopen;

use super::ids::{Counter, SessionIds};
use super::store::BATCH_EVERY;
use super::{HistoryError, Op, Retention, SessionFigures, SessionRow, Store};
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
        Op::Changes { reply, .. } => {
            let _ = reply.send(Err(closed()));
        }
        Op::RatePain { reply, .. } => {
            let _ = reply.send(Err(closed()));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
