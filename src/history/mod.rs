//! The usage history: a SQLite file (WAL, `synchronous=FULL`, migrated by `user_version`)
//! written by a thread of its own.
//!
//! Owns every database access. Writers send records through a bounded queue and never wait:
//! when the queue is full or the database fails, the record is dropped and a warning is
//! logged and counted — the safety path is never blocked or delayed by the disk.

mod schema;
mod store;

use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
pub use store::Store;
use tokio::sync::oneshot;

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

pub(crate) enum Op {
    Started(SessionRow),
    Progress {
        id: u64,
        time: i64,
        max_intensity: Vec<u32>,
    },
    Ended {
        id: u64,
        end: i64,
        reason: String,
        max_intensity: Vec<u32>,
    },
    Fault(FaultRow),
    Clamp(ClampRow),
    Sessions {
        since: i64,
        until: i64,
        limit: u32,
        reply: oneshot::Sender<Result<Vec<SessionRow>, String>>,
    },
    Faults {
        since: i64,
        limit: u32,
        reply: oneshot::Sender<Result<Vec<FaultRow>, String>>,
    },
    /// Answered once every record queued before it has been applied.
    Flush {
        reply: oneshot::Sender<()>,
    },
}

const QUEUE: usize = 1024;

/// A cloneable, never-blocking handle on the history thread.
#[derive(Clone)]
pub struct HistoryHandle {
    tx: mpsc::SyncSender<Op>,
    dropped: Arc<AtomicU64>,
}

impl HistoryHandle {
    /// Opens (or creates) `dir/history.sqlite`, closes sessions a crash left open as
    /// `interrupted`, and starts the writer thread. Returns the handle and the highest
    /// session id on record. If the database cannot be opened the daemon still runs: the
    /// error is logged and every history call fails with it.
    pub fn open(dir: &Path) -> (HistoryHandle, u64) {
        let path = dir.join("history.sqlite");
        let (store, max_id) = match Store::open(&path) {
            Ok(mut s) => {
                match s.close_interrupted() {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!("history: {n} session(s) cut short by a crash or power loss marked interrupted"),
                    Err(e) => tracing::warn!("history: cannot close interrupted sessions: {e}"),
                }
                let max = s.max_session_id().unwrap_or(0);
                (Ok(s), max)
            }
            Err(e) => {
                tracing::error!(
                    "history: cannot open {}: {e}; running without history",
                    path.display()
                );
                (Err(e.to_string()), 0)
            }
        };
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let spawned = std::thread::Builder::new()
            .name("history".into())
            .spawn(move || store::serve(store, rx));
        if let Err(e) = spawned {
            tracing::error!("history: cannot start its thread: {e}");
        }
        (HistoryHandle { tx, dropped }, max_id)
    }

    fn send(&self, op: Op) {
        if self.tx.try_send(op).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!("history: queue full or writer gone; {n} record(s) dropped so far");
        }
    }

    pub fn session_started(&self, row: SessionRow) {
        self.send(Op::Started(row));
    }
    pub fn session_progress(&self, id: u64, time: i64, max_intensity: Vec<u32>) {
        self.send(Op::Progress {
            id,
            time,
            max_intensity,
        });
    }
    pub fn session_ended(&self, id: u64, end: i64, reason: String, max_intensity: Vec<u32>) {
        self.send(Op::Ended {
            id,
            end,
            reason,
            max_intensity,
        });
    }
    pub fn fault(&self, row: FaultRow) {
        self.send(Op::Fault(row));
    }
    pub fn clamp(&self, row: ClampRow) {
        self.send(Op::Clamp(row));
    }

    /// Sessions started in `[since, until]` (0 = unbounded), newest first, at most `limit`
    /// (0 = all).
    pub async fn sessions(
        &self,
        since: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<SessionRow>, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(Op::Sessions {
                since,
                until,
                limit,
                reply,
            })
            .map_err(|_| busy())?;
        rx.await.map_err(|_| busy())?
    }

    /// Faults since `since` (0 = unbounded), newest first, at most `limit` (0 = all).
    pub async fn faults(&self, since: i64, limit: u32) -> Result<Vec<FaultRow>, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(Op::Faults {
                since,
                limit,
                reply,
            })
            .map_err(|_| busy())?;
        rx.await.map_err(|_| busy())?
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

fn busy() -> String {
    "the history is busy or unavailable".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn flush_returns_once_earlier_records_are_written() {
        let dir = std::env::temp_dir().join(format!("stimd-flush-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (h, _) = HistoryHandle::open(&dir);
        for id in 1..=50 {
            h.session_started(SessionRow {
                id,
                program: "low-back".into(),
                profile: "default".into(),
                placement: String::new(),
                start: id as i64,
                end: 0,
                end_reason: String::new(),
                channels: vec![0],
                max_intensity: vec![0],
            });
            h.session_ended(id, id as i64 + 1, "stopped".into(), vec![0]);
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
        let (h, max) = HistoryHandle::open(Path::new("/proc/stimd-no-such-dir"));
        assert_eq!(max, 0);
        let start = Instant::now();
        for id in 0..5_000 {
            h.session_progress(id, 0, vec![1, 2]);
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "writers waited on the history"
        );
        let e = h.sessions(0, 0, 0).await.unwrap_err();
        assert!(e.contains("unavailable"), "{e}");
    }
}
