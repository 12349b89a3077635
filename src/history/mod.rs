//! The usage history: a SQLite file (WAL, migrated by `user_version`) written by a thread of
//! its own.
//!
//! Owns every database access. Writers send records through a bounded queue and never wait:
//! when the queue is full or the database fails, the record is dropped, a warning is logged and
//! the `Status` (shown over D-Bus) says so — the safety path is never blocked or delayed by the
//! disk. Session start and end, faults, clamps and pain ratings are committed one by one with
//! `synchronous=FULL`; telemetry (intensity changes, progress) is batched, at most one commit a
//! second. A corrupt database is moved aside and a fresh one started. A database that cannot be
//! opened is tried again every few seconds while records wait in memory (bounded); a database
//! file deleted or replaced while in use is noticed and recreated. Session ids never repeat:
//! see [`ids`].

pub mod export;
pub mod ids;
mod schema;
mod store;
mod writer;

use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
pub use store::Store;
use tokio::sync::{oneshot, watch};

/// A session row as `History.Sessions` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    pub id: u64,
    pub program: String,
    pub profile: String,
    pub placement: String,
    pub start: i64,
    /// 0 while running.
    pub end: i64,
    pub end_reason: String,
    pub channels: Vec<u32>,
    pub max_intensity: Vec<u32>,
    /// Time-weighted mean intensity per channel over the session, µA.
    pub mean_intensity: Vec<u32>,
    /// The modes of the segments run, in order.
    pub segments: Vec<String>,
    /// Pain scores 0–10, when rated.
    pub pain_before: Option<u8>,
    pub pain_after: Option<u8>,
}

impl SessionRow {
    /// A fresh row for a session starting now.
    pub fn starting(
        id: u64,
        program: &str,
        profile: &str,
        placement: &str,
        start: i64,
        channels: Vec<u32>,
    ) -> SessionRow {
        let n = channels.len();
        SessionRow {
            id,
            program: program.into(),
            profile: profile.into(),
            placement: placement.into(),
            start,
            end: 0,
            end_reason: String::new(),
            channels,
            max_intensity: vec![0; n],
            mean_intensity: vec![0; n],
            segments: Vec::new(),
            pain_before: None,
            pain_after: None,
        }
    }

    /// Seconds from start to end (0 while running).
    pub fn duration_s(&self) -> i64 {
        if self.end == 0 {
            0
        } else {
            (self.end - self.start).max(0)
        }
    }
}

/// A fault row as `History.Faults` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultRow {
    pub time: i64,
    pub code: String,
    pub message: String,
    pub session_id: u64,
}

/// A clamp record.
#[derive(Debug, Clone, PartialEq)]
pub struct ClampRow {
    pub time: i64,
    pub session_id: u64,
    pub channel: u32,
    pub requested: u32,
    pub applied: u32,
    pub limit: String,
}

/// A change to a profile's limits, answers or approval, with who made it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileChangeRow {
    pub time: i64,
    pub profile: String,
    pub actor: String,
    pub change: String,
}

/// One intensity change: a new target (`kind` = `target`) or the level the ramp reached
/// (`level`, at most once a second), with who made it: `uid:<n>` (a D-Bus client's Unix user),
/// `button`, `program` (a segment change), `ramp`, `safety:<reason>`.
#[derive(Debug, Clone, PartialEq)]
pub struct IntensityRow {
    pub time_ms: i64,
    pub session_id: u64,
    pub channel: u32,
    pub kind: &'static str,
    pub microamps: u32,
    pub actor: String,
}

/// Live figures of a session for its row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionFigures {
    pub max_intensity: Vec<u32>,
    pub mean_intensity: Vec<u32>,
    pub segments: Vec<String>,
}

/// One program's share of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramSummary {
    pub program: String,
    pub sessions: u32,
    pub minutes: u32,
    /// Sessions with both pain scores.
    pub rated: u32,
    /// Mean of (before − after) over the rated sessions; 0 when none.
    pub mean_reduction: f64,
    pub mean_before: f64,
    pub mean_after: f64,
}

/// What a period of use looks like.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub sessions: u32,
    pub minutes: u32,
    /// Calendar days the period spans (from its first session when unbounded).
    pub days: u32,
    pub sessions_per_day: f64,
    pub programs: Vec<ProgramSummary>,
}

/// How long records are kept, days (0 = for ever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Sessions, faults and clamps.
    pub keep_days: u32,
    /// The intensity changes within sessions.
    pub detail_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_days: 0,
            detail_days: 730,
        }
    }
}

impl From<&crate::config::HistoryConfig> for Retention {
    /// The retention `[history]` of the configuration sets.
    fn from(c: &crate::config::HistoryConfig) -> Self {
        Retention {
            keep_days: c.keep_days,
            detail_days: c.detail_days,
        }
    }
}

/// Why the history could not answer a query or take a rating.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The queue is full or the history thread is gone.
    #[error("the history is busy or unavailable")]
    Busy,
    /// The database is not open; `status` is the history's status (`unavailable: …`).
    #[error("history {status}")]
    Closed { status: String },
    /// A pain rating for a session the history does not have.
    #[error("id = {0} is not a session in the history")]
    NoSuchSession(u64),
    /// The database failed.
    #[error("{0}")]
    Database(#[from] rusqlite::Error),
}

type Reply<T> = oneshot::Sender<Result<T, HistoryError>>;

/// A record for the writer (public for the history benchmark; clients use `HistoryHandle`).
pub enum Op {
    Started(SessionRow),
    Progress {
        id: u64,
        time: i64,
        figures: SessionFigures,
    },
    Intensity(IntensityRow),
    Ended {
        id: u64,
        end: i64,
        reason: String,
        figures: SessionFigures,
    },
    Fault(FaultRow),
    Clamp(ClampRow),
    ProfileChange(ProfileChangeRow),
    RatePain {
        id: u64,
        before: u8,
        after: u8,
        reply: Reply<()>,
    },
    Sessions {
        since: i64,
        until: i64,
        limit: u32,
        reply: Reply<Vec<SessionRow>>,
    },
    Faults {
        since: i64,
        limit: u32,
        reply: Reply<Vec<FaultRow>>,
    },
    Summary {
        since: i64,
        until: i64,
        /// Only this profile's sessions.
        profile: Option<String>,
        reply: Reply<Summary>,
    },
    /// Answered once every record queued before it has been applied.
    Flush {
        reply: oneshot::Sender<()>,
    },
}

impl Op {
    /// Telemetry is batched; everything else is committed at once.
    fn is_telemetry(&self) -> bool {
        matches!(self, Op::Progress { .. } | Op::Intensity(_))
    }

    /// A record to write (not a query or a flush).
    fn is_record(&self) -> bool {
        matches!(
            self,
            Op::Started(_)
                | Op::Progress { .. }
                | Op::Intensity(_)
                | Op::Ended { .. }
                | Op::Fault(_)
                | Op::Clamp(_)
                | Op::ProfileChange(_)
        )
    }
}

const QUEUE: usize = 1024;

/// A cloneable, never-blocking handle on the history thread.
#[derive(Clone)]
pub struct HistoryHandle {
    tx: mpsc::SyncSender<Op>,
    dropped: Arc<AtomicU64>,
    status: Arc<watch::Sender<String>>,
    ids: Arc<ids::SessionIds>,
}

/// The status when all is well.
pub const STATUS_OK: &str = "ok";
/// The database's file name in the state directory.
pub const DB_FILE: &str = "history.sqlite";

impl HistoryHandle {
    /// Opens (or creates) `dir/history.sqlite` — moving a corrupt one aside —, closes sessions a
    /// crash left open as `interrupted`, prunes by `retention`, and starts the writer thread.
    ///
    /// Returns the handle and the highest session id taken so far: the highest in the
    /// database and below the persisted counter (`dir/next-session-id`), so `+ 1` is safe even
    /// when the database cannot be opened now. Better still, take each id from
    /// [`HistoryHandle::next_session_id`], which also stays above a database that opens later.
    ///
    /// If the database cannot be opened the daemon still runs: the error is logged and shown in
    /// `status`, queries fail with it, records wait in memory (bounded) and the history thread
    /// tries again every few seconds, writing them once it opens.
    pub fn open(dir: &Path, retention: Retention) -> (HistoryHandle, u64) {
        let path = dir.join(DB_FILE);
        let (status, _) = watch::channel(STATUS_OK.to_string());
        let status = Arc::new(status);
        let mut counter = ids::Counter::new(dir);
        let counted = match counter.read() {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(
                    "history: the session id counter {} is not used: {e}",
                    counter.path().display()
                );
                None
            }
        };
        let (store, db_max) = match Store::open_or_recover(&path) {
            Ok((mut s, recovered)) => {
                if let Some(aside) = recovered {
                    let msg = format!(
                        "recovered: the history database was unreadable and was moved aside to {}; a new one was started",
                        aside.display()
                    );
                    tracing::error!("history: {msg}");
                    status.send_replace(msg);
                }
                match s.close_interrupted() {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!("history: {n} session(s) cut short by a crash or power loss marked interrupted"),
                    Err(e) => tracing::warn!("history: cannot close interrupted sessions: {e}"),
                }
                if let Err(e) = s.prune(retention, crate::clock::unix_now()) {
                    tracing::warn!("history: cannot apply the retention: {e}");
                }
                let max = match s.max_session_id() {
                    Ok(m) => Some(m),
                    Err(e) => {
                        tracing::warn!("history: cannot read the highest session id: {e}");
                        None
                    }
                };
                (Ok(s), max)
            }
            Err(e) => {
                let msg = writer::unavailable_text(&path, &e.to_string());
                tracing::error!("history: {msg}");
                status.send_replace(msg);
                (Err(e), None)
            }
        };
        let first = ids::first_free(db_max, counted);
        if store.is_ok() {
            if let Err(e) = counter.store(first) {
                tracing::warn!(
                    "history: cannot store the session id counter {}: {e}",
                    counter.path().display()
                );
            }
        }
        let ids = Arc::new(ids::SessionIds::new(first));
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let writer = writer::Writer::new(
            path,
            store,
            ids.clone(),
            counter,
            status.clone(),
            retention,
            std::time::Instant::now(),
        );
        let spawned = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || writer::serve(writer, rx));
        if let Err(e) = spawned {
            tracing::error!("history: cannot start its thread: {e}");
            status.send_replace(format!("unavailable: cannot start its thread: {e}"));
        }
        (
            HistoryHandle {
                tx,
                dropped,
                status,
                ids,
            },
            first - 1,
        )
    }

    /// A new session id, never handed out before and above every id in the database — also
    /// one that opens only later (never blocks: an atomic counter, persisted by the history
    /// thread).
    pub fn next_session_id(&self) -> u64 {
        self.ids.take()
    }

    /// `ok`, or what is wrong with the history (shown as `History.Status`).
    pub fn status(&self) -> watch::Receiver<String> {
        self.status.subscribe()
    }

    fn send(&self, op: Op) {
        if self.tx.try_send(op).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!("history: queue full or writer gone; {n} record(s) dropped so far");
            self.status.send_if_modified(|s| {
                if s.starts_with("unavailable") {
                    return false;
                }
                *s = format!("degraded: {n} record(s) dropped (the history could not keep up)");
                true
            });
        }
    }

    pub fn session_started(&self, row: SessionRow) {
        self.send(Op::Started(row));
    }
    pub fn session_progress(&self, id: u64, time: i64, figures: SessionFigures) {
        self.send(Op::Progress { id, time, figures });
    }
    pub fn intensity(&self, row: IntensityRow) {
        self.send(Op::Intensity(row));
    }
    pub fn session_ended(&self, id: u64, end: i64, reason: String, figures: SessionFigures) {
        self.send(Op::Ended {
            id,
            end,
            reason,
            figures,
        });
    }
    pub fn fault(&self, row: FaultRow) {
        self.send(Op::Fault(row));
    }
    pub fn clamp(&self, row: ClampRow) {
        self.send(Op::Clamp(row));
    }

    pub fn profile_change(&self, row: ProfileChangeRow) {
        self.send(Op::ProfileChange(row));
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Op) -> Result<T, HistoryError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(make(reply))
            .map_err(|_| HistoryError::Busy)?;
        rx.await.map_err(|_| HistoryError::Busy)?
    }

    /// Records pain scores (0–10) for a session.
    pub async fn rate_pain(&self, id: u64, before: u8, after: u8) -> Result<(), HistoryError> {
        self.ask(|reply| Op::RatePain {
            id,
            before,
            after,
            reply,
        })
        .await
    }

    /// Sessions started in `[since, until]` (0 = unbounded), newest first, at most `limit`
    /// (0 = all).
    pub async fn sessions(
        &self,
        since: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<SessionRow>, HistoryError> {
        self.ask(|reply| Op::Sessions {
            since,
            until,
            limit,
            reply,
        })
        .await
    }

    /// Faults since `since` (0 = unbounded), newest first, at most `limit` (0 = all).
    pub async fn faults(&self, since: i64, limit: u32) -> Result<Vec<FaultRow>, HistoryError> {
        self.ask(|reply| Op::Faults {
            since,
            limit,
            reply,
        })
        .await
    }

    /// Use over `[since, until]` (0 = unbounded).
    pub async fn summary(&self, since: i64, until: i64) -> Result<Summary, HistoryError> {
        self.ask(|reply| Op::Summary {
            since,
            until,
            profile: None,
            reply,
        })
        .await
    }

    /// Every session of `profile`, summarised per program.
    pub async fn profile_summary(&self, profile: &str) -> Result<Summary, HistoryError> {
        self.ask(|reply| Op::Summary {
            since: 0,
            until: 0,
            profile: Some(profile.to_string()),
            reply,
        })
        .await
    }
}

impl HistoryHandle {
    /// Waits, at most `timeout`, until every record sent before this call is written (the
    /// queue is first in, first out). Returns false if that could not be confirmed.
    pub async fn flush(&self, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        let (reply, rx) = oneshot::channel();
        let mut op = Op::Flush { reply };
        loop {
            match self.tx.try_send(op) {
                Ok(()) => break,
                Err(mpsc::TrySendError::Full(back)) if tokio::time::Instant::now() < deadline => {
                    op = back;
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                Err(_) => return false,
            }
        }
        matches!(tokio::time::timeout_at(deadline, rx).await, Ok(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn flush_returns_once_earlier_records_are_written() {
        let dir = std::env::temp_dir().join(format!("stimd-flush-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (h, _) = HistoryHandle::open(&dir, Retention::default());
        for id in 1..=50 {
            h.session_started(SessionRow::starting(
                id,
                "low-back",
                "default",
                "",
                id as i64,
                vec![0],
            ));
            h.session_ended(
                id,
                id as i64 + 1,
                "stopped".into(),
                SessionFigures::default(),
            );
        }
        assert!(h.flush(Duration::from_secs(10)).await);
        // Read the file directly, not through the same queue.
        let rows = Store::open(&dir.join("history.sqlite"))
            .unwrap()
            .sessions(0, 0, 0)
            .unwrap();
        assert_eq!(rows.len(), 50);
        assert!(rows.iter().all(|r| r.end_reason == "stopped"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A database that cannot be opened costs the history, never the caller's time: records are
    /// accepted (and dropped) without waiting, and queries fail with a named reason.
    #[tokio::test]
    async fn unavailable_database_never_blocks_writers() {
        let (h, max) =
            HistoryHandle::open(Path::new("/proc/stimd-no-such-dir"), Retention::default());
        assert_eq!(max, 0);
        let start = Instant::now();
        for id in 0..5_000 {
            h.session_progress(id, 0, SessionFigures::default());
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "writers waited on the history"
        );
        let e = h.sessions(0, 0, 0).await.unwrap_err();
        assert!(
            matches!(e, HistoryError::Closed { .. } | HistoryError::Busy),
            "{e}"
        );
        assert!(e.to_string().contains("unavailable"), "{e}");
        assert!(h.status().borrow().starts_with("unavailable: cannot open"));
    }
}
